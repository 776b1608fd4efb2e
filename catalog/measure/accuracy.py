"""Accuracy on the evaluation set: how well a model finds people, against hand annotations.

The set is COCO's keypoint format (`eval/annotations/`): COCO-17 keypoints (x, y, visibility)
and a box per person; a person with no labelled keypoint is an ignored region (a detection on
them is neither a hit nor a false positive). Figures, per model:

- **AP and AP50**: COCO's keypoint AP, by pycocotools' COCOeval, with COCO's per-keypoint
  sigmas. A person's scale is the area of their box (COCO uses the segment's area, about half
  of it: our OKS is the more lenient, as if distances were about 0.7 of theirs).
- **PCK@0.05 and PCK@0.1**: the share of labelled keypoints within 0.05 (0.1) of the person
  box's longer side of the prediction matched to that person (greedy by OKS; a person nobody
  matched misses every keypoint), overall and per keypoint.
- A 95 % bootstrap interval for each: PCK resampled over people; AP over images, since a false
  positive belongs to an image, not to a person.

A model is scored on the keypoints its schema shares with COCO-17, by name (`shared_keypoints`:
the one mapping rule; `mapping_table` shows it per schema), with those keypoints' sigmas.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

COCO17: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
# COCO's per-keypoint OKS sigmas, in COCO17's order (the COCO keypoint evaluation's)
COCO_SIGMAS: tuple[float, ...] = (
    0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062,
    0.107, 0.107, 0.087, 0.087, 0.089, 0.089,
)  # fmt: skip
PCK_THRESHOLDS: tuple[float, ...] = (0.05, 0.1)
BOOTSTRAP_RESAMPLES = 200
CONFIDENCE = 0.95


def shared_keypoints(names: Sequence[str]) -> list[str]:
    """The COCO-17 keypoints a schema also has (same name), in COCO's order: what a model is scored on."""
    present = set(names)
    return [name for name in COCO17 if name in present]


def mapping_table(schemas: Mapping[str, Sequence[str]]) -> list[tuple[str, dict[str, str | None]]]:
    """Per COCO-17 keypoint, each schema's keypoint scored as it (None where the schema has none)."""
    return [(name, {schema: (name if name in names else None) for schema, names in schemas.items()}) for name in COCO17]


@dataclass(frozen=True)
class Person:
    """One person a model found: keypoints in pixels of the image, by name, and its score."""

    keypoints: Mapping[str, tuple[float, float]]
    score: float


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float


@dataclass
class Accuracy:
    """A model's figures on the set, over `keypoints` (those it shares with COCO-17)."""

    keypoints: list[str]
    people: int  # annotated people (at least one labelled keypoint)
    images: int
    ap: Interval
    ap50: Interval
    pck: dict[float, Interval]  # by threshold
    pck_per_keypoint: dict[float, dict[str, float | None]] = field(default_factory=dict)  # None: never labelled


def annotated(annotation: Mapping) -> bool:
    return any(v > 0 for v in annotation["keypoints"][2::3])


def _subset(keypoints: Sequence[float], indices: Sequence[int]) -> list[float]:
    return [value for i in indices for value in keypoints[3 * i : 3 * i + 3]]


def _box_side(annotation: Mapping) -> float:
    return float(max(annotation["bbox"][2], annotation["bbox"][3]))


def _oks(gt: Mapping, xy: np.ndarray, indices: Sequence[int], sigmas: np.ndarray) -> float:
    """COCO's OKS of one prediction (xy per scored keypoint) against one annotation."""
    g = np.asarray(gt["keypoints"], dtype=float).reshape(-1, 3)[list(indices)]
    labelled = g[:, 2] > 0
    if not labelled.any():
        return 0.0
    squared = ((xy - g[:, :2]) ** 2).sum(axis=1)
    area = float(gt["bbox"][2] * gt["bbox"][3])
    e = squared / ((2 * sigmas) ** 2) / (area + np.spacing(1)) / 2
    return float(np.exp(-e[labelled]).mean())


def _xy(person: Person, names: Sequence[str]) -> np.ndarray:
    return np.array([person.keypoints.get(name, (np.nan, np.nan)) for name in names], dtype=float)


def _match(gts: Sequence[Mapping], people: Sequence[Person], names, indices, sigmas) -> list[Person | None]:
    """For each annotation, the prediction matched to it: greedy by OKS, best pair first."""
    pairs = []
    for g, gt in enumerate(gts):
        for p, person in enumerate(people):
            xy = np.nan_to_num(_xy(person, names), nan=-1e9)
            oks = _oks(gt, xy, indices, sigmas)
            if oks > 0:
                pairs.append((oks, g, p))
    matched: list[Person | None] = [None] * len(gts)
    taken: set[int] = set()
    for _, g, p in sorted(pairs, reverse=True):
        if matched[g] is None and p not in taken:
            matched[g] = people[p]
            taken.add(p)
    return matched


def _coco_ap(
    images: list[dict], annotations: list[dict], detections: list[dict], sigmas: np.ndarray
) -> tuple[float, float]:
    """COCO's keypoint AP and AP50, by pycocotools (its printing silenced)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if not detections or not any(annotated(a) for a in annotations):
        return 0.0, 0.0
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "person"}]}
        truth.createIndex()
        found = truth.loadRes(detections)
        evaluation = COCOeval(truth, found, "keypoints")
        evaluation.params.kpt_oks_sigmas = sigmas
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    ap, ap50 = float(evaluation.stats[0]), float(evaluation.stats[1])
    return max(ap, 0.0), max(ap50, 0.0)  # -1: nothing to score


def _interval(value: float, samples: Sequence[float]) -> Interval:
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail]) if len(samples) else (value, value)
    return Interval(round(value, 4), round(float(low), 4), round(float(high), 4))


def score(
    images: Sequence[Mapping],
    annotations: Sequence[Mapping],
    predictions: Mapping[int, Sequence[Person]],
    names: Sequence[str],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> Accuracy:
    """A model's accuracy: `predictions` by image id, its keypoints named as in `names` (its schema)."""
    scored = shared_keypoints(names)
    if not scored:
        raise ValueError("the model's keypoints share no name with COCO-17: nothing to score")
    indices = [COCO17.index(name) for name in scored]
    sigmas = np.array([COCO_SIGMAS[i] for i in indices])
    by_image: dict[int, list[Mapping]] = {int(image["id"]): [] for image in images}
    for annotation in annotations:
        by_image[int(annotation["image_id"])].append(annotation)

    gt_images = [{"id": int(i["id"]), "width": i["width"], "height": i["height"]} for i in images]
    gt_annotations, detections = [], []
    # per annotated person: labelled keypoints, and per threshold which of them the match put close enough
    labelled_rows: list[np.ndarray] = []
    hit_rows: dict[float, list[np.ndarray]] = {t: [] for t in PCK_THRESHOLDS}
    for image_id, gts in by_image.items():
        people = list(predictions.get(image_id, ()))
        counted = []  # the people labelled on at least one scored keypoint
        for gt in gts:
            keypoints = _subset(gt["keypoints"], indices)
            count = sum(1 for v in keypoints[2::3] if v > 0)
            area = float(gt["bbox"][2] * gt["bbox"][3])
            gt_annotations.append(
                {**gt, "id": len(gt_annotations) + 1, "keypoints": keypoints, "num_keypoints": count, "area": area,
                 "iscrowd": 0, "category_id": 1}
            )  # fmt: skip
            if count:
                counted.append(gt)
        for person in people:
            xy = _xy(person, scored)
            flat = [v for x, y in np.nan_to_num(xy, nan=0.0) for v in (float(x), float(y), 1.0)]
            detections.append({"image_id": image_id, "category_id": 1, "keypoints": flat, "score": float(person.score)})
        for gt, match in zip(counted, _match(counted, people, scored, indices, sigmas), strict=True):
            g = np.asarray(gt["keypoints"], dtype=float).reshape(-1, 3)[indices]
            labelled = g[:, 2] > 0
            labelled_rows.append(labelled)
            distance = np.full(len(indices), np.inf)
            if match is not None:
                distance = np.hypot(*(_xy(match, scored) - g[:, :2]).T)
                distance = np.where(np.isnan(distance), np.inf, distance)
            for threshold in PCK_THRESHOLDS:
                hit_rows[threshold].append(labelled & (distance <= threshold * _box_side(gt)))

    ap, ap50 = _coco_ap(gt_images, gt_annotations, detections, sigmas)
    labelled_matrix = np.array(labelled_rows, dtype=bool).reshape(-1, len(indices))
    rng = np.random.default_rng(seed)
    pck: dict[float, Interval] = {}
    per_keypoint: dict[float, dict[str, float | None]] = {}
    people = len(labelled_matrix)
    for threshold in PCK_THRESHOLDS:
        hits = np.array(hit_rows[threshold], dtype=bool).reshape(-1, len(indices))
        value = hits.sum() / max(labelled_matrix.sum(), 1)
        samples = []
        for _ in range(resamples if people else 0):
            chosen = rng.integers(0, people, people)
            samples.append(hits[chosen].sum() / max(labelled_matrix[chosen].sum(), 1))
        pck[threshold] = _interval(float(value), samples)
        labelled_per_keypoint = labelled_matrix.sum(axis=0)
        per_keypoint[threshold] = {
            name: round(float(hits[:, k].sum() / labelled_per_keypoint[k]), 4) if labelled_per_keypoint[k] else None
            for k, name in enumerate(scored)
        }
    ap_samples, ap50_samples = [], []
    image_ids = list(by_image)
    for _ in range(resamples if image_ids else 0):
        chosen = rng.choice(image_ids, len(image_ids))
        sample_images, sample_annotations, sample_detections = [], [], []
        for new_id, old_id in enumerate(chosen, 1):
            sample_images.append({"id": new_id, "width": 1, "height": 1})
            theirs = [a for a in gt_annotations if a["image_id"] == old_id]
            sample_annotations += [
                {**a, "id": len(sample_annotations) + n + 1, "image_id": new_id} for n, a in enumerate(theirs)
            ]
            sample_detections += [{**d, "image_id": new_id} for d in detections if d["image_id"] == old_id]
        sample_ap, sample_ap50 = _coco_ap(sample_images, sample_annotations, sample_detections, sigmas)
        ap_samples.append(sample_ap)
        ap50_samples.append(sample_ap50)
    return Accuracy(
        keypoints=scored,
        people=people,
        images=len(images),
        ap=_interval(ap, ap_samples),
        ap50=_interval(ap50, ap50_samples),
        pck=pck,
        pck_per_keypoint=per_keypoint,
    )
