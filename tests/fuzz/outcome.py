"""What one case did, and the check that runs inside the worker: inspect the file, then sort the
result into a clean error, a sane success, or a failure class."""

from __future__ import annotations

import math
import resource
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.errors import ModelError

OK = "ok"
CLEAN_ERROR = "clean-error"
CRASH = "crash"  # the worker died by a signal or exited
HANG = "hang"  # past the time limit
MEMORY = "memory"  # MemoryError, or the memory cap (nearly) reached
INSANE_FIGURE = "insane-figure"  # a success with a negative, non-finite, huge or non-integer figure
UNREFUSED = "unrefused"  # read a file that reaches outside the model's folder
UNCLEAR_ERROR = "unclear-error"  # a ModelError on several lines, or with no reason
OTHER_EXCEPTION = "other-exception"  # as "other-exception:<Type>"
PASSING = frozenset({OK, CLEAN_ERROR})
FIGURE_LIMIT = 2**53  # past it a figure no longer survives a round trip through JSON numbers
INTEGER_FIGURES = ("size_bytes", "params", "sparse_params", "macs", "flops")
OP_FIGURES = ("count", "macs", "flops", "output_elements", "first_input_elements", "other_input_elements", "folded")
NEAR_CAP = 0.75  # a case whose peak memory reaches this share of the cap counts as hitting it


@dataclass
class Outcome:
    kind: str
    detail: str = ""  # the exception line, the insane figure, the signal
    where: str = ""  # the innermost posezoo frame (file:function), to tell failures apart
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.kind not in PASSING

    @property
    def signature(self) -> tuple[str, str]:
        """What makes two failures the same bug: their class and where they were raised."""
        return self.kind, self.where


def _where(error: BaseException) -> str:
    while error.__cause__ is not None:  # a wrapped bug (InternalError) is told apart by where it began
        error = error.__cause__
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/catalog/" in f.filename] or frames
    if not ours:
        return ""
    frame = ours[-1]
    path = frame.filename[frame.filename.rfind("/catalog/") + 1 :] if "/catalog/" in frame.filename else frame.filename
    return f"{path}:{frame.name}"


def _line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}"[:300]


def _is_sane_integer(value: Any) -> bool:
    return type(value) is int and 0 <= value < FIGURE_LIMIT


def insane_figure(report: Any) -> str | None:
    """The first figure of a report that no reader of catalog.json could trust, in words."""
    for name in INTEGER_FIGURES:
        value = getattr(report, name)
        if not _is_sane_integer(value):
            return f"{name} = {value!r} ({type(value).__name__})"
    floats = {"size_mib": report.size_mib, **{f"precision_split[{k}]": v for k, v in report.precision_split.items()}}
    for name, value in floats.items():
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            return f"{name} = {value!r}"
    for row in report.ops:
        for name in OP_FIGURES:
            if not _is_sane_integer(row.get(name, 0)):
                return f"ops[{row.get('op')}].{name} = {row.get(name)!r}"
    for name, shape in report.reference_shapes.items():
        if not all(_is_sane_integer(d) for d in shape):
            return f"reference_shapes[{name}] = {shape}"
    return None


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def inspect_and_classify(path: Path, must_refuse: bool, memory_cap_mib: float) -> Outcome:
    """Run catalog.inspect on the file and say what happened (in the worker process)."""
    import catalog

    peak_before = _peak_mib()
    start = time.perf_counter()
    try:
        report = catalog.inspect(path)
    except ModelError as error:
        if "\n" in str(error) or not str(error.reason).strip():
            outcome = Outcome(UNCLEAR_ERROR, repr(str(error))[:300], _where(error))
        else:
            outcome = Outcome(CLEAN_ERROR, _line(error))
    except MemoryError as error:
        outcome = Outcome(MEMORY, _line(error), _where(error))
    except Exception as error:
        outcome = Outcome(f"{OTHER_EXCEPTION}:{type(error).__name__}", _line(error), _where(error))
    else:
        problem = insane_figure(report)
        if problem:
            outcome = Outcome(INSANE_FIGURE, problem, problem.split(" ")[0].split("[")[0])
        elif must_refuse:
            outcome = Outcome(UNREFUSED, f"read a model whose files lie outside its folder: {report.files!r:.200}")
        else:
            outcome = Outcome(OK, f"params {report.params}, macs {report.macs}, flops {report.flops}")
    outcome.seconds = time.perf_counter() - start
    peak = _peak_mib()
    if not outcome.failed and peak > peak_before and peak >= NEAR_CAP * memory_cap_mib:
        # a MemoryError turned into a ModelError still means the reader would take any amount it is given
        outcome = Outcome(MEMORY, f"peak RSS {peak:.0f} MiB of a {memory_cap_mib:.0f} MiB cap ({outcome.detail})",
                          seconds=outcome.seconds)  # fmt: skip
    return outcome
