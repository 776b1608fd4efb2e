"""The whole pipeline a user runs, timed: image in, poses out, as the variant is meant to be used.

A model's inference alone is not what a user waits for: a two-stage model runs its detector
first, a single-person model runs behind a person detector (top-down), and every stage
preprocesses its input and decodes its outputs. This times the pose API (`as_meant`) on one photo
of one person, frame after frame, in a child process, and splits each frame's time into its
stages: each model's call (preprocess, inference, decode) with its inference apart, and the rest
(crops, mapping back). Run as `python -m catalog.measure.pipeline` with the spec as JSON on stdin.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from catalog.measure.latency import DEFAULT_WARMUP, Timing, run_child, until_narrow

PHOTO = "skimage.data.astronaut(): one person, 512 x 512"


@dataclass
class Stage:
    # detector (the first stage), model (the variant itself), or rest (crops, mapping back, sorting)
    role: str
    # the variant id of the stage's model; None for the rest
    variant: str | None
    # median ms of the stage per frame: its model's calls, preprocessing and decoding included
    median_ms: float
    # of which the onnxruntime session's run, median ms per frame; None for the rest
    inference_ms: float | None
    # the model's calls per frame (a top-down model: one per person found)
    calls: int


@dataclass
class Pipeline:
    timing: Timing  # the whole frame
    people: int  # people the pipeline found on the photo
    stages: list[Stage]

    def to_dict(self) -> dict[str, Any]:
        return {"timing": self.timing.to_dict(), "people": self.people, "stages": [asdict(s) for s in self.stages]}


class _Clock:
    """Sums, per frame, the time of one model's calls and of its session's runs."""

    def __init__(self, model: Any) -> None:
        self.calls: list[float] = []
        self.inference: list[float] = []
        self.frames: list[tuple[float, float, int]] = []
        run, session_run = model.run, model.session.run
        model.run = self._timing(run, self.calls)
        model.session = _TimedSession(model.session, self._timing(session_run, self.inference))

    @staticmethod
    def _timing(call: Callable[..., Any], sink: list[float]) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                sink.append((time.perf_counter() - start) * 1000)

        return timed_call

    def end_frame(self) -> None:
        self.frames.append((sum(self.calls), sum(self.inference), len(self.calls)))
        self.calls.clear()
        self.inference.clear()


class _TimedSession:
    def __init__(self, session: Any, run: Callable[..., Any]) -> None:
        self._session, self.run = session, run

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def stage_models(estimator: Any) -> list[tuple[str, Any]]:
    """(role, Model) of each stage of an `as_meant` estimator, first stage first."""
    from catalog.pose.top_down import TopDown

    if isinstance(estimator, TopDown):
        return [("detector", estimator.people.model), ("model", estimator.pose.model)]
    if estimator.detector is not None:
        return [("detector", estimator.detector), ("model", estimator.model)]
    return [("model", estimator.model)]


def time_here(spec: dict[str, Any]) -> Pipeline:
    """Time the pipeline in this process (the child)."""
    from skimage import data

    from catalog.pose.top_down import PERSON_MIN_SCORE, as_meant_from_records

    threads = spec["threads"]
    estimator = as_meant_from_records(spec["record"], spec["detector"], Path(spec["build_dir"]), threads=threads)
    image = data.astronaut()
    people = int(sum(pose.score >= PERSON_MIN_SCORE for pose in estimator(image)))
    stages = stage_models(estimator)
    clocks = [_Clock(model) for _, model in stages]

    def frame(k: int) -> list[float]:
        times = []
        for _ in range(k):
            start = time.perf_counter()
            estimator(image)
            times.append((time.perf_counter() - start) * 1000)
            for clock in clocks:
                clock.end_frame()
        return times

    frame(spec["warmup"])
    for clock in clocks:
        clock.frames.clear()
    totals = until_narrow({"pipeline": frame}, spec["runs"], 0)["pipeline"]
    import onnxruntime

    timing = Timing.of(totals, "onnxruntime", onnxruntime.__version__, spec["warmup"], threads, ["pipeline"])
    found = []
    for (role, model), clock in zip(stages, clocks, strict=True):
        calls, inference, counts = (np.array(column) for column in zip(*clock.frames, strict=True))
        per_frame, inferring = (round(float(np.median(column)), 3) for column in (calls, inference))
        found.append(Stage(role, model.variant.id, per_frame, inferring, int(np.median(counts))))
    rest = np.array(totals) - sum(np.array([f[0] for f in clock.frames]) for clock in clocks)
    found.append(Stage("rest", None, round(max(float(np.median(rest)), 0.0), 3), None, 0))
    return Pipeline(timing, people, found)


def time_pipeline(
    record: dict, detector: dict | None, build_dir: Path, *, runs: int, warmup: int = DEFAULT_WARMUP,
    threads: int | None = None,
) -> Pipeline:  # fmt: skip
    """The variant's whole pipeline timed in a fresh child process; RuntimeError with the child's last line."""
    spec = {
        "record": record,
        "detector": detector,
        "build_dir": str(build_dir),
        "runs": runs,
        "warmup": warmup,
        "threads": threads or os.cpu_count() or 1,
    }
    command = [sys.executable, "-m", "catalog.measure.pipeline"]
    found = run_child(command, f"could not time {record['id']}'s pipeline", stdin=json.dumps(spec))
    return Pipeline(Timing(**found["timing"]), found["people"], [Stage(**s) for s in found["stages"]])


if __name__ == "__main__":
    print(json.dumps(time_here(json.loads(sys.stdin.read())).to_dict()))
