"""Keypoint drift: how far a model's int8 form moves each keypoint from where its float form puts it.

Both forms run through the pose API on the test photos (`drift_photos()`: the keypoint check's
photo, and the same photo at half size on a grey canvas, the person smaller in the frame).
For each keypoint the distance between the two answers is a fraction of the photo's longer
side. The summary (mean and max) is over the keypoints the photo shows, those its hand
annotation marks: a keypoint outside the photo (her hips, knees, ankles) has no true place,
and where a model guesses it moves with any change of the weights, in float too.
An int8 form is unusable when on some test photo it finds nobody where the float form finds
someone, or moves the keypoints the photos show by more than the keypoint check's threshold
on average: past that distance a keypoint lands on another body part.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from catalog.measure.keypoint_check import IMAGE, THRESHOLD, annotation, astronaut, framed

if TYPE_CHECKING:
    from catalog.pose.estimator import PoseEstimator

FRAMED_SCALE = 0.5  # the second test photo: the astronaut at half size, on a grey canvas
# what a photo's record says when a form found nobody: (float found nobody, int8 found nobody)
NOBODY = {
    (True, True): "neither form found anyone",
    (True, False): "the float form found nobody",
    (False, True): "the int8 form found nobody",
}


@dataclass(frozen=True)
class KeypointDrift:
    name: str
    # distance between the int8 form's keypoint and the float form's, a fraction of the photo's longer side
    distance: float
    # the float form's and the int8 form's scores for it
    float_score: float
    int8_score: float
    # whether the photo's hand annotation marks it (the photo shows it): only those count in the summary
    annotated: bool


@dataclass(frozen=True)
class PhotoDrift:
    image: str
    # mean and max over the keypoints the photo shows; None when none could be compared
    mean_distance: float | None
    max_distance: float | None
    keypoints: list[KeypointDrift]
    # why nothing could be compared, when nothing could
    note: str = ""


@dataclass(frozen=True)
class Drift:
    photos: list[PhotoDrift]
    # mean and max over the annotated keypoints of every photo; None when none could be compared
    mean_distance: float | None
    max_distance: float | None
    # why the int8 form is unusable; empty when it is usable
    unusable: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def drift_photos() -> list[tuple[str, np.ndarray, set[str]]]:
    """(description, RGB image, names of the keypoints its hand annotation marks) of each test photo."""
    marked = set(annotation())
    canvas, _, described = framed(FRAMED_SCALE)
    return [(IMAGE, astronaut(), marked), (described, canvas, marked)]


def photo_drift(described: str, image: np.ndarray, marked: set[str], reference: PoseEstimator,
                quantized: PoseEstimator) -> PhotoDrift:  # fmt: skip
    height, width = image.shape[:2]
    before, after = reference.best(image), quantized.best(image)
    if before is None or after is None:
        return PhotoDrift(described, None, None, [], note=NOBODY[(before is None, after is None)])
    moved = np.hypot((after.xy[:, 0] - before.xy[:, 0]) * width, (after.xy[:, 1] - before.xy[:, 1]) * height)
    distances = moved / max(height, width)
    keypoints = [
        KeypointDrift(name, round(float(d), 4), round(float(s), 4), round(float(t), 4), name in marked)
        for name, d, s, t in zip(before.names, distances, before.scores, after.scores, strict=True)
    ]
    counted = [k.distance for k in keypoints if k.annotated]
    if not counted:
        return PhotoDrift(described, None, None, keypoints, note="the photo shows none of its keypoints")
    return PhotoDrift(described, round(float(np.mean(counted)), 4), round(max(counted), 4), keypoints)


def keypoint_drift(reference: PoseEstimator, quantized: PoseEstimator) -> Drift:
    """The drift of `quantized` (the int8 form) from `reference` (the float form) on the test photos."""
    photos = [photo_drift(d, image, marked, reference, quantized) for d, image, marked in drift_photos()]
    counted = [k.distance for p in photos for k in p.keypoints if k.annotated]
    mean = round(float(np.mean(counted)), 4) if counted else None
    top = round(max(counted), 4) if counted else None
    return Drift(photos, mean, top, unusable=_unusable(photos, mean))


def _unusable(photos: list[PhotoDrift], mean: float | None) -> str:
    for photo in photos:
        if photo.note == NOBODY[(False, True)]:
            return f"on {photo.image} the int8 form found nobody where the float form found someone"
    if mean is not None and mean > THRESHOLD:
        return (
            f"it moved the keypoints the test photos show by {mean:.3f} of the image on average, past the "
            f"keypoint check's {THRESHOLD:g}: onto another body part"
        )
    return ""
