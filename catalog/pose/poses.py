"""`Pose`, what an estimator answers per person, and the mapping of a decoder's answer onto the image."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from catalog.pose.decoders import Decoded
from catalog.pose.geometry import Frame


@dataclass
class Pose:
    """One person, in the image's normalised coordinates (x, y in 0..1 from the top-left corner).

    `xy` is K x 2 and `scores` K, in the order of `names`; `score` is the person's overall
    score as the model gives it. `box` (x0, y0, x1, y1) is there where the model gives one.
    A two-stage pose (BlazePose) carries the detector's answer in `detection`, and the crop
    the landmark model saw in `extra["crop"]` (a `Frame` matrix).
    """

    names: list[str]
    xy: np.ndarray
    scores: np.ndarray
    score: float
    box: tuple[float, float, float, float] | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    detection: Pose | None = None

    def __getitem__(self, name: str) -> tuple[float, float]:
        i = self.names.index(name)
        return float(self.xy[i, 0]), float(self.xy[i, 1])


def to_pose(decoded: Decoded, frame: Frame, names: Sequence[str]) -> Pose:
    """A decoder's person (input coordinates) as a `Pose` in the image's coordinates."""
    box = None
    if decoded.box is not None:
        corners = frame.to_image(decoded.box.reshape(2, 2))
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        box = (float(x0), float(y0), float(x1), float(y1))
    extra = dict(decoded.extra)
    if "aux" in extra and len(extra["aux"]):
        extra["aux"] = frame.to_image(extra["aux"])
    return Pose(list(names), frame.to_image(decoded.xy), np.asarray(decoded.scores), decoded.score, box, extra)
