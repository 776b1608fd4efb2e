"""Inspect a file from a stranger in a forked child, with a time limit and a memory cap.

`catalog.inspect` trusts nothing in the file, but a file can still ask for more time or memory
than a user wants to give it, or crash a native library (onnx's shape inference, the
flatbuffer reader). In a child none of that reaches the caller: a file past the time limit,
past the memory cap or crashing the reader becomes a one-line ModelError, and the next file
is read as if nothing happened. The child is forked, not spawned, so it starts with every
module already imported and costs a few milliseconds.
"""

from __future__ import annotations

import faulthandler
import json
import os
import resource
import select
import signal
import time
from pathlib import Path

from catalog.errors import InternalError, ModelError
from catalog.measure.inspection import FileInfo, ModelReport, TensorInfo, inspect

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY_MIB = 4096  # on top of what the process already holds when it forks


def can_isolate() -> bool:
    return hasattr(os, "fork")


def inspect_isolated(
    path: Path | str,
    input_shapes: dict[str, tuple[int, ...]] | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mib: int = DEFAULT_MEMORY_MIB,
) -> ModelReport:
    """`catalog.inspect` in a forked child; ModelError when it fails, runs out of time or memory, or crashes."""
    path = Path(path)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; coverage does not follow a fork
        os.close(read_end)
        _child(write_end, path, input_shapes, memory_mib)
    os.close(write_end)
    try:
        payload, timed_out = _read_until(read_end, time.monotonic() + timeout_s)
    finally:
        os.close(read_end)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        raise ModelError(str(path), f"reading took longer than {timeout_s:g} s (--timeout)")
    if not payload:
        if os.WIFSIGNALED(status):
            name = signal.Signals(os.WTERMSIG(status)).name
            reason = f"the reader crashed on this file ({name}), or it needed more than {memory_mib} MiB"
            raise ModelError(str(path), reason)
        raise ModelError(str(path), "the reader stopped without an answer")
    return _answer(json.loads(payload), path)


def _child(write_end: int, path: Path, input_shapes: dict[str, tuple[int, ...]] | None, memory_mib: int) -> None:
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        faulthandler.disable()  # a crash here is the parent's to report, in one line
        _cap_memory(memory_mib)
        try:
            payload = {"report": inspect(path, input_shapes).to_dict()}
        except ModelError as error:
            payload = {"error": "model", "reason": error.reason}
        except InternalError as error:  # inspect's own word for a bug: passed on as it is
            payload = {"error": "internal", "reason": error.reason}
        except MemoryError:
            payload = {"error": "model", "reason": f"reading needs more than {memory_mib} MiB (--max-memory)"}
        except RecursionError:
            payload = {"error": "model", "reason": "nested too deeply to read"}
        except Exception as error:  # a bug in posezoo: said in one line, with the hint to report it
            first = (str(error).strip().splitlines() or [""])[0][:300]
            payload = {"error": "internal", "reason": f"{type(error).__name__}: {first}"}
        data = json.dumps(payload).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
    finally:
        os._exit(0)


def _cap_memory(memory_mib: int) -> None:
    held = _virtual_size_bytes()
    cap = held + memory_mib * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _virtual_size_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


def _answer(payload: dict, path: Path) -> ModelReport:
    if payload.get("error") == "model":
        raise ModelError(str(path), payload["reason"])
    if payload.get("error") == "internal":
        raise InternalError(str(path), payload["reason"])
    report = payload["report"]
    return ModelReport(
        **{
            **report,
            "inputs": [TensorInfo(**t) for t in report["inputs"]],
            "outputs": [TensorInfo(**t) for t in report["outputs"]],
            "files": [FileInfo(**f) for f in report["files"]],
        }
    )
