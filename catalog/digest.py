"""sha256 of files, computed once: a file's digest is remembered by its identity (path, inode,
size, mtime), so fetch, copy and inspect within one build hash the same bytes once."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_CHUNK = 1 << 20
_known: dict[tuple[str, int, int, int], str] = {}


def identity(path: Path) -> tuple[int, int, int]:
    """What changes when a file's bytes may have: its inode, size and modification time."""
    stat = os.stat(path)
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _identity(path: Path) -> tuple[str, int, int, int]:
    return (str(Path(path).resolve()), *identity(path))


def known_sha256(path: Path) -> str | None:
    """The digest already computed for this very file, if it has not changed since."""
    try:
        return _known.get(_identity(path))
    except OSError:
        return None


def remember(path: Path, sha256: str) -> None:
    """Record a digest computed elsewhere (from the bytes in memory, or of the file this one was copied from)."""
    _known[_identity(path)] = sha256


def sha256_file(path: Path) -> str:
    """The file's sha256, hex; read only if this file's digest is not known yet."""
    found = known_sha256(path)
    if found is not None:
        return found
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    remember(path, digest.hexdigest())
    return digest.hexdigest()


def pass_key(record: dict, detector: dict | None, *more: str) -> str:
    """The key of a figure a pass after the variants' builds derives from a built record and its
    detector's (accuracy, the pipeline's latency): the figure is reused while the key holds."""
    parts = [record.get("cache_key", ""), (detector or {}).get("cache_key", ""), *more]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
