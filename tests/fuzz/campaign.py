"""A fuzz run: cases from index 0 up until the count or the time is reached, inspected by the
worker pool, then the first cases of each distinct failure minimised and saved."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.fuzz.case import Case
from tests.fuzz.generate import make_case
from tests.fuzz.minimise import minimise
from tests.fuzz.outcome import HANG
from tests.fuzz.report import Summary, save_reproducer
from tests.fuzz.runner import Limits, Pool

PROGRESS_EVERY_S = 15.0
MINIMISE_HANG_TIMEOUT_S = 3.0  # a hang is kept as one at this limit while it is shrunk: each try costs it


@dataclass
class FuzzConfig:
    seed: int = 0
    cases: int | None = None  # stop after this many cases...
    minutes: float | None = None  # ...or after this long, whichever comes first
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    limits: Limits = field(default_factory=Limits)
    out: Path | None = None  # reproducers and summary.{txt,json} go here
    reproducers: int = 2  # cases saved per distinct failure
    minimise: bool = True
    minimise_seconds: float = 20.0  # per saved case
    minimise_total_seconds: float = 180.0
    only: str | None = None  # one mutator, e.g. "tfjs.cycle"


def _cases(config: FuzzConfig, deadline: float | None) -> Iterator[Case]:
    index = 0
    while config.cases is None or index < config.cases:
        if deadline is not None and time.monotonic() >= deadline:
            return
        yield make_case(config.seed, index, config.only)
        index += 1


def run(config: FuzzConfig, progress: Callable[[str], None] | None = None) -> Summary:
    """Fuzz as configured; the summary counts every outcome and lists every failure."""
    if config.cases is None and config.minutes is None:
        raise ValueError("give a number of cases or of minutes")
    summary = Summary(config.seed, config.only)
    work = Path(tempfile.mkdtemp(prefix="posezoo-fuzz-"))
    start = time.monotonic()
    deadline = start + config.minutes * 60 if config.minutes is not None else None
    last_progress = start
    try:
        with Pool(work, config.limits, config.jobs) as pool:
            for case, outcome in pool.run(_cases(config, deadline)):
                summary.add(case, outcome)
                if progress and time.monotonic() - last_progress >= PROGRESS_EVERY_S:
                    last_progress = time.monotonic()
                    progress(f"{summary.cases} cases, {summary.failed} failures, {last_progress - start:.0f} s")
            summary.seconds = time.monotonic() - start
            if config.out is not None:
                _save(config, summary, pool, progress)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary


def _save(config: FuzzConfig, summary: Summary, pool: Pool, progress: Callable[[str], None] | None) -> None:
    assert config.out is not None
    folder = config.out / "failures"
    if folder.exists():
        shutil.rmtree(folder)
    minimise_until = time.monotonic() + config.minimise_total_seconds
    for (kind, where), failures in summary.distinct().items():
        for failure in failures[: config.reproducers]:
            original = make_case(config.seed, failure.index, config.only)
            minimised = None
            left = minimise_until - time.monotonic()
            if config.minimise and left > 1:
                timeout = min(config.limits.timeout_s, MINIMISE_HANG_TIMEOUT_S) if kind == HANG else None
                if progress:
                    progress(f"minimising #{failure.index} ({kind} at {where or '?'})")
                minimised = minimise(original, (kind, where), lambda case, t=timeout: pool.run_one(case, t),
                                     seconds=min(config.minimise_seconds, left))  # fmt: skip
            save_reproducer(folder, failure, original, minimised)
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "summary.txt").write_text(summary.text() + "\n")
    (config.out / "summary.json").write_text(json.dumps(summary.to_json(), indent=1) + "\n")
