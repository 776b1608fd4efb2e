"""Read a TFJS graph model (model.json topology + weights manifest) into the IR.

Written by hand because the only library that reads this format is TensorFlow itself, which
is a 1.9 GB optional extra here; the format is plain JSON plus concatenated weight bytes.
"""

from __future__ import annotations

import base64
import json
import math
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from catalog.errors import ModelError
from catalog.read.common import dynamic_dim_names, file_inside, inner_path
from catalog.read.graph import Graph, GraphError, Op, Tensor
from catalog.read.limits import MAX_MODEL_JSON_BYTES, MAX_OP_OUTPUTS, MAX_WEIGHT_FILES
from catalog.read.structure import check_graph, file_shape, shape_problem

VALUE_LIMIT = 4096  # integer constants up to this size keep their values, for shape arithmetic
FLOAT_VALUE_LIMIT = 16  # and float scalars / tiny vectors (Range bounds, scales)
_VALUE_DTYPES = {"int32", "int64", "float32", "float16"}
_DTYPES = {"DT_FLOAT": "float32", "DT_HALF": "float16", "DT_INT32": "int32", "DT_INT64": "int64",
           "DT_BOOL": "bool", "DT_UINT8": "uint8", "DT_INT8": "int8", "DT_STRING": "string",
           "DT_INT16": "int16"}  # fmt: skip
_ITEM_BYTES = {"float32": 4, "float16": 2, "int32": 4, "int64": 8, "bool": 1, "uint8": 1,
               "int8": 1, "uint16": 2, "int16": 2, "complex64": 8}  # fmt: skip
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
        return _DTYPES.get(value["type"], value["type"])
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
    tensor = graph.tensors.get(_tensor_name(inputs[index])) if index < len(inputs) else None
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


def _tensor_name(reference: str) -> str:
    """`node:0` and `node` name the same tensor; control inputs (`^node`) are not tensors."""
    name, _, index = reference.partition(":")
    return name if index in ("", "0") else f"{name}:{index}"


_MIB = 2**20


def read_model_json(path: Path, *, check_paths: bool = True) -> dict[str, Any]:
    """A TFJS graph model's model.json (some hosts serve it gzip-compressed), its manifest's
    shape checked: a list of groups, each naming its weight files.

    With `check_paths`, every weights path follows the one rule (`file_inside`) and is given
    normalised, so that whatever reads the document (inspect, conversion, the numeric check)
    reads the same files; fetch, which applies the rule itself before anything is on disk,
    reads without.
    """
    path = Path(path)
    if path.stat().st_size > MAX_MODEL_JSON_BYTES:
        raise ModelError(str(path), f"model.json is larger than {MAX_MODEL_JSON_BYTES // _MIB} MiB")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(path, raw)
    try:
        document = json.loads(raw)
    except ValueError as error:  # not JSON, not UTF-8, or a number too long to convert
        raise ModelError(str(path), f"not a TFJS model.json ({type(error).__name__})") from None
    except RecursionError:
        raise ModelError(str(path), "model.json nests deeper than a JSON parser follows") from None
    if not isinstance(document, dict) or "modelTopology" not in document:
        raise ModelError(str(path), "not a TFJS graph model (no modelTopology)")
    _check_manifest(path, document)
    if check_paths:
        _normalise_paths(path, document)
    return document


def _normalise_paths(path: Path, document: dict[str, Any]) -> None:
    for group in document.get("weightsManifest", []):
        if "paths" in group:
            group["paths"] = [_weights_file(path, relative).relative_to(path.parent).as_posix()
                              for relative in group["paths"]]  # fmt: skip


def _weights_file(model_json: Path, relative: str) -> Path:
    try:
        return file_inside(model_json.parent, relative)
    except ValueError:
        raise ModelError(str(model_json), f"weights path {relative!r} leaves the model's folder") from None


def _gunzip(path: Path, raw: bytes) -> bytes:
    """A gzip-compressed model.json, decompressed no further than the size limit."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, MAX_MODEL_JSON_BYTES + 1)
    except zlib.error as error:
        raise ModelError(str(path), f"model.json is damaged gzip ({error})") from None
    if len(data) > MAX_MODEL_JSON_BYTES:
        raise ModelError(str(path), f"model.json expands past {MAX_MODEL_JSON_BYTES // _MIB} MiB")
    if not inflater.eof:
        raise ModelError(str(path), "model.json is gzip cut short")
    return data


def _check_manifest(path: Path, document: dict[str, Any]) -> None:
    manifest = document.get("weightsManifest", [])
    groups_ok = isinstance(manifest, list) and all(
        isinstance(group, dict)
        and isinstance(group.get("paths", []), list)
        and all(isinstance(p, str) for p in group.get("paths", []))
        and isinstance(group.get("weights", []), list)
        for group in manifest
    )
    if not groups_ok:
        raise ModelError(str(path), "weightsManifest is malformed: expected groups of paths and weights")
    named = weight_paths(document)
    if len(named) > MAX_WEIGHT_FILES:
        reason = f"the manifest names {len(named):,} weight files, past the limit of {MAX_WEIGHT_FILES:,}"
        raise ModelError(str(path), reason)
    normalised = [_normalised(p) for p in named]
    if len(set(normalised)) < len(normalised):
        twice = next(p for p, n in zip(named, normalised, strict=True) if normalised.count(n) > 1)
        raise ModelError(str(path), f"the manifest names weights file {twice} twice")


def _normalised(relative: str) -> str:
    try:
        return inner_path(relative)
    except ValueError:  # refused where the file is looked for, with its own message
        return relative


def weight_paths(document: dict[str, Any]) -> list[str]:
    """The weight files a model.json's manifest names, relative to its folder, in order."""
    return [p for group in document.get("weightsManifest", []) for p in group.get("paths", [])]


def model_files(model_json: Path, document: dict[str, Any] | None = None) -> list[Path]:
    """A TFJS model's files: the model.json, then each weight file its manifest names, which
    must lie inside the model.json's folder. Their sizes summed are the model's size."""
    model_json = Path(model_json)
    document = read_model_json(model_json) if document is None else document
    files = [model_json]
    for relative in weight_paths(document):
        file = _weights_file(model_json, relative)
        if not file.is_file():
            raise ModelError(str(model_json), f"weights file {relative} named by the manifest is missing")
        files.append(file)
    return files


@dataclass(frozen=True)
class StoredWeight:
    """One manifest entry and where its bytes lie: `dtype` as declared, `storage` as stored
    (float16 for fp16-quantized weights, uint8/uint16 for affine-quantized ones)."""

    name: str
    dtype: str
    storage: str
    shape: tuple[int, ...]
    quantization: dict[str, Any]
    data: bytes
    offset: int

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    def stored(self) -> np.ndarray:
        return np.frombuffer(self.data, dtype=self.storage, count=self.elements, offset=self.offset).reshape(self.shape)

    def value(self) -> np.ndarray:
        """The weight in its declared dtype, dequantized."""
        stored = self.stored()
        if "scale" in self.quantization:  # affine uint8/uint16
            stored = stored.astype(np.float32) * self.quantization["scale"] + self.quantization["min"]
        return stored.astype(self.dtype)


def stored_weights(path: Path, document: dict[str, Any]) -> Iterator[StoredWeight]:
    """Every weight of the manifest, checked against the bytes its files hold."""
    files = iter(model_files(path, document)[1:])  # in manifest order, checked once
    for group in document.get("weightsManifest", []):
        data = b"".join(next(files).read_bytes() for _ in group.get("paths", []))
        offset = 0
        for entry in group.get("weights", []):
            quantization = entry.get("quantization") or {}
            storage = quantization.get("dtype", entry["dtype"])
            if storage not in _ITEM_BYTES:
                raise ModelError(str(path), f"weight {entry['name']} is stored as {storage}, which is not supported")
            shape = tuple(int(d) for d in entry.get("shape", []))
            problem = shape_problem(shape)
            if problem:
                raise ModelError(str(path), f"weight {entry['name']} {problem}")
            weight = StoredWeight(entry["name"], entry["dtype"], storage, shape, quantization, data, offset)
            offset += weight.elements * _ITEM_BYTES[storage]
            if offset > len(data):
                raise ModelError(str(path), f"weights files hold {len(data)} bytes, the manifest needs more")
            yield weight
        if offset != len(data):
            raise ModelError(str(path), f"weights files hold {len(data)} bytes, the manifest names {offset}")


def _load_weights(path: Path, document: dict[str, Any]) -> dict[str, Tensor]:
    tensors: dict[str, Tensor] = {}
    for weight in stored_weights(path, document):
        tensor = Tensor(weight.name, weight.storage, weight.shape, const=True)
        tensor.quantized = "scale" in weight.quantization
        small = weight.elements <= (VALUE_LIMIT if weight.storage in ("int32", "int64") else FLOAT_VALUE_LIMIT)
        if weight.storage in _VALUE_DTYPES and small:
            tensor.value = weight.stored()
        tensors[tensor.name] = tensor
    return tensors


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


def _check_topology(nodes: Any) -> None:
    """Nodes are objects with a name and an op, each named once (what messages and the order rely
    on; a value of the wrong type deeper down fails where it is read, as damage)."""
    if type(nodes) is not list:
        raise GraphError("modelTopology.node is not a list")
    for index, node in enumerate(nodes):
        if type(node) is not dict or type(node.get("name")) is not str or type(node.get("op")) is not str:
            raise GraphError(f"node {index} of modelTopology has no name or op")
    if len({node["name"] for node in nodes}) < len(nodes):
        seen: set[str] = set()
        twice = next(node["name"] for node in nodes if node["name"] in seen or seen.add(node["name"]))
        raise GraphError(f"two nodes are named {twice}")


def read_tfjs(path: Path, document: dict[str, Any] | None = None) -> Graph:
    """The graph of a model.json; `document` is the file already read (read_model_json)."""
    document = read_model_json(path) if document is None else document
    if document.get("format") not in (None, "graph-model"):
        raise ModelError(str(path), f"TFJS {document.get('format')} models are not supported, only graph models")
    topology = document["modelTopology"]
    if not isinstance(topology, dict) or "node" not in topology:
        raise ModelError(str(path), "TFJS layers models are not supported, only graph models")
    try:
        return _read_graph(path, document, topology)
    except GraphError as error:
        raise ModelError(str(path), str(error)) from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as error:
        # the JSON's structure is the file's: a value of the wrong type anywhere is damage
        raise ModelError(str(path), f"damaged TFJS graph model ({type(error).__name__}: {error})") from None


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


def _read_graph(path: Path, document: dict, topology: dict) -> Graph:
    _check_topology(topology["node"])
    nodes = _topological(topology["node"])
    weights = _load_weights(path, document)
    graph = Graph("tfjs", dict(weights), [], [], [])
    output_counts = _output_counts(nodes)
    for node in nodes:
        try:
            _add_node(graph, node, output_counts)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as error:
            reason = f"damaged ({type(error).__name__}: {error})"
            raise GraphError(f"node {node['name']} ({node['op']}): {reason}") from None
    _set_io(graph, document, nodes)
    check_graph(graph)
    return graph


def _add_node(graph: Graph, node: dict, output_counts: dict[str, int]) -> None:
    name, op_type = node["name"], node["op"]
    if op_type == "Const":
        if name not in graph.tensors:
            raise GraphError(f"constant {name} has no weights in the manifest")
        return
    if op_type == "Placeholder":
        shape = _attr(node, "shape")
        shape = None if shape is None else file_shape(shape, name)
        graph.tensors[name] = Tensor(name, _attr(node, "dtype", "float32"), dynamic_dim_names(shape))
        graph.inputs.append(name)
        return
    inputs = [_tensor_name(r) for r in node.get("input", []) if not r.startswith("^")]
    count = output_counts.get(name, 1)
    if op_type in ("Unpack", "Split", "SplitV"):
        stated = _attr(node, "num", 0) or _attr(node, "num_split", 0) or 1
        if not isinstance(stated, int) or not 0 < stated <= MAX_OP_OUTPUTS:
            raise GraphError(f"op {name} ({op_type}): {stated!r} outputs, expected 1 to {MAX_OP_OUTPUTS:,}")
        count = max(count, stated)
    outputs = [name] + [f"{name}:{i}" for i in range(1, count)]
    for output in outputs:
        graph.tensors.setdefault(output, Tensor(output, _attr(node, "T", "float32")))
    if op_type in _STRUCTURED:
        kind, attrs = _STRUCTURED[op_type](node, graph)
    elif op_type in _REDUCTIONS:
        kind, attrs = _REDUCTIONS[op_type], {"keepdims": _attr(node, "keep_dims", False)}
    else:
        kind, attrs = _SIMPLE.get(op_type, op_type), {}
    graph.ops.append(Op(kind, inputs, outputs, attrs, native=op_type, name=name))


def _set_io(graph: Graph, document: dict, nodes: list[dict]) -> None:
    signature = document.get("signature") or {}
    stated = {}
    for entry in (signature.get("inputs") or {}).values():
        name = _tensor_name(entry.get("name", ""))
        shape = _shape(entry.get("tensorShape", {}))
        if name in graph.tensors and shape and all(d > 0 for d in shape):
            stated[name] = shape
    graph.stated_input_shapes = stated
    outputs = []
    for entry in (signature.get("outputs") or {}).values():
        name = _tensor_name(entry.get("name", ""))
        outputs.append(name)
        shape = _shape(entry.get("tensorShape", {}))
        if name in graph.tensors and shape:
            graph.tensors[name].shape = file_shape(shape, name)
    if not outputs:
        consumed = {_tensor_name(r.lstrip("^")) for node in nodes for r in node.get("input", [])}
        outputs = [out for op in graph.ops for out in op.outputs if out not in consumed]
    graph.outputs = [name for name in outputs if name in graph.tensors]
