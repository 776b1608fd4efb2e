"""Quantized ONNX: each quantized op counted as the dense op it computes, scaled integer biases
counted as params, scales and zero points not, and the kind of quantization named.

Every graph is small and counted by hand in its test; the last tests quantize a float model with
onnxruntime's own tools, as a user would, and compare with the float figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime import quantization

from catalog import inspect


def save(tmp_path: Path, nodes, inputs, outputs, initializers, name="model") -> Path:
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    path = tmp_path / f"{name}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=opsets), path)
    return path


def const(name: str, *shape: int, dtype=np.int8) -> TensorProto:
    return numpy_helper.from_array(np.ones(shape, dtype=dtype), name)


def scale(name: str, *shape: int) -> TensorProto:
    return numpy_helper.from_array(np.full(shape, 0.05, dtype=np.float32), name)


def value(name: str, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def contrib(op_type: str, inputs: list[str], outputs: list[str], **attrs) -> onnx.NodeProto:
    return helper.make_node(op_type, inputs, outputs, domain="com.microsoft", **attrs)


def row(report, op: str) -> dict:
    return next(r for r in report.ops if r["op"] == op)


def test_conv_integer_on_an_integer_input(tmp_path):
    # x uint8 1x3x16x16, w int8 8x3x3x3, pad 1 -> int32 1x8x16x16
    conv = helper.make_node("ConvInteger", ["x", "w", "x_zp", "w_zp"], ["y"], pads=[1, 1, 1, 1])
    initializers = [const("w", 8, 3, 3, 3), const("x_zp", dtype=np.uint8), const("w_zp")]
    path = save(tmp_path, [conv], [value("x", [1, 3, 16, 16], TensorProto.UINT8)], [value("y", None)], initializers)
    report = inspect(path)
    assert report.outputs[0].shape == [1, 8, 16, 16]
    assert report.macs == 8 * 16 * 16 * 3 * 3 * 3  # 55,296: Cout·Hout·Wout·Cin·kh·kw, as a Conv
    assert report.flops == 2 * report.macs  # no bias
    assert report.params == 8 * 3 * 3 * 3  # 216: the zero points are settings
    assert row(report, "ConvInteger")["macs"] == report.macs
    assert (report.precision, report.quantization, report.quantization_format) == ("int8", "full-integer", "qoperator")


def test_matmul_integer_on_an_integer_input(tmp_path):
    # a uint8 2x5x16 times b int8 16x4 (a zero point per column) -> int32 2x5x4
    matmul = helper.make_node("MatMulInteger", ["a", "b", "a_zp", "b_zp"], ["y"])
    initializers = [const("b", 16, 4), const("a_zp", dtype=np.uint8), const("b_zp", 4)]
    path = save(tmp_path, [matmul], [value("a", [2, 5, 16], TensorProto.UINT8)], [value("y", None)], initializers)
    report = inspect(path)
    assert report.outputs[0].shape == [2, 5, 4]
    assert report.macs == 2 * 5 * 4 * 16  # 640: batch·M·N·K
    assert report.params == 16 * 4  # 64, not + 4 for the zero points
    assert (report.quantization, report.quantization_format) == ("full-integer", "qoperator")


def test_qlinear_conv_with_an_int32_bias(tmp_path):
    # x float 1x4x10x10, quantized; 6 filters 4x3x3 with a scale and zero point each, stride 2,
    # no pad -> 1x6x4x4, int32 bias of 6; dequantized at the end
    quantize = helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zp"], ["xq"])
    conv = helper.make_node(
        "QLinearConv",
        ["xq", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp", "b"],
        ["yq"],
        strides=[2, 2],
    )
    dequantize = helper.make_node("DequantizeLinear", ["yq", "y_scale", "y_zp"], ["y"])
    initializers = [
        *(scale(name) for name in ("x_scale", "y_scale")),
        const("x_zp", dtype=np.uint8),
        const("y_zp", dtype=np.uint8),
        const("w", 6, 4, 3, 3),
        scale("w_scale", 6),
        const("w_zp", 6),
        const("b", 6, dtype=np.int32),
    ]
    path = save(tmp_path, [quantize, conv, dequantize], [value("x", [1, 4, 10, 10])], [value("y", None)], initializers)
    report = inspect(path)
    assert report.outputs[0].shape == [1, 6, 4, 4]
    assert report.macs == 6 * 4 * 4 * 4 * 3 * 3  # 3,456
    assert report.params == 6 * 4 * 3 * 3 + 6  # 222: weights and the int32 bias; no scale, no zero point
    assert report.precision_split == {"int8": round(216 / 222, 4), "int32": round(6 / 222, 4)}
    # 2 per MAC and the bias on 96 outputs; the quantizer on 400 inputs, the dequantizer on 96
    assert report.flops == 2 * 3456 + 96 + 400 + 96
    assert (report.quantization, report.quantization_format) == ("static", "qoperator")


def test_qlinear_matmul(tmp_path):
    # a float 3x8, quantized, times b int8 8x5 -> uint8 3x5
    quantize = helper.make_node("QuantizeLinear", ["a", "a_scale", "a_zp"], ["aq"])
    matmul = helper.make_node(
        "QLinearMatMul", ["aq", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"], ["y"]
    )
    initializers = [
        *(scale(name) for name in ("a_scale", "b_scale", "y_scale")),
        const("a_zp", dtype=np.uint8),
        const("b_zp"),
        const("y_zp", dtype=np.uint8),
        const("b", 8, 5),
    ]
    path = save(tmp_path, [quantize, matmul], [value("a", [3, 8])], [value("y", None)], initializers)
    report = inspect(path)
    assert report.outputs[0].shape == [3, 5]
    assert report.macs == 3 * 5 * 8  # 120
    assert report.params == 8 * 5  # 40
    assert (report.quantization, report.quantization_format) == ("static", "qoperator")


def test_qdq_conv_counts_its_int32_bias(tmp_path):
    # x float 1x2x8x8 -> Q -> DQ -> Conv(DQ(w int8 4x2x3x3, a scale per filter), DQ(b int32 4)),
    # pad 1 -> 1x4x8x8 -> Q -> DQ: the layout onnxruntime's quantize_static writes (QDQ)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zp"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "x_scale", "x_zp"], ["xd"]),
        helper.make_node("DequantizeLinear", ["w", "w_scale", "w_zp"], ["wd"], axis=0),
        helper.make_node("DequantizeLinear", ["b", "b_scale"], ["bd"], axis=0),
        helper.make_node("Conv", ["xd", "wd", "bd"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("QuantizeLinear", ["c", "y_scale", "y_zp"], ["cq"]),
        helper.make_node("DequantizeLinear", ["cq", "y_scale", "y_zp"], ["y"]),
    ]
    initializers = [
        *(scale(name) for name in ("x_scale", "y_scale")),
        const("x_zp", dtype=np.uint8),
        const("y_zp", dtype=np.uint8),
        const("w", 4, 2, 3, 3),
        scale("w_scale", 4),
        const("w_zp", 4),
        const("b", 4, dtype=np.int32),
        scale("b_scale", 4),
    ]
    path = save(tmp_path, nodes, [value("x", [1, 2, 8, 8])], [value("y", None)], initializers)
    report = inspect(path)
    assert report.macs == 4 * 8 * 8 * 2 * 3 * 3  # 4,608
    assert report.params == 4 * 2 * 3 * 3 + 4  # 76: the int32 bias has a scale, so it counts
    # 2 per MAC and the bias on 256 outputs; Q and DQ on the input (128 each) and on the output
    # (256 each); the weights' and bias's DQ are folded at load
    assert report.flops == 2 * 4608 + 256 + 2 * 128 + 2 * 256
    assert row(report, "DequantizeLinear")["folded"] == 2
    assert (report.quantization, report.quantization_format) == ("static", "qdq")


def test_dynamic_quantization_as_onnxruntime_writes_it(tmp_path):
    # quantize_dynamic's layout: DynamicQuantizeLinear -> ConvInteger / MatMulInteger -> Cast ->
    # Mul by (activation scale x weight scale) -> Add the float bias.
    # x float 1x3x8x8; a 1x1 conv 3->4; reshape to 1x256; a 256x10 matmul.
    nodes = [
        helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
        helper.make_node("ConvInteger", ["xq", "w1", "xz", "w1_zp"], ["c_int"]),
        helper.make_node("Cast", ["c_int"], ["c_float"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["xs", "w1_scale"], ["c_scale"]),
        helper.make_node("Mul", ["c_float", "c_scale"], ["c_scaled"]),
        helper.make_node("Add", ["c_scaled", "b1"], ["c"]),
        helper.make_node("Reshape", ["c", "shape"], ["flat"]),
        helper.make_node("DynamicQuantizeLinear", ["flat"], ["fq", "fs", "fz"]),
        helper.make_node("MatMulInteger", ["fq", "w2", "fz", "w2_zp"], ["m_int"]),
        helper.make_node("Cast", ["m_int"], ["m_float"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["w2_scale", "fs"], ["m_scale"]),
        helper.make_node("Mul", ["m_float", "m_scale"], ["m_scaled"]),
        helper.make_node("Add", ["m_scaled", "b2"], ["y"]),
    ]
    initializers = [
        const("w1", 4, 3, 1, 1),
        scale("w1_scale"),
        const("w1_zp"),
        const("b1", 1, 4, 1, 1, dtype=np.float32),
        numpy_helper.from_array(np.array([1, 256], dtype=np.int64), "shape"),
        const("w2", 256, 10),
        scale("w2_scale"),
        const("w2_zp"),
        const("b2", 10, dtype=np.float32),
    ]
    path = save(tmp_path, nodes, [value("x", [1, 3, 8, 8])], [value("y", None)], initializers)
    report = inspect(path)
    assert report.outputs[0].shape == [1, 10]
    assert report.macs == 4 * 8 * 8 * 3 + 10 * 256  # 768 + 2,560
    # weights and biases: 12 + 4 + 2,560 + 10; the weight scales and zero points are settings
    assert report.params == 12 + 4 + 2560 + 10
    # conv 2x768, its quantizer 192, scale product 1, rescale 256, bias 256; matmul 2x2,560,
    # its quantizer 256, scale product 1, rescale 10, bias 10
    assert report.flops == 1536 + 192 + 1 + 256 + 256 + 5120 + 256 + 1 + 10 + 10
    assert report.inputs[0].dtype == "float32"
    assert (report.quantization, report.quantization_format) == ("dynamic-range", "qoperator")


def test_qgemm_of_onnxruntime(tmp_path):
    # x float 4x10, quantized; B int8 6x10 (transB), C int32 6 -> uint8 4x6
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zp"], ["xq"]),
        contrib("QGemm", ["xq", "x_scale", "x_zp", "w", "w_scale", "w_zp", "b", "y_scale", "y_zp"], ["y"], transB=1),
    ]
    initializers = [
        *(scale(name) for name in ("x_scale", "w_scale", "y_scale")),
        const("x_zp", dtype=np.uint8),
        const("w_zp"),
        const("y_zp", dtype=np.uint8),
        const("w", 6, 10),
        const("b", 6, dtype=np.int32),
    ]
    path = save(tmp_path, nodes, [value("x", [4, 10])], [value("y", None, TensorProto.UINT8)], initializers)
    report = inspect(path)
    assert report.outputs[0].shape == [4, 6]
    assert report.macs == 4 * 6 * 10  # 240
    assert report.params == 6 * 10 + 6  # 66
    assert report.flops == 2 * 240 + 24 + 40  # the bias on 24 outputs, the quantizer on 40 inputs
    assert (report.quantization, report.quantization_format) == ("static", "qoperator")


@pytest.mark.parametrize(
    ("op_type", "inputs"),
    [
        # onnxruntime's graph optimizer fuses the dynamic layout above into these
        ("DynamicQuantizeMatMul", ["a", "b", "b_scale", "b_zp", "bias"]),
        ("MatMulIntegerToFloat", ["aq", "b", "a_scale", "b_scale", "a_zp", "b_zp", "bias"]),
    ],
)
def test_fused_dynamic_matmuls_of_onnxruntime(tmp_path, op_type, inputs):
    # a float 2x8 times b int8 8x3 (a scale and zero point per column), plus a float bias of 3
    nodes = [contrib(op_type, inputs, ["y"])]
    if "aq" in inputs:
        nodes.insert(0, helper.make_node("DynamicQuantizeLinear", ["a"], ["aq", "a_scale", "a_zp"]))
    initializers = [const("b", 8, 3), scale("b_scale", 3), const("b_zp", 3), const("bias", 3, dtype=np.float32)]
    path = save(tmp_path, nodes, [value("a", [2, 8])], [value("y", None)], initializers)
    report = inspect(path)
    assert report.outputs[0].shape == [2, 3]
    assert report.macs == 2 * 3 * 8  # 48
    assert report.params == 8 * 3 + 3  # 27
    assert row(report, op_type)["flops"] == 2 * 48 + 6  # and the bias on 6 outputs
    assert (report.quantization, report.quantization_format) == ("dynamic-range", "qoperator")


def test_other_quantized_ops_of_onnxruntime_count_as_their_float_ops(tmp_path):
    # x float 1x6x6x4 (NHWC), quantized -> global average pool -> 1x1x1x4 -> sigmoid; the pool's
    # and the sigmoid's outputs joined on the channels -> 1x1x1x8
    settings = ["s", "zp", "s", "zp"]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["xq"]),
        contrib("QLinearGlobalAveragePool", ["xq", *settings], ["pooled"], channels_last=1),
        contrib("QLinearSigmoid", ["pooled", *settings], ["sig"]),
        contrib("QLinearConcat", ["s", "zp", "pooled", "s", "zp", "sig", "s", "zp"], ["y"], axis=3),
    ]
    initializers = [scale("s"), const("zp", dtype=np.uint8)]
    path = save(tmp_path, nodes, [value("x", [1, 6, 6, 4])], [value("y", None, TensorProto.UINT8)], initializers)
    report = inspect(path)
    assert report.outputs[0].shape == [1, 1, 1, 8]
    assert report.unresolved_ops == []
    # the quantizer and the pool one per input element (144 each), the sigmoid one per output (4)
    assert report.flops == 144 + 144 + 4
    assert (report.macs, report.params) == (0, 0)
    assert (report.quantization, report.quantization_format) == ("static", "qoperator")


def test_a_dense_op_of_unknown_shape_is_said_not_counted(tmp_path):
    matmul = helper.make_node("MatMulInteger", ["a", "b"], ["y"])
    path = save(tmp_path, [matmul], [value("a", None, TensorProto.UINT8)], [value("y", None)], [const("b", 16, 4)])
    report = inspect(path)
    assert report.macs == 0
    assert report.notes == [
        "MACs unknown for 1 dense op with unresolved shapes, left out of macs and flops: MatMulInteger_0"
    ]


# --- as a user would: a float model quantized with onnxruntime's own tools ---------------------


def float_model(tmp_path: Path) -> Path:
    """conv 3x3 (3->8) + relu, depthwise 3x3 stride 2 + relu, flatten, matmul 128->10 + bias:
    weights large enough for the quantizers, random so that their ranges are not degenerate."""
    rng = np.random.default_rng(0)

    def weight(name: str, *shape: int) -> TensorProto:
        return numpy_helper.from_array(rng.normal(size=shape).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], group=8, strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Reshape", ["r2", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w3"], ["m"]),
        helper.make_node("Add", ["m", "b3"], ["y"]),
    ]
    initializers = [
        weight("w1", 8, 3, 3, 3),
        weight("b1", 8),
        weight("w2", 8, 1, 3, 3),
        weight("b2", 8),
        numpy_helper.from_array(np.array([1, 128], dtype=np.int64), "shape"),
        weight("w3", 128, 10),
        weight("b3", 10),
    ]
    graph = helper.make_graph(nodes, "float", [value("x", [1, 3, 8, 8])], [value("y", [1, 10])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "float.onnx"
    onnx.save(model, path)
    return path


# conv 8x8x8 outputs x 27 taps; depthwise 8x4x4 outputs x 9 taps; matmul 10 x 128
FLOAT_MACS = 8 * 8 * 8 * 27 + 8 * 4 * 4 * 9 + 10 * 128
# weights and biases of the three
FLOAT_PARAMS = 8 * 27 + 8 + 8 * 9 + 8 + 128 * 10 + 10


class Photos(quantization.CalibrationDataReader):
    def __init__(self) -> None:
        rng = np.random.default_rng(1)
        self.samples = iter([{"x": rng.random((1, 3, 8, 8), dtype=np.float32)} for _ in range(4)])

    def get_next(self) -> dict | None:
        return next(self.samples, None)


def test_the_float_model_is_counted_by_hand(tmp_path):
    report = inspect(float_model(tmp_path))
    assert (report.macs, report.params) == (FLOAT_MACS, FLOAT_PARAMS)
    assert (report.quantization, report.quantization_format) == (None, None)


def test_quantize_dynamic_keeps_the_float_figures(tmp_path):
    quantized = tmp_path / "dynamic.onnx"
    quantization.quantize_dynamic(float_model(tmp_path), quantized, weight_type=quantization.QuantType.QInt8)
    report = inspect(quantized)
    assert {"ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"} <= {r["op"] for r in report.ops}
    assert report.macs == FLOAT_MACS
    assert report.params == FLOAT_PARAMS  # the float biases; no weight scale or zero point
    assert report.precision == "int8"
    assert (report.quantization, report.quantization_format) == ("dynamic-range", "qoperator")


@pytest.mark.parametrize(
    ("quant_format", "label", "dense_ops"),
    [("QDQ", "qdq", {"Conv", "MatMul"}), ("QOperator", "qoperator", {"QLinearConv", "QLinearMatMul"})],
)
def test_quantize_static_keeps_the_float_figures(tmp_path, quant_format, label, dense_ops):
    quantized = tmp_path / f"{label}.onnx"
    quantization.quantize_static(
        float_model(tmp_path), quantized, Photos(), quant_format=getattr(quantization.QuantFormat, quant_format)
    )
    report = inspect(quantized)
    assert dense_ops <= {r["op"] for r in report.ops}
    assert report.macs == FLOAT_MACS
    assert report.params == FLOAT_PARAMS  # the conv biases now int32, with a scale: still params
    assert "int32" in report.precision_split
    assert report.inputs[0].dtype == "float32"
    assert (report.quantization, report.quantization_format) == ("static", label)
