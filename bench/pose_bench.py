"""Pose estimation frames per second: one estimator kept across frames vs fresh sessions per frame.

    python bench/pose_bench.py [--out build] [--frames 20]

On `skimage.data.astronaut()` (512 x 512), for each variant, in one process:
- kept: one `PoseEstimator` made before the loop, called on every frame (sessions made once);
- fresh: a new `PoseEstimator` per frame, as every call once made its onnxruntime session(s);
both after one warm-up frame, the median time per frame as frames per second, and the ratio
kept / fresh. BlazePose Lite runs with its detector: two sessions and two models per frame.
Needs a built catalog (`posezoo build --out OUT`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from skimage import data  # noqa: E402

from catalog.pose import PoseEstimator  # noqa: E402

VARIANTS = ["movenet-lightning", "movenet-multipose", "blazepose-lite"]


def seconds_per_frame(frame: Callable[[], object], frames: int) -> float:
    frame()  # warm-up: first-run allocations are no one's steady state
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        frame()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(variant_id: str, out: Path, image: np.ndarray, frames: int) -> dict[str, float | str]:
    kept = PoseEstimator.from_catalog(variant_id, out)
    detector = kept.detector

    def fresh_frame() -> object:
        if detector is None:
            return PoseEstimator(kept.variant, kept.model.onnx_path)(image)
        return PoseEstimator(kept.variant, kept.model.onnx_path, detector.variant, detector.onnx_path)(image)

    kept_s = seconds_per_frame(lambda: kept(image), frames)
    fresh_s = seconds_per_frame(fresh_frame, frames)
    stages = f"{detector.variant.id} + {variant_id}" if detector else variant_id
    return {"variant": stages, "kept_s": kept_s, "fresh_s": fresh_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="the built catalog's folder")
    parser.add_argument("--frames", type=int, default=20, help="timed frames per variant and way")
    args = parser.parse_args()
    image = data.astronaut()
    rows = [bench(variant_id, args.out, image, args.frames) for variant_id in VARIANTS]
    print(
        f"astronaut 512 x 512, median of {args.frames} frames after one warm-up, onnxruntime CPU, "
        f"default threads, {os.cpu_count()} CPUs; catalog {args.out}\n"
    )
    header = f"{'variant':40} {'kept fps':>9} {'fresh fps':>10} {'kept/fresh':>11} {'ms kept':>8} {'ms fresh':>9}"
    print(header)
    print("-" * len(header))
    for row in rows:
        kept_s, fresh_s = float(row["kept_s"]), float(row["fresh_s"])
        print(
            f"{row['variant']:40} {1 / kept_s:9.1f} {1 / fresh_s:10.1f} {fresh_s / kept_s:10.1f}x "
            f"{kept_s * 1000:8.1f} {fresh_s * 1000:9.1f}"
        )


if __name__ == "__main__":
    main()
