"""A TensorFlow graph's nodes into the IR: the one walk over a GraphDef that the TFJS and the
frozen-GraphDef (.pb) readers share, with TensorFlow's op rules (kind, layout, fused bias and
activation, windows) for params, MACs, FLOPs and shapes.

Nodes are dicts in protobuf's JSON form of a NodeDef, as a TFJS model.json's modelTopology holds
them (`{"name", "op", "input": [...], "attr": {"strides": {"list": {"i": ["1", ...]}}}}`); the
.pb reader turns its NodeDefs into the same dicts. Constants are given as tensors, read by each
reader from where its format stores them.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from catalog.read.common import dynamic_dim_names
from catalog.read.graph import Graph, GraphError, Op, Tensor
from catalog.read.limits import MAX_OP_OUTPUTS
from catalog.read.structure import check_graph, file_shape

VALUE_LIMIT = 4096  # integer constants up to this size keep their values, for shape arithmetic
FLOAT_VALUE_LIMIT = 16  # and float scalars / tiny vectors (Range bounds, scales)
_VALUE_DTYPES = {"int32", "int64", "float32", "float16"}
# TensorFlow's dtypes by the names a GraphDef's JSON form gives them; others keep their DT_ name
DTYPES = {"DT_FLOAT": "float32", "DT_HALF": "float16", "DT_INT32": "int32", "DT_INT64": "int64",
          "DT_BOOL": "bool", "DT_UINT8": "uint8", "DT_INT8": "int8", "DT_STRING": "string",
          "DT_INT16": "int16", "DT_UINT16": "uint16", "DT_DOUBLE": "float64",
          "DT_BFLOAT16": "bfloat16", "DT_COMPLEX64": "complex64"}  # fmt: skip
_SIMPLE = {
    "AddV2": "Add", "Add": "Add", "BiasAdd": "Add", "Sub": "Sub", "Mul": "Mul", "RealDiv": "Div",
    "Div": "Div", "FloorDiv": "FloorDiv", "FloorMod": "FloorMod", "Maximum": "Max",
    "Minimum": "Min", "SquaredDifference": "SquaredDifference", "Pow": "Pow", "Sqrt": "Sqrt",
    "Rsqrt": "Rsqrt", "Exp": "Exp", "Log": "Log", "Abs": "Abs", "Neg": "Neg",
    "Reciprocal": "Reciprocal", "Square": "Square", "Sigmoid": "Sigmoid", "Relu": "Relu",
    "Relu6": "Relu6", "Tanh": "Tanh", "Elu": "Elu", "LeakyRelu": "LeakyRelu", "Prelu": "PRelu",
    "Softmax": "Softmax", "Cast": "Cast", "Identity": "Identity", "Equal": "Equal",
    "Less": "Less", "Greater": "Greater", "GreaterEqual": "GreaterOrEqual",
    "LessEqual": "LessOrEqual", "LogicalAnd": "And", "LogicalOr": "Or", "Select": "Where",
    "SelectV2": "Where", "AddN": "AddN", "Shape": "Shape", "Size": "Size", "Tile": "Tile",
    "Fill": "Fill", "Range": "Range", "GatherNd": "GatherND", "TopKV2": "TopK",
    "Transpose": "Transpose", "Reshape": "Reshape", "Pad": "Pad", "PadV2": "Pad",
    "MirrorPad": "Pad", "Slice": "BeginSizeSlice", "Floor": "Floor", "Round": "Round", "Sin": "Sin", "Cos": "Cos",
}  # fmt: skip
_REDUCTIONS = {"Max": "ReduceMax", "Min": "ReduceMin", "Sum": "ReduceSum", "Mean": "ReduceMean",
               "Prod": "ReduceProd"}  # fmt: skip
_ACTIVATIONS = {"Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid", "Tanh", "Prelu"}


def constant(
    name: str, dtype: str, shape: tuple[int, ...], stored: Callable[[], np.ndarray], quantized: bool = False
) -> Tensor:
    """A weight as the IR holds it, `dtype` as stored; small integer and float ones keep their
    values (`stored`, called only for those), for the shape arithmetic."""
    tensor = Tensor(name, dtype, shape, const=True, quantized=quantized)
    small = math.prod(shape) <= (VALUE_LIMIT if dtype in ("int32", "int64") else FLOAT_VALUE_LIMIT)
    if dtype in _VALUE_DTYPES and small:
        tensor.value = stored()
    return tensor


def _attr(node: dict, key: str, default: Any = None) -> Any:
    value = node.get("attr", {}).get(key)
    if value is None:
        return default
    if "s" in value:
        return base64.b64decode(value["s"]).decode("utf-8", "replace")
    if "i" in value:
        return int(value["i"])
    if "f" in value:
        return float(value["f"])
    if "b" in value:
        return bool(value["b"])
    if "type" in value:
        return DTYPES.get(value["type"], value["type"])
    if "list" in value:
        items = value["list"]
        if "i" in items:
            return [int(v) for v in items["i"]]
        if "s" in items:
            return [base64.b64decode(v).decode("utf-8", "replace") for v in items["s"]]
        if "f" in items:
            return [float(v) for v in items["f"]]
        return []
    if "shape" in value:
        return _shape(value["shape"])
    return default


def _dtype(node: dict, key: str) -> str:
    """A node's dtype attr (`T`, `dtype`): a name, float32 where absent; a DataType number no
    table names (a protobuf enum's unknown value) is named by it."""
    value = _attr(node, key, "float32")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"DT_{value}"
    if not isinstance(value, str):
        raise GraphError(f"node {node['name']} ({node['op']}): {key} {value!r:.40} is not a dtype")
    return value


def _shape(proto: dict) -> tuple | None:
    if proto.get("unknownRank"):
        return None
    return tuple(int(d.get("size", -1)) for d in proto.get("dim", []))


def _spatial(values: list[int] | None, layout: str) -> list[int]:
    values = values or [1, 1, 1, 1]
    return values[1:3] if layout == "NHWC" else values[2:4]


def _padding(node: dict, layout: str) -> dict:
    padding = _attr(node, "padding", "VALID")
    if padding == "EXPLICIT":
        pairs = np.array(_attr(node, "explicit_paddings", [0] * 8)).reshape(4, 2)
        h, w = (1, 2) if layout == "NHWC" else (2, 3)
        return {"pads": [int(pairs[h][0]), int(pairs[w][0]), int(pairs[h][1]), int(pairs[w][1])]}
    return {"auto_pad": "SAME_UPPER" if padding == "SAME" else "VALID"}


def _fused(node: dict) -> dict:
    fused = _attr(node, "fused_ops", [])
    attrs: dict[str, Any] = {}
    if "BiasAdd" in fused or "FusedBatchNorm" in fused:
        attrs["bias"] = True
    activation = next((f for f in fused if f in _ACTIVATIONS), None)
    if activation:
        attrs["activation"] = activation
    return attrs


def _weight_shape(node: dict, graph: Graph, index: int) -> tuple:
    """A conv's 4-d weight shape, sizes unknown (None) where the weight is computed; a weight
    nothing produces is left for the graph's checks to name."""
    inputs = node.get("input", [])
    tensor = graph.tensors.get(tensor_name(inputs[index])) if index < len(inputs) else None
    shape = tensor.shape if tensor is not None else None
    if shape is None:
        return (None,) * 4
    if len(shape) != 4:
        raise GraphError(f"op {node['name']} ({node['op']}): its weight has shape {list(shape)}, not 4-d")
    return tuple(d if isinstance(d, int) else None for d in shape)


def _kernel(w: tuple) -> list[int] | None:
    return [w[0], w[1]] if w[0] is not None and w[1] is not None else None


def _conv(node: dict, graph: Graph) -> tuple[str, dict]:
    layout = _attr(node, "data_format", "NHWC")
    w = _weight_shape(node, graph, 1)  # h, w, in, out
    attrs = {"layout": layout, "kernel_shape": _kernel(w),
             "strides": _spatial(_attr(node, "strides"), layout),
             "dilations": _spatial(_attr(node, "dilations"), layout),
             **_padding(node, layout), **_fused(node)}  # fmt: skip
    if "Depthwise" in node["op"]:
        attrs.update(depthwise=True, depth_multiplier=w[3], kernel_in_channels=1)
    else:
        attrs.update(out_channels=w[3], kernel_in_channels=w[2])
    return "Conv", attrs


def _conv_transpose(node: dict, graph: Graph) -> tuple[str, dict]:
    layout = _attr(node, "data_format", "NHWC")
    w = _weight_shape(node, graph, 1)  # h, w, out, in
    return "ConvTranspose", {"layout": layout, "kernel_shape": _kernel(w), "out_channels": w[2],
                             "kernel_out_channels": w[2],
                             "strides": _spatial(_attr(node, "strides"), layout),
                             "output_shape_input": 0, "data_input": 2,
                             **_padding(node, layout)}  # fmt: skip


def _matmul(node: dict, graph: Graph) -> tuple[str, dict]:
    return "MatMul", {"transpose_a": _attr(node, "transpose_a", _attr(node, "adj_x", False)),
                      "transpose_b": _attr(node, "transpose_b", _attr(node, "adj_y", False)),
                      **_fused(node)}  # fmt: skip


def _pool(node: dict, graph: Graph) -> tuple[str, dict]:
    layout = _attr(node, "data_format", "NHWC")
    kind = "MaxPool" if node["op"].startswith("Max") else "AveragePool"
    return kind, {
        "layout": layout,
        "kernel_shape": _spatial(_attr(node, "ksize"), layout),
        "strides": _spatial(_attr(node, "strides"), layout),
        **_padding(node, layout),
    }


_STRUCTURED: dict[str, Callable[[dict, Graph], tuple[str, dict]]] = {
    "Conv2D": _conv,
    "_FusedConv2D": _conv,
    "DepthwiseConv2dNative": _conv,
    "FusedDepthwiseConv2dNative": _conv,
    "Conv2DBackpropInput": _conv_transpose,
    "MatMul": _matmul,
    "BatchMatMul": _matmul,
    "BatchMatMulV2": _matmul,
    "_FusedMatMul": _matmul,
    "MaxPool": _pool,
    "AvgPool": _pool,
    "ConcatV2": lambda node, graph: ("Concat", {"axis_input": True}),
    "ExpandDims": lambda node, graph: ("Unsqueeze", {}),
    "Squeeze": lambda node, graph: ("Squeeze", {"axes": _attr(node, "squeeze_dims", [])}),
    "StridedSlice": lambda node, graph: ("StridedSlice", {
        k: _attr(node, k, 0) for k in ("begin_mask", "end_mask", "shrink_axis_mask",
                                       "new_axis_mask", "ellipsis_mask")}),
    "Pack": lambda node, graph: ("Pack", {"axis": _attr(node, "axis", 0)}),
    "Unpack": lambda node, graph: ("Unpack", {"axis": _attr(node, "axis", 0)}),
    "Split": lambda node, graph: ("Split", {"axis_input": 0, "data_input": 1}),
    "GatherV2": lambda node, graph: ("Gather", {"axis_input": 2}),
    "ArgMax": lambda node, graph: ("ArgMax", {"axis_input": 1}),
    "ArgMin": lambda node, graph: ("ArgMin", {"axis_input": 1}),
    "DepthToSpace": lambda node, graph: ("DepthToSpace", {
        "blocksize": _attr(node, "block_size"), "layout": _attr(node, "data_format", "NHWC")}),
    "ResizeBilinear": lambda node, graph: ("Resize", {"size_input": 1, "layout": "NHWC"}),
    "ResizeNearestNeighbor": lambda node, graph: ("Resize", {"size_input": 1, "layout": "NHWC"}),
}  # fmt: skip


def tensor_name(reference: str) -> str:
    """`node:0` and `node` name the same tensor; control inputs (`^node`) are not tensors."""
    name, _, index = reference.partition(":")
    return name if index in ("", "0") else f"{name}:{index}"


def _topological(nodes: list[dict]) -> list[dict]:
    """The nodes in an order they can run in (each after the nodes it reads, control inputs
    included), by depth-first search; a node met again while it is still being expanded closes a
    cycle, which is refused, named."""
    by_name = {node["name"]: node for node in nodes}
    done: set[str] = set()
    expanding: set[str] = set()
    ordered: list[dict] = []
    for root in nodes:
        stack = [(root["name"], False)]
        while stack:
            name, expanded = stack.pop()
            if name in done or name not in by_name:
                continue
            if expanded:
                expanding.discard(name)
                done.add(name)
                ordered.append(by_name[name])
                continue
            if name in expanding:
                raise GraphError(_cycle(name, stack, by_name))
            expanding.add(name)
            stack.append((name, True))
            for reference in by_name[name].get("input", []):
                parent = reference.lstrip("^").partition(":")[0]
                if parent not in done:
                    stack.append((parent, False))
    return ordered


def _cycle(name: str, stack: list[tuple[str, bool]], by_name: dict[str, dict]) -> str:
    """The cycle through `name`: the nodes being expanded, from it to the last, read each other."""
    path = [entry for entry, expanded in stack if expanded]
    loop = path[path.index(name) :]
    loop = [loop[0], *reversed(loop[1:])]  # in the direction the data flows
    labels = [f"node {node} ({by_name[node]['op']})" for node in loop[:8]] + (["..."] if len(loop) > 8 else [])
    return f"the graph has a cycle: {' -> '.join(labels)} -> node {name} ({by_name[name]['op']})"


def _check_nodes(nodes: Any) -> None:
    """Nodes are objects with a name and an op, each named once (what messages and the order rely
    on; a value of the wrong type deeper down fails where it is read, as damage)."""
    if type(nodes) is not list:
        raise GraphError("the graph's node list is not a list")
    for index, node in enumerate(nodes):
        if type(node) is not dict or type(node.get("name")) is not str or type(node.get("op")) is not str:
            raise GraphError(f"node {index} of the graph has no name or op")
    if len({node["name"] for node in nodes}) < len(nodes):
        seen: set[str] = set()
        twice = next(node["name"] for node in nodes if node["name"] in seen or seen.add(node["name"]))
        raise GraphError(f"two nodes are named {twice}")


def _output_counts(nodes: list[dict]) -> dict[str, int]:
    """How many outputs each node has, from the highest `node:index` any input names."""
    counts: dict[str, int] = {}
    for node in nodes:
        for reference in node.get("input", []):
            name, _, index = reference.partition(":")
            count = int(index or 0) + 1
            if count > MAX_OP_OUTPUTS:
                raise GraphError(f"node {node['name']} ({node['op']}) reads output {index} of {name}, "
                                 f"past the limit of {MAX_OP_OUTPUTS:,} outputs")  # fmt: skip
            counts[name] = max(counts.get(name, 1), count)
    return counts


def graph_from_nodes(
    fmt: str, nodes: Any, constants: Callable[[], dict[str, Tensor]], signature: dict | None = None
) -> Graph:
    """The IR of a GraphDef's nodes (dicts, see above). `constants`: the tensor of every Const node
    by name, read once the nodes are checked (a damaged graph fails before any weight is read).
    `signature`: a TFJS signature, whose inputs may state sizes for dynamic dims and whose outputs
    name the graph's outputs; without one, the outputs are the tensors no node reads.
    GraphError where the graph cannot be a model; KeyError, TypeError... where a node is damaged."""
    _check_nodes(nodes)
    ordered = _topological(nodes)
    graph = Graph(fmt, dict(constants()), [], [], [])
    output_counts = _output_counts(ordered)
    for node in ordered:
        try:
            _add_node(graph, node, output_counts)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as error:
            reason = f"damaged ({type(error).__name__}: {error})"
            raise GraphError(f"node {node['name']} ({node['op']}): {reason}") from None
    _set_io(graph, signature or {}, ordered)
    check_graph(graph)
    return graph


def _add_node(graph: Graph, node: dict, output_counts: dict[str, int]) -> None:
    name, op_type = node["name"], node["op"]
    if op_type == "Const":
        if name not in graph.tensors:
            raise GraphError(f"constant {name} has no stored value")
        return
    if op_type == "NoOp":  # a control dependency's anchor: no tensor, no work
        return
    if op_type == "Placeholder":
        shape = _attr(node, "shape")
        shape = None if shape is None else file_shape(shape, name)
        graph.tensors[name] = Tensor(name, _dtype(node, "dtype"), dynamic_dim_names(shape))
        graph.inputs.append(name)
        return
    inputs = [tensor_name(r) for r in node.get("input", []) if not r.startswith("^")]
    count = output_counts.get(name, 1)
    if op_type in ("Unpack", "Split", "SplitV"):
        stated = _attr(node, "num", 0) or _attr(node, "num_split", 0) or 1
        if not isinstance(stated, int) or not 0 < stated <= MAX_OP_OUTPUTS:
            raise GraphError(f"op {name} ({op_type}): {stated!r} outputs, expected 1 to {MAX_OP_OUTPUTS:,}")
        count = max(count, stated)
    outputs = [name] + [f"{name}:{i}" for i in range(1, count)]
    dtype = _dtype(node, "T")
    for output in outputs:
        graph.tensors.setdefault(output, Tensor(output, dtype))
    if op_type in _STRUCTURED:
        kind, attrs = _STRUCTURED[op_type](node, graph)
    elif op_type in _REDUCTIONS:
        kind, attrs = _REDUCTIONS[op_type], {"keepdims": _attr(node, "keep_dims", False)}
    else:
        kind, attrs = _SIMPLE.get(op_type, op_type), {}
    graph.ops.append(Op(kind, inputs, outputs, attrs, native=op_type, name=name))
    if kind in ("Identity", "Cast") and inputs:
        # a weight read through it (a frozen TF2 graph reads every variable so): the op rules that
        # read it here, before shape inference, see its shape
        source = graph.tensors.get(inputs[0])
        if source is not None and source.is_static:
            graph.tensors[name].shape = source.shape


def _set_io(graph: Graph, signature: dict, nodes: list[dict]) -> None:
    stated = {}
    for entry in (signature.get("inputs") or {}).values():
        name = tensor_name(entry.get("name", ""))
        shape = _shape(entry.get("tensorShape", {}))
        if name in graph.tensors and shape and all(d > 0 for d in shape):
            stated[name] = shape
    graph.stated_input_shapes = stated
    outputs = []
    for entry in (signature.get("outputs") or {}).values():
        name = tensor_name(entry.get("name", ""))
        outputs.append(name)
        shape = _shape(entry.get("tensorShape", {}))
        if name in graph.tensors and shape:
            graph.tensors[name].shape = file_shape(shape, name)
    if not outputs:
        # a control input (^node) orders, it does not read: a tensor only waited for is still an output
        consumed = {tensor_name(r) for node in nodes for r in node.get("input", []) if not r.startswith("^")}
        outputs = [out for op in graph.ops for out in op.outputs if out not in consumed]
    graph.outputs = [name for name in outputs if name in graph.tensors]
