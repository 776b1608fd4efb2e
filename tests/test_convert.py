"""Converting the zoo's originals to ONNX as the catalog builder does, and checking them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, numpy_helper
from skimage import data
from skimage.transform import resize

from catalog.convert.check import check_conversion, compare, run_onnx, run_original
from catalog.errors import ModelError
from catalog.fetch.sources import file_digest
from tests.conftest import HUMAN, MEDIAPIPE

pytest.importorskip("tensorflow", reason="conversion needs `pip install posezoo[convert]`")
pytest.importorskip("tf2onnx", reason="conversion needs `pip install posezoo[convert]`")

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
