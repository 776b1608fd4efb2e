"""The keypoint check: every built variant is run on the hand-annotated photo, and its figures hold."""

from __future__ import annotations

import json
import math

import pytest

from catalog.measure.keypoint_check import ANNOTATION_FILE, THRESHOLD, annotation, astronaut


def test_the_annotation_says_how_it_was_made_and_marks_only_what_is_visible():
    document = json.loads(ANNOTATION_FILE.read_text("utf-8"))
    assert "by hand" in document["how_made"]
    height, width = astronaut().shape[:2]
    assert (document["width"], document["height"]) == (width, height)
    points = annotation()
    assert "left_elbow" not in points  # behind the helmet
    for x, y in points.values():
        assert 0 <= x <= width and 0 <= y <= height
    (right_x, right_y), (left_x, left_y) = points["right_shoulder"], points["left_shoulder"]
    assert points["shoulder_centre"] == ((right_x + left_x) / 2, (right_y + left_y) / 2)
    # her right side is on the photo's left
    assert points["right_eye"][0] < points["nose"][0] < points["left_eye"][0]


def test_every_built_variant_carries_its_keypoint_check(built_zoo):
    _, document = built_zoo
    for record in document["variants"]:
        if record["status"] != "ok":
            continue
        check = record["keypoint_check"]
        assert check["threshold"] == THRESHOLD, record["id"]
        assert check["keypoints"], f"{record['id']}: nothing compared ({check['note']})"
        names = {k["name"] for k in check["keypoints"]}
        assert names == set(record["keypoints"]["names"]) & set(annotation()), record["id"]


def test_every_published_distance_is_recomputed_from_the_published_position(built_zoo):
    _, document = built_zoo
    marked = annotation()
    height, width = astronaut().shape[:2]
    for record in document["variants"]:
        check = record.get("keypoint_check")
        if not check:
            continue
        for keypoint in check["keypoints"]:
            ax, ay = marked[keypoint["name"]]
            distance = math.hypot(keypoint["x"] * width - ax, keypoint["y"] * height - ay) / max(width, height)
            assert keypoint["distance"] == pytest.approx(distance, abs=2e-4), (record["id"], keypoint["name"])
            assert keypoint["passed"] == (keypoint["distance"] <= THRESHOLD)
        assert check["passed"] == all(k["passed"] for k in check["keypoints"])
        mean = sum(k["distance"] for k in check["keypoints"]) / len(check["keypoints"])
        assert check["mean_distance"] == pytest.approx(mean, abs=2e-4)


def test_movenet_thunder_finds_her_face_within_a_few_pixels(built_zoo):
    _, document = built_zoo
    (thunder,) = [v for v in document["variants"] if v["id"] == "movenet-thunder"]
    check = thunder["keypoint_check"]
    assert check["passed"]
    distances = {k["name"]: k["distance"] for k in check["keypoints"]}
    assert max(distances["nose"], distances["left_eye"], distances["right_eye"]) < 0.02


def test_a_variant_that_fails_the_check_is_still_published_and_flagged(built_zoo):
    _, document = built_zoo
    failing = [v for v in document["variants"] if v.get("keypoint_check") and not v["keypoint_check"]["passed"]]
    assert failing, "every variant passes: the check should still flag the models that miss her shoulders"
    assert all(v["status"] == "ok" and v["formats"].get("onnx") for v in failing)
