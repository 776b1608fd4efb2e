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

from catalog.read.graph import Graph, GraphError, Op, Shape, Tensor
from catalog.read.structure import op_label, shape_problem

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
EVALUATE_LIMIT = 4096  # shape arithmetic is evaluated up to this many elements, as the readers keep
# inputs a rule reads unconditionally, past the first; reader-set indices (data_input...) add theirs
MIN_INPUTS = {"Conv": 2, "MatMul": 2, "Gemm": 2, "FullyConnected": 2, "TopK": 2, "GatherND": 2, "Gather": 2,
              "Tile": 2, "Expand": 2, "Range": 3, "StridedSlice": 4, "Slice": 3, "BeginSizeSlice": 3}  # fmt: skip
_INPUT_INDICES = ("data_input", "output_shape_input", "size_input", "scales_input")
_MOST_INPUTS_READ = 4  # no rule reads past its fourth input unless the op has it (checked where read)


def _fail(op: Op, reason: str) -> GraphError:
    return GraphError(f"{op_label(op)}: {reason}")


def _input(op: Op, index: int) -> str:
    """The name of an op's input, or "" where it has none there (ONNX's omitted optional inputs)."""
    return op.inputs[index] if 0 <= index < len(op.inputs) else ""


def _as_ints(value: np.ndarray | None) -> list[int] | None:
    """A value's elements as integers; None where unknown or not finite."""
    if value is None:
        return None
    flat = value.reshape(-1)
    if flat.dtype.kind == "f" and not np.isfinite(flat).all():
        return None
    return [int(v) for v in flat]


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
    if len(pads) != 2 * spatial_rank:
        raise _fail(op, f"pads has {len(pads)} values, its input has {spatial_rank} spatial dims")
    return pads[axis_index], pads[axis_index + spatial_rank]


def _window_rank(op: Op, x: Shape) -> list[int]:
    """The spatial axes of a windowed op's input, checked against its settings' rank."""
    layout = op.attrs.get("layout", "NCHW")
    if len(x) < 3:
        raise _fail(op, f"its input has rank {len(x)}, a {op.type} needs a batch, channel and spatial dims")
    spatial = _spatial_axes(layout, len(x))
    for key in ("kernel_shape", "strides", "dilations"):
        values = op.attrs.get(key)
        if values and len(values) != len(spatial):
            raise _fail(op, f"{key} has {len(values)} values, its input has {len(spatial)} spatial dims")
    return spatial


def _windowed(op: Op, x: Shape, spatial: list[int], out_channels) -> Shape | None:
    layout = op.attrs.get("layout", "NCHW")
    rank = len(x)
    kernel = op.attrs.get("kernel_shape")
    if not kernel:
        return None
    strides = op.attrs.get("strides") or [1] * len(spatial)
    dilations = op.attrs.get("dilations") or [1] * len(spatial)
    out = list(x)
    for i, axis in enumerate(spatial):
        size = x[axis]
        if not isinstance(size, int):
            out[axis] = None
            continue
        out[axis] = conv_output_size(size, kernel[i], strides[i], dilations[i], _pad_for(op, i, len(spatial)))
        if out[axis] < 1:
            effective = (kernel[i] - 1) * dilations[i] + 1
            raise _fail(op, f"its window ({effective} wide) does not fit its input's {size} (dim {axis})")
    out[_channel_axis(layout, rank)] = out_channels
    return tuple(out)


def _conv(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    layout = op.attrs.get("layout", "NCHW")
    spatial = _window_rank(op, x)
    out_channels = op.attrs.get("out_channels")
    if op.attrs.get("depthwise"):
        multiplier = op.attrs.get("depth_multiplier", 1)
        cin = x[_channel_axis(layout, len(x))]
        out_channels = cin * multiplier if isinstance(cin, int) and isinstance(multiplier, int) else out_channels
    return [_windowed(op, x, spatial, out_channels)]


def _pool(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    layout = op.attrs.get("layout", "NCHW")
    spatial = _window_rank(op, x)
    return [_windowed(op, x, spatial, x[_channel_axis(layout, len(x))])]


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
        value = _as_ints(_int_value(graph, _input(op, stated)))
        if value is not None:
            return [tuple(value)]
    x = graph.shape(op.inputs[0])
    kernel = op.attrs.get("kernel_shape")
    if x is None or not kernel:
        return [None]
    layout = op.attrs.get("layout", "NCHW")
    spatial = _window_rank(op, x)
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
    if not a or not b:
        raise _fail(op, "multiplies a scalar; its inputs need at least one dim")
    a = a[:-2] + (a[-1], a[-2]) if op.attrs.get("transpose_a") and len(a) > 1 else a
    b = b[:-2] + (b[-1], b[-2]) if op.attrs.get("transpose_b") and len(b) > 1 else b
    if len(a) == 1:
        a = (1,) + a
    if len(b) == 1:
        b = b + (1,)
    batch = broadcast(a[:-2], b[:-2]) if len(a) > 2 or len(b) > 2 else ()
    return [tuple(batch) + (a[-2], b[-1])]


def _gemm(op: Op, graph: Graph) -> Shapes:
    a, b = graph.shape(op.inputs[0]), graph.shape(op.inputs[1])
    if a is None or b is None:
        return [None]
    if len(a) != 2 or len(b) != 2:
        raise _fail(op, f"multiplies inputs of ranks {len(a)} and {len(b)}; a Gemm takes two matrices")
    rows = a[1] if op.attrs.get("transA") else a[0]
    columns = b[0] if op.attrs.get("transB") else b[1]
    return [(rows, columns)]


def _dynamic_quantize(op: Op, graph: Graph) -> Shapes:
    """DynamicQuantizeLinear: the quantized tensor, and the scale and zero point it computed."""
    return [graph.shape(op.inputs[0]), (), ()]


def _fully_connected(op: Op, graph: Graph) -> Shapes:
    x, w = graph.shape(op.inputs[0]), graph.shape(op.inputs[1])
    if x is None or w is None:
        return [None]
    if len(w) != 2:
        raise _fail(op, f"its weight has rank {len(w)}, not 2")
    if op.attrs.get("keep_num_dims"):
        return [tuple(x[:-1]) + (w[0],)]
    rows = None
    if all(isinstance(d, int) for d in x) and isinstance(w[1], int) and w[1]:
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
    tensor = graph.tensors.get(name) if name else None
    return None if tensor is None else tensor.value


def _ints(op: Op, graph: Graph, attr: str, input_index: int) -> list[int] | None:
    """An op's list of integers: its attribute, or (ONNX opset 13+, TF) a constant input."""
    values = op.attrs.get(attr)
    if values is None:
        values = _as_ints(_int_value(graph, _input(op, input_index)))
    return values


def _in_range(op: Op, axis: int, rank: int, what: str = "axis") -> int:
    """A possibly negative axis of a rank-`rank` tensor as an index; out of range is refused."""
    if not -rank <= axis < rank:
        raise _fail(op, f"{what} {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def _axis(op: Op, graph: Graph, rank: int, input_index: int | None = None) -> int | None:
    axis = op.attrs.get("axis")
    if axis is None and input_index is not None:
        value = _as_ints(_int_value(graph, _input(op, input_index)))
        axis = value[0] if value else None
    if axis is None:
        return None
    return _in_range(op, int(axis), rank)


def _concat(op: Op, graph: Graph) -> Shapes:
    data = op.inputs[:-1] if op.attrs.get("axis_input") else op.inputs
    shapes = [graph.shape(name) for name in data]
    if not shapes or any(s is None for s in shapes):
        return [None]
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise _fail(op, f"joins inputs of ranks {sorted({len(s) for s in shapes})}")
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
    if op.attrs.get("zero_copies") and any(d == 0 and i >= len(x) for i, d in enumerate(target)):
        raise _fail(op, f"its target shape {target} copies a dim its rank-{len(x)} input lacks")
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
    if sorted(perm) != list(range(len(x))):
        raise _fail(op, f"perm {perm[:8]} is not a permutation of its input's {len(x)} axes")
    return [tuple(x[p] for p in perm)]


def _pad(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    pads = _as_ints(_int_value(graph, _input(op, 1)))
    if x is None or pads is None:
        return [None]
    if len(pads) != 2 * len(x):
        raise _fail(op, f"has {len(pads)} pad amounts for an input of rank {len(x)}")
    if op.attrs.get("pads_layout") == "onnx":  # begin..., end...
        pairs = list(zip(pads[: len(x)], pads[len(x) :], strict=True))
    else:  # TF / TFLite: [[begin, end], ...]
        pairs = list(zip(pads[0::2], pads[1::2], strict=True))
    return [tuple(d + b + e if isinstance(d, int) else None for d, (b, e) in zip(x, pairs, strict=True))]


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
        scales = _int_value(graph, _input(op, scales_input))
        if scales is None or len(scales.reshape(-1)) != len(x) or not np.isfinite(scales).all():
            return [None]
        return [tuple(int(d * s) if isinstance(d, int) else None for d, s in zip(x, scales.reshape(-1), strict=True))]
    if size_input is not None:
        size = _as_ints(_int_value(graph, _input(op, size_input)))
        if size is None:
            return [None]
        if len(size) == len(x):
            return [tuple(size)]
        spatial = _spatial_axes(op.attrs.get("layout", "NHWC"), len(x))
        if len(size) != len(spatial):
            raise _fail(op, f"has {len(size)} output sizes for {len(spatial)} spatial dims")
        out = list(x)
        for axis, s in zip(spatial, size, strict=True):
            out[axis] = s
        return [tuple(out)]
    return [None]


def _depth_to_space(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None]
    block = op.attrs["blocksize"]
    if len(x) != 4:
        raise _fail(op, f"its input has rank {len(x)}, not 4")
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
    axis = _in_range(op, op.attrs.get("axis", 0), len(x) + 1)
    out = list(x)
    out.insert(axis, len(op.inputs))
    return [tuple(out)]


def _unpack(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    if x is None:
        return [None] * len(op.outputs)
    axis = _in_range(op, op.attrs.get("axis", 0), len(x))
    return [tuple(d for i, d in enumerate(x) if i != axis)] * len(op.outputs)


def _split_sizes(op: Op, graph: Graph, size: int) -> list[int]:
    sizes = op.attrs.get("split")
    sizes_input = op.attrs.get("sizes_input")
    if sizes is None and sizes_input is not None:
        sizes = _as_ints(_int_value(graph, _input(op, sizes_input)))
    return list(sizes) if sizes else [size // max(len(op.outputs), 1)] * len(op.outputs)


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
    k = _as_ints(_int_value(graph, op.inputs[1]))
    if x is None or not k:
        return [None, None]
    out = tuple(x[:-1]) + (k[0],)
    return [out, out]


def _gather_nd(op: Op, graph: Graph) -> Shapes:
    params, indices = graph.shape(op.inputs[0]), graph.shape(op.inputs[1])
    if params is None or not indices or not isinstance(indices[-1], int):
        return [None]
    return [tuple(indices[:-1]) + tuple(params[indices[-1] :])]


def _gather(op: Op, graph: Graph) -> Shapes:
    params, indices = graph.shape(op.inputs[0]), graph.shape(op.inputs[1])
    if params is None or indices is None:
        return [None]
    if not params:
        raise _fail(op, "gathers from a scalar")
    axis = _axis(op, graph, len(params), op.attrs.get("axis_input")) or 0
    return [tuple(params[:axis]) + tuple(indices) + tuple(params[axis + 1 :])]


def _tile(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    reps = _as_ints(_int_value(graph, op.inputs[1]))
    if x is None or reps is None:
        return [None]
    if len(reps) != len(x):
        raise _fail(op, f"has {len(reps)} repeats for an input of rank {len(x)}")
    return [tuple(d * r if isinstance(d, int) else None for d, r in zip(x, reps, strict=True))]


def _from_value_input(index: int) -> Rule:
    def rule(op: Op, graph: Graph) -> Shapes:
        value = _as_ints(_int_value(graph, op.inputs[index]))
        return [None if value is None else tuple(value)]

    return rule


def _range(op: Op, graph: Graph) -> Shapes:
    values = [_int_value(graph, name) for name in op.inputs[:3]]
    if any(v is None or not v.size for v in values):
        return [(None,)]
    start, limit, delta = (float(v.reshape(-1)[0]) for v in values)
    if not delta or not all(map(math.isfinite, (start, limit, delta))):
        raise _fail(op, f"counts from {start:g} to {limit:g} in steps of {delta:g}")
    return [(max(0, math.ceil((limit - start) / delta)),)]


def _strided_slice(op: Op, graph: Graph) -> Shapes:
    x = graph.shape(op.inputs[0])
    begin, end, strides = (_as_ints(_int_value(graph, name)) for name in op.inputs[1:4])
    if x is None or begin is None or end is None or strides is None:
        return [None]
    if not len(begin) == len(end) == len(strides) or 0 in strides:
        raise _fail(op, f"begin {begin[:8]}, end {end[:8]} and strides {strides[:8]} do not slice")
    return [_tf_strided_slice_shape(op, x, begin, end, strides)]


def _onnx_slice_args(op: Op, graph: Graph, rank: int) -> list[tuple[int, int, int, int]] | None:
    starts, ends, axes, steps = (_as_ints(_int_value(graph, _input(op, i))) for i in range(1, 5))
    if starts is None or ends is None:
        return None
    axes = axes if axes is not None else list(range(len(starts)))
    steps = steps if steps is not None else [1] * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps) or 0 in steps:
        raise _fail(op, f"starts {starts[:8]}, ends {ends[:8]}, axes {axes[:8]} and steps {steps[:8]} do not slice")
    return [(_in_range(op, a, rank), s, e, st) for a, s, e, st in zip(axes, starts, ends, steps, strict=True)]


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
    begin, size = _as_ints(_int_value(graph, op.inputs[1])), _as_ints(_int_value(graph, op.inputs[2]))
    if x is None or begin is None or size is None:
        return [None]
    if not len(begin) == len(size) == len(x):
        raise _fail(op, f"begin {begin[:8]} and size {size[:8]} do not slice an input of rank {len(x)}")
    return [tuple((d - b if isinstance(d, int) else None) if s == -1 else s
                  for d, b, s in zip(x, begin, size, strict=True))]  # fmt: skip


def _expand(op: Op, graph: Graph) -> Shapes:
    x, target = graph.shape(op.inputs[0]), _as_ints(_int_value(graph, op.inputs[1]))
    if x is None or target is None:
        return [None]
    return [broadcast(x, tuple(target))]


def _tf_strided_slice_shape(op: Op, x: Shape, begin: list[int], end: list[int], strides: list[int]) -> Shape:
    attrs = op.attrs
    begin_mask, end_mask = attrs.get("begin_mask", 0), attrs.get("end_mask", 0)
    shrink, new_axis = attrs.get("shrink_axis_mask", 0), attrs.get("new_axis_mask", 0)
    ellipsis = attrs.get("ellipsis_mask", 0)
    out: list = []
    dim = 0
    for i in range(len(begin)):
        if ellipsis & (1 << i):
            remaining = max(len(x) - dim - (len(begin) - i - 1), 0)
            out.extend(x[dim : dim + remaining])
            dim += remaining
            continue
        if new_axis & (1 << i):
            out.append(1)
            continue
        if dim >= len(x):
            raise _fail(op, f"slices {len(begin)} dims of an input of rank {len(x)}")
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
    "Gemm": _gemm,
    "FullyConnected": _fully_connected,
    "DynamicQuantizeLinear": _dynamic_quantize,
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
    "Densify": lambda op, graph: [graph.tensors[op.inputs[0]].dense_shape if op.inputs[0] in graph.tensors else None],
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
    if any(v is None for v in values) or not values or _result_size(op, values) > EVALUATE_LIMIT:
        return [None] * len(op.outputs)
    try:
        with np.errstate(all="ignore"):  # integer division by zero and the like: a value, not a warning
            return _evaluated(op, graph, values)
    except (ValueError, IndexError, TypeError, OverflowError, ZeroDivisionError):
        return [None] * len(op.outputs)


def _result_size(op: Op, values: list[np.ndarray]) -> int:
    """An upper bound on the elements an evaluation makes, known before it allocates them."""
    if op.type in _NUMPY_BINARY and len(values) > 1:
        try:
            return math.prod(np.broadcast_shapes(values[0].shape, values[1].shape))
        except ValueError:
            return 0  # does not broadcast: evaluating it fails at once
    if op.type in ("Concat", "Pack"):
        return sum(v.size for v in values)
    if op.type == "Gather" and len(values) > 1:
        rows = values[0].shape[0] if values[0].ndim else 1
        return values[1].size * (values[0].size // rows if rows else 0)
    return max(v.size for v in values)


def _evaluated(op: Op, graph: Graph, values: list[np.ndarray]) -> list[np.ndarray | None]:
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
    return [None] * len(op.outputs)


def _tf_strided_slice_value(x, begin, end, strides, attrs) -> np.ndarray | None:
    if x.ndim != 1 or len(begin) != 1:
        return None
    start = None if attrs.get("begin_mask", 0) & 1 else int(begin[0])
    stop = None if attrs.get("end_mask", 0) & 1 else int(end[0])
    if attrs.get("shrink_axis_mask", 0) & 1:
        return np.array(x[int(begin[0])])
    return x[slice(start, stop, int(strides[0]))]


def _check_inputs(op: Op) -> None:
    """An op has the inputs its rule reads, so that rules index them freely."""
    if len(op.inputs) >= _MOST_INPUTS_READ:
        return
    needed = MIN_INPUTS.get(op.type, 1)
    if op.attrs:
        for key in _INPUT_INDICES:
            index = op.attrs.get(key)
            if isinstance(index, int) and index >= needed:
                needed = index + 1
    if len(op.inputs) < needed:
        raise _fail(op, f"has {len(op.inputs)} inputs, a {op.type} needs {needed}")


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
        plain = op.plain()
        if rule is not None:
            _check_inputs(plain)
        shapes = rule(plain, graph) if rule else [None] * len(op.outputs)
        for tensor, shape in zip(outputs, shapes, strict=False):
            if shape is not None and (overwrite or not tensor.is_static):
                tensor.shape = tuple(d if d is None or isinstance(d, str) else int(d) for d in shape)
                problem = shape_problem(tensor.shape)
                if problem:
                    raise _fail(op, f"its output {tensor.name} {problem} ({list(tensor.shape)[:8]})")
        if (
            plain is op  # a quantized op's integers stand for other numbers: no shape arithmetic
            and any(t.value is None for t in outputs)
            and all(t.shape is not None and len(t.shape) <= 1 for t in outputs)
        ):  # shape arithmetic: evaluate it, so sizes computed at run time resolve
            for tensor, value in zip(outputs, _evaluate(op, graph), strict=False):
                if value is not None and value.dtype.kind in "iubf":
                    tensor.value = value
        if not all(t.is_static for t in outputs):
            unresolved.append(op)
    return unresolved
