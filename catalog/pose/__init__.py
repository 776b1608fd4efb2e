"""Pose estimation with the zoo's models: a `PoseEstimator` per variant, called on RGB images.

    from catalog.pose import PoseEstimator
    estimator = PoseEstimator.from_catalog("blazepose-lite")  # the published catalog; catalog="build": yours
    pose = estimator.best(image)  # a Pose, or None when nobody is there
    pose["left_wrist"]  # (x, y), normalised to the image

The modules, one job each: `geometry` (Frame: model input to image coordinates), `inputs`
(image checks and the card's preprocessing), `decoders` (model outputs to people, one per
decode kind in `catalog.cards.decode_kinds`), `blazepose` (the detector's anchors and the landmark crop), `poses`
(the `Pose` record), `model` (one variant's session, kept), `estimator` (PoseEstimator,
two-stage BlazePose included), `built` (variants and ONNX files from a built catalog.json).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalog.pose.decoders import DECODERS, Decoded, decoder
    from catalog.pose.estimator import PoseEstimator
    from catalog.pose.geometry import Frame
    from catalog.pose.inputs import check_image, preprocess
    from catalog.pose.model import Model
    from catalog.pose.poses import Pose

# loaded on first use: `import catalog.pose` alone (the package's lazy loaders) must not pull in
# numpy, scikit-image and the decoders with it
_HOME = {
    "DECODERS": "decoders",
    "Decoded": "decoders",
    "decoder": "decoders",
    "PoseEstimator": "estimator",
    "Frame": "geometry",
    "check_image": "inputs",
    "preprocess": "inputs",
    "Model": "model",
    "Pose": "poses",
}
__all__ = ["DECODERS", "Decoded", "Frame", "Model", "Pose", "PoseEstimator", "check_image", "decoder", "preprocess"]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'catalog.pose' has no attribute {name!r}")
    return getattr(import_module(f"catalog.pose.{_HOME[name]}"), name)
