"""Single-person models used as meant: behind a person detector, one crop per person."""

from __future__ import annotations

import numpy as np
import pytest

from catalog.measure.keypoint_check import annotation, astronaut
from catalog.pose import PoseEstimator
from catalog.pose.top_down import CROP_MARGIN, TopDown, person_crop


def test_the_crop_is_a_square_around_the_box_with_a_margin():
    image_hw = (400, 600)  # h, w
    box = (0.25, 0.25, 0.35, 0.75)  # 60 px wide, 200 px tall
    crop = person_crop(image_hw, box)
    centre = crop.to_image(np.array([[0.5, 0.5]]))[0]
    assert centre == pytest.approx([0.3, 0.5])
    corners = crop.to_image(np.array([[0.0, 0.0], [1.0, 1.0]]))
    side_px = (corners[1] - corners[0]) * np.array([600, 400])
    assert side_px == pytest.approx([200 * CROP_MARGIN, 200 * CROP_MARGIN])  # square, the longer side's
    inside = crop.to_input(np.array([[box[0], box[1]], [box[2], box[3]]]))
    assert ((inside > 0) & (inside < 1)).all()


def test_a_single_person_model_finds_each_of_two_people_side_by_side(built_zoo):
    result, _ = built_zoo
    build = result.catalog_path.parent
    people = PoseEstimator.from_catalog("movenet-multipose", build)
    lightning = TopDown(PoseEstimator.from_catalog("movenet-lightning", build), people)
    two = np.hstack([astronaut(), astronaut()])  # the same person twice, each off-centre
    poses = lightning(two)
    assert len(poses) >= 2
    nose = np.array(annotation()["nose"]) / 512  # pixels of one 512 x 512 astronaut
    found = sorted(poses[:2], key=lambda p: p["nose"][0])
    for half, pose in enumerate(found):
        expected = np.array([(half + nose[0]) / 2, nose[1]])
        assert np.hypot(*(np.array(pose["nose"]) - expected)) < 0.03  # of the frame; the check's threshold is 0.1
        assert pose.detection is not None and pose.score <= pose.detection.score
    with pytest.raises(ValueError, match="has a detector of its own"):
        TopDown(PoseEstimator.from_catalog("blazepose-lite", build), people)


def test_a_built_single_person_model_runs_behind_the_detector_its_record_names(built_zoo):
    result, _ = built_zoo
    build = result.catalog_path.parent
    lightning = TopDown.from_catalog("movenet-lightning", build)
    assert repr(lightning) == "TopDown(movenet-lightning behind movenet-multipose)"
    with pytest.raises(ValueError, match="meant to run two-stage, not top-down"):
        TopDown.from_catalog("blazepose-lite", build)


def test_blazepose_answers_the_landmarks_of_every_person_its_detector_finds(built_zoo):
    result, _ = built_zoo
    build = result.catalog_path.parent
    blazepose = PoseEstimator.from_catalog("blazepose-full", build)
    two = np.hstack([astronaut(), astronaut()])
    detections = blazepose.detections(two)
    poses = blazepose(two)
    assert len(detections) >= 2 and len(poses) == len(detections)
    assert [p.score for p in poses] == sorted((p.score for p in poses), reverse=True)
    assert all(p.detection is not None and p.score <= p.detection.score for p in poses)
    noses = sorted(p["nose"][0] for p in poses[:2])
    assert noses[0] < 0.5 < noses[1]  # one on each astronaut
