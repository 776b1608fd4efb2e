"""The keypoint check: does a model find the person in a real photo where a person marked her?

Converted-vs-original agreement says nothing about whether a model finds anyone. This check
runs the pose API on `skimage.data.astronaut()` and compares each keypoint the model has with
a hand annotation of the photo (`astronaut_keypoints.json` beside this module, with a note on
how it was made). Distances are fractions of the image's longer side; a keypoint passes within
`THRESHOLD`, and the model passes when every annotated keypoint it has passes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from catalog.pose.estimator import PoseEstimator

ANNOTATION_FILE = Path(__file__).with_name("astronaut_keypoints.json")
# a tenth of the image (51 px here): about the width of her face; further is another body part
THRESHOLD = 0.1
IMAGE = "skimage.data.astronaut()"
FRAMED_TOP = 40


@dataclass(frozen=True)
class KeypointDistance:
    name: str
    # where the model put it, normalised to the image (0..1 from the top-left corner)
    x: float
    y: float
    # the model's score for it
    score: float
    # distance to the annotation, as a fraction of the image's longer side
    distance: float
    passed: bool


@dataclass(frozen=True)
class KeypointCheck:
    image: str
    annotation: str
    threshold: float
    passed: bool
    # mean distance over the keypoints compared; None when none were
    mean_distance: float | None
    keypoints: list[KeypointDistance]
    # why the check could not compare anything, when it could not
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def annotation() -> dict[str, tuple[float, float]]:
    """The annotated keypoints in pixels, with the derived ones (midpoints) added."""
    document = json.loads(ANNOTATION_FILE.read_text("utf-8"))
    points = {name: (float(x), float(y)) for name, (x, y) in document["keypoints"].items()}
    for name, (a, b) in document["derived"].items():
        points[name] = ((points[a][0] + points[b][0]) / 2, (points[a][1] + points[b][1]) / 2)
    return points


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def framed(scale: float) -> tuple[np.ndarray, dict[str, tuple[float, float]], str]:
    """The photo shrunk by `scale` onto a grey canvas of its own size, centred 40 px from the top
    (the person smaller in the frame, as in full-body photos), with the annotation moved along."""
    from PIL import Image

    photo = astronaut()
    height, width = photo.shape[:2]
    size = (round(width * scale), round(height * scale))
    small = np.asarray(Image.fromarray(photo).resize(size, Image.Resampling.BILINEAR))
    canvas = np.full_like(photo, 200)
    left, top = (width - size[0]) // 2, FRAMED_TOP
    canvas[top : top + size[1], left : left + size[0]] = small
    marked = {name: (left + x * scale, top + y * scale) for name, (x, y) in annotation().items()}
    return canvas, marked, f"{IMAGE} at {scale:g} of its size on a grey canvas, {FRAMED_TOP} px from the top"


def not_run(reason: str) -> KeypointCheck:
    """The record of a check the pose API could not run (a decoder that cannot read the outputs)."""
    return KeypointCheck(IMAGE, ANNOTATION_FILE.name, THRESHOLD, False, None, [], note=f"not run: {reason}")


def check_keypoints(estimator: PoseEstimator, scale: float = 1.0) -> KeypointCheck:
    """Run the estimator on the photo and compare its best person with the annotation.

    With `scale` below 1 the photo is `framed` smaller; distances stay fractions of the photo's
    own longer side (the person's scale), so the threshold means the same."""
    if scale == 1.0:
        image, marked, described = astronaut(), annotation(), IMAGE
    else:
        image, marked, described = framed(scale)
    height, width = image.shape[:2]
    person = max(height, width) * scale
    relative_annotation = ANNOTATION_FILE.name
    pose = estimator.best(image)
    if pose is None:
        return KeypointCheck(described, relative_annotation, THRESHOLD, False, None, [], note="the model found nobody")
    compared = []
    for index, name in enumerate(pose.names):
        if name not in marked:
            continue
        x, y = (float(v) for v in pose.xy[index])
        ax, ay = marked[name]
        distance = float(np.hypot(x * width - ax, y * height - ay)) / person
        compared.append(KeypointDistance(name, round(x, 4), round(y, 4), round(float(pose.scores[index]), 4),
                                         round(distance, 4), distance <= THRESHOLD))  # fmt: skip
    if not compared:
        note = f"none of its keypoints is annotated ({', '.join(sorted(marked))} are)"
        return KeypointCheck(described, relative_annotation, THRESHOLD, False, None, [], note=note)
    mean = round(float(np.mean([k.distance for k in compared])), 4)
    return KeypointCheck(described, relative_annotation, THRESHOLD, all(k.passed for k in compared), mean, compared)
