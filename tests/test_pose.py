"""Every model of the default zoo on a real photo, as a user runs it: where do her keypoints land?

The photo is `skimage.data.astronaut()` (512 x 512, Eileen Collins facing the camera, head and
shoulders in the upper half). Estimators come from the build's catalog (tests/conftest.py),
made once and kept, as a notebook keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from catalog import runtime
from catalog.cards.load import Variant, load_cards
from catalog.pose import Frame, Pose, PoseEstimator, preprocess

CARDS = Path(__file__).resolve().parent.parent / "cards"

Estimators = Callable[[str], PoseEstimator]


@pytest.fixture(scope="session")
def zoo() -> dict[str, Variant]:
    return {v.id: v for family in load_cards(CARDS) for v in family.variants}


@pytest.fixture(scope="session")
def build_dir(built_zoo) -> Path:
    result, _ = built_zoo
    return result.catalog_path.parent


@pytest.fixture(scope="session")
def estimator(build_dir: Path) -> Estimators:
    """A variant's estimator from the built catalog, by id; made once, then reused."""
    made: dict[str, PoseEstimator] = {}

    def get(variant_id: str) -> PoseEstimator:
        if variant_id not in made:
            made[variant_id] = PoseEstimator.from_catalog(variant_id, build_dir)
        return made[variant_id]

    return get


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    image = data.astronaut()
    assert image.shape == (512, 512, 3) and image.dtype == np.uint8
    return image


SINGLE_PERSON = [
    "movenet-lightning",
    "movenet-thunder",
    "posenet-mobilenet-v1",
    "efficientpose-ii-lite",
    "efficientpose-ii-lite-tfjs",
    "blazepose-lite",
    "blazepose-full",
    "blazepose-heavy",
]
FACE = {
    "coco-17": ["nose", "left_eye", "right_eye"],
    "blazepose-33": ["nose", "left_eye", "right_eye"],
    "mpii-16": ["head_top", "upper_neck"],
}
SHOULDERS = ["left_shoulder", "right_shoulder"]


def _face_in_place(pose: Pose, names: list[str]) -> None:
    for name in names:
        x, y = pose[name]
        assert 0.3 <= x <= 0.55 and 0.1 <= y <= 0.35, f"{name} at ({x:.3f}, {y:.3f})"


def _shoulders_below_face(pose: Pose, face: list[str]) -> None:
    lowest_face = max(pose[name][1] for name in face)
    for name in SHOULDERS:
        assert pose[name][1] > lowest_face, f"{name} at y {pose[name][1]:.3f} above the face"
    # her right shoulder is on the image's left: she faces the camera
    assert pose["right_shoulder"][0] < pose["left_shoulder"][0]


# --- preprocessing, no model needed ---------------------------------------------------------


def test_movenet_input_is_int32_pixels(zoo: dict[str, Variant], astronaut: np.ndarray) -> None:
    spec = zoo["movenet-lightning"].preprocess
    tensor = preprocess(astronaut, spec, [1, 192, 192, 3])
    assert tensor.shape == (1, 192, 192, 3) and tensor.dtype == np.int32
    assert 0 <= tensor.min() and tensor.max() <= 255 and tensor.max() > 200


def test_imagenet_normalisation_and_letterbox_padding(zoo: dict[str, Variant]) -> None:
    spec = zoo["efficientpose-ii"].preprocess
    wide = np.full((100, 200, 3), 255, np.uint8)  # white, twice as wide as high
    tensor = preprocess(wide, spec, [1, 368, 368, 3])[0]
    white = (1 - np.array(spec.mean)) / np.array(spec.std)
    black = -np.array(spec.mean) / np.array(spec.std)
    np.testing.assert_allclose(tensor[184, 184], white, atol=1e-4)  # the image, centred
    np.testing.assert_allclose(tensor[10, 184], black, atol=1e-4)  # the padding above it


def test_a_letterbox_frame_maps_input_back_to_the_image() -> None:
    frame = Frame.letterbox((100, 200), (256, 256))
    # the image fills the width and the middle half of the height
    np.testing.assert_allclose(frame.to_image([[0, 0.25], [1, 0.75], [0.5, 0.5]]), [[0, 0], [1, 1], [0.5, 0.5]])
    np.testing.assert_allclose(frame.to_input([[0, 0], [1, 1]]), [[0, 0.25], [1, 0.75]])


MALFORMED = {
    "0x0": np.zeros((0, 0, 3), np.uint8),
    "0xN": np.zeros((0, 64, 3), np.uint8),
    "grey": np.zeros((64, 64), np.uint8),
    "RGBA": np.zeros((64, 64, 4), np.uint8),
    "NaN": np.full((64, 64, 3), np.nan, np.float32),
    "text": np.full((64, 64, 3), "x"),
}


@pytest.mark.parametrize("what", MALFORMED)
def test_a_malformed_image_is_refused_saying_what_is_expected(zoo: dict[str, Variant], what: str) -> None:
    image = MALFORMED[what]
    expected = re.escape("H x W x 3 RGB uint8") + ".*" + re.escape(f"got shape {image.shape}")
    with pytest.raises(ValueError, match=expected):
        preprocess(image, zoo["movenet-lightning"].preprocess)


# --- an estimator: sessions made once, malformed and empty frames --------------------------


def test_an_estimator_makes_its_sessions_once_and_keeps_them(
    build_dir: Path, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[object] = []
    real = runtime.onnx_session

    def counting(*args, **kwargs):
        made.append(session := real(*args, **kwargs))
        return session

    monkeypatch.setattr(runtime, "onnx_session", counting)
    estimator = PoseEstimator.from_catalog("blazepose-lite", build_dir)
    assert len(made) == 2  # the landmark model and its detector
    assert estimator.detector is not None
    assert {id(estimator.model.session), id(estimator.detector.session)} == {id(s) for s in made}
    for _ in range(3):
        estimator(astronaut)
    assert len(made) == 2


@pytest.mark.parametrize("what", ["0x0", "grey", "NaN"])
def test_an_estimator_refuses_a_malformed_image(estimator: Estimators, what: str) -> None:
    image = MALFORMED[what]
    message = f"expected an image of shape H x W x 3 RGB uint8 (or float in 0..255), got shape {image.shape}"
    with pytest.raises(ValueError, match=re.escape(message)):
        estimator("movenet-lightning")(image)


def test_a_float_image_in_0_to_255_is_the_same_photo(estimator: Estimators, astronaut: np.ndarray) -> None:
    movenet = estimator("movenet-lightning")
    as_bytes, as_floats = movenet.best(astronaut), movenet.best(astronaut.astype(np.float32))
    assert as_bytes is not None and as_floats is not None
    np.testing.assert_allclose(as_floats.xy, as_bytes.xy, atol=1e-3)


@pytest.mark.parametrize("variant_id", ["blazepose-detector", "blazepose-lite", "blazepose-heavy"])
def test_a_black_frame_has_nobody_for_the_detector(estimator: Estimators, variant_id: str) -> None:
    black = np.zeros((480, 640, 3), np.uint8)
    assert estimator(variant_id)(black) == []
    assert estimator(variant_id).best(black) is None


def test_a_single_pose_model_answers_one_unsure_pose_on_a_black_frame(estimator: Estimators) -> None:
    (pose,) = estimator("movenet-lightning")(np.zeros((480, 640, 3), np.uint8))
    assert pose.score < 0.1


def test_multipose_answers_its_six_candidates_all_unsure_on_a_black_frame(estimator: Estimators) -> None:
    people = estimator("movenet-multipose")(np.zeros((480, 640, 3), np.uint8))
    assert len(people) == 6 and max(p.score for p in people) < 0.1


def test_from_catalog_names_the_variants_it_has(build_dir: Path) -> None:
    with pytest.raises(KeyError, match="movenet-lightning"):
        PoseEstimator.from_catalog("movenet-featherweight", build_dir)


# --- single-person models on the photo -------------------------------------------------------


@pytest.mark.parametrize("variant_id", SINGLE_PERSON)
def test_her_face_and_shoulders_land_where_they_are(
    estimator: Estimators,
    zoo: dict[str, Variant],
    astronaut: np.ndarray,
    variant_id: str,
) -> None:
    pose = estimator(variant_id).best(astronaut)
    assert pose is not None
    face = FACE[zoo[variant_id].keypoints.schema]
    _face_in_place(pose, face)
    _shoulders_below_face(pose, face)
    assert pose.xy.shape == (len(pose.names), 2) and pose.scores.shape == (len(pose.names),)


@pytest.mark.parametrize("variant_id", ["movenet-thunder", "posenet-mobilenet-v1", "blazepose-full"])
def test_positions_survive_a_wide_frame(estimator: Estimators, astronaut: np.ndarray, variant_id: str) -> None:
    wide = np.zeros((512, 896, 3), np.uint8)
    wide[:, 200:712] = astronaut
    alone, framed = estimator(variant_id).best(astronaut), estimator(variant_id).best(wide)
    assert alone is not None and framed is not None
    back = framed.xy * [896 / 512, 1] - [200 / 512, 0]  # into the photo's own coordinates
    for name in ["nose", "left_eye", "right_eye", *SHOULDERS]:
        i = alone.names.index(name)
        assert np.abs(back[i] - alone.xy[i]).max() < 0.06, name


# --- BlazePose: two stages ---------------------------------------------------------------------


def test_the_blazepose_detector_finds_her(estimator: Estimators, astronaut: np.ndarray) -> None:
    person = estimator("blazepose-detector").best(astronaut)
    assert person is not None and person.score > 0.5
    hips, top = person["hip_centre"], person["body_scale_point"]
    shoulders = person["shoulder_centre"]
    assert top[1] < 0.2 < shoulders[1] < hips[1]  # upright: scale point above her head
    assert person.box is not None and person.box[0] < 0.45 < person.box[2]


@pytest.mark.parametrize("variant_id", ["blazepose-lite", "blazepose-full", "blazepose-heavy"])
def test_blazepose_runs_on_the_detectors_crop(estimator: Estimators, astronaut: np.ndarray, variant_id: str) -> None:
    detection = estimator("blazepose-detector").best(astronaut)
    pose = estimator(variant_id).best(astronaut)
    assert detection is not None and pose is not None and pose.detection is not None
    assert pose.score > 0.5
    np.testing.assert_allclose(pose.detection.xy, detection.xy)
    # on the crop, the landmarks agree with the detector about where her hips are
    hips = (np.array(pose["left_hip"]) + np.array(pose["right_hip"])) / 2
    assert np.abs(hips - detection["hip_centre"]).max() < 0.15


def test_blazepose_in_one_call_puts_her_face_in_the_detectors_box(estimator: Estimators, astronaut: np.ndarray) -> None:
    pose = estimator("blazepose-lite").best(astronaut)
    assert pose is not None and pose.detection is not None and pose.detection.box is not None
    x0, y0, x1, y1 = pose.detection.box  # the detector boxes the head (her eyes sit on its top edge)
    for name in ["nose", "mouth_left", "mouth_right"]:
        x, y = pose[name]
        assert x0 < x < x1 and y0 < y < y1, f"{name} at ({x:.3f}, {y:.3f}) outside {pose.detection.box}"
    # and her upper body is inside the crop the landmark model saw
    crop = Frame(pose.extra["crop"])
    upper_body = [pose.names.index(name) for name in [*SHOULDERS, "left_hip", "right_hip"]]
    inside = crop.to_input(pose.xy[upper_body])
    assert ((inside > 0) & (inside < 1)).all(), inside


def test_blazepose_on_the_whole_frame_puts_her_shoulders_too_high(estimator: Estimators, astronaut: np.ndarray) -> None:
    two_stage = estimator("blazepose-lite")
    whole_frame = PoseEstimator(two_stage.variant, two_stage.model.onnx_path)  # no detector: letterboxed photo
    on_crop, whole = two_stage.best(astronaut), whole_frame.best(astronaut)
    assert on_crop is not None and whole is not None
    crop_y = np.mean([on_crop[name][1] for name in SHOULDERS])
    whole_y = np.mean([whole[name][1] for name in SHOULDERS])
    assert whole_y < crop_y - 0.03


def test_blazepose_follows_a_rotated_photo(estimator: Estimators, astronaut: np.ndarray) -> None:
    upright = estimator("blazepose-full").best(astronaut)
    turned = estimator("blazepose-full").best(np.rot90(astronaut, k=-1).copy())  # a quarter turn clockwise
    assert upright is not None and turned is not None
    back = np.column_stack([turned.xy[:, 1], 1 - turned.xy[:, 0]])
    assert np.abs(back[:13] - upright.xy[:13]).max() < 0.05  # face and shoulders


# --- MultiPose -----------------------------------------------------------------------------


def test_multipose_finds_her_as_its_top_person(estimator: Estimators, astronaut: np.ndarray) -> None:
    people = estimator("movenet-multipose")(astronaut)
    assert len(people) > 1 and [p.score for p in people] == sorted((p.score for p in people), reverse=True)
    her = people[0]
    assert her.score > 0.3 > people[1].score
    _face_in_place(her, FACE["coco-17"])
    _shoulders_below_face(her, FACE["coco-17"])
    assert her.box is not None
    x0, y0, x1, y1 = her.box
    assert x0 < her["nose"][0] < x1 and y0 < her["nose"][1] < y1


# --- EfficientPose: four outputs, and people framed as in MPII --------------------------------


@pytest.mark.parametrize("variant_id", ["efficientpose-rt", "efficientpose-ii", "efficientpose-ii-lite"])
def test_efficientpose_finds_her_when_she_is_framed_as_mpiis_people_are(estimator: Estimators, variant_id: str) -> None:
    from catalog.measure.keypoint_check import check_keypoints

    # at half size on a plain canvas; the full models answer from their last, full-resolution output
    check = check_keypoints(estimator(variant_id), scale=0.5)
    assert check.passed, [(k.name, k.distance) for k in check.keypoints]
