"""BlazePose's geometry, as MediaPipe's graphs define it: the detector's anchors and the landmark crop.

The person detector predicts relative to a fixed grid of SSD anchors; the landmark model
expects a square, upright crop around the person that the detector's keypoints give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from catalog.pose.geometry import Frame

CROP_SCALE = 1.25  # MediaPipe's pose_detection_to_roi: the crop is 1.25 times the detection's extent


@dataclass(frozen=True)
class AnchorSpec:
    """MediaPipe's SSD anchor options for the BlazePose person detector (pose_detection)."""

    strides: tuple[int, ...] = (8, 16, 32, 32, 32)
    aspect_ratios: tuple[float, ...] = (1.0,)
    interpolated_scale_aspect_ratio: float = 1.0


@lru_cache(maxsize=8)
def ssd_anchors(input_hw: tuple[int, int], spec: AnchorSpec = AnchorSpec()) -> np.ndarray:
    """Anchor centres (N x 2, normalised x, y), in MediaPipe's order.

    With fixed anchor sizes only the centres matter: layers sharing a stride are merged, and
    each contributes one anchor per aspect ratio plus one interpolated-scale anchor.
    """
    per_cell = len(spec.aspect_ratios) + (spec.interpolated_scale_aspect_ratio > 0)
    centres = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        same = 0
        while layer + same < len(spec.strides) and spec.strides[layer + same] == stride:
            same += 1
        rows, cols = math.ceil(input_hw[0] / stride), math.ceil(input_hw[1] / stride)
        ys, xs = np.meshgrid((np.arange(rows) + 0.5) / rows, (np.arange(cols) + 0.5) / cols, indexing="ij")
        cells = np.column_stack([xs.ravel(), ys.ravel()])
        centres.append(np.repeat(cells, per_cell * same, axis=0))
        layer += same
    return np.concatenate(centres)


def blazepose_crop(image_hw: tuple[int, int], detection_xy: np.ndarray, scale: float = CROP_SCALE) -> Frame:
    """The landmark model's input region from a detection's keypoints (image-normalised).

    Centre on the hip centre; the square's side is twice the hip-to-scale-point distance
    times `scale`; it is rotated so the scale point (above the head) is straight up.
    """
    h, w = image_hw
    pixels = np.asarray(detection_xy)[:2] * np.array([w, h])
    hip, top = pixels[0], pixels[1]
    radius = float(np.linalg.norm(top - hip))
    if radius < 1e-6:
        raise ValueError("detection has no extent: hip centre and scale point coincide")
    return Frame.square_crop(image_hw, hip, 2 * radius * scale, hip - top)
