"""A single-person model used as it is meant to be: behind a person detector, one crop per person.

Single-person models (MoveNet SinglePose, PoseNet here, EfficientPose) are trained on a person
centred in the frame; on a whole frame with several people, or one off-centre, they answer for
one of them at best. `TopDown` runs a multi-person model first (the zoo's MoveNet MultiPose:
its people's boxes), crops a square around each box, and runs the single-person model on each
crop. A person's score is the detector's score times the single-person model's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from catalog.pose.estimator import Detections, PoseEstimator, poses_in_crops
from catalog.pose.geometry import Frame
from catalog.pose.inputs import check_image
from catalog.pose.poses import Pose

if TYPE_CHECKING:
    from catalog.pose.built import Precision
    from catalog.remote import Where

CROP_MARGIN = 1.25  # the crop's side over the box's longer side: wrists and feet past the box stay in
# a detection the single-person model runs on scores at least this: MoveNet MultiPose always answers
# six slots, and an empty one scores about 0 (web/pose/top_down.js keeps the same rule)
PERSON_MIN_SCORE = 0.1


def person_crop(image_hw: tuple[int, int], box: tuple[float, float, float, float]) -> Frame:
    """The square crop around a person's box (x0, y0, x1, y1, normalised to the image), upright."""
    h, w = image_hw
    x0, y0, x1, y1 = box
    centre = np.array([(x0 + x1) / 2 * w, (y0 + y1) / 2 * h])
    size = max((x1 - x0) * w, (y1 - y0) * h, 1.0) * CROP_MARGIN
    return Frame.square_crop(image_hw, centre, size, np.array([0.0, 1.0]))


class TopDown:
    """`pose` (a single-person estimator) on each person `people` (a multi-person one) finds."""

    def __init__(self, pose: PoseEstimator, people: PoseEstimator) -> None:
        if pose.detector is not None:
            raise ValueError(f"{pose.variant.id} has a detector of its own: run it alone")
        self.pose = pose
        self.people = people

    @classmethod
    def from_catalog(
        cls, variant_id: str, catalog: Where = None, *, threads: int | None = None, precision: Precision = "float"
    ) -> TopDown:
        """A single-person variant behind the person detector its catalog record names (`use.detector`,
        a float form), from a catalog wherever it is (see `PoseEstimator.from_catalog`); a ValueError
        for a variant not meant to run top-down."""
        from catalog.remote import open_catalog

        opened = open_catalog(catalog)
        use = opened.variant(variant_id).get("use") or {}
        if use.get("mode") != "top-down" or not use.get("detector"):
            said = use.get("mode") or "not at all"
            raise ValueError(f"{variant_id} is meant to run {said}, not top-down: use PoseEstimator.from_catalog")
        pose = PoseEstimator.from_catalog(variant_id, opened, threads=threads, precision=precision)
        return cls(pose, PoseEstimator.from_catalog(use["detector"], opened, threads=threads))

    def __repr__(self) -> str:
        return f"TopDown({self.pose.variant.id} behind {self.people.variant.id})"

    def crops(self, image: np.ndarray) -> Detections:
        """Each person the detector finds (scoring PERSON_MIN_SCORE or more), with the crop the
        single-person model sees."""
        image = check_image(image)
        found = [p for p in self.people(image) if p.box is not None and p.score >= PERSON_MIN_SCORE]
        return [(p, person_crop(image.shape[:2], p.box)) for p in found]

    def __call__(self, image: np.ndarray) -> list[Pose]:
        """One pose per person found, best first."""
        image = check_image(image)
        return poses_in_crops(self.pose.model, image, self.crops(image))


def as_meant(
    variant_id: str, catalog: Where = None, *, threads: int | None = None, precision: Precision = "float"
) -> PoseEstimator | TopDown:
    """A catalog's variant run as its record's `use` says, as the accuracy figures and the Try-it
    page run it: top-down behind its person detector, or alone (a whole-frame model, or a
    two-stage one with its own detector). `catalog` as for `PoseEstimator.from_catalog`."""
    from catalog.remote import open_catalog

    opened = open_catalog(catalog)
    if (opened.variant(variant_id).get("use") or {}).get("mode") == "top-down":
        return TopDown.from_catalog(variant_id, opened, threads=threads, precision=precision)
    return PoseEstimator.from_catalog(variant_id, opened, threads=threads, precision=precision)


def as_meant_from_records(
    record: dict, detector: dict | None, build_dir: str | Path, *, threads: int | None = None,
    precision: Precision = "float",
) -> PoseEstimator | TopDown:  # fmt: skip
    """`as_meant` from catalog records in hand (a build's, before its catalog.json is written):
    the variant's record and that of the detector its `use` names."""
    from catalog.pose.built import onnx_path, variant_from_record

    variant = variant_from_record(record)
    mode = (record.get("use") or {}).get("mode")
    path = onnx_path(record, build_dir, precision)
    if mode not in ("top-down", "two-stage"):
        return PoseEstimator(variant, path, threads=threads)
    if detector is None:
        raise ValueError(f"{record['id']} runs {mode}, behind a detector that is not built")
    found, found_path = variant_from_record(detector), onnx_path(detector, build_dir)
    if mode == "two-stage":
        return PoseEstimator(variant, path, found, found_path, threads=threads)
    return TopDown(PoseEstimator(variant, path, threads=threads), PoseEstimator(found, found_path, threads=threads))
