"""A single-person model used as it is meant to be: behind a person detector, one crop per person.

Single-person models (MoveNet SinglePose, PoseNet here, EfficientPose) are trained on a person
centred in the frame; on a whole frame with several people, or one off-centre, they answer for
one of them at best. `TopDown` runs a multi-person model first (the zoo's MoveNet MultiPose:
its people's boxes), crops a square around each box, and runs the single-person model on each
crop. A person's score is the detector's score times the single-person model's.
"""

from __future__ import annotations

import numpy as np

from catalog.pose.estimator import PoseEstimator
from catalog.pose.geometry import Frame
from catalog.pose.inputs import check_image
from catalog.pose.poses import Pose, to_pose

CROP_MARGIN = 1.25  # the crop's side over the box's longer side: wrists and feet past the box stay in


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

    def __repr__(self) -> str:
        return f"TopDown({self.pose.variant.id} behind {self.people.variant.id})"

    def crops(self, image: np.ndarray) -> list[tuple[Pose, Frame]]:
        """Each person the detector finds, with the crop the single-person model sees."""
        image = check_image(image)
        return [(p, person_crop(image.shape[:2], p.box)) for p in self.people(image) if p.box is not None]

    def __call__(self, image: np.ndarray) -> list[Pose]:
        """One pose per person found, best first."""
        image = check_image(image)
        names = self.pose.variant.keypoints.names
        poses = []
        for person, crop in self.crops(image):
            decoded, frame = self.pose.model.run(image, crop)
            if not decoded:
                continue
            pose = to_pose(decoded[0], frame, names)
            pose.score = float(person.score * pose.score)
            pose.detection = person
            pose.extra["crop"] = frame.matrix
            poses.append(pose)
        return sorted(poses, key=lambda p: -p.score)
