"""Latency and peak memory of one model on one runtime, measured in a child process.

The child only loads and runs the model, so its RSS high-water mark is the model's own peak
memory plus the runtime's fixed cost (reported separately, measured before the model loads).
Run as `python -m catalog.measure.latency RUNTIME MODEL SHAPES_JSON RUNS WARMUP THREADS`.
A variant's forms compared: `python -m catalog.measure.latency turns FORMS_JSON RUNS WARMUP
THREADS` times them in alternating turns in one child, until each median's interval is narrow.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

DEFAULT_RUNS = 20
DEFAULT_WARMUP = 3
CHILD_TIMEOUT_S = 600
K = TypeVar("K", bound=Hashable)


@dataclass
class Measurement:
    runtime: str  # "onnxruntime" | "tflite"
    runtime_version: str
    median_ms: float
    p90_ms: float
    min_ms: float
    runs: int
    warmup: int
    threads: int
    peak_rss_mib: float  # the child's high-water mark
    baseline_rss_mib: float  # the child after importing the runtime, before loading the model
    model_peak_mib: float  # peak - baseline: what loading and running this model cost

    def to_dict(self) -> dict:
        return asdict(self)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description() -> dict[str, str | int | None]:
    """Where the measurements ran: stated once per catalog, not per measurement."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _status_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (high-water mark) of this process.

    Not getrusage's ru_maxrss: Linux carries that over exec from the forking parent, so a child
    of a big process (the builder, with TensorFlow loaded) would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _feed(shape: list[int], dtype: str, rng: np.random.Generator) -> np.ndarray:
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 255, size=shape).astype(dtype)
    return rng.random(shape, dtype=np.float32).astype(dtype)


def onnxruntime_runner(model: Path, shapes: dict[str, list[int]], threads: int, spinning: bool = True):
    import onnxruntime as ort

    from catalog.runtime import input_dtype, onnx_session

    session = onnx_session(model, threads, spinning=spinning)
    rng = np.random.default_rng(0)
    feeds = {}
    for spec in session.get_inputs():
        shape = shapes.get(spec.name) or [d if isinstance(d, int) else 1 for d in spec.shape]
        feeds[spec.name] = _feed(shape, input_dtype(spec.type).name, rng)
    return ort.__version__, lambda: session.run(None, feeds)


def _tflite_runner(model: Path, shapes: dict[str, list[int]], threads: int):
    from ai_edge_litert import __version__ as version
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(model), num_threads=threads)
    for detail in interpreter.get_input_details():
        if detail["name"] in shapes:
            interpreter.resize_tensor_input(detail["index"], shapes[detail["name"]])
    interpreter.allocate_tensors()
    rng = np.random.default_rng(0)
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], _feed(list(detail["shape"]), detail["dtype"].__name__, rng))
    return version, interpreter.invoke


RUNNERS = {"onnxruntime": onnxruntime_runner, "tflite": _tflite_runner}


def timed(run: Callable[[], Any]) -> Callable[[int], list[float]]:
    """`run` as a function that runs it k times and returns each run's ms."""

    def runs(k: int) -> list[float]:
        times = []
        for _ in range(k):
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) * 1000)
        return times

    return runs


def measure_here(runtime: str, model: Path, shapes: dict, runs: int, warmup: int, threads: int) -> Measurement:
    """Measure in this process (the child): load, warm up, time each run."""
    import importlib

    importlib.import_module("onnxruntime" if runtime == "onnxruntime" else "ai_edge_litert.interpreter")
    baseline = _status_mib("VmRSS")
    version, run = RUNNERS[runtime](model, shapes, threads)
    for _ in range(warmup):
        run()
    times = timed(run)(runs)
    peak = _status_mib("VmHWM")
    return Measurement(
        runtime=runtime,
        runtime_version=version,
        median_ms=round(float(np.median(times)), 3),
        p90_ms=round(float(np.percentile(times, 90)), 3),
        min_ms=round(float(np.min(times)), 3),
        runs=runs,
        warmup=warmup,
        threads=threads,
        peak_rss_mib=round(peak, 1),
        baseline_rss_mib=round(baseline, 1),
        model_peak_mib=round(peak - baseline, 1),
    )


TURN_RUNS = 5  # runs of one model before the other takes its turn
NARROW = 0.05  # a median whose 95 % interval's half-width is within 5 % of it is stated as measured
MAX_RUNS = 200  # the most runs of each form before a wide interval is stated as noisy
TURNS_BUDGET_S = 20.0  # ... or the most seconds spent timing one variant's forms


def alternate(
    runners: Mapping[K, Callable[[int], list[float]]], runs: int, warmup: int, chunk: int
) -> dict[K, list[float]]:
    """ms per run of each runner (a function timing k runs, returning their ms), each warmed up
    (none where `warmup` is 0), then timed in turns of `chunk` runs, so load from elsewhere on the
    machine hits all alike."""
    if warmup:
        for run in runners.values():
            run(warmup)
    times: dict[K, list[float]] = {name: [] for name in runners}
    done = 0
    while runners and done < runs:
        k = min(chunk, runs - done)
        for name, run in runners.items():
            times[name] += run(k)
        done += k
    return times


def median_interval(times: list[float]) -> tuple[float, float]:
    """The 95 % interval of the median of `times`, from their order statistics (no distribution assumed)."""
    from scipy.stats import quantile_test

    found = quantile_test(np.asarray(times), p=0.5).confidence_interval(0.95)
    return float(found.low), float(found.high)


def is_narrow(times: list[float]) -> bool:
    low, high = median_interval(times)
    return (high - low) / 2 <= NARROW * float(np.median(times))


@dataclass
class Timing:
    """One form's runs from an alternating-turns run: its median with the median's interval."""

    runtime: str
    runtime_version: str
    median_ms: float
    median_low_ms: float
    median_high_ms: float
    p90_ms: float
    min_ms: float
    runs: int
    warmup: int
    threads: int
    noisy: bool  # the interval stayed wider than NARROW after MAX_RUNS runs or TURNS_BUDGET_S
    turns_with: list[str]  # every form of the run, this one included

    @classmethod
    def of(cls, times: list[float], runtime: str, version: str, warmup: int, threads: int, names: list[str]) -> Timing:
        low, high = median_interval(times)
        return cls(
            runtime=runtime,
            runtime_version=version,
            median_ms=round(float(np.median(times)), 3),
            median_low_ms=round(low, 3),
            median_high_ms=round(high, 3),
            p90_ms=round(float(np.percentile(times, 90)), 3),
            min_ms=round(float(np.min(times)), 3),
            runs=len(times),
            warmup=warmup,
            threads=threads,
            noisy=not is_narrow(times),
            turns_with=names,
        )

    def to_dict(self) -> dict:
        return asdict(self)


def until_narrow(
    runners: Mapping[str, Callable[[int], list[float]]], min_runs: int, warmup: int,
    max_runs: int = MAX_RUNS, budget_s: float = TURNS_BUDGET_S,
) -> dict[str, list[float]]:  # fmt: skip
    """Alternating turns (as `alternate`) until every runner's median is narrow, at least
    `min_runs` each; at most `max_runs` each or `budget_s` seconds, whichever comes first."""
    times = alternate(runners, min_runs, warmup, TURN_RUNS)
    start = time.perf_counter()
    while not all(is_narrow(t) for t in times.values()):
        if len(next(iter(times.values()))) >= max_runs or time.perf_counter() - start > budget_s:
            break
        for name, more in alternate(runners, TURN_RUNS * 4, 0, TURN_RUNS).items():
            times[name] += more
    return times


def turns_here(forms: dict[str, dict], min_runs: int, warmup: int, threads: int) -> dict[str, Timing]:
    """Every form ({name: {runtime, model, shapes}}) of one variant timed in this process (the child)
    in alternating turns until each median is narrow. onnxruntime's idle threads do not spin, so
    the form waiting its turn takes no core."""
    runners, versions = {}, {}
    for name, form in forms.items():
        runtime, model, shapes = form["runtime"], Path(form["model"]), form["shapes"]
        if runtime == "onnxruntime":
            versions[name], run = onnxruntime_runner(model, shapes, threads, spinning=False)
        else:
            versions[name], run = RUNNERS[runtime](model, shapes, threads)
        runners[name] = timed(run)
    times = until_narrow(runners, min_runs, warmup)
    names = list(forms)
    return {
        name: Timing.of(times[name], forms[name]["runtime"], versions[name], warmup, threads, names) for name in names
    }


def measure(
    runtime: str,
    model: Path,
    shapes: dict[str, list[int]] | None = None,
    *,
    runs: int = DEFAULT_RUNS,
    warmup: int = DEFAULT_WARMUP,
    threads: int | None = None,
) -> Measurement:
    """Measure a model in a fresh child process; raises RuntimeError with the child's last line."""
    threads = threads or os.cpu_count() or 1
    command = [sys.executable, "-m", "catalog.measure.latency", runtime, str(model), json.dumps(shapes or {}),
               str(runs), str(warmup), str(threads)]  # fmt: skip
    return Measurement(**run_child(command, f"{runtime} could not run {model.name}"))


def measure_turns(
    forms: dict[str, dict], *, runs: int = DEFAULT_RUNS, warmup: int = DEFAULT_WARMUP, threads: int | None = None
) -> dict[str, Timing]:
    """Every form of a variant ({name: {runtime, model, shapes}}) timed in alternating turns in a
    fresh child process, at least `runs` each and more until each median's interval is narrow:
    their medians compare, where separate measurements minutes apart do not. Raises RuntimeError
    with the child's last line."""
    threads = threads or os.cpu_count() or 1
    spec = {name: {**form, "model": str(form["model"])} for name, form in forms.items()}
    command = [sys.executable, "-m", "catalog.measure.latency", "turns", json.dumps(spec), str(runs), str(warmup),
               str(threads)]  # fmt: skip
    found = run_child(command, f"could not time {', '.join(forms)} in turns")
    return {name: Timing(**timing) for name, timing in found.items()}


def run_child(command: list[str], failure: str, stdin: str | None = None) -> dict:
    """The JSON line a measuring child printed last; RuntimeError(`failure`: its last error line)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, env=env)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{failure}: {last}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    if argv[0] == "turns":
        forms, runs, warmup, threads = argv[1:]
        timings = turns_here(json.loads(forms), int(runs), int(warmup), int(threads))
        print(json.dumps({name: timing.to_dict() for name, timing in timings.items()}))
        return
    runtime, model, shapes, runs, warmup, threads = argv
    found = measure_here(runtime, Path(model), json.loads(shapes), int(runs), int(warmup), int(threads))
    print(json.dumps(found.to_dict()))


if __name__ == "__main__":
    main(sys.argv[1:])
