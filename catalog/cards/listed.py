"""The variants the zoo lists without building them, as catalog.json's `listed` records: those a
card says cannot be built (`unavailable`: no weights, no license, a license that forbids passing
them on), and the buildable ones whose file this build could not fetch (`unreachable`, with the
fetch's one line). Each carries its family's license, as a built variant does."""

from __future__ import annotations

from typing import Any

from catalog.cards.load import Family

UNREACHABLE = "unreachable"
# the facts a failed variant's record shares with a listed one
SHARED = ("id", "name", "family", "task", "release_date", "source", "published", "notes", "license")


def listed_records(families: list[Family], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every card's unavailable variants, in card order, then every variant of the build's `records`
    whose fetch failed (it stays among the variants too, failed, as any failed variant does)."""
    listed = [
        {**entry.model_dump(mode="json"), "license": family.license.model_dump(mode="json")}
        for family in families
        for entry in family.listed
    ]
    for record in records:
        error = record.get("error") or {}
        if record.get("status") == "failed" and error.get("step") == "fetch":
            shared = {key: record[key] for key in SHARED if key in record}
            note = (str(error.get("reason", "")).strip().splitlines() or ["the fetch failed"])[0]
            listed.append({**shared, "reason": UNREACHABLE, "note": note})
    return listed
