"""int8 TFLite models: int8 weights reported as such; dynamic-range (float activations), static
(int8 activations, float input) or full-integer (int8 input too); int8 dense ops counted as the
float ones. Quantized ONNX is in test_inspect_quantized_onnx.py."""

from __future__ import annotations

import numpy as np
import pytest

from catalog import inspect

tf = pytest.importorskip("tensorflow", reason="making quantized TFLite files needs tensorflow (posezoo[convert])")


class TinyNet(tf.Module):
    """conv 3x3 (3->16) + dense (16*8*8 -> 10), weights large enough for the quantizer to act."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.kernel = tf.Variable(rng.normal(size=(3, 3, 3, 16)).astype(np.float32))
        self.dense = tf.Variable(rng.normal(size=(16 * 8 * 8, 10)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 8, 8, 3], tf.float32)])
    def __call__(self, x):
        y = tf.nn.relu(tf.nn.conv2d(x, self.kernel, 1, "SAME"))
        return tf.matmul(tf.reshape(y, [1, -1]), self.dense)


# TinyNet: conv weights 3x3x3x16 plus the (zero) bias of 16 the converter adds; dense 1024x10
PARAMS = 3 * 3 * 3 * 16 + 16 + 16 * 8 * 8 * 10
# conv: 8x8 outputs x 16 channels x 27 taps; dense: 10 outputs x 1024 inputs
MACS = 8 * 8 * 16 * 27 + 10 * 1024


class DepthwiseNet(tf.Module):
    """conv 3x3 (3->16) + depthwise 3x3 stride 2 + dense (16*4*4 -> 10): the three int8 dense ops."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.kernel = tf.Variable(rng.normal(size=(3, 3, 3, 16)).astype(np.float32))
        self.depthwise = tf.Variable(rng.normal(size=(3, 3, 16, 1)).astype(np.float32))
        self.dense = tf.Variable(rng.normal(size=(16 * 4 * 4, 10)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 8, 8, 3], tf.float32)])
    def __call__(self, x):
        y = tf.nn.relu(tf.nn.conv2d(x, self.kernel, 1, "SAME"))
        y = tf.nn.relu(tf.nn.depthwise_conv2d(y, self.depthwise, [1, 2, 2, 1], "SAME"))
        return tf.matmul(tf.reshape(y, [1, -1]), self.dense)


def convert(tmp_path, name, *, mode: str, net: tf.Module | None = None):
    """mode: dynamic-range (int8 weights only), static (calibrated int8 activations, float input
    and output) or full-integer (int8 input and output too)."""
    net = net or TinyNet()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([net.__call__.get_concrete_function()], net)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode in ("static", "full-integer"):
        rng = np.random.default_rng(1)
        converter.representative_dataset = lambda: ([rng.random((1, 8, 8, 3), dtype=np.float32)] for _ in range(8))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if mode == "full-integer":
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    path = tmp_path / name
    path.write_bytes(converter.convert())
    return path


def test_dynamic_range_int8(tmp_path):
    report = inspect(convert(tmp_path, "dynamic.tflite", mode="dynamic-range"))
    assert report.inputs[0].dtype == "float32"
    assert report.precision == "int8"
    assert report.quantization == "dynamic-range"
    # the converter leaves the small conv in fp32 and gives it a (zero) bias of 16
    assert report.params == PARAMS
    assert report.precision_split == {
        "int8": pytest.approx(10240 / 10688, abs=1e-4),
        "fp32": pytest.approx(448 / 10688, abs=1e-4),
    }
    assert report.macs == MACS


def test_full_integer_int8(tmp_path):
    report = inspect(convert(tmp_path, "full.tflite", mode="full-integer"))
    assert report.inputs[0].dtype == "int8"
    assert report.precision == "int8"
    assert report.quantization == "full-integer"
    # the int32 bias carries a scale too: a quantized weight
    assert report.params == PARAMS
    assert set(report.precision_split) == {"int8", "int32"}
    assert report.macs == MACS


def test_int8_activations_with_float_input_are_static(tmp_path):
    report = inspect(convert(tmp_path, "static.tflite", mode="static", net=DepthwiseNet()))
    assert report.inputs[0].dtype == "float32"  # QUANTIZE in, DEQUANTIZE out
    assert report.quantization == "static"
    assert report.quantization_format is None  # the QDQ / QOperator distinction is ONNX's
    macs = {row["op"]: row["macs"] for row in report.ops}
    assert macs["CONV_2D"] == 8 * 8 * 16 * 27  # 27,648
    assert macs["DEPTHWISE_CONV_2D"] == 4 * 4 * 16 * 9  # 2,304: stride 2, one channel per filter
    assert macs["FULLY_CONNECTED"] == 10 * 256  # 2,560
    assert report.macs == sum(macs.values())
    # conv 432 + 16 (int32 bias), depthwise 144 + 16 (int32 bias), dense 2,560 (no bias)
    assert report.params == 432 + 16 + 144 + 16 + 2560
    assert set(report.precision_split) == {"int8", "int32"}
