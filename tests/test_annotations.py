"""The evaluation set's annotations as a person edits them: a mistake costs that person, said in
one line naming the file, the person and the field; two passes give the set's noise floor."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from catalog.measure.accuracy import COCO17
from catalog.measure.annotations import noise_floor, read_annotations

SIZE = (400, 300)


def document(people: int = 3) -> dict:
    annotations = []
    for n in range(people):
        keypoints = []
        for k in range(len(COCO17)):
            keypoints += [50.0 + 100 * n + 2 * k, 40.0 + 12 * k, 2]
        annotations.append({"id": n + 1, "image_id": 1, "category_id": 1, "roster": f"street#{n + 1}",
                            "bbox": [40.0 + 100 * n, 30.0, 60.0, 220.0], "keypoints": keypoints,
                            "num_keypoints": len(COCO17), "area": 13200.0, "iscrowd": 0})  # fmt: skip
    return {
        "images": [{"id": 1, "file_name": "street.png", "width": SIZE[0], "height": SIZE[1]}],
        "categories": [{"id": 1, "name": "person", "keypoints": list(COCO17), "skeleton": []}],
        "annotations": annotations,
    }


def write(tmp_path: Path, doc: dict, name: str = "pass1.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), "utf-8")
    return path


def test_a_clean_pass_reads_whole(tmp_path):
    annotated = read_annotations(write(tmp_path, document()), {"street.png": SIZE})
    assert annotated.problems == [] and annotated.people == 3 and len(annotated.images) == 1


def test_a_point_outside_its_image_costs_that_person_only(tmp_path):
    doc = document()
    doc["annotations"][1]["keypoints"][3 * COCO17.index("left_ankle") + 1] = 310.0  # below the 300 px image
    path = write(tmp_path, doc)
    annotated = read_annotations(path, {"street.png": SIZE})
    assert annotated.problems == [
        f"{path}: street#2: keypoints.left_ankle: (180.0, 310.0) is outside its 400x300 image"
    ]
    assert annotated.people == 2


def test_an_unknown_keypoint_name_is_one_line(tmp_path):
    doc = document()
    doc["categories"][0]["keypoints"][13] = "lft_knee"
    path = write(tmp_path, doc)
    annotated = read_annotations(path)
    assert annotated.problems == [f"{path}: categories[0].keypoints: unknown keypoint name 'lft_knee'"]
    assert annotated.people == 0


@pytest.mark.parametrize(
    ("sizes", "said"),
    [
        ({}, "image street.png: missing or corrupt, its people are not scored"),
        ({"street.png": (640, 480)}, "image street.png: width and height 400x300, the file is 640x480"),
    ],
)
def test_a_missing_or_different_image_is_one_line(tmp_path, sizes, said):
    path = write(tmp_path, document())
    annotated = read_annotations(path, sizes)
    assert annotated.problems == [f"{path}: {said}"] and annotated.people == 0


def test_a_bad_visibility_and_a_file_that_is_not_json(tmp_path):
    doc = document()
    doc["annotations"][0]["keypoints"][2] = 3
    path = write(tmp_path, doc)
    assert read_annotations(path).problems == [f"{path}: street#1: keypoints.nose: visibility 3, expected 0, 1 or 2"]
    broken = tmp_path / "broken.json"
    broken.write_text("{", "utf-8")
    [line] = read_annotations(broken).problems
    assert line.startswith(f"{broken}: cannot be read:") and "\n" not in line


def test_two_identical_passes_have_no_noise_and_a_shifted_wrist_shows_as_its_share_of_the_box(tmp_path):
    first = read_annotations(write(tmp_path, document()))
    same = noise_floor(first, read_annotations(write(tmp_path, document(), "pass2.json")), resamples=10)
    assert same.people == 3 and set(same.disagreement.values()) == {0.0}
    assert same.second_as_model.ap.value == 1.0 and same.second_as_model.pck[0.05].value == 1.0
    moved = copy.deepcopy(document())
    for person in moved["annotations"]:
        person["keypoints"][3 * COCO17.index("left_wrist")] += 11.0  # 11 px of a 220 px box: 0.05
    shifted = noise_floor(first, read_annotations(write(tmp_path, moved, "pass2b.json")), resamples=10)
    assert shifted.disagreement["left_wrist"] == 0.05 and shifted.disagreement["nose"] == 0.0
