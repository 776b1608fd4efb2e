"""A model on the evaluation set, used as it is meant to be used: its accuracy record.

How a variant is used follows from its card, by one rule (`how_used`):

- a multi-person model (MoveNet MultiPose) sees the whole frame;
- a model with a detector of its own (BlazePose's landmark models) runs behind it, on every
  person the detector finds (two-stage);
- any other single-person model (MoveNet SinglePose, PoseNet, EfficientPose) runs top-down:
  on a crop around each person the zoo's multi-person model finds (`TOP_DOWN_DETECTOR`);
- a person detector is a component, not scored on its own: its pose models are.

The truth is the first annotation pass; the second, scored against it as if it were a model,
is the set's noise floor.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from catalog.cards.decode_kinds import MULTI_PERSON_KINDS
from catalog.measure.accuracy import BOOTSTRAP_RESAMPLES, Accuracy, Interval, Person, score
from catalog.measure.annotations import AnnotatedSet, noise_floor, read_annotations
from catalog.paths import ROOT

if TYPE_CHECKING:
    from catalog.cards.load import Variant
    from catalog.pose.poses import Pose

EVAL_DIR = ROOT / "eval"
TRUTH = EVAL_DIR / "annotations" / "pass1.json"  # the first pass: what models are scored against
SECOND = EVAL_DIR / "annotations" / "pass2.json"  # the independent second pass: the noise floor
TOP_DOWN_DETECTOR = "movenet-multipose"  # the zoo's multi-person model: its boxes place single-person models

Mode = Literal["whole-frame", "top-down", "two-stage"]
Estimator = Callable[[np.ndarray], "list[Pose]"]


@dataclass(frozen=True)
class Use:
    """How a variant is run on the set: its mode and the detector in front of it, or why it is not scored."""

    mode: Mode | None
    detector: str | None = None
    note: str = ""


def how_used(variant: Variant) -> Use:
    """The one rule (see the module's notes): from the card's role, detector and decode kind."""
    if variant.role == "detector":
        return Use(None, note="a person detector, a component of its pose models: scored through them")
    if variant.detector:
        return Use("two-stage", variant.detector)
    if variant.decode in MULTI_PERSON_KINDS:
        return Use("whole-frame")
    return Use("top-down", TOP_DOWN_DETECTOR)


def _relative(path: Path) -> str:
    return path.resolve().relative_to(ROOT).as_posix() if path.resolve().is_relative_to(ROOT) else str(path)


@dataclass
class EvalSet:
    """The fetched images and both annotation passes, read and checked."""

    truth: AnnotatedSet
    second: AnnotatedSet
    files: dict[str, Path]  # an image's file name (as the annotations give it) -> the fetched file
    version: str
    problems: list[str] = field(default_factory=list)
    _pixels: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def pixels(self, file_name: str) -> np.ndarray:
        """The image as RGB uint8, read once."""
        if file_name not in self._pixels:
            from PIL import Image

            with Image.open(self.files[file_name]) as image:
                self._pixels[file_name] = np.asarray(image.convert("RGB"))
        return self._pixels[file_name]

    def record(self) -> dict[str, Any]:
        """The set as an accuracy record names it (schema: EvalSetRecord)."""
        return {
            "version": self.version,
            "images": len(self.truth.images),
            "people": self.truth.people,
            "truth": _relative(self.truth.path),
        }

    @cached_property
    def noise_floor_record(self) -> dict[str, Any] | None:
        """The second pass against the first (schema: NoiseFloorRecord); None without a readable second pass."""
        if not self.second.annotations:
            return None
        floor = noise_floor(self.truth, self.second, resamples=BOOTSTRAP_RESAMPLES)
        return {
            "people": floor.people,
            "second": _relative(self.second.path),
            "disagreement": floor.disagreement,
            "second_as_model": accuracy_record(floor.second_as_model, self, None, None, floor.people, 0.0),
        }


def load_eval_set(cache: Path | None = None, truth: Path = TRUTH, second: Path = SECOND) -> EvalSet:
    """Fetch (or find cached) the set's images and read both passes; every problem is one line
    and costs only the people of the image it names."""
    from catalog.fetch.eval_images import DEFAULT_SOURCES, fetch_eval_images

    fetched = fetch_eval_images(DEFAULT_SOURCES, cache)
    sizes = {image.path.name: (image.width, image.height) for image in fetched.values()}
    first, other = read_annotations(truth, sizes), read_annotations(second, sizes)
    digest = hashlib.sha256()
    for path in (DEFAULT_SOURCES, truth, second):
        digest.update(hashlib.sha256(Path(path).read_bytes() if Path(path).is_file() else b"").digest())
    files = {image.path.name: image.path for image in fetched.values()}
    problems = fetched.problems + first.problems + other.problems
    return EvalSet(first, other, files, digest.hexdigest()[:12], problems)


def _person(pose: Pose, width: int, height: int) -> Person:
    points = {name: (float(x) * width, float(y) * height) for name, (x, y) in zip(pose.names, pose.xy, strict=True)}
    return Person(points, float(pose.score))


def predictions(estimator: Estimator, eval_set: EvalSet) -> dict[int, list[Person]]:
    """Every person the estimator finds in each image, in the image's pixels, by image id."""
    found: dict[int, list[Person]] = {}
    for image in eval_set.truth.images:
        pixels = eval_set.pixels(image["file_name"])
        height, width = pixels.shape[:2]
        found[int(image["id"])] = [_person(pose, width, height) for pose in estimator(pixels)]
    return found


def _interval(interval: Interval) -> dict[str, float]:
    return {"value": interval.value, "low": interval.low, "high": interval.high}


def accuracy_record(
    accuracy: Accuracy, eval_set: EvalSet, mode: Mode | None, detector: str | None, detections: int, seconds: float
) -> dict[str, Any]:
    """An `Accuracy` as the catalog records it (schema: AccuracyRecord)."""
    return {
        "set": eval_set.record(),
        "mode": mode,
        "detector": detector,
        "keypoints": accuracy.keypoints,
        "ap": _interval(accuracy.ap),
        "ap50": _interval(accuracy.ap50),
        "pck_05": _interval(accuracy.pck[0.05]),
        "pck_10": _interval(accuracy.pck[0.1]),
        "pck_10_per_keypoint": accuracy.pck_per_keypoint[0.1],
        "detections": detections,
        "seconds": round(seconds, 1),
    }


def not_scored(note: str, use: Use | None = None) -> dict[str, Any]:
    """The record of a form the set could not score, and why."""
    return {"mode": use.mode if use else None, "detector": use.detector if use else None, "note": note}


def evaluate(estimator: Estimator, names: Sequence[str], eval_set: EvalSet, use: Use) -> dict[str, Any]:
    """Run the estimator on every image of the set and score it against the truth."""
    started = time.perf_counter()
    found = predictions(estimator, eval_set)
    accuracy = score(eval_set.truth.images, eval_set.truth.annotations, found, names)
    detections = sum(len(people) for people in found.values())
    return accuracy_record(accuracy, eval_set, use.mode, use.detector, detections, time.perf_counter() - started)
