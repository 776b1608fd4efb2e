"""Accuracy figures on hand-made annotations and predictions, against figures computed by hand:
COCO's OKS and AP (through pycocotools), PCK against the person box, the mapping onto COCO-17."""

from __future__ import annotations

import math

import numpy as np
import pytest

from catalog.measure.accuracy import COCO17, COCO_SIGMAS, Person, mapping_table, score, shared_keypoints

MPII16 = ["head_top", "upper_neck", "right_shoulder", "right_elbow", "right_wrist", "thorax", "left_shoulder",
          "left_elbow", "left_wrist", "pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee",
          "left_ankle"]  # fmt: skip
IMAGE = {"id": 1, "width": 400, "height": 400}
BOX = [100.0, 50.0, 100.0, 200.0]  # x, y, w, h: area 20000, longer side 200


def person_at(xy: dict[str, tuple[float, float]], image_id: int = 1, box=BOX) -> dict:
    """An annotation with the named keypoints labelled visible, the others not labelled."""
    flat = []
    for name in COCO17:
        flat += [*xy[name], 2] if name in xy else [0, 0, 0]
    return {"id": image_id, "image_id": image_id, "category_id": 1, "bbox": box, "keypoints": flat,
            "num_keypoints": len(xy), "iscrowd": 0}  # fmt: skip


BODY = {name: (110.0 + 4 * i, 60.0 + 10 * i) for i, name in enumerate(COCO17)}


def test_a_perfect_prediction_scores_one_everywhere():
    result = score([IMAGE], [person_at(BODY)], {1: [Person(BODY, 0.9)]}, COCO17, resamples=20)
    assert (result.ap.value, result.ap50.value) == (1.0, 1.0)
    assert result.pck[0.05].value == result.pck[0.1].value == 1.0
    assert result.people == 1 and result.keypoints == list(COCO17)
    assert set(result.pck_per_keypoint[0.1].values()) == {1.0}


def test_a_prediction_shifted_by_a_known_distance_has_the_known_oks():
    # one keypoint labelled (the left hip, sigma 0.107), moved d pixels: OKS = exp(-d^2 / (2 * area * (2 sigma)^2))
    hip = {"left_hip": (150.0, 150.0)}
    area, sigma = BOX[2] * BOX[3], COCO_SIGMAS[COCO17.index("left_hip")]
    d = math.sqrt(-math.log(0.78) * 2 * area * (2 * sigma) ** 2)  # OKS 0.78: matched at 0.50 .. 0.75, not above
    moved = Person({"left_hip": (150.0 + d, 150.0)}, 0.9)
    result = score([IMAGE], [person_at(hip)], {1: [moved]}, COCO17, resamples=0)
    assert result.ap50.value == 1.0
    assert result.ap.value == pytest.approx(0.6)  # 6 of COCO's 10 thresholds (0.50, 0.55, ..., 0.95)
    # d is 21.3 px, 0.107 of the box's longer side: past both PCK thresholds
    assert d == pytest.approx(21.33, abs=0.01)
    assert (result.pck[0.05].value, result.pck[0.1].value) == (0.0, 0.0)


def test_pck_counts_each_labelled_keypoint_within_its_share_of_the_box():
    truth = {"nose": (120.0, 60.0), "left_wrist": (180.0, 200.0), "right_ankle": (150.0, 240.0)}
    guess = {"nose": (120.0 + 9, 60.0), "left_wrist": (180.0, 200.0 + 15), "right_ankle": (150.0 + 30, 240.0)}
    result = score([IMAGE], [person_at(truth)], {1: [Person(guess, 0.8)]}, COCO17, resamples=0)
    # 9 px and 15 px and 30 px against a 200 px box: within 10 px (0.05) one, within 20 px (0.1) two
    assert result.pck[0.05].value == pytest.approx(1 / 3, abs=1e-4)
    assert result.pck[0.1].value == pytest.approx(2 / 3, abs=1e-4)
    per = result.pck_per_keypoint[0.1]
    assert (per["nose"], per["left_wrist"], per["right_ankle"], per["left_eye"]) == (1.0, 1.0, 0.0, None)


def test_a_person_nobody_found_misses_every_keypoint_and_a_stranger_is_a_false_positive():
    other = {name: (x + 200, y) for name, (x, y) in BODY.items()}
    annotations = [person_at(BODY), {**person_at(other, box=[300.0, 50.0, 100.0, 200.0]), "id": 2}]
    result = score([IMAGE], annotations, {1: [Person(BODY, 0.9)]}, COCO17, resamples=0)
    assert result.people == 2 and result.pck[0.1].value == 0.5
    assert result.ap50.value == pytest.approx(0.5, abs=0.02)  # recall stops at one of two
    stranger = Person({name: (x, y + 150) for name, (x, y) in BODY.items()}, 0.95)  # scored above the true find
    worse = score([IMAGE], [person_at(BODY)], {1: [stranger, Person(BODY, 0.9)]}, COCO17, resamples=0)
    assert worse.pck[0.1].value == 1.0 and worse.ap50.value < 1.0


def test_an_unlabelled_person_is_ignored_not_a_false_positive():
    nobody = {**person_at({}, box=[300.0, 50.0, 80.0, 200.0]), "id": 2, "num_keypoints": 0}
    on_them = Person({name: (x + 200, y) for name, (x, y) in BODY.items()}, 0.95)
    result = score([IMAGE], [person_at(BODY), nobody], {1: [on_them, Person(BODY, 0.9)]}, COCO17, resamples=0)
    assert result.people == 1 and result.pck[0.1].value == 1.0
    assert result.ap50.value == 1.0


def test_mpii_and_blazepose_models_are_scored_on_the_keypoints_they_share_with_coco():
    assert shared_keypoints(MPII16) == [n for n in COCO17 if "eye" not in n and "ear" not in n and n != "nose"]
    blazepose = ["nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
                 "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", *COCO17[5:]]  # fmt: skip
    assert shared_keypoints(blazepose) == list(COCO17)
    rows = dict(mapping_table({"coco-17": COCO17, "mpii-16": MPII16}))
    assert rows["nose"] == {"coco-17": "nose", "mpii-16": None}
    assert rows["left_knee"] == {"coco-17": "left_knee", "mpii-16": "left_knee"}
    # an MPII model's prediction has no face: it is scored on the 12 it has, perfectly here
    body = {name: xy for name, xy in BODY.items() if name in MPII16}
    result = score([IMAGE], [person_at(BODY)], {1: [Person(body, 0.9)]}, MPII16, resamples=0)
    assert len(result.keypoints) == 12 and result.ap.value == 1.0 and result.pck[0.05].value == 1.0


def test_the_intervals_hold_the_figure_and_come_from_resampling():
    rng = np.random.default_rng(1)
    images = [{"id": i, "width": 400, "height": 400} for i in range(1, 9)]
    annotations = [{**person_at(BODY, image_id=i), "id": i} for i in range(1, 9)]
    predictions = {
        i: [Person({n: (x + rng.normal(0, 12), y + rng.normal(0, 12)) for n, (x, y) in BODY.items()}, 0.9)]
        for i in range(1, 9)
    }
    result = score(images, annotations, predictions, COCO17, resamples=100)
    for interval in (result.ap, result.ap50, *result.pck.values()):
        assert interval.low <= interval.value <= interval.high
    assert result.pck[0.05].low < result.pck[0.05].high  # noisy guesses: the interval has a width
