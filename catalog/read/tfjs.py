"""Read a TFJS graph model (model.json topology + weights manifest) into the IR.

Written by hand because the only library that reads this format is TensorFlow itself, which
is a 1.9 GB optional extra here; the format is plain JSON plus concatenated weight bytes.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from catalog.errors import ModelError
from catalog.read.common import dynamic_dim_names
from catalog.read.graph import Graph, Op, Tensor

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


def _conv(node: dict, graph: Graph) -> tuple[str, dict]:
    layout = _attr(node, "data_format", "NHWC")
    w = graph.tensors[node["input"][1]].shape or (1, 1, 1, 1)
    attrs = {"layout": layout, "kernel_shape": [w[0], w[1]],
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
    w = graph.tensors[node["input"][1]].shape or (1, 1, 1, 1)  # h, w, out, in
    return "ConvTranspose", {"layout": layout, "kernel_shape": [w[0], w[1]], "out_channels": w[2],
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


def read_model_json(path: Path) -> dict[str, Any]:
    """A TFJS graph model's model.json (some hosts serve it gzip-compressed)."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(str(path), f"not a TFJS model.json ({type(error).__name__})") from None
    if not isinstance(document, dict) or "modelTopology" not in document:
        raise ModelError(str(path), "not a TFJS graph model (no modelTopology)")
    return document


def weight_paths(document: dict[str, Any]) -> list[str]:
    """The weight files a model.json's manifest names, relative to its folder, in order."""
    return [p for group in document.get("weightsManifest", []) for p in group.get("paths", [])]


def model_files(model_json: Path, document: dict[str, Any] | None = None) -> list[Path]:
    """A TFJS model's files: the model.json, then each weight file its manifest names, which
    must lie inside the model.json's folder. Their sizes summed are the model's size."""
    model_json = Path(model_json)
    document = read_model_json(model_json) if document is None else document
    folder = model_json.parent.resolve()
    files = [model_json]
    for relative in weight_paths(document):
        file = (folder / relative).resolve()
        if folder not in file.parents:
            raise ModelError(str(model_json), f"weights path {relative!r} leaves the model's folder")
        if not file.is_file():
            raise ModelError(str(model_json), f"weights file {relative} named by the manifest is missing")
        files.append(model_json.parent / relative)
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
            weight = StoredWeight(entry["name"], entry["dtype"], storage, tuple(int(d) for d in entry.get("shape", [])),
                                  quantization, data, offset)  # fmt: skip
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
    by_name = {node["name"]: node for node in nodes}
    done: set[str] = set()
    ordered: list[dict] = []
    for root in nodes:
        stack = [(root["name"], False)]
        while stack:
            name, expanded = stack.pop()
            if name in done or name not in by_name:
                continue
            if expanded:
                done.add(name)
                ordered.append(by_name[name])
                continue
            stack.append((name, True))
            for reference in by_name[name].get("input", []):
                parent = reference.lstrip("^").partition(":")[0]
                if parent not in done:
                    stack.append((parent, False))
    return ordered


def read_tfjs(path: Path) -> Graph:
    document = read_model_json(path)
    if document.get("format") not in (None, "graph-model"):
        raise ModelError(str(path), f"TFJS {document.get('format')} models are not supported, only graph models")
    topology = document["modelTopology"]
    if not isinstance(topology, dict) or "node" not in topology:
        raise ModelError(str(path), "TFJS layers models are not supported, only graph models")
    try:
        return _read_graph(path, document, topology)
    except ModelError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise ModelError(str(path), f"damaged TFJS graph model ({type(error).__name__}: {error})") from None


def _read_graph(path: Path, document: dict, topology: dict) -> Graph:
    nodes = _topological(topology["node"])
    weights = _load_weights(path, document)
    graph = Graph("tfjs", dict(weights), [], [], [])
    output_counts: dict[str, int] = {}
    for node in nodes:
        for reference in node.get("input", []):
            name, _, index = reference.partition(":")
            output_counts[name] = max(output_counts.get(name, 1), int(index or 0) + 1)
    for node in nodes:
        name, op_type = node["name"], node["op"]
        if op_type == "Const":
            if name not in graph.tensors:
                raise ModelError(str(path), f"constant {name} has no weights in the manifest")
            continue
        if op_type == "Placeholder":
            shape = _attr(node, "shape")
            shape = None if shape is None else tuple(d if d >= 0 else None for d in shape)
            graph.tensors[name] = Tensor(name, _attr(node, "dtype", "float32"), dynamic_dim_names(shape))
            graph.inputs.append(name)
            continue
        inputs = [_tensor_name(r) for r in node.get("input", []) if not r.startswith("^")]
        count = output_counts.get(name, 1)
        if op_type in ("Unpack", "Split", "SplitV"):
            count = max(count, _attr(node, "num", 0) or _attr(node, "num_split", 0) or 1)
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
    _set_io(graph, document, nodes)
    return graph


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
            graph.tensors[name].shape = tuple(d if d >= 0 else None for d in shape)
    if not outputs:
        consumed = {_tensor_name(r.lstrip("^")) for node in nodes for r in node.get("input", [])}
        outputs = [out for op in graph.ops for out in op.outputs if out not in consumed]
    graph.outputs = [name for name in outputs if name in graph.tensors]
