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
PER_OUTPUT = (ELEMENTWISE | UNARY | {"Resize", "AddN", "Softmax", "DynamicQuantizeLinear"}) - NOT_ARITHMETIC
# ops a weight passes through on its way to the op that uses it
WEIGHT_TRANSPARENT = frozenset({"Dequantize", "DequantizeLinear", "Cast", "Densify", "Identity",
                                "Reshape", "Transpose", "Squeeze", "Unsqueeze"})  # fmt: skip
# inputs that hold settings, not weights, even when stored as float constants
SETTING_INPUTS = {"Resize": {1, 2, 3}, "Clip": {1, 2}, "Pad": {1, 2}, "QuantizeLinear": {1, 2}}
PRECISION_LABELS = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "float64": "fp64",
                    "int8": "int8", "uint8": "uint8", "int16": "int16", "int4": "int4",
                    "uint4": "uint4", "int32": "int32"}  # fmt: skip
# storage types of weights that make a model quantized (int32 holds only biases beside them)
INTEGER_LABELS = frozenset({"int8", "uint8", "int16", "int4", "uint4"})
# ops whose integer output is no quantized activation: a cast, a quantizer whose scale is computed at run time
NOT_QUANTIZING = frozenset({"Cast", "DynamicQuantizeLinear"})
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
    quantization_format: str | None
    macs: int
    flops: int
    ops: list[OpFigures]
    unresolved_ops: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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
    """Multiply-accumulates of one dense op (a quantized one counted as its plain op), per the
    conventions; None where a shape or setting it needs is unknown."""
    op = op.plain()
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


def _setting_slots(op: Op) -> frozenset[int]:
    """Inputs of an op that hold settings, not weights: those of SETTING_INPUTS, a quantized op's
    scales and zero points (all but its plain inputs), and those the reader names."""
    slots = set(SETTING_INPUTS.get(op.type, ())) | set(op.attrs.get("setting_inputs", ()))
    plain = op.attrs.get("plain_inputs")
    if plain is not None:
        slots |= set(range(len(op.inputs))) - set(plain)
    return frozenset(slots)


def _weight_tensors(graph: Graph) -> list[Tensor]:
    consumers = graph.consumers()
    settings = {id(op): _setting_slots(op) for op in graph.ops}
    counted: list[Tensor] = []

    def feeds_arithmetic(name: str) -> bool:
        """Whether the tensor reaches an arithmetic op's data input, through at most
        TRANSPARENT_DEPTH transparent ops: breadth first, each tensor once, so linear."""
        frontier, seen = [name], {name}
        for depth in range(TRANSPARENT_DEPTH + 1):
            passed: list[str] = []
            for tensor in frontier:
                for op in consumers.get(tensor, []):
                    slots = {i for i, name in enumerate(op.inputs) if name == tensor}
                    if op.type in WEIGHT_TRANSPARENT:
                        # the data passes through; a scale, zero point or shape beside it is a setting
                        if 0 in slots and depth < TRANSPARENT_DEPTH:
                            passed.extend(out for out in op.outputs if out not in seen)
                            seen.update(op.outputs)
                        continue
                    if slots - settings[id(op)]:
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


def _quantizes_activations(graph: Graph, folded: set[int]) -> bool:
    """Whether activations are quantized with scales the file stores: an op that runs (not folded
    at load) writes an integer tensor, other than a cast or a run-time quantizer's; or a quantized
    op computes on an integer model input itself."""
    for index, op in enumerate(graph.ops):
        if index in folded or op.type in NOT_QUANTIZING:
            continue
        if any(name in graph.tensors and graph.tensors[name].dtype in QUANTIZED_DTYPES for name in op.outputs):
            return True
    integer_inputs = {name for name in graph.inputs if graph.tensors[name].dtype in QUANTIZED_DTYPES}
    return any(integer_inputs.intersection(op.plain().inputs) for op in graph.ops if "plain_inputs" in op.attrs)


def _takes_quantized_input(graph: Graph) -> bool:
    """Whether a model input is an integer tensor read as a quantized one: it carries a scale, or
    a dequantizer or a quantized op reads it (not an image cast to float, say)."""
    consumers = graph.consumers()
    for name in graph.inputs:
        tensor = graph.tensors[name]
        if tensor.dtype not in QUANTIZED_DTYPES:
            continue
        if tensor.quantized:
            return True
        for op in consumers.get(name, []):
            if op.type in ("Dequantize", "DequantizeLinear") and op.inputs[0] == name:
                return True
            if "plain_inputs" in op.attrs and name in op.plain().inputs:
                return True
    return False


def _quantization(graph: Graph, precision_split: dict[str, float], folded: set[int]) -> str | None:
    """static: activations quantized with stored scales, from float inputs; full-integer: from
    quantized inputs; dynamic-range: integer weights, float activations (quantized at run time,
    if at all)."""
    if _quantizes_activations(graph, folded):
        return "full-integer" if _takes_quantized_input(graph) else "static"
    return "dynamic-range" if INTEGER_LABELS.intersection(precision_split) else None


def _quantization_format(graph: Graph) -> str | None:
    """How an ONNX file writes its quantization, judged by its dense ops: qdq, float ops reading
    what DequantizeLinear makes; qoperator, quantized ops (QLinearConv, ConvInteger...); mixed,
    both. A file without dense ops is judged by its other ops the same way."""
    producers = {name: op for op in graph.ops for name in op.outputs}
    operators = [op for op in graph.ops if "plain_inputs" in op.attrs]
    float_dense = [op for op in graph.ops if op.type in DENSE_OPS and "plain_inputs" not in op.attrs]
    dequantized = any(producers[name].type == "DequantizeLinear"
                      for op in float_dense for name in op.inputs if name in producers)  # fmt: skip
    quantized_dense = any(op.type in DENSE_OPS for op in operators)
    if quantized_dense or dequantized:
        return "mixed" if quantized_dense and dequantized else "qoperator" if quantized_dense else "qdq"
    if operators:
        return "qoperator"
    return "qdq" if any(op.type == "DequantizeLinear" for op in graph.ops) else None


def _unknown_macs_note(names: list[str]) -> str:
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    plural = "s" if len(names) > 1 else ""
    return f"MACs unknown for {len(names)} dense op{plural} with unresolved shapes, left out of macs and flops: {shown}"


def compute(graph: Graph) -> Figures:
    """All figures of a graph whose shapes are resolved (see shapes.infer_shapes)."""
    weights = _weight_tensors(graph)
    precision, split = _precision(weights)
    table: dict[str, OpFigures] = {}
    unresolved: list[str] = []
    folded = _folded_ops(graph)
    unknown_macs: list[str] = []
    for index, op in enumerate(graph.ops):
        row = table.setdefault(op.native, OpFigures(op.native, op.type))
        row.count += 1
        if index in folded:
            row.folded += 1
            continue
        out_shape = graph.shape(op.outputs[0]) if op.outputs else None
        if op.outputs and not _elements(out_shape) and out_shape != ():
            unresolved.append(op.name or op.outputs[0])
        plain = op.plain()
        macs = dense_macs(plain, graph) if op.type in DENSE_OPS else 0
        if macs is None:
            if op.outputs and _elements(out_shape):  # the output is known, its MACs are not
                unresolved.append(op.name or op.outputs[0])
            unknown_macs.append(op.name or op.outputs[0])
            macs = 0
        row.macs += macs
        row.flops += _op_flops(plain, graph, macs)
        row.output_elements += _elements(out_shape)
        # inputs in the file's own order; a missing optional input (a bias left out) is ""
        first, *others = op.inputs or [""]
        row.first_input_elements += _elements(graph.shape(first)) if first else 0
        row.other_input_elements += sum(_elements(graph.shape(name)) for name in others if name)
    ops = sorted(table.values(), key=lambda r: (-r.flops, r.op))
    quantization = _quantization(graph, split, folded)
    return Figures(
        params=sum(t.elements or 0 for t in weights),
        sparse_params=sum(t.elements or 0 for t in weights if t.sparse),
        precision=precision,
        precision_split=split,
        quantization=quantization,
        quantization_format=_quantization_format(graph) if quantization and graph.format == "onnx" else None,
        macs=sum(r.macs for r in ops),
        flops=sum(r.flops for r in ops),
        ops=ops,
        unresolved_ops=unresolved,
        notes=[_unknown_macs_note(unknown_macs)] if unknown_macs else [],
    )
