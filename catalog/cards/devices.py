"""The devices/ folder read at build time: every *.json validated against `DeviceResult`, one line
per file that is not, the rest used. A device's id is its file's name without `.json`."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from catalog.cards.device_result import DEVICE_SCHEMA, SCHEMA_FILE, DeviceResult


class DeviceEntry(DeviceResult):
    """A device's results in catalog.json's `devices`: the document, and the file it came from."""

    # the file's name under devices/ without .json: how pages and links name the device
    id: str


def load_devices(folder: Path) -> tuple[list[DeviceEntry], list[tuple[str, str]]]:
    """(the valid documents, by file name; [(file name, why not)] for the others, one line each).
    A missing folder has none."""
    entries: list[DeviceEntry] = []
    problems: list[tuple[str, str]] = []
    paths = sorted(p for p in Path(folder).glob("*.json") if p.name != SCHEMA_FILE) if Path(folder).is_dir() else []
    for path in paths:
        try:
            entries.append(read_device(path))
        except DeviceFileError as error:
            problems.append((path.name, error.reason))
    return entries, problems


class DeviceFileError(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_device(path: Path) -> DeviceEntry:
    """One devices/*.json, validated; a DeviceFileError with one line saying what is wrong."""
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except UnicodeDecodeError:
        raise DeviceFileError("not UTF-8 text") from None
    except OSError as error:
        raise DeviceFileError(f"cannot read it ({error.strerror or error})") from None
    except ValueError as error:
        raise DeviceFileError(f"not JSON ({error})") from None
    if not isinstance(document, dict):
        raise DeviceFileError("not a device result: a JSON object is expected")
    if document.get("schema") != DEVICE_SCHEMA:
        raise DeviceFileError(f"schema is {document.get('schema')!r}, not {DEVICE_SCHEMA!r}")
    try:
        result = DeviceResult.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the document"
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise DeviceFileError(f"{where}: {first['msg']}{more}") from None
    return DeviceEntry(id=Path(path).stem, **result.model_dump(by_alias=True))
