"""Two small TensorFlow networks and the TFLite converter's int8 forms of them, for the tests of
`posezoo inspect` on quantized files (test_inspect_quantized.py imports this only when it runs)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


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
