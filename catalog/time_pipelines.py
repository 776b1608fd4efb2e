"""The build's pipeline pass: every built pose model timed whole, as a user runs it.

It runs after every variant has built, because a single-person model runs behind the zoo's
multi-person model (top-down) and a landmark model behind its detector, whichever order the
cards list them in. A variant's figures are reused while its key holds (its cache key and its
detector's). A person detector is a component of its pose models, not timed as one. Nothing here
fails a build: a pipeline that cannot be timed says why in `pipeline_note`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from catalog.digest import pass_key
from catalog.errors import first_line
from catalog.formats import ONNX_FORMAT

Progress = Callable[[str, str], None]


def _flops(record: dict, detector: dict | None, calls: int) -> int:
    """One frame's FLOPs: the detector's, and the model's once per call (per person it ran on)."""
    first = detector["formats"][ONNX_FORMAT]["flops"] if detector else 0
    return first + record["formats"][ONNX_FORMAT]["flops"] * calls


def time_pipelines(records: list[dict], out: Path, runs: int, progress: Progress = lambda variant, step: None) -> None:
    """Fill `pipeline` (or `pipeline_note`) in every built record."""
    from catalog.measure.pipeline import PHOTO, time_pipeline

    built = {r["id"]: r for r in records if r.get("status") == "ok"}
    for record in built.values():
        use = record.get("use") or {}
        detector = built.get(use.get("detector") or "")
        if use.get("mode") is None:
            record.update(pipeline=None, pipeline_note=use.get("note") or "a component: timed with its pose models")
            continue
        if use.get("detector") and detector is None:
            record.update(pipeline=None, pipeline_note=f"its detector {use['detector']} is not in this build")
            continue
        key = pass_key(record, detector, "pipeline")
        if (record.get("pipeline") or {}).get("key") == key:
            continue
        progress(record["id"], "time the pipeline")
        try:
            found = time_pipeline(record, detector, out, runs=runs)
        except Exception as error:  # recorded, never a build failure
            record.update(pipeline=None, pipeline_note=f"not timed: {first_line(error)}"[:300])
            continue
        record["pipeline_note"] = ""
        record["pipeline"] = {
            "image": PHOTO,
            "mode": use["mode"],
            "people": found.people,
            "latency": found.timing.to_dict(),
            "stages": [stage.__dict__ for stage in found.stages],
            "flops": _flops(record, detector, next(s.calls for s in found.stages if s.role == "model")),
            "key": key,
        }
