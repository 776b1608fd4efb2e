"""Converting the zoo's originals to ONNX as the catalog builder does, and checking them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from subprocess import PIPE

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime import InferenceSession
from skimage import data
from skimage.transform import resize

from catalog.convert.canonical import NotCanonicalizable, canonicalize
from catalog.convert.equivalence import check_conversion, compare, run_onnx, run_original
from catalog.errors import ModelError
from catalog.fetch.sources import file_digest
from tests.conftest import HUMAN, MEDIAPIPE

# the converter: TensorFlow and tf2onnx, found without importing them (the fast tier collects this module too)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_spec("tensorflow") is None or find_spec("tf2onnx") is None,
        reason="conversion needs `pip install posezoo[convert]`",
    ),
]

from catalog.convert.to_onnx import Conversion, convert_to_onnx  # noqa: E402

FIGURES = re.compile(r"max abs diff [0-9.e+-]+ over range [0-9.e+-]+ \(relative [0-9.e+-]+\)")


def astronaut(size: int) -> np.ndarray:
    """The test photo as floats 0..1, HWC, resized to a square input."""
    return resize(data.astronaut(), (size, size), anti_aliasing=True)


def blazepose_feeds() -> dict[str, np.ndarray]:
    return {"input_1": astronaut(256).astype(np.float32)[None]}


def movenet_feeds(size: int) -> dict[str, np.ndarray]:
    return {"input": (astronaut(size) * 255).round().astype(np.int32)[None]}


@pytest.fixture(scope="module")
def blazepose_lite(zoo_file, tmp_path_factory) -> tuple[Path, Conversion]:
    original = zoo_file(MEDIAPIPE, "pose_landmark_lite.tflite")
    out = tmp_path_factory.mktemp("convert") / "blazepose-lite.onnx"
    return original, convert_to_onnx(original, "tflite", out)


@pytest.fixture(scope="module")
def movenet_lightning(zoo_file, tmp_path_factory) -> tuple[Path, Conversion]:
    original = zoo_file(HUMAN, "models/movenet-lightning.json")
    out = tmp_path_factory.mktemp("convert") / "movenet-lightning.onnx"
    return original, convert_to_onnx(original, "tfjs", out)


def test_blazepose_lite_converts_and_agrees_with_the_original(blazepose_lite) -> None:
    original, conversion = blazepose_lite
    result = check_conversion(original, "tflite", conversion.out_path, blazepose_feeds())
    assert result.passed, result.message
    assert result.matched_by == "name"
    names = [output.name for output in result.outputs]
    assert sorted(names) == ["Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4"]
    landmarks = next(o for o in result.outputs if o.name == "Identity")
    assert landmarks.shape == (1, 195) and landmarks.max_abs_diff < 0.01  # pixels of 256
    assert conversion.converter == "tf2onnx"
    assert set(conversion.versions) == {"tf2onnx", "tensorflow", "onnx"}
    assert conversion.opset == 17 and conversion.seconds > 0


def test_movenet_lightning_is_patched_converted_and_agrees(movenet_lightning) -> None:
    original, conversion = movenet_lightning
    assert any("TArgs" in note for note in conversion.notes), conversion.notes
    result = check_conversion(original, "tfjs", conversion.out_path, movenet_feeds(192))
    assert result.passed, result.message
    (keypoints,) = result.outputs
    assert keypoints.shape == (1, 1, 17, 3) and keypoints.max_abs_diff < 1e-4
    # the cached original is untouched: the patch went to a private copy
    assert file_digest(original).sha256.startswith("df8cbde44d00")


@pytest.mark.parametrize("fixture", ["blazepose_lite", "movenet_lightning"])
def test_fp16_weights_stay_fp16_so_the_onnx_is_no_bigger(fixture: str, request) -> None:
    original, conversion = request.getfixturevalue(fixture)
    assert conversion.fp16_weights
    assert conversion.onnx_size <= 1.1 * conversion.source_size, conversion.notes
    model = onnx.load(conversion.out_path)
    halves = {t.name for t in model.graph.initializer if t.data_type == TensorProto.FLOAT16}
    casts = [n for n in model.graph.node if n.op_type == "Cast" and n.input[0] in halves]
    assert halves and len(casts) == len(halves)  # every fp16 weight is cast back: fp32 compute
    assert all(a.name == "to" and a.i == TensorProto.FLOAT for n in casts for a in n.attribute)


def test_a_tampered_conversion_fails_the_check_with_its_figures(blazepose_lite, tmp_path) -> None:
    original, conversion = blazepose_lite
    model = onnx.load(conversion.out_path)
    # the first convolution's kernel, found through the Cast that follows its fp16 storage
    first_conv = next(node for node in model.graph.node if node.op_type == "Conv")
    cast = next(node for node in model.graph.node if first_conv.input[1] in node.output)
    weight = next(t for t in model.graph.initializer if t.name == cast.input[0])
    assert weight.data_type == TensorProto.FLOAT16
    value = numpy_helper.to_array(weight).copy()
    value += 0.5
    weight.CopyFrom(numpy_helper.from_array(value, weight.name))
    tampered = tmp_path / "tampered.onnx"
    onnx.save(model, tampered)

    result = check_conversion(original, "tflite", tampered, blazepose_feeds())

    assert not result.passed
    assert result.message.startswith("conversion check FAILED (tolerance 0.001")
    failing = [o for o in result.outputs if not o.passed]
    assert failing and all(o.relative > 1e-3 for o in failing)
    assert FIGURES.search(result.message), result.message


def test_mediapipes_pose_detector_with_sparse_weights_is_densified(zoo_file, tmp_path) -> None:
    # the package ships its detector as the "packed assets" file: the .tflite itself
    packed = zoo_file(MEDIAPIPE, "pose_solution_packed_assets.data")
    detector = tmp_path / "pose_detection.tflite"
    shutil.copyfile(packed, detector)
    conversion = convert_to_onnx(detector, "tflite", tmp_path / "pose_detection.onnx")
    assert any("densified" in note for note in conversion.notes), conversion.notes
    feeds = {"input": (astronaut(224) * 2 - 1).astype(np.float32)[None]}
    result = check_conversion(detector, "tflite", conversion.out_path, feeds)
    assert result.passed, result.message


def test_an_unknown_format_is_refused(tmp_path) -> None:
    with pytest.raises(ModelError, match="cannot convert 'caffe'"):
        convert_to_onnx(tmp_path / "pose.caffemodel", "caffe", tmp_path / "pose.onnx")


def test_feeds_of_the_wrong_dtype_are_refused_before_running(movenet_lightning) -> None:
    original, conversion = movenet_lightning
    floats = {"input": movenet_feeds(192)["input"].astype(np.float32)}
    with pytest.raises(ModelError, match="wants int32, the feed is float32"):
        run_onnx(conversion.out_path, floats)
    with pytest.raises(ModelError, match="wants int32, the feed is float32"):
        run_original(original, "tfjs", floats)


# --- compare on its own: how outputs are matched and measured -------------------------------


def test_outputs_with_other_names_are_matched_by_position() -> None:
    heatmap = np.linspace(-3.0, 5.0, 64, dtype=np.float32).reshape(1, 8, 8, 1)
    result = compare({"Identity:0": heatmap}, {"output_0": heatmap + 1e-4})
    assert result.matched_by == "position" and result.passed
    (output,) = result.outputs
    assert output.converted_name == "output_0"
    assert output.range == pytest.approx(8.0)
    assert output.relative == pytest.approx(1.25e-5, rel=0.01)


def test_a_constant_output_is_measured_against_its_magnitude() -> None:
    score = np.array([[0.5]])
    (output,) = compare({"Identity_1": score}, {"Identity_1": score + 1e-6}).outputs
    assert output.range == 0 and output.relative == pytest.approx(2e-6, rel=1e-3)


def test_a_shape_mismatch_fails_with_both_shapes() -> None:
    result = compare({"Identity": np.zeros((1, 17, 3))}, {"Identity": np.zeros((1, 1, 17, 3))})
    assert not result.passed
    assert "shape (1, 17, 3) but the conversion gives (1, 1, 17, 3)" in result.message


# --- reproducible bytes: canonical names and order, whatever the process converted before --------

CONVERT_IN_A_FRESH_PROCESS = """
import sys
from pathlib import Path
from catalog.convert.to_onnx import convert_to_onnx
for source, fmt, out in zip(*[iter(sys.argv[1:])] * 3, strict=True):
    convert_to_onnx(Path(source), fmt, Path(out))
"""


def test_a_source_converts_to_the_same_bytes_whatever_the_process_converted_before(
    zoo_file, tmp_path, blazepose_lite
) -> None:
    # tf2onnx's name counter is global to the process: only fresh processes show its effect
    blazepose = zoo_file(MEDIAPIPE, "pose_landmark_lite.tflite")
    movenet = zoo_file(HUMAN, "models/movenet-lightning.json")
    alone = [blazepose, "tflite", tmp_path / "alone.onnx"]
    after_movenet = [movenet, "tfjs", tmp_path / "movenet.onnx", blazepose, "tflite", tmp_path / "after-movenet.onnx"]
    processes = [
        subprocess.Popen([sys.executable, "-c", CONVERT_IN_A_FRESH_PROCESS, *map(str, conversions)], stderr=PIPE)
        for conversions in (alone, after_movenet)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]
    converted = (tmp_path / "alone.onnx").read_bytes()
    assert converted == (tmp_path / "after-movenet.onnx").read_bytes()
    _, in_this_process = blazepose_lite
    assert converted == in_this_process.out_path.read_bytes()


def tiny_model(counter: int, *, other_order: bool = False) -> onnx.ModelProto:
    """One small network as tf2onnx may write it: names numbered from `counter`, and with
    `other_order` its independent branches, weights and attributes listed the other way round."""
    scale, bias, scaled, shifted, gate = (
        f"{stem}__{counter + i}" for i, stem in enumerate(("scale", "bias", "mul", "add", "sig"))
    )
    batch = f"unk__{counter + 10}"  # tf2onnx's name for a dim it cannot size
    nodes = [
        helper.make_node("Mul", ["image", scale], [scaled], name=f"Mul__{counter + 5}"),
        helper.make_node("Add", [scaled, bias], [shifted], name=f"Add__{counter + 6}"),
        helper.make_node("Relu", [shifted], ["features"], name=f"Relu__{counter + 7}"),
        helper.make_node("Sigmoid", [shifted], [gate], name=f"Sigmoid__{counter + 8}", doc_string="made at /tmp/x"),
        helper.make_node("ReduceMax", [gate], ["score"], name=f"ReduceMax__{counter + 9}", axes=[1], keepdims=1),
    ]
    weights = [
        numpy_helper.from_array(np.linspace(0.5, 2.0, 8, dtype=np.float32).reshape(1, 8), scale),
        numpy_helper.from_array(np.full((1, 8), -0.25, dtype=np.float32), bias),
    ]
    if other_order:
        nodes[2:4] = nodes[3], nodes[2]
        weights.reverse()
        attributes = list(reversed(nodes[4].attribute))
        del nodes[4].attribute[:]
        nodes[4].attribute.extend(attributes)
    graph = helper.make_graph(
        nodes,
        "tf2onnx",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 8])],
        [
            helper.make_tensor_value_info("features", TensorProto.FLOAT, [batch, 8]),
            helper.make_tensor_value_info("score", TensorProto.FLOAT, [batch, 1]),
        ],
        weights,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="tf2onnx")


def run_model(model: onnx.ModelProto) -> list[np.ndarray]:
    image = np.linspace(-1.0, 1.0, 8, dtype=np.float32).reshape(1, 8)
    return InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"image": image})


def test_canonical_form_names_by_position_keeps_graph_io_and_computes_the_same() -> None:
    model = tiny_model(counter=1234)
    before = run_model(model)

    canonicalize(model)

    onnx.checker.check_model(model)
    graph = model.graph
    assert [node.name for node in graph.node] == ["Mul_0", "Add_1", "Relu_2", "Sigmoid_3", "ReduceMax_4"]
    assert [list(node.input) for node in graph.node] == [["image", "w0"], ["t0", "w1"], ["t1"], ["t1"], ["t2"]]
    assert [list(node.output) for node in graph.node] == [["t0"], ["t1"], ["features"], ["t2"], ["score"]]
    assert [tensor.name for tensor in graph.initializer] == ["w0", "w1"]
    assert [v.name for v in graph.input] == ["image"] and [v.name for v in graph.output] == ["features", "score"]
    assert not any(node.doc_string for node in graph.node)
    assert {value.type.tensor_type.shape.dim[0].dim_param for value in [*graph.input, *graph.output]} == {"unk__0"}
    for got, expected in zip(run_model(model), before, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_the_same_network_under_other_names_and_order_gives_the_same_bytes() -> None:
    first, second = tiny_model(counter=17), tiny_model(counter=2406, other_order=True)
    assert first.SerializeToString() != second.SerializeToString()
    canonicalize(first)
    canonicalize(second)
    assert first.SerializeToString(deterministic=True) == second.SerializeToString(deterministic=True)


def test_canonical_names_step_around_graph_io_names_of_the_same_shape() -> None:
    graph = helper.make_graph(
        [helper.make_node("Neg", ["t1"], ["neg__9"]), helper.make_node("Neg", ["neg__9"], ["t0"])],
        "tf2onnx",
        [helper.make_tensor_value_info("t1", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("t0", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph)
    canonicalize(model)
    assert [list(node.output) for node in model.graph.node] == [["t2"], ["t0"]]


def test_nested_graphs_are_refused_by_name() -> None:
    branch = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "branch",
        [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    node = helper.make_node("If", ["flag"], ["out"], then_branch=branch, else_branch=branch)
    graph = helper.make_graph(
        [node],
        "tf2onnx",
        [
            helper.make_tensor_value_info("flag", TensorProto.BOOL, []),
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1]),
        ],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1])],
    )
    with pytest.raises(NotCanonicalizable, match=r"nested graphs \(in If\)"):
        canonicalize(helper.make_model(graph))
