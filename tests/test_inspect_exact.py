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
