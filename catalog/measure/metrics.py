"""Every figure of a model — params, precision, MACs, FLOPs, per-op table — computed from the IR.

The conventions they follow are written once, in `conventions.md` beside this module
(`CONVENTIONS`): catalog.json carries that text and the docs site publishes it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from catalog.read.graph import FLOAT_DTYPES, QUANTIZED_DTYPES, Graph, Op, Tensor
from catalog.read.shapes import ELEMENTWISE, UNARY

CONVENTIONS = (Path(__file__).with_name("conventions.md")).read_text(encoding="utf-8")
DENSE_OPS = frozenset({"Conv", "ConvTranspose", "MatMul", "Gemm", "FullyConnected"})
NOT_ARITHMETIC = frozenset({"Cast", "Identity", "Dropout"})
POOLS = frozenset({"MaxPool", "AveragePool"})
REDUCTIONS = frozenset({"ReduceMax", "ReduceMin", "ReduceSum", "ReduceMean", "ReduceProd",
                        "GlobalAveragePool", "GlobalMaxPool", "ArgMax", "ArgMin",
                        "TopK"})  # fmt: skip
PER_OUTPUT = (ELEMENTWISE | UNARY | {"Resize", "AddN", "Softmax"}) - NOT_ARITHMETIC
# ops a weight passes through on its way to the op that uses it
WEIGHT_TRANSPARENT = frozenset({"Dequantize", "DequantizeLinear", "Cast", "Densify", "Identity",
                                "Reshape", "Transpose", "Squeeze", "Unsqueeze"})  # fmt: skip
# inputs that hold settings, not weights, even when stored as float constants
SETTING_INPUTS = {"Resize": {1, 2, 3}, "Clip": {1, 2}, "Pad": {1, 2}}
PRECISION_LABELS = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "float64": "fp64",
                    "int8": "int8", "uint8": "uint8", "int16": "int16", "int4": "int4",
                    "uint4": "uint4", "int32": "int32"}  # fmt: skip
DOMINANT_SHARE = 0.95
TRANSPARENT_DEPTH = 6  # transparent ops a weight may pass through on its way to the op that uses it


@dataclass
class OpFigures:
    op: str  # the file's own op name
    kind: str  # the IR op type
    count: int = 0
    macs: int = 0
    flops: int = 0
    output_elements: int = 0
    first_input_elements: int = 0
    other_input_elements: int = 0
    folded: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Figures:
    params: int
    sparse_params: int
    precision: str
    precision_split: dict[str, float]
    quantization: str | None
    macs: int
    flops: int
    ops: list[OpFigures]
    unresolved_ops: list[str] = field(default_factory=list)


def _static(shape) -> bool:
    return shape is not None and all(isinstance(d, int) for d in shape)


def _elements(shape) -> int:
    return math.prod(shape) if _static(shape) else 0


def _channels(shape, layout: str) -> int | None:
    """The channel dim of a spatial tensor, where it has one."""
    if len(shape) < 2:
        return None
    return shape[-1] if layout == "NHWC" else shape[1]


def _per_group(op: Op, stated: str, shape) -> int | None:
    """Channels each filter spans: the weight's own dim, else the tensor's channels over groups."""
    channels = op.attrs.get(stated)
    if isinstance(channels, int) and channels > 0:
        return channels
    channels = _channels(shape, op.attrs.get("layout", "NCHW"))
    group = op.attrs.get("group", 1)
    return channels // group if isinstance(channels, int) and isinstance(group, int) and group > 0 else None


def _shared_dim(op: Op, graph: Graph, x) -> int | None:
    """K of a MatMul, Gemm or FullyConnected: the dim each output element sums over."""
    if op.type == "FullyConnected":
        w = graph.shape(op.inputs[1]) if len(op.inputs) > 1 else None
        return w[1] if w is not None and len(w) == 2 else None
    if not x:
        return None
    if op.type == "MatMul":
        return x[-2] if op.attrs.get("transpose_a") and len(x) > 1 else x[-1]
    return x[0] if op.attrs.get("transA") else x[-1]


def dense_macs(op: Op, graph: Graph) -> int | None:
    """Multiply-accumulates of one dense op, per the conventions; None where a shape or setting
    it needs is unknown."""
    data = op.attrs.get("data_input", 0) if op.type == "ConvTranspose" else 0
    out = graph.shape(op.outputs[0]) if op.outputs else None
    x = graph.shape(op.inputs[data]) if data < len(op.inputs) else None
    if not _static(out) or not _static(x):
        return None
    if not _elements(out) or not _elements(x):
        return 0
    if op.type in ("Conv", "ConvTranspose"):
        kernel = op.attrs.get("kernel_shape")
        if not kernel:
            return None
        if op.type == "Conv":
            factors = (_elements(out), _per_group(op, "kernel_in_channels", x), math.prod(kernel))
        else:
            factors = (_elements(x), _per_group(op, "kernel_out_channels", out), math.prod(kernel))
    else:
        factors = (_elements(out), _shared_dim(op, graph, x))
    if not all(isinstance(f, int) for f in factors):
        return None
    return math.prod(factors)


def _op_flops(op: Op, graph: Graph, macs: int) -> int:
    out_elements = _elements(graph.shape(op.outputs[0])) if op.outputs else 0
    extra = out_elements * (bool(op.attrs.get("bias")) + bool(op.attrs.get("activation")))
    if op.type in DENSE_OPS:
        return 2 * macs + extra
    if op.type in POOLS:
        return out_elements * math.prod(op.attrs.get("kernel_shape") or [1]) + extra
    if op.type in REDUCTIONS:
        return _elements(graph.shape(op.inputs[0])) if op.inputs else 0
    if op.type in PER_OUTPUT:
        return out_elements + extra
    return extra


def _folded_ops(graph: Graph) -> set[int]:
    """Ops whose inputs are all known when the model loads: constants, or results of such ops."""
    known = {name for name, t in graph.tensors.items() if t.const or t.value is not None}
    folded: set[int] = set()
    for index, op in enumerate(graph.ops):
        inputs = [name for name in op.inputs if name]
        if inputs and all(name in known for name in inputs):
            folded.add(index)
            known.update(op.outputs)
    return folded


def _weight_tensors(graph: Graph) -> list[Tensor]:
    consumers = graph.consumers()
    counted: list[Tensor] = []

    def feeds_arithmetic(name: str) -> bool:
        """Whether the tensor reaches an arithmetic op's data input, through at most
        TRANSPARENT_DEPTH transparent ops: breadth first, each tensor once, so linear."""
        frontier, seen = [name], {name}
        for depth in range(TRANSPARENT_DEPTH + 1):
            passed: list[str] = []
            for tensor in frontier:
                for op in consumers.get(tensor, []):
                    slot = op.inputs.index(tensor)
                    if op.type in WEIGHT_TRANSPARENT:
                        # the data passes through; a scale, zero point or shape beside it is a setting
                        if slot == 0 and depth < TRANSPARENT_DEPTH:
                            passed.extend(out for out in op.outputs if out not in seen)
                            seen.update(op.outputs)
                        continue
                    if slot not in SETTING_INPUTS.get(op.type, ()):
                        return True
            frontier = passed
        return False

    for tensor in graph.tensors.values():
        if not tensor.const:
            continue
        # integer tensors count only with a scale: quantized weights, and int32 biases beside them
        is_weight_type = tensor.dtype in FLOAT_DTYPES or tensor.quantized
        if is_weight_type and feeds_arithmetic(tensor.name):
            counted.append(tensor)
    return counted


def _precision(weights: list[Tensor]) -> tuple[str, dict[str, float]]:
    by_type: Counter[str] = Counter()
    for tensor in weights:
        by_type[PRECISION_LABELS.get(tensor.dtype, tensor.dtype)] += tensor.elements or 0
    total = sum(by_type.values())
    if not total:
        return "none", {}
    split = {label: round(count / total, 4) for label, count in by_type.most_common()}
    label, count = by_type.most_common(1)[0]
    return (label if count / total >= DOMINANT_SHARE else "mixed"), split


def _quantization(graph: Graph, precision_split: dict[str, float]) -> str | None:
    if not any(label in precision_split for label in ("int8", "uint8", "int16", "int4", "uint4")):
        return None
    input_types = {graph.tensors[name].dtype for name in graph.inputs}
    return "full-integer" if input_types & QUANTIZED_DTYPES else "dynamic-range"


def compute(graph: Graph) -> Figures:
    """All figures of a graph whose shapes are resolved (see shapes.infer_shapes)."""
    weights = _weight_tensors(graph)
    precision, split = _precision(weights)
    table: dict[str, OpFigures] = {}
    unresolved: list[str] = []
    folded = _folded_ops(graph)
    for index, op in enumerate(graph.ops):
        row = table.setdefault(op.native, OpFigures(op.native, op.type))
        row.count += 1
        if index in folded:
            row.folded += 1
            continue
        out_shape = graph.shape(op.outputs[0]) if op.outputs else None
        if op.outputs and not _elements(out_shape) and out_shape != ():
            unresolved.append(op.name or op.outputs[0])
        macs = dense_macs(op, graph) if op.type in DENSE_OPS else 0
        if macs is None:
            if op.outputs and _elements(out_shape):  # the output is known, its MACs are not
                unresolved.append(op.name or op.outputs[0])
            macs = 0
        row.macs += macs
        row.flops += _op_flops(op, graph, macs)
        row.output_elements += _elements(out_shape)
        # inputs in the file's own order; a missing optional input (a bias left out) is ""
        first, *others = op.inputs or [""]
        row.first_input_elements += _elements(graph.shape(first)) if first else 0
        row.other_input_elements += sum(_elements(graph.shape(name)) for name in others if name)
    ops = sorted(table.values(), key=lambda r: (-r.flops, r.op))
    return Figures(
        params=sum(t.elements or 0 for t in weights),
        sparse_params=sum(t.elements or 0 for t in weights if t.sparse),
        precision=precision,
        precision_split=split,
        quantization=_quantization(graph, split),
        macs=sum(r.macs for r in ops),
        flops=sum(r.flops for r in ops),
        ops=ops,
        unresolved_ops=unresolved,
    )
