"""Forked workers that inspect cases under a memory cap and a time limit.

Each worker is forked from a process that has already imported the readers, so it starts in
milliseconds, then takes case after case over a pipe. A worker past the time limit is killed;
one that dies, or whose case failed in any way, is replaced, so no failure's leftovers (a
half-freed heap, a stuck thread, a raised recursion depth) reach the next case.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import multiprocessing
import os
import re
import resource
import shutil
import signal
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from tests.fuzz.case import Case, write_case
from tests.fuzz.outcome import CRASH, HANG, MEMORY, Outcome, inspect_and_classify

READY = "ready"
START_TIMEOUT_S = 60.0
RECYCLE_AFTER = 300  # cases per worker, so slow leaks (caches keyed by path) stay small
_MEMORY_SIGNS = ("MemoryError", "bad_alloc", "Cannot allocate memory", "out of memory", "Arena alloc failed")
_FRAME = re.compile(r'File "(?P<file>[^"]*/catalog/[^"]+)", line \d+ in (?P<function>\S+)')


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0
    memory_mib: int = 1536  # the worker's whole address space (RLIMIT_AS)


PRELOAD = ["catalog", "catalog.measure.inspection", "catalog.read.onnx", "catalog.read.tfjs", "catalog.read.tflite",
           "catalog.read.pb", "tests.fuzz.runner"]  # fmt: skip


def _status(field: str, default: int) -> int:
    """A number from /proc/self/status (Threads, VmSize in kB), or `default` where there is none."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return default
    return int(next((line.split()[1] for line in lines if line.startswith(f"{field}:")), default))


def address_space_mib() -> float:
    return _status("VmSize", 0) / 1024


def _context(method: str | None, limits: Limits) -> multiprocessing.context.BaseContext:
    """Workers forked from this process when it has one thread and a small address space;
    otherwise (inside a test session that has loaded a runtime's thread pools) from a fresh
    fork server: a fork copies only the forking thread, any lock another one held stays held,
    and the cap applies to all the address space a fork inherits."""
    small = address_space_mib() < limits.memory_mib / 2
    method = method or ("fork" if _status("Threads", 1) == 1 and small else "forkserver")
    context = multiprocessing.get_context(method)
    if method == "fork":
        for module in PRELOAD:
            importlib.import_module(module)
    else:
        context.set_forkserver_preload(PRELOAD)
    return context


def _serve(conn: Connection, folder: Path, limits: Limits) -> None:
    """The worker's loop: a case in, an Outcome out, until the pipe closes."""
    memory = limits.memory_mib * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    log = os.open(folder / "worker.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    faulthandler.enable()  # a native crash leaves the Python stack in the log, for `where`
    conn.send(READY)
    while True:
        try:
            case: Case = conn.recv()
        except EOFError:
            return
        path = write_case(case, folder / "case")
        conn.send(inspect_and_classify(path, case.must_refuse, limits.memory_mib))


class Worker:
    """One forked worker and the case it is on, if any."""

    def __init__(self, context: multiprocessing.context.BaseContext, folder: Path, limits: Limits) -> None:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        self.folder = folder
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end, folder, limits), daemon=True)
        self.process.start()
        child_end.close()
        if not self.conn.poll(START_TIMEOUT_S) or self.conn.recv() != READY:
            self.stop()
            log = _log_tail(folder / "worker.log", 2000).strip()
            raise RuntimeError(f"a fuzz worker did not start (exit status {self.process.exitcode}): {log}")
        self.case: Case | None = None
        self.deadline = 0.0
        self.started = 0.0
        self.done = 0

    def give(self, case: Case, timeout_s: float) -> None:
        self.case, self.started = case, time.monotonic()
        self.deadline = self.started + timeout_s
        self.conn.send(case)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()

    def death(self) -> Outcome:
        """What a worker that died on its case leaves to say: its signal or exit status, and from
        its log whether it ran out of memory and where the Python stack was."""
        self.process.join()
        code = self.process.exitcode or 0
        tail = _log_tail(self.folder / "worker.log")
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        frames = _FRAME.findall(tail)
        where = ""
        if frames:
            file, function = frames[0]  # faulthandler prints the innermost frame first
            where = f"{file[file.rfind('/catalog/') + 1 :]}:{function}"
        if any(sign in tail for sign in _MEMORY_SIGNS):
            return Outcome(MEMORY, f"worker died ({how}) out of memory", where)
        last = next((line for line in reversed(tail.splitlines()) if line.strip() and "File " not in line), "")
        return Outcome(CRASH, f"worker died ({how}): {last.strip()[:200]}", where)


def _log_tail(path: Path, size: int = 16_384) -> str:
    try:
        with path.open("rb") as stream:
            stream.seek(max(0, path.stat().st_size - size))
            return stream.read().decode("utf-8", "replace")
    except OSError:
        return ""


class Pool:
    """`jobs` workers sharing the cases of a run; results come back as they finish."""

    def __init__(self, folder: Path, limits: Limits, jobs: int = 1, start_method: str | None = None) -> None:
        self.context = _context(start_method, limits)
        self.folder, self.limits, self.jobs = folder, limits, jobs
        self.started = 0
        self.workers: list[Worker] = []

    def _new_worker(self) -> Worker:
        self.started += 1
        return Worker(self.context, self.folder / f"worker{self.started}", self.limits)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
            shutil.rmtree(worker.folder, ignore_errors=True)
        self.workers = []

    def _retire(self, worker: Worker) -> Worker:
        worker.stop()
        shutil.rmtree(worker.folder, ignore_errors=True)
        fresh = self._new_worker()
        self.workers[self.workers.index(worker)] = fresh
        return fresh

    def run(self, cases: Iterable[Case], timeout_s: float | None = None) -> Iterator[tuple[Case, Outcome]]:
        """Inspect every case, `jobs` at a time, yielding each with its outcome as it finishes."""
        timeout_s = timeout_s or self.limits.timeout_s
        pending = iter(cases)
        for worker in list(self.workers):
            if worker.case is not None:  # left on a case by a run its caller stopped reading
                self._retire(worker)
        while len(self.workers) < self.jobs:
            self.workers.append(self._new_worker())
        exhausted = False
        while True:
            for worker in list(self.workers):
                if worker.case is None and not exhausted:
                    case = next(pending, None)
                    if case is None:
                        exhausted = True
                        continue
                    if worker.done >= RECYCLE_AFTER:
                        worker = self._retire(worker)
                    worker.give(case, timeout_s)
            busy = [w for w in self.workers if w.case is not None]
            if not busy:
                return
            now = time.monotonic()
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                         timeout=max(0.0, min(w.deadline for w in busy) - now))  # fmt: skip
            for worker in busy:
                case = worker.case
                assert case is not None
                outcome: Outcome | None = None
                if worker.conn in ready:
                    try:
                        outcome = worker.conn.recv()
                    except (EOFError, OSError):
                        outcome = worker.death()
                elif worker.process.sentinel in ready:
                    outcome = worker.death()
                elif time.monotonic() >= worker.deadline:
                    outcome = Outcome(HANG, f"still running after {timeout_s:g} s")
                if outcome is None:
                    continue
                if outcome.kind in (CRASH, MEMORY, HANG) and not outcome.seconds:
                    outcome.seconds = time.monotonic() - worker.started
                worker.case = None
                worker.done += 1
                if outcome.failed:
                    self._retire(worker)
                yield case, outcome

    def run_one(self, case: Case, timeout_s: float | None = None) -> Outcome:
        return next(iter(self.run([case], timeout_s)))[1]
