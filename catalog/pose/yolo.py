"""YOLO pose (Ultralytics) decoding: the head's raw output to people, as Ultralytics' predict does it.

The exported head (`catalog.convert.from_torch`) answers 1 x (5 + 3K) x N, a column per anchor:
a box (cx, cy, w, h in input pixels), the person score, then K x (x, y, visibility) with x, y in
input pixels. Both scores are already probabilities: the head applies the sigmoid in the graph
(ultralytics/nn/modules/head.py: `Detect._inference` on the class scores, `Pose.kpts_decode` on
the visibilities). Pixel coordinates run from the input's top-left corner (anchors sit at cell
centres, `make_anchors` offset 0.5), so dividing by the input's size normalises them.

The steps and thresholds are Ultralytics' predict defaults (ultralytics 8.4.190):
`utils/nms.py` `non_max_suppression` keeps anchors scoring over `conf` (strictly), turns the boxes
into corners, and runs NMS on them, best score first, dropping a box overlapping a kept one by
more than `iou`, then keeps at most `max_det`. `conf` is 0.25 (`engine/predictor.py`: "default
conf=0.25"), `iou` 0.7 and `max_det` 300 (`cfg/default.yaml`); with its one class, the NMS of a
pose model is class-agnostic. Everything is computed in float64 in a fixed order, ties in score
taken in anchor order, so that the JavaScript twin (web/pose/yolo.js) makes the same choices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONF = 0.25  # a person scoring this or less is nobody
IOU = 0.7  # a box overlapping a better one by more than this is the same person
MAX_DET = 300


@dataclass(frozen=True)
class Person:
    """One person, in the input's normalised coordinates."""

    xy: np.ndarray  # K x 2 (x, y)
    scores: np.ndarray  # K: each keypoint's visibility score
    score: float  # the person score
    box: np.ndarray  # x0, y0, x1, y1


def decode(
    raw: np.ndarray, input_hw: tuple[int, int], *, conf: float = CONF, iou: float = IOU, max_det: int = MAX_DET
) -> list[Person]:
    """People in one (5 + 3K) x N head output, best first; nobody is an empty list."""
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[0] < 5 or (raw.shape[0] - 5) % 3:
        raise ValueError(f"expected a (5 + 3K) x N head output, got shape {list(raw.shape)}")
    k = (raw.shape[0] - 5) // 3
    ih, iw = input_hw
    scores = raw[4]
    candidates = np.flatnonzero(scores > conf)
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    cx, cy, w, h = raw[:4, order]
    boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    kept = suppress(boxes, iou)[:max_det]
    people = []
    for i in kept:
        column = raw[5:, order[i]].reshape(k, 3)
        people.append(
            Person(
                xy=column[:, :2] / np.array([iw, ih]),
                scores=column[:, 2].copy(),
                score=float(scores[order[i]]),
                box=boxes[i] / np.array([iw, ih, iw, ih]),
            )
        )
    return people


def suppress(boxes: np.ndarray, iou: float) -> list[int]:
    """Greedy NMS over corner boxes (x0, y0, x1, y1) given best first: the indices kept, in order."""
    x0, y0, x1, y1 = boxes.T
    areas = (x1 - x0) * (y1 - y0)
    alive = np.ones(len(boxes), dtype=bool)
    kept: list[int] = []
    for i in range(len(boxes)):
        if not alive[i]:
            continue
        kept.append(i)
        rest = np.arange(i + 1, len(boxes))
        inter_w = np.clip(np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]), 0.0, None)
        inter_h = np.clip(np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]), 0.0, None)
        inter = inter_w * inter_h
        union = areas[i] + areas[rest] - inter
        overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        alive[rest[overlap > iou]] = False
    return kept
