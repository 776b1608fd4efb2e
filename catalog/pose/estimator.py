"""`PoseEstimator`: a variant's sessions made once and kept, for calling on frame after frame.

    estimator = PoseEstimator.from_catalog("movenet-lightning")  # the published catalog; or catalog="build"
    for frame in frames:
        pose = estimator.best(frame)  # None when nobody is there

A two-stage variant (BlazePose landmarks) holds its detector's session too: each call runs
the detector, crops around every person it detects as MediaPipe does, and runs the landmark
model on each crop.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from catalog.pose.blazepose import blazepose_crop
from catalog.pose.geometry import Frame
from catalog.pose.inputs import check_image
from catalog.pose.model import Model
from catalog.pose.poses import Pose, to_pose

Detections = list[tuple[Pose, Frame]]  # each person a first stage found, with the crop the second stage sees

if TYPE_CHECKING:
    from catalog.cards.load import Variant
    from catalog.pose.built import Precision
    from catalog.remote import Where


class PoseEstimator:
    """Every person a variant finds in an RGB image (H x W x 3, uint8 or float 0..255), best first.

    Positions are normalised to the image (see `Pose`). Who is "every person" is the model's
    answer: single-pose models (MoveNet SinglePose, PoseNet, EfficientPose, BlazePose without
    its detector) always give one pose, even on an empty frame, with their score; MoveNet
    MultiPose gives its six candidates with theirs; the BlazePose detector gives the people
    it detects, possibly none, and BlazePose with its detector gives the landmarks of every
    detected person (a person's score: the detector's times the landmark model's), or an
    empty list when the detector finds nobody. A malformed image
    (empty, not 3 channels, not numeric, NaN) is a ValueError.

    The sessions are made once, here, and kept: calling the estimator makes none.
    """

    def __init__(
        self,
        variant: Variant,
        onnx_path: str | Path,
        detector: Variant | None = None,
        detector_path: str | Path | None = None,
        *,
        threads: int | None = None,
    ) -> None:
        """`detector` and `detector_path` make a two-stage BlazePose estimator; without them a
        landmark model sees the whole (letterboxed) image, which it was not trained for."""
        if (detector is None) != (detector_path is None):
            raise ValueError("give the detector's variant and its ONNX path together")
        self.model = Model(variant, onnx_path, threads=threads)
        self.detector: Model | None = None
        if detector is not None and detector_path is not None:
            if detector.decode != "blazepose-detector":
                raise ValueError(f"{detector.id}: the first stage must be a blazepose-detector, not {detector.decode}")
            self.detector = Model(detector, detector_path, threads=threads)

    @classmethod
    def from_catalog(
        cls,
        variant_id: str,
        catalog: Where = None,
        *,
        threads: int | None = None,
        precision: Precision = "float",
    ) -> PoseEstimator:
        """The estimator of a catalog's variant, with its detector where its card names one.

        `catalog` is where the catalog is: a URL (its files are downloaded once into the cache and
        verified against their sha256), a catalog.json, a build folder, or an opened catalog; by
        default the catalog of this posezoo's release on the project's site (`$POSEZOO_CATALOG`
        names another). A KeyError when the variant is not there or did not build.

        `precision="int8"` runs the variant's int8 form (a KeyError saying why where it has
        none); a two-stage model's detector stays float, as the build measured it."""
        # imported here: the card types and the downloads are only needed for a catalog, not for `import catalog.pose`
        from catalog.pose.built import variant_from_record
        from catalog.remote import open_catalog

        opened = open_catalog(catalog)
        record = opened.variant(variant_id)
        model_path = opened.onnx_file(record, precision)
        detector = detector_path = None
        if record.get("detector"):
            detector_record = opened.variant(record["detector"])
            detector, detector_path = variant_from_record(detector_record), opened.onnx_file(detector_record)
        variant = variant_from_record(record)
        return cls(variant, model_path, detector, detector_path, threads=threads)

    @property
    def variant(self) -> Variant:
        return self.model.variant

    def __repr__(self) -> str:
        stages = f"{self.detector.variant.id} -> {self.variant.id}" if self.detector else self.variant.id
        return f"PoseEstimator({stages})"

    def model_input(self, image: np.ndarray) -> np.ndarray | None:
        """The tensor the variant's own model is fed for `image` (a two-stage model's: the
        crop of the best detection); None when the detector finds nobody to crop."""
        image = check_image(image)
        if self.detector is None:
            return self.model.input_tensor(image)[0]
        found = self.detections(image)
        return self.model.input_tensor(image, found[0][1])[0] if found else None

    def detections(self, image: np.ndarray) -> Detections:
        """A two-stage model's first stage: every person detected, best first, with the landmark
        model's crop around each (empty for a one-stage model)."""
        if self.detector is None:
            return []
        image = check_image(image)
        decoded, detector_frame = self.detector.run(image)
        names = self.detector.variant.keypoints.names
        found = [to_pose(detection, detector_frame, names) for detection in decoded]
        return [(detection, blazepose_crop(image.shape[:2], detection.xy)) for detection in found]

    def __call__(self, image: np.ndarray) -> list[Pose]:
        """Every person found, best first; an empty list when the model says nobody is there."""
        image = check_image(image)
        if self.detector is None:
            decoded, frame = self.model.run(image)
            return [to_pose(person, frame, self.variant.keypoints.names) for person in decoded]
        return poses_in_crops(self.model, image, self.detections(image))

    def best(self, image: np.ndarray) -> Pose | None:
        """The best person, or None when there is nobody (see the class's notes on who counts)."""
        people = self(image)
        return people[0] if people else None


def poses_in_crops(model: Model, image: np.ndarray, detections: Detections) -> list[Pose]:
    """A single-person model on each detected person's crop: one pose per person, best first.
    A person's score is the detector's times the model's, so a sure pose of a doubtful
    detection ranks below a sure one of a sure detection."""
    names = model.variant.keypoints.names
    poses = []
    for detection, crop in detections:
        decoded, frame = model.run(image, crop)
        if not decoded:
            continue
        pose = to_pose(decoded[0], frame, names)
        pose.score = float(detection.score * pose.score)
        pose.detection = detection
        pose.extra["crop"] = frame.matrix
        poses.append(pose)
    return sorted(poses, key=lambda p: -p.score)
