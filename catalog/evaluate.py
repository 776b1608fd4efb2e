"""The build's accuracy pass: every built variant, and its int8 form, scored on the evaluation set.

It runs after every variant has built, because a single-person model is scored behind the
zoo's multi-person model (top-down) and a landmark model behind its detector, whichever order
the cards list them in. A form's figures are reused while its key holds: the form's cache key,
its detector's, and the set's version. Nothing here fails a build: a form that cannot be
scored says why in its record.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog.digest import pass_key
from catalog.errors import first_line

if TYPE_CHECKING:
    from catalog.measure.evaluation import EvalSet, Use
    from catalog.pose.built import Precision

Progress = Callable[[str, str], None]


def _key(record: dict, detector: dict | None, eval_set: EvalSet, precision: str) -> str:
    return pass_key(record, detector, eval_set.version, precision)


def _form_accuracy(
    record: dict, use: Use, detector: dict | None, eval_set: EvalSet, out: Path, precision: Precision
) -> dict[str, Any]:
    from catalog.measure.evaluation import evaluate, not_scored
    from catalog.pose.top_down import as_meant_from_records

    key = _key(record, detector, eval_set, precision)
    try:
        names = record["keypoints"]["names"]
        estimator = as_meant_from_records(record, detector, out, precision=precision)
        scored = evaluate(estimator, names, eval_set, use)
    except Exception as error:  # a form the pose API cannot run is recorded, never a build failure
        scored = not_scored(f"not scored: {first_line(error)}"[:300], use)
    return {**scored, "key": key}


def _drop(float_figures: dict | None, int8_figures: dict | None, name: str) -> float | None:
    if not float_figures or not int8_figures or not float_figures.get(name) or not int8_figures.get(name):
        return None
    return round(float_figures[name]["value"] - int8_figures[name]["value"], 4)


def measure_accuracy(
    records: list[dict], out: Path, cache: Path | None, progress: Progress = lambda variant, step: None
) -> tuple[dict[str, Any] | None, list[str]]:
    """Fill `accuracy` (and `int8.accuracy` with its drops) in every built record; returns the
    catalog's evaluation record (None when the set could not be had) and one line per problem."""
    from catalog.formats import INT8_FORMAT
    from catalog.measure.evaluation import TRUTH, Use, load_eval_set, not_scored

    eval_set = load_eval_set(cache)
    built = {r["id"]: r for r in records if r.get("status") == "ok"}
    if not eval_set.truth.annotations:
        reason = eval_set.problems[0] if eval_set.problems else f"{TRUTH} has no annotated person"
        for record in built.values():
            record["accuracy"] = not_scored(f"not scored: the evaluation set could not be had ({reason})")
        return None, eval_set.problems
    for record in built.values():
        use = Use(**record["use"])  # as the build derived it from the card
        detector = built.get(use.detector) if use.detector else None
        forms: list[tuple[Precision, dict]] = [("float", record)]
        if INT8_FORMAT in record.get("formats", {}) and record.get("int8"):
            forms.append(("int8", record["int8"]))
        for precision, holder in forms:
            old = holder.get("accuracy") or {}
            if use.mode is None:
                holder["accuracy"] = not_scored(use.note, use)
            elif use.detector and detector is None:
                holder["accuracy"] = not_scored(f"not scored: its detector {use.detector} is not in this build", use)
            elif old.get("key") != _key(record, detector, eval_set, precision) or old.get("note"):
                progress(record["id"], f"accuracy ({precision})")
                holder["accuracy"] = _form_accuracy(record, use, detector, eval_set, out, precision)
        if len(forms) == 2:
            for figure in ("ap", "pck_10"):
                record["int8"][f"{figure}_drop"] = _drop(record["accuracy"], record["int8"]["accuracy"], figure)
    evaluation = {
        "set": eval_set.record(),
        "noise_floor": eval_set.noise_floor_record,
        "problems": eval_set.problems,
    }
    return evaluation, eval_set.problems
