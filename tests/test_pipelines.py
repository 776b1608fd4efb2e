"""Every model of the default zoo on a real photo, as a user runs it: where do her keypoints land?

The photo is `skimage.data.astronaut()` (512 x 512, Eileen Collins facing the camera, head and
shoulders in the upper half). ONNX files come from the build's catalog (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from catalog.cards.load import Variant, load_cards
from catalog.pose.pipelines import Frame, Pose, estimate_pose, estimate_poses, preprocess

CARDS = Path(__file__).resolve().parent.parent / "model_cards"


@pytest.fixture(scope="session")
def zoo() -> dict[str, Variant]:
    return {v.id: v for family in load_cards(CARDS) for v in family.variants}


@pytest.fixture(scope="session")
def onnx_path(built_zoo) -> Callable[[str], Path]:
    """The ONNX file of a default-zoo variant, by id, as the build's catalog lists it."""
    result, document = built_zoo
    out = result.catalog_path.parent
    paths = {v["id"]: out / v["formats"]["onnx"]["path"] for v in document["variants"] if v["status"] == "ok"}

    def get(variant_id: str) -> Path:
        return paths[variant_id]

    return get


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    image = data.astronaut()
    assert image.shape == (512, 512, 3) and image.dtype == np.uint8
    return image


@pytest.fixture(scope="session")
def run(zoo: dict[str, Variant], onnx_path: Callable[[str], Path]) -> Callable[..., list[Pose]]:
    """Run a variant as its card says: two-stage variants on their detector's crop."""

    def run_variant(image: np.ndarray, variant_id: str, *, whole_frame: bool = False) -> list[Pose]:
        variant = zoo[variant_id]
        detector = None
        if variant.detector and not whole_frame:
            detector = (zoo[variant.detector], onnx_path(variant.detector))
        return estimate_poses(image, variant, onnx_path(variant_id), detector)

    return run_variant


SINGLE_PERSON = [
    "movenet-lightning",
    "movenet-thunder",
    "posenet-mobilenet-v1",
    "efficientpose-ii",
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


# --- single-person models on the photo -------------------------------------------------------


@pytest.mark.parametrize("variant_id", SINGLE_PERSON)
def test_her_face_and_shoulders_land_where_they_are(
    run: Callable[..., list[Pose]],
    zoo: dict[str, Variant],
    astronaut: np.ndarray,
    variant_id: str,
) -> None:
    pose = run(astronaut, variant_id)[0]
    face = FACE[zoo[variant_id].keypoints.schema]
    _face_in_place(pose, face)
    _shoulders_below_face(pose, face)
    assert pose.xy.shape == (len(pose.names), 2) and pose.scores.shape == (len(pose.names),)


@pytest.mark.parametrize("variant_id", ["movenet-thunder", "posenet-mobilenet-v1", "blazepose-full"])
def test_positions_survive_a_wide_frame(run: Callable[..., list[Pose]], astronaut: np.ndarray, variant_id: str) -> None:
    wide = np.zeros((512, 896, 3), np.uint8)
    wide[:, 200:712] = astronaut
    alone, framed = run(astronaut, variant_id)[0], run(wide, variant_id)[0]
    back = framed.xy * [896 / 512, 1] - [200 / 512, 0]  # into the photo's own coordinates
    for name in ["nose", "left_eye", "right_eye", *SHOULDERS]:
        i = alone.names.index(name)
        assert np.abs(back[i] - alone.xy[i]).max() < 0.06, name


# --- BlazePose: two stages ---------------------------------------------------------------------


def test_the_blazepose_detector_finds_her(run: Callable[..., list[Pose]], astronaut: np.ndarray) -> None:
    person = run(astronaut, "blazepose-detector")[0]
    assert person.score > 0.5
    hips, top = person["hip_centre"], person["body_scale_point"]
    shoulders = person["shoulder_centre"]
    assert top[1] < 0.2 < shoulders[1] < hips[1]  # upright: scale point above her head
    assert person.box is not None and person.box[0] < 0.45 < person.box[2]


@pytest.mark.parametrize("variant_id", ["blazepose-lite", "blazepose-full", "blazepose-heavy"])
def test_blazepose_runs_on_the_detectors_crop(
    run: Callable[..., list[Pose]], astronaut: np.ndarray, variant_id: str
) -> None:
    detection = run(astronaut, "blazepose-detector")[0]
    pose = run(astronaut, variant_id)[0]
    assert pose.score > 0.5
    np.testing.assert_allclose(pose.extra["detection"], detection.xy)
    # on the crop, the landmarks agree with the detector about where her hips are
    hips = (np.array(pose["left_hip"]) + np.array(pose["right_hip"])) / 2
    assert np.abs(hips - detection["hip_centre"]).max() < 0.15


def test_blazepose_on_the_whole_frame_puts_her_shoulders_too_high(
    run: Callable[..., list[Pose]], astronaut: np.ndarray
) -> None:
    on_crop = run(astronaut, "blazepose-lite")[0]
    whole = run(astronaut, "blazepose-lite", whole_frame=True)[0]
    crop_y = np.mean([on_crop[name][1] for name in SHOULDERS])
    whole_y = np.mean([whole[name][1] for name in SHOULDERS])
    assert whole_y < crop_y - 0.03


def test_blazepose_follows_a_rotated_photo(run: Callable[..., list[Pose]], astronaut: np.ndarray) -> None:
    upright = run(astronaut, "blazepose-full")[0]
    turned = run(np.rot90(astronaut, k=-1).copy(), "blazepose-full")[0]  # a quarter turn clockwise
    back = np.column_stack([turned.xy[:, 1], 1 - turned.xy[:, 0]])
    assert np.abs(back[:13] - upright.xy[:13]).max() < 0.05  # face and shoulders


# --- MultiPose -----------------------------------------------------------------------------


def test_multipose_finds_her_as_its_top_person(run: Callable[..., list[Pose]], astronaut: np.ndarray) -> None:
    people = run(astronaut, "movenet-multipose")
    assert len(people) > 1 and [p.score for p in people] == sorted((p.score for p in people), reverse=True)
    her = people[0]
    assert her.score > 0.3 > people[1].score
    _face_in_place(her, FACE["coco-17"])
    _shoulders_below_face(her, FACE["coco-17"])
    assert her.box is not None
    x0, y0, x1, y1 = her.box
    assert x0 < her["nose"][0] < x1 and y0 < her["nose"][1] < y1


def test_estimate_pose_is_the_best_of_estimate_poses(
    zoo: dict[str, Variant], onnx_path: Callable[[str], Path], astronaut: np.ndarray
) -> None:
    variant = zoo["movenet-multipose"]
    best = estimate_pose(astronaut, variant, onnx_path(variant.id))
    assert best.score == estimate_poses(astronaut, variant, onnx_path(variant.id))[0].score
