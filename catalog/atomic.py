"""Files written whole or not at all: each is written under a temporary name in its own folder
and renamed into place, so a reader (another build, the site, the app) never sees half a file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`; renamed onto `path` when the block ends without error,
    removed when it raises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    part = Path(name)
    try:
        yield part
        os.chmod(part, 0o644)  # mkstemp makes files only their owner can read
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    with replacing(path) as part:
        part.write_bytes(data)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def copy_file(source: Path, target: Path) -> None:
    with replacing(target) as part:
        shutil.copyfile(source, part)


def write_stream(path: Path, stream) -> None:
    """From a file-like object (a download), chunk by chunk."""
    with replacing(path) as part, part.open("wb") as out:
        shutil.copyfileobj(stream, out)
