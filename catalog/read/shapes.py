"""Shape inference on the IR, op by op, for shapes a file does not state.

Written by hand because TFJS graph models carry no intermediate shapes and no library infers
them without TensorFlow; TFLite files with dynamic inputs need the same. Small integer tensors
(shape arithmetic such as Shape -> StridedSlice -> Mul -> Pack) are evaluated so that ops whose
output size is computed at run time (EfficientPose's transposed convs) still resolve.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from catalog.read.graph import Graph, Op, Shape, Tensor

Shapes = list[Shape | None]
Rule = Callable[[Op, Graph], Shapes]

ELEMENTWISE = frozenset(
    {
        "Add", "Sub", "Mul", "Div", "FloorDiv", "FloorMod", "Pow", "Max", "Min",
        "SquaredDifference", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
        "And", "Or", "Where", "PRelu", "BiasAdd", "Sum", "Mean",
    }
)  # fmt: skip
UNARY = frozenset(
    {
        "Relu", "Relu6", "LeakyRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "HardSwish",
        "Tanh", "Sqrt", "Rsqrt", "Exp", "Log", "Abs", "Neg", "Reciprocal", "Erf", "Floor",
        "Ceil", "Round", "Sin", "Cos", "Not", "Square", "Sign", "Clip", "Cast", "Identity",
        "Dequantize", "Quantize", "DequantizeLinear", "QuantizeLinear", "Softmax",
        "LogSoftmax", "Gelu", "LRN", "BatchNormalization", "InstanceNormalization",
        "LayerNormalization", "Dropout", "Mish", "Swish", "Softplus",
    }
)  # fmt: skip
_NUMPY_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "FloorDiv": np.floor_divide,
    "Div": lambda a, b: a // b if a.dtype.kind in "iu" else a / b, "Max": np.maximum,
    "Min": np.minimum, "FloorMod": np.mod,
}  # fmt: skip
_NUMPY_UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "Neg": np.negative, "Abs": np.abs, "Floor": np.floor, "Ceil": np.ceil, "Sqrt": np.sqrt,
}  # fmt: skip


def broadcast(*shapes: Sequence) -> Shape:
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    result = []
    for dims in zip(*padded, strict=True):
        sized = {d for d in dims if d != 1}
        if not sized:
            result.append(1)
        elif len(sized) == 1:
            result.append(sized.pop())
        else:
            known = [d for d in sized if isinstance(d, int)]
            result.append(max(known) if known else None)
    return tuple(result)


def _spatial_axes(layout: str, rank: int) -> list[int]:
    return list(range(1, rank - 1)) if layout == "NHWC" else list(range(2, rank))


def _channel_axis(layout: str, rank: int) -> int:
    return rank - 1 if layout == "NHWC" else 1


def conv_output_size(size: int, kernel: int, stride: int, dilation: int, pad: str | tuple) -> int:
    effective = (kernel - 1) * dilation + 1
    if pad == "SAME_UPPER" or pad == "SAME_LOWER" or pad == "SAME":
        return math.ceil(size / stride)
    if pad == "VALID":
        return math.ceil((size - effective + 1) / stride)
    begin, end = pad
    return (size + begin + end - effective) // stride + 1


def _pad_for(op: Op, axis_index: int, spatial_rank: int) -> str | tuple[int, int]:
    auto_pad = op.attrs.get("auto_pad", "NOTSET")
    if auto_pad not in ("NOTSET", ""):
        return auto_pad
    pads = op.attrs.get("pads") or [0] * (2 * spatial_rank)
    return pads[axis_index], pads[axis_index + spatial_rank]


def _windowed(op: Op, x: Shape, out_channels) -> Shape:
    layout = op.attrs.get("layout", "NCHW")
    rank = len(x)
    spatial = _spatial_axes(layout, rank)
    kernel = op.attrs["kernel_shape"]
    strides = op.attrs.get("strides") or [1] * len(spatial)
    dilations = op.attrs.get("dilations") or [1] * len(spatial)
    out = list(x)
    for i, axis in enumerate(spatial):
        size = x[axis]
        out[axis] = (
            conv_output_size(size, kernel[i], strides[i], dilations[i], _pad_for(op, i, len(spatial)))
            if isinstance(size, int)
            else None
        )
    out[_channel_axis(layout, rank)] = out_channels
    return tuple(out)


def _conv(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    layout = op.attrs.get("layout", "NCHW")
    out_channels = op.attrs.get("out_channels")
    if op.attrs.get("depthwise"):
        multiplier = op.attrs.get("depth_multiplier", 1)
        cin = x[_channel_axis(layout, len(x))]
        out_channels = cin * multiplier if isinstance(cin, int) else out_channels
    return [_windowed(op, x, out_channels)]


def _pool(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    layout = op.attrs.get("layout", "NCHW")
    return [_windowed(op, x, x[_channel_axis(layout, len(x))])]


def _global_pool(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    layout = op.attrs.get("layout", "NCHW")
    out = list(x)
    for axis in _spatial_axes(layout, len(x)):
        out[axis] = 1
    return [tuple(out)]


def _conv_transpose(op: Op, graph: Graph) -> Shapes:
    stated = op.attrs.get("output_shape_input")
    if stated is not None:
        value = graph.tensors[op.inputs[stated]].value
        if value is not None:
            return [tuple(int(v) for v in value)]
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    layout = op.attrs.get("layout", "NCHW")
    kernel = op.attrs["kernel_shape"]
    spatial = _spatial_axes(layout, len(x))
    strides = op.attrs.get("strides") or [1] * len(spatial)
    out = list(x)
    for i, axis in enumerate(spatial):
        size = x[axis]
        if not isinstance(size, int):
            out[axis] = None
            continue
        pad = _pad_for(op, i, len(spatial))
        if isinstance(pad, str):
            out[axis] = size * strides[i] if pad.startswith("SAME") else (size - 1) * strides[i] + kernel[i]
        else:
            out[axis] = (size - 1) * strides[i] + kernel[i] - pad[0] - pad[1]
    out[_channel_axis(layout, len(x))] = op.attrs.get("out_channels")
    return [tuple(out)]


def _matmul(op: Op, graph: Graph) -> Shapes:
    a, b = graph.shape(op.inputs[0]), graph.shape(op.inputs[1])
    if a is None or b is None:
        return [None]
    a = a[:-2] + (a[-1], a[-2]) if op.attrs.get("transpose_a") and len(a) > 1 else a
    b = b[:-2] + (b[-1], b[-2]) if op.attrs.get("transpose_b") and len(b) > 1 else b
    if len(a) == 1:
        a = (1,) + a
    if len(b) == 1:
        b = b + (1,)
    batch = broadcast(a[:-2], b[:-2]) if len(a) > 2 or len(b) > 2 else ()
    return [tuple(batch) + (a[-2], b[-1])]


def _fully_connected(op: Op, graph: Graph) -> Shapes:
    x, w = graph.shape(op.inputs[0]), graph.shape(op.inputs[1])
    if x is None or w is None:
        return [None]
    if op.attrs.get("keep_num_dims"):
        return [tuple(x[:-1]) + (w[0],)]
    rows = None
    if all(isinstance(d, int) for d in x) and isinstance(w[1], int):
        rows = math.prod(x) // w[1]
    return [(rows, w[0])]


def _elementwise(op: Op, graph: Graph) -> Shapes:
    shapes = [graph.shape(name) for name in op.inputs if name]
    if any(s is None for s in shapes):
        return [None]
    return [broadcast(*shapes)]


def _same_as_first(op: Op, graph: Graph) -> Shapes:
    return [graph.shape(op.inputs[0])] * len(op.outputs)


def _int_value(graph: Graph, name: str) -> np.ndarray | None:
    tensor = graph.tensors.get(name)
    return None if tensor is None else tensor.value


def _ints(op: Op, graph: Graph, attr: str, input_index: int) -> list[int] | None:
    """An op's list of integers: its attribute, or (ONNX opset 13+, TF) a constant input."""
    values = op.attrs.get(attr)
    if values is None and len(op.inputs) > input_index and op.inputs[input_index]:
        value = _int_value(graph, op.inputs[input_index])
        values = None if value is None else [int(v) for v in value.reshape(-1)]
    return values


def _axis(op: Op, graph: Graph, rank: int, input_index: int | None = None) -> int | None:
    axis = op.attrs.get("axis")
    if axis is None and input_index is not None and input_index < len(op.inputs):
        value = _int_value(graph, op.inputs[input_index])
        axis = None if value is None else int(value.reshape(-1)[0])
    if axis is None:
        return None
    return axis + rank if axis < 0 else axis


def _concat(op: Op, graph: Graph) -> Shapes:
    data = op.inputs[:-1] if op.attrs.get("axis_input") else op.inputs
    shapes = [graph.shape(name) for name in data]
    if any(s is None for s in shapes):
        return [None]
    rank = len(shapes[0])
    axis = _axis(op, graph, rank, len(op.inputs) - 1 if op.attrs.get("axis_input") else None)
    if axis is None:
        return [None]
    out = list(shapes[0])
    sizes = [s[axis] for s in shapes]
    out[axis] = sum(sizes) if all(isinstance(s, int) for s in sizes) else None
    return [tuple(out)]


def _reshape(op: Op, graph: Graph) -> Shapes:
    target = _ints(op, graph, "shape", 1)
    x = graph.shape(op.inputs[0])
    if target is None or x is None:
        return [None]
    target = [x[i] if d == 0 and op.attrs.get("zero_copies") else d for i, d in enumerate(target)]
    if -1 in target:
        known = [d for d in target if d != -1]
        if all(isinstance(d, int) for d in x) and all(isinstance(d, int) for d in known):
            total = math.prod(x)
            rest = math.prod(known) or 1
            target = [total // rest if d == -1 else d for d in target]
        else:
            target = [None if d == -1 else d for d in target]
    return [tuple(target)]


def _transpose(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    perm = _ints(op, graph, "perm", 1)
    if x is None:
        return [None]
    perm = perm if perm is not None else list(reversed(range(len(x))))
    return [tuple(x[p] for p in perm)]


def _pad(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    value = _int_value(graph, op.inputs[1]) if len(op.inputs) > 1 else None
    if x is None or value is None:
        return [None]
    pads = value.reshape(-1)
    if op.attrs.get("pads_layout") == "onnx":  # begin..., end...
        pairs = list(zip(pads[: len(x)], pads[len(x) :], strict=True))
    else:  # TF / TFLite: [[begin, end], ...]
        pairs = [tuple(p) for p in pads.reshape(-1, 2)]
    return [tuple(d + int(b) + int(e) if isinstance(d, int) else None for d, (b, e) in zip(x, pairs, strict=True))]


def _squeeze(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    axes = _ints(op, graph, "axes", 1)
    if not axes:
        return [tuple(d for d in x if d != 1)]
    axes = {a + len(x) if a < 0 else a for a in axes}
    return [tuple(d for i, d in enumerate(x) if i not in axes)]


def _expand_dims(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    axes = _ints(op, graph, "axes", 1)
    if x is None or axes is None:
        return [None]
    out = list(x)
    rank = len(x) + len(axes)
    for axis in sorted(a + rank if a < 0 else a for a in axes):
        out.insert(axis, 1)
    return [tuple(out)]


def _resize(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    size_input = op.attrs.get("size_input")
    scales_input = op.attrs.get("scales_input")
    if size_input is None and scales_input is not None:
        scales = _int_value(graph, op.inputs[scales_input])
        if scales is None or len(scales.reshape(-1)) != len(x):
            return [None]
        return [tuple(int(d * s) if isinstance(d, int) else None for d, s in zip(x, scales.reshape(-1), strict=True))]
    if size_input is not None:
        value = _int_value(graph, op.inputs[size_input])
        if value is None:
            return [None]
        size = [int(v) for v in value.reshape(-1)]
        if len(size) == len(x):
            return [tuple(size)]
        out = list(x)
        for axis, s in zip(_spatial_axes(op.attrs.get("layout", "NHWC"), len(x)), size, strict=True):
            out[axis] = s
        return [tuple(out)]
    return [None]


def _depth_to_space(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    block = op.attrs["blocksize"]
    n, h, w, c = x if op.attrs.get("layout", "NCHW") == "NHWC" else (x[0], x[2], x[3], x[1])
    h, w = (d * block if isinstance(d, int) else None for d in (h, w))
    c = c // (block * block) if isinstance(c, int) else None
    return [(n, h, w, c) if op.attrs.get("layout", "NCHW") == "NHWC" else (n, c, h, w)]


def _shape_of(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    return [(len(x),) if x is not None else None]


def _pack(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    axis = op.attrs.get("axis", 0)
    axis = axis + len(x) + 1 if axis < 0 else axis
    out = list(x)
    out.insert(axis, len(op.inputs))
    return [tuple(out)]


def _unpack(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None] * len(op.outputs)
    axis = op.attrs.get("axis", 0)
    axis = axis + len(x) if axis < 0 else axis
    return [tuple(d for i, d in enumerate(x) if i != axis)] * len(op.outputs)


def _split_sizes(op: Op, graph: Graph, size: int) -> list[int]:
    sizes = op.attrs.get("split")
    sizes_input = op.attrs.get("sizes_input")
    if sizes is None and sizes_input is not None and sizes_input < len(op.inputs) and op.inputs[sizes_input]:
        value = _int_value(graph, op.inputs[sizes_input])
        sizes = None if value is None else [int(v) for v in value.reshape(-1)]
    return list(sizes) if sizes else [size // len(op.outputs)] * len(op.outputs)


def _split(op: Op, graph: Graph) -> Shapes:
    data_index = op.attrs.get("data_input", 0)
    x = graph.shape(op.inputs[data_index])
    if x is None:
        return [None] * len(op.outputs)
    axis = _axis(op, graph, len(x), op.attrs.get("axis_input"))
    if axis is None or not isinstance(x[axis], int):
        return [None] * len(op.outputs)
    shapes = []
    for size in _split_sizes(op, graph, x[axis]):
        out = list(x)
        out[axis] = size
        shapes.append(tuple(out))
    return shapes


def _reduce(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    axes = _ints(op, graph, "axes", 1)
    if axes is None:
        axes = list(range(len(x)))
    axes = {a + len(x) if a < 0 else a for a in axes}
    if op.attrs.get("keepdims", True):
        return [tuple(1 if i in axes else d for i, d in enumerate(x))]
    return [tuple(d for i, d in enumerate(x) if i not in axes)]


def _arg_reduce(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    axis = _axis(op, graph, len(x), op.attrs.get("axis_input"))
    if axis is None:
        return [None]
    if op.attrs.get("keepdims"):
        return [tuple(1 if i == axis else d for i, d in enumerate(x))]
    return [tuple(d for i, d in enumerate(x) if i != axis)]


def _top_k(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    k = _int_value(graph, op.inputs[1])
    if x is None or k is None:
        return [None, None]
    out = tuple(x[:-1]) + (int(k.reshape(-1)[0]),)
    return [out, out]


def _gather_nd(op: Op, graph: Graph) -> Shapes:
    params, indices = graph.shape(op.inputs[0]), graph.shape(op.inputs[1])
    if params is None or indices is None or not isinstance(indices[-1], int):
        return [None]
    return [tuple(indices[:-1]) + tuple(params[indices[-1] :])]


def _gather(op: Op, graph: Graph) -> Shapes:
    params, indices = graph.shape(op.inputs[0]), graph.shape(op.inputs[1])
    if params is None or indices is None:
        return [None]
    axis = _axis(op, graph, len(params), op.attrs.get("axis_input")) or 0
    return [tuple(params[:axis]) + tuple(indices) + tuple(params[axis + 1 :])]


def _tile(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    reps = _int_value(graph, op.inputs[1])
    if x is None or reps is None:
        return [None]
    return [tuple(d * int(r) if isinstance(d, int) else None for d, r in zip(x, reps, strict=True))]


def _from_value_input(index: int) -> Rule:
    def rule(op: Op, graph: Graph) -> Shapes:
        value = _int_value(graph, op.inputs[index])
        return [None if value is None else tuple(int(v) for v in value.reshape(-1))]

    return rule


def _range(op: Op, graph: Graph) -> Shapes:
    values = [_int_value(graph, name) for name in op.inputs[:3]]
    if any(v is None for v in values):
        return [(None,)]
    start, limit, delta = (v.reshape(-1)[0] for v in values)
    return [(max(0, math.ceil((limit - start) / delta)),)]


def _strided_slice(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    begin, end, strides = (_int_value(graph, name) for name in op.inputs[1:4])
    if x is None or begin is None or end is None or strides is None:
        return [None]
    return [_tf_strided_slice_shape(x, begin, end, strides, op.attrs)]


def _onnx_slice_args(op: Op, graph: Graph, rank: int) -> list[tuple[int, int, int, int]] | None:
    values = [_int_value(graph, name) if name else None for name in op.inputs[1:5]]
    starts, ends = values[0], values[1]
    if starts is None or ends is None:
        return None
    count = len(starts.reshape(-1))
    axes = values[2] if len(values) > 2 and values[2] is not None else np.arange(count)
    steps = values[3] if len(values) > 3 and values[3] is not None else np.ones(count, dtype=np.int64)
    return [(int(a) + rank if a < 0 else int(a), int(s), int(e), int(st))
            for a, s, e, st in zip(axes.reshape(-1), starts.reshape(-1), ends.reshape(-1),
                                   steps.reshape(-1), strict=True)]  # fmt: skip


def _slice(op: Op, graph: Graph) -> Shapes:
    """ONNX Slice: starts, ends, axes and steps as inputs."""
    x = graph.shape(op.inputs[0])
    args = None if x is None else _onnx_slice_args(op, graph, len(x))
    if x is None or args is None:
        return [None]
    out = list(x)
    for axis, start, end, step in args:
        size = x[axis]
        out[axis] = len(range(*slice(start, end, step).indices(size))) if isinstance(size, int) else None
    return [tuple(out)]


def _begin_size_slice(op: Op, graph: Graph) -> Shapes:
    """TF / TFLite Slice: begin and size (-1: to the end)."""
    x = graph.shape(op.inputs[0])
    begin, size = _int_value(graph, op.inputs[1]), _int_value(graph, op.inputs[2])
    if x is None or begin is None or size is None:
        return [None]
    return [tuple((d - int(b) if isinstance(d, int) else None) if s == -1 else int(s)
                  for d, b, s in zip(x, begin.reshape(-1), size.reshape(-1), strict=True))]  # fmt: skip


def _expand(op: Op, graph: Graph) -> Shapes:
    x, target = graph.shape(op.inputs[0]), _int_value(graph, op.inputs[1])
    if x is None or target is None:
        return [None]
    return [broadcast(x, tuple(int(d) for d in target.reshape(-1)))]


def _tf_strided_slice_shape(x: Shape, begin, end, strides, attrs) -> Shape:
    begin_mask, end_mask = attrs.get("begin_mask", 0), attrs.get("end_mask", 0)
    shrink, new_axis = attrs.get("shrink_axis_mask", 0), attrs.get("new_axis_mask", 0)
    ellipsis = attrs.get("ellipsis_mask", 0)
    out: list = []
    dim = 0
    for i in range(len(begin)):
        if ellipsis & (1 << i):
            remaining = len(x) - dim - (len(begin) - i - 1)
            out.extend(x[dim : dim + remaining])
            dim += remaining
            continue
        if new_axis & (1 << i):
            out.append(1)
            continue
        size = x[dim]
        dim += 1
        if shrink & (1 << i):
            continue
        if not isinstance(size, int):
            out.append(None)
            continue
        start = None if begin_mask & (1 << i) else int(begin[i])
        stop = None if end_mask & (1 << i) else int(end[i])
        out.append(len(range(*slice(start, stop, int(strides[i])).indices(size))))
    out.extend(x[dim:])
    return tuple(out)


RULES: dict[str, Rule] = {
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "MaxPool": _pool,
    "AveragePool": _pool,
    "GlobalAveragePool": _global_pool,
    "GlobalMaxPool": _global_pool,
    "MatMul": _matmul,
    "FullyConnected": _fully_connected,
    "Concat": _concat,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "Pad": _pad,
    "Squeeze": _squeeze,
    "Unsqueeze": _expand_dims,
    "Resize": _resize,
    "DepthToSpace": _depth_to_space,
    "Shape": _shape_of,
    "Size": lambda op, graph: [()],
    "AddN": _elementwise,
    "Pack": _pack,
    "Unpack": _unpack,
    "Split": _split,
    "ReduceMax": _reduce,
    "ReduceMin": _reduce,
    "ReduceSum": _reduce,
    "ReduceMean": _reduce,
    "ReduceProd": _reduce,
    "ArgMax": _arg_reduce,
    "ArgMin": _arg_reduce,
    "TopK": _top_k,
    "GatherND": _gather_nd,
    "Gather": _gather,
    "Tile": _tile,
    "Fill": _from_value_input(0),
    "Range": _range,
    "StridedSlice": _strided_slice,
    "Slice": _slice,
    "BeginSizeSlice": _begin_size_slice,
    "Expand": _expand,
    "ConstantOfShape": _from_value_input(0),
    "Densify": lambda op, graph: [graph.tensors[op.inputs[0]].dense_shape],
}
for _name in ELEMENTWISE:
    RULES[_name] = _elementwise
for _name in UNARY:
    RULES[_name] = _same_as_first


def _evaluate(op: Op, graph: Graph) -> list[np.ndarray | None]:
    """Values of small integer results (shape arithmetic), where every input's value is known."""
    values = [_int_value(graph, name) if name else None for name in op.inputs]
    if op.type in ("Shape", "Size"):
        shape = graph.shape(op.inputs[0])
        if shape is not None and all(isinstance(d, int) for d in shape):
            return [np.array(shape, dtype=np.int64) if op.type == "Shape" else np.array(np.prod(shape, dtype=np.int64))]
        return [None]
    if any(v is None for v in values) or not values:
        return [None] * len(op.outputs)
    try:
        if op.type in _NUMPY_BINARY:
            return [_NUMPY_BINARY[op.type](values[0], values[1])]
        if op.type in ("Cast", "Identity"):
            return [values[0]]
        if op.type in _NUMPY_UNARY:
            return [_NUMPY_UNARY[op.type](values[0])]
        data_index = op.attrs.get("data_input", 0)
        if op.type == "Split" and values[data_index].ndim == 1:
            sizes = _split_sizes(op, graph, len(values[data_index]))
            return list(np.split(values[data_index], np.cumsum(sizes)[:-1]))
        if op.type == "Pack":
            return [
                np.stack(
                    [v.reshape(()) if v.size == 1 else v for v in values],
                    axis=op.attrs.get("axis", 0),
                )
            ]
        if op.type == "Concat":
            data = values[:-1] if op.attrs.get("axis_input") else values
            axis = int(values[-1]) if op.attrs.get("axis_input") else op.attrs.get("axis", 0)
            return [np.concatenate(data, axis=axis)]
        if op.type == "StridedSlice":
            return [_tf_strided_slice_value(*values[:4], op.attrs)]
        if op.type == "Slice" and values[0].ndim == 1:
            args = _onnx_slice_args(op, graph, 1)
            if args:
                (_, start, end, step), *_ = args
                return [values[0][start:end:step]]
        if op.type in ("Reshape", "Squeeze", "Unsqueeze"):
            shape = graph.shape(op.outputs[0])
            if shape is not None and all(isinstance(d, int) for d in shape):
                return [values[0].reshape(shape)]
        if op.type == "Gather" and op.attrs.get("axis", 0) == 0:
            return [values[0][values[1]]]
    except (ValueError, IndexError, TypeError):
        pass
    return [None] * len(op.outputs)


def _tf_strided_slice_value(x, begin, end, strides, attrs) -> np.ndarray | None:
    if x.ndim != 1 or len(begin) != 1:
        return None
    start = None if attrs.get("begin_mask", 0) & 1 else int(begin[0])
    stop = None if attrs.get("end_mask", 0) & 1 else int(end[0])
    if attrs.get("shrink_axis_mask", 0) & 1:
        return np.array(x[int(begin[0])])
    return x[slice(start, stop, int(strides[0]))]


def infer_shapes(graph: Graph, *, overwrite: bool = False) -> list[Op]:
    """Fill in every tensor shape the graph lacks; returns the ops whose outputs stay unknown.

    With `overwrite`, shapes already present are recomputed too (after the inputs were set
    to a reference size).
    """
    unresolved: list[Op] = []
    for op in graph.ops:
        rule = RULES.get(op.type)
        outputs = [graph.tensors.setdefault(n, Tensor(n, "float32")) for n in op.outputs]
        small = all(t.shape is not None and len(t.shape) <= 1 for t in outputs)
        value_missing = small and any(t.value is None for t in outputs)
        if not overwrite and all(t.is_static for t in outputs) and not value_missing:
            continue
        shapes = rule(op, graph) if rule else [None] * len(op.outputs)
        for tensor, shape in zip(outputs, shapes, strict=False):
            if shape is not None and (overwrite or not tensor.is_static):
                tensor.shape = tuple(d if d is None or isinstance(d, str) else int(d) for d in shape)
        if any(t.value is None for t in outputs) and all(
            t.shape is not None and len(t.shape) <= 1 for t in outputs
        ):  # shape arithmetic: evaluate it, so sizes computed at run time resolve
            for tensor, value in zip(outputs, _evaluate(op, graph), strict=False):
                if value is not None and value.dtype.kind in "iubf":
                    tensor.value = value
        if not all(t.is_static for t in outputs):
            unresolved.append(op)
    return unresolved
