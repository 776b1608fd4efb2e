"""int8 TFLite models: int8 weights reported as such; dynamic-range (float activations), static
(int8 activations, float input) or full-integer (int8 input too); int8 dense ops counted as the
float ones. Quantized ONNX is in test_inspect_quantized_onnx.py."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from catalog import inspect

# the files are made by TensorFlow's converter, found here without importing it (the fast tier
# collects this module too)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_spec("tensorflow") is None, reason="making quantized TFLite files needs tensorflow (posezoo[convert])"
    ),
]

# TinyNet: conv weights 3x3x3x16 plus the (zero) bias of 16 the converter adds; dense 1024x10
PARAMS = 3 * 3 * 3 * 16 + 16 + 16 * 8 * 8 * 10
# conv: 8x8 outputs x 16 channels x 27 taps; dense: 10 outputs x 1024 inputs
MACS = 8 * 8 * 16 * 27 + 10 * 1024


def convert(tmp_path, name, *, mode: str, deep: bool = False):
    """The tiny network (or, `deep`, the one with a depthwise convolution) converted in `mode`:
    dynamic-range, static or full-integer."""
    from tests import quantized_nets

    net = quantized_nets.DepthwiseNet() if deep else quantized_nets.TinyNet()
    return quantized_nets.convert(tmp_path, name, mode=mode, net=net)


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
    report = inspect(convert(tmp_path, "static.tflite", mode="static", deep=True))
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
