"""One writer at a time: an advisory lock file per output folder (and per cached package).

The lock is `fcntl.flock` on the file, which the kernel releases when the holder exits in any
way, `kill -9` included, so a lock left by a dead process never blocks the next one; the pid
and start time written inside only serve the waiting message.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from catalog.errors import PosezooError


class Busy(PosezooError):
    """Another process holds the lock and the caller chose not to wait."""


def _holder(path: Path) -> str:
    try:
        data = json.loads(path.read_text("utf-8"))
        since = time.time() - float(data["since"])
        return f"pid {int(data['pid'])}, started {since:.0f} s ago"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextmanager
def held(
    path: Path, *, wait: bool = True, what: str = "this folder", on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the lock at `path` for the block. If another process holds it: wait (telling
    `on_wait` once, with who holds it), or raise Busy when `wait` is False."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(path)
            if not wait:
                raise Busy(str(path.parent), f"another build is writing {what} ({holder})") from None
            if on_wait is not None:
                on_wait(f"another build is writing {what} ({holder}); waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps({"pid": os.getpid(), "since": time.time()}).encode(), 0)
        yield
    finally:
        os.close(handle)  # closing releases the lock
