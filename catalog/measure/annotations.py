"""The evaluation set's hand annotations (`eval/annotations/pass*.json`, COCO's keypoint format),
read and checked, and the disagreement between two independent passes: the set's noise floor.

A bad annotation costs that person only: each problem is one line naming the file, the person
(`image#n`, the roster's name for them) and the field; the rest of the set is still scored, and
the figures say how many people they cover.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from catalog.measure.accuracy import COCO17, Accuracy, Person, score


@dataclass
class AnnotatedSet:
    path: Path
    images: list[dict]
    annotations: list[dict]  # the people whose annotation passed the checks
    problems: list[str] = field(default_factory=list)

    @property
    def people(self) -> int:
        """People with at least one labelled keypoint."""
        return sum(1 for a in self.annotations if a["num_keypoints"] > 0)

    def by_roster(self) -> dict[str, dict]:
        return {a["roster"]: a for a in self.annotations}


def read_annotations(path: Path, image_sizes: Mapping[str, tuple[int, int]] | None = None) -> AnnotatedSet:
    """A pass of annotations, checked: names are COCO-17's in COCO's order, each keypoint has
    (x, y, v) with v in 0..2 and a labelled point inside its image, boxes inside their image.
    `image_sizes` (file name -> (width, height), as fetched) also drops images that could not be had."""
    try:
        document = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as error:
        return AnnotatedSet(Path(path), [], [], [f"{path}: cannot be read: {error}"])
    problems: list[str] = []
    names = list(((document.get("categories") or [{}])[0]).get("keypoints") or [])
    unknown = [name for name in names if name not in COCO17]
    if unknown or names != list(COCO17):
        said = f"unknown keypoint name {unknown[0]!r}" if unknown else "not COCO-17's names in COCO's order"
        return AnnotatedSet(Path(path), [], [], [f"{path}: categories[0].keypoints: {said}"])
    images: dict[int, dict] = {}
    for image in document.get("images", []):
        size = (image_sizes or {}).get(image["file_name"])
        if image_sizes is not None and size is None:
            problems.append(f"{path}: image {image['file_name']}: missing or corrupt, its people are not scored")
            continue
        if size is not None and tuple(size) != (image["width"], image["height"]):
            problems.append(f"{path}: image {image['file_name']}: width and height {image['width']}x"
                            f"{image['height']}, the file is {size[0]}x{size[1]}")  # fmt: skip
            continue
        images[int(image["id"])] = image
    kept = []
    for number, annotation in enumerate(document.get("annotations", []), 1):
        who = annotation.get("roster") or f"annotations[{number - 1}]"
        image = images.get(int(annotation.get("image_id", -1)))
        if image is None:
            continue  # its image is already reported
        problem = _problem(annotation, image)
        if problem:
            problems.append(f"{path}: {who}: {problem}")
            continue
        kept.append({**annotation, "num_keypoints": sum(1 for v in annotation["keypoints"][2::3] if v > 0)})
    return AnnotatedSet(Path(path), list(images.values()), kept, problems)


def _problem(annotation: dict, image: dict) -> str | None:
    keypoints = annotation.get("keypoints")
    if not isinstance(keypoints, list) or len(keypoints) != 3 * len(COCO17):
        return f"keypoints: expected {3 * len(COCO17)} numbers (x, y, v per COCO-17 keypoint)"
    bbox = annotation.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4 or bbox[2] <= 0 or bbox[3] <= 0:
        return "bbox: expected [x, y, width, height] with a positive width and height"
    for index, name in enumerate(COCO17):
        x, y, v = keypoints[3 * index : 3 * index + 3]
        if v not in (0, 1, 2):
            return f"keypoints.{name}: visibility {v!r}, expected 0, 1 or 2"
        if v and not (0 <= x <= image["width"] and 0 <= y <= image["height"]):
            return f"keypoints.{name}: ({x}, {y}) is outside its {image['width']}x{image['height']} image"
    return None


@dataclass
class NoiseFloor:
    """How far two independent passes put the same keypoints: what no model can be shown to beat."""

    people: int  # annotated in both passes
    # per COCO-17 keypoint: the mean distance between the passes, a fraction of the person box's
    # longer side, over the people both passes labelled it on (None: never both)
    disagreement: dict[str, float | None]
    # the second pass scored as a model against the first
    second_as_model: Accuracy


def noise_floor(first: AnnotatedSet, second: AnnotatedSet, *, resamples: int = 200) -> NoiseFloor:
    theirs = second.by_roster()
    both = [(a, theirs[a["roster"]]) for a in first.annotations if a["roster"] in theirs and a["num_keypoints"]]
    distances: dict[str, list[float]] = {name: [] for name in COCO17}
    for one, two in both:
        a, b = (np.asarray(x["keypoints"], dtype=float).reshape(-1, 3) for x in (one, two))
        side = max(one["bbox"][2], one["bbox"][3])
        for k, name in enumerate(COCO17):
            if a[k, 2] > 0 and b[k, 2] > 0:
                distances[name].append(float(np.hypot(*(a[k, :2] - b[k, :2])) / side))
    disagreement = {name: (round(float(np.mean(d)), 4) if d else None) for name, d in distances.items()}
    predictions: dict[int, list[Person]] = {}
    for one, two in both:
        labelled = np.asarray(two["keypoints"], dtype=float).reshape(-1, 3)
        points = {name: (labelled[k, 0], labelled[k, 1]) for k, name in enumerate(COCO17) if labelled[k, 2] > 0}
        predictions.setdefault(int(one["image_id"]), []).append(Person(points, 1.0))
    accuracy = score(first.images, first.annotations, predictions, COCO17, resamples=resamples)
    return NoiseFloor(len(both), disagreement, accuracy)
