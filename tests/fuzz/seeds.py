"""The corpus: one small valid model per format, built on the fly (no TensorFlow, no binaries in git).

Each builder returns the model in the form its structured mutators edit (an onnx ModelProto, a
TFLite ModelT, a TFJS document and its weight bytes, a GraphDef message); `seeds()` packs them
into files.
"""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from ai_edge_litert import schema_py_generated as tfl
from onnx import TensorProto, helper, numpy_helper

from catalog.read.tf_proto import DATA_TYPES, message_class

TFJS_WEIGHTS = "group1-shard1of1.bin"


@dataclass(frozen=True)
class Seed:
    """A valid model as files: `entry` is the one to inspect, the others lie beside it."""

    format: str  # "onnx" | "tflite" | "tfjs" | "pb"
    entry: str
    files: dict[str, bytes]


def _weights(shape: tuple[int, ...], salt: int) -> np.ndarray:
    return np.random.default_rng(salt).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------------------------------ ONNX


def onnx_model() -> onnx.ModelProto:
    """Conv -> Relu -> strided Conv -> Add -> Resize x2 -> 1x1 Conv -> global pool -> MatMul + Add,
    on an input with a dynamic batch and spatial size."""
    initializers = [
        numpy_helper.from_array(_weights((4, 3, 3, 3), 1), "w1"),
        numpy_helper.from_array(_weights((4,), 2), "b1"),
        numpy_helper.from_array(_weights((4, 4, 3, 3), 3), "w2"),
        numpy_helper.from_array(_weights((1, 4, 1, 1), 4), "shift"),
        numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"),
        numpy_helper.from_array(_weights((4, 4, 1, 1), 5), "w3"),
        numpy_helper.from_array(np.array([-1, 4], np.int64), "flat"),
        numpy_helper.from_array(_weights((4, 6), 6), "fc"),
        numpy_helper.from_array(_weights((6,), 7), "fc_bias"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node(
            "Conv", ["r1", "w2"], ["c2"], name="conv2", strides=[2, 2], pads=[1, 1, 1, 1], dilations=[1, 1]
        ),  # fmt: skip
        helper.make_node("Add", ["c2", "shift"], ["a1"], name="add1"),
        helper.make_node("Resize", ["a1", "", "scales"], ["up"], name="resize", mode="nearest"),
        helper.make_node("Conv", ["up", "w3"], ["c3"], name="conv3", kernel_shape=[1, 1]),
        helper.make_node("GlobalAveragePool", ["c3"], ["pool"], name="pool"),
        helper.make_node("Reshape", ["pool", "flat"], ["flat_out"], name="reshape"),
        helper.make_node("MatMul", ["flat_out", "fc"], ["mm"], name="matmul"),
        helper.make_node("Add", ["mm", "fc_bias"], ["y"], name="add2"),
    ]
    graph = helper.make_graph(
        nodes,
        "fuzz_seed",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 6])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="posezoo-fuzz")
    model.ir_version = 8
    return model


# ---------------------------------------------------------------------------------------- TFLite


def _tensor(name: str, shape: list[int], buffer: int, signature: list[int] | None = None) -> tfl.TensorT:
    tensor = tfl.TensorT()
    tensor.name, tensor.shape, tensor.type, tensor.buffer = name, shape, tfl.TensorType.FLOAT32, buffer
    tensor.shapeSignature = signature
    return tensor


def _buffer(values: np.ndarray | None) -> tfl.BufferT:
    buffer = tfl.BufferT()
    buffer.data = None if values is None else np.frombuffer(values.tobytes(), np.uint8)
    return buffer


def _operator(opcode: int, inputs: list[int], outputs: list[int], options_type: int, options: object) -> tfl.OperatorT:
    op = tfl.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = opcode, inputs, outputs
    op.builtinOptionsType, op.builtinOptions = options_type, options
    return op


def _opcode(builtin: int) -> tfl.OperatorCodeT:
    code = tfl.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), 1
    return code


def tflite_model() -> tfl.ModelT:
    """CONV_2D (stride 2, SAME, fused Relu) -> ADD -> FULLY_CONNECTED, batch left open by a signature."""
    conv = tfl.Conv2DOptionsT()
    conv.padding, conv.strideH, conv.strideW = tfl.Padding.SAME, 2, 2
    conv.dilationHFactor, conv.dilationWFactor = 1, 1
    conv.fusedActivationFunction = tfl.ActivationFunctionType.RELU
    add = tfl.AddOptionsT()
    fully_connected = tfl.FullyConnectedOptionsT()

    subgraph = tfl.SubGraphT()
    subgraph.name = "main"
    subgraph.tensors = [
        _tensor("input", [1, 4, 4, 3], 0, [-1, 4, 4, 3]),
        _tensor("conv/weights", [4, 3, 3, 3], 1),
        _tensor("conv/bias", [4], 2),
        _tensor("conv", [1, 2, 2, 4], 0, [-1, 2, 2, 4]),
        _tensor("shift", [4], 3),
        _tensor("add", [1, 2, 2, 4], 0, [-1, 2, 2, 4]),
        _tensor("fc/weights", [8, 16], 4),
        _tensor("fc/bias", [8], 5),
        _tensor("output", [1, 8], 0, [-1, 8]),
    ]
    subgraph.inputs, subgraph.outputs = [0], [8]
    subgraph.operators = [
        _operator(0, [0, 1, 2], [3], tfl.BuiltinOptions.Conv2DOptions, conv),
        _operator(1, [3, 4], [5], tfl.BuiltinOptions.AddOptions, add),
        _operator(2, [5, 6, 7], [8], tfl.BuiltinOptions.FullyConnectedOptions, fully_connected),
    ]
    model = tfl.ModelT()
    model.version, model.description = 3, "posezoo fuzz seed"
    model.operatorCodes = [_opcode(tfl.BuiltinOperator.CONV_2D), _opcode(tfl.BuiltinOperator.ADD),
                           _opcode(tfl.BuiltinOperator.FULLY_CONNECTED)]  # fmt: skip
    model.subgraphs = [subgraph]
    model.buffers = [
        _buffer(None),
        _buffer(_weights((4, 3, 3, 3), 11)),
        _buffer(_weights((4,), 12)),
        _buffer(_weights((4,), 13)),
        _buffer(_weights((8, 16), 14)),
        _buffer(_weights((8,), 15)),
    ]
    return model


def pack_tflite(model: tfl.ModelT) -> bytes:
    """The flatbuffer of a ModelT, packed as catalog.convert does."""
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


# ------------------------------------------------------------------------------------------ TFJS


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _dims(*sizes: int) -> dict:
    return {"dim": [{"size": str(size)} for size in sizes]}


def _const(name: str, dtype: str = "DT_FLOAT") -> dict:
    return {"name": name, "op": "Const", "attr": {"dtype": {"type": dtype}, "value": {"tensor": {"dtype": dtype}}}}


def _conv_attrs(fused: list[str]) -> dict:
    attrs = {
        "T": {"type": "DT_FLOAT"},
        "strides": {"list": {"i": ["1", "2", "2", "1"]}},
        "dilations": {"list": {"i": ["1", "1", "1", "1"]}},
        "padding": {"s": _b64("SAME")},
        "data_format": {"s": _b64("NHWC")},
    }
    if fused:
        attrs |= {"fused_ops": {"list": {"s": [_b64(op) for op in fused]}}, "num_args": {"i": "1"},
                  "epsilon": {"f": 0}}  # fmt: skip
    return attrs


def tfjs_model() -> tuple[dict, bytes]:
    """_FusedConv2D (bias, Relu) -> Conv2D -> Split in two -> AddV2 -> Relu -> Identity, on a
    dynamic-batch input, with one fp16-quantized weight; the document and its weight bytes."""
    weights = [
        ("conv/weights", (3, 3, 3, 4), _weights((3, 3, 3, 4), 21), None),
        ("conv/bias", (4,), _weights((4,), 22), None),
        ("conv2/weights", (3, 3, 4, 4), _weights((3, 3, 4, 4), 23).astype(np.float16), "float16"),
        ("split/axis", (), np.array(3, np.int32), None),
    ]
    manifest = [{"name": name, "shape": list(shape), "dtype": "int32" if values.dtype == np.int32 else "float32"}
                | ({"quantization": {"dtype": stored}} if stored else {})
                for name, shape, values, stored in weights]  # fmt: skip
    nodes = [
        {"name": "input", "op": "Placeholder",
         "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": _dims(-1, 8, 8, 3)}}},
        _const("conv/weights"), _const("conv/bias"), _const("conv2/weights"), _const("split/axis", "DT_INT32"),
        {"name": "conv", "op": "_FusedConv2D", "input": ["input", "conv/weights", "conv/bias"],
         "attr": _conv_attrs(["BiasAdd", "Relu"])},
        {"name": "conv2", "op": "Conv2D", "input": ["conv", "conv2/weights"], "attr": _conv_attrs([])},
        {"name": "split", "op": "Split", "input": ["split/axis", "conv2"],
         "attr": {"T": {"type": "DT_FLOAT"}, "num_split": {"i": "2"}}},
        {"name": "add", "op": "AddV2", "input": ["split", "split:1"], "attr": {"T": {"type": "DT_FLOAT"}}},
        {"name": "relu", "op": "Relu", "input": ["add"], "attr": {"T": {"type": "DT_FLOAT"}}},
        {"name": "Identity", "op": "Identity", "input": ["relu"], "attr": {"T": {"type": "DT_FLOAT"}}},
    ]  # fmt: skip
    document = {
        "format": "graph-model",
        "generatedBy": "2.15.0",
        "convertedBy": "posezoo fuzz seed",
        "modelTopology": {"node": nodes, "library": {}, "versions": {"producer": 1482}},
        "weightsManifest": [{"paths": [TFJS_WEIGHTS], "weights": manifest}],
        "signature": {
            "inputs": {"input:0": {"name": "input:0", "dtype": "DT_FLOAT", "tensorShape": _dims(-1, 8, 8, 3)}},
            "outputs": {"Identity:0": {"name": "Identity:0", "dtype": "DT_FLOAT", "tensorShape": _dims(-1, 2, 2, 2)}},
        },
    }
    return document, b"".join(values.tobytes() for _, _, values, _ in weights)


def dump_json(document: object) -> bytes:
    return json.dumps(document, indent=1).encode()


# ------------------------------------------------------------------------- frozen GraphDef (.pb)


def pb_attr(node: Any, key: str, value: Any) -> None:
    """Set a NodeDef attr from a plain value: bytes (s), a list of ints, a tuple (a shape, -1 for
    an unknown dim), a bool, a float, or an int (a DataType number, where `key` names a type)."""
    attr = node.attr[key]
    attr.Clear()
    if isinstance(value, bytes):
        attr.s = value
    elif isinstance(value, list):
        attr.list.SetInParent()
        attr.list.i.extend(value)
    elif isinstance(value, tuple):
        attr.shape.SetInParent()
        for size in value:
            attr.shape.dim.add(size=size)
    elif isinstance(value, bool):
        attr.b = value
    elif isinstance(value, float):
        attr.f = value
    elif key in ("T", "dtype", "Tidx", "Tshape"):
        attr.type = value
    else:
        attr.i = value


def pb_node(graph_def: Any, name: str, op: str, inputs: list[str] | None = None, **attrs: Any) -> Any:
    node = graph_def.node.add(name=name, op=op, input=inputs or [])
    for key, value in attrs.items():
        pb_attr(node, key, value)
    return node


def pb_const(graph_def: Any, name: str, values: np.ndarray, as_list: bool = False) -> Any:
    """A Const node: its tensor as tensor_content bytes, or as a typed value list."""
    dtype = {"float32": DATA_TYPES["DT_FLOAT"], "int32": DATA_TYPES["DT_INT32"]}[str(values.dtype)]
    node = pb_node(graph_def, name, "Const", dtype=dtype)
    tensor = node.attr["value"].tensor
    tensor.dtype = dtype
    for size in values.shape:
        tensor.tensor_shape.dim.add(size=size)
    if not as_list:
        tensor.tensor_content = values.tobytes()
    elif values.dtype == np.float32:
        tensor.float_val.extend(values.reshape(-1).tolist())
    else:
        tensor.int_val.extend(values.reshape(-1).tolist())
    return node


def pb_model() -> Any:
    """Conv2D (stride 2, SAME) -> BiasAdd -> Relu -> depthwise conv -> MaxPool -> ConcatV2 of it
    twice -> Mean over H, W -> MatMul, on an input with dynamic batch, and a NoOp after it all."""
    graph_def = message_class("GraphDef")()
    f32, i32 = DATA_TYPES["DT_FLOAT"], DATA_TYPES["DT_INT32"]
    window = {"padding": b"SAME", "data_format": b"NHWC", "T": f32}
    pb_node(graph_def, "x", "Placeholder", dtype=f32, shape=(-1, 8, 8, 3))
    pb_const(graph_def, "w1", _weights((3, 3, 3, 4), 31))
    pb_const(graph_def, "b1", _weights((4,), 32), as_list=True)
    pb_const(graph_def, "dw", _weights((3, 3, 4, 1), 33))
    pb_const(graph_def, "axis", np.array(3, np.int32), as_list=True)
    pb_const(graph_def, "axes", np.array([1, 2], np.int32))
    pb_const(graph_def, "fc", _weights((8, 6), 34))
    pb_node(graph_def, "conv1", "Conv2D", ["x", "w1"], strides=[1, 2, 2, 1], dilations=[1, 1, 1, 1], **window)
    pb_node(graph_def, "bias1", "BiasAdd", ["conv1", "b1"], T=f32)
    pb_node(graph_def, "relu1", "Relu", ["bias1"], T=f32)
    pb_node(graph_def, "dwconv", "DepthwiseConv2dNative", ["relu1", "dw"], strides=[1, 1, 1, 1], **window)
    pb_node(graph_def, "pool", "MaxPool", ["dwconv"], ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1],
            padding=b"VALID", data_format=b"NHWC", T=f32)  # fmt: skip
    pb_node(graph_def, "concat", "ConcatV2", ["pool", "pool", "axis"], N=2, T=f32, Tidx=i32)
    pb_node(graph_def, "mean", "Mean", ["concat", "axes"], keep_dims=False, T=f32, Tidx=i32)
    pb_node(graph_def, "logits", "MatMul", ["mean", "fc"], transpose_a=False, transpose_b=False, T=f32)
    pb_node(graph_def, "init", "NoOp", ["^logits"])
    graph_def.versions.producer = 27
    return graph_def


# ----------------------------------------------------------------------------------------- all


@functools.cache
def seeds() -> dict[str, Seed]:
    """The seeds by format, built once per process."""
    document, weights = tfjs_model()
    return {
        "onnx": Seed("onnx", "model.onnx", {"model.onnx": onnx_model().SerializeToString()}),
        "tflite": Seed("tflite", "model.tflite", {"model.tflite": pack_tflite(tflite_model())}),
        "tfjs": Seed("tfjs", "model.json", {"model.json": dump_json(document), TFJS_WEIGHTS: weights}),
        "pb": Seed("pb", "model.pb", {"model.pb": pb_model().SerializeToString()}),
    }
