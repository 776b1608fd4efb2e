"""An image as a model's input tensor, as its card's `preprocess` says; and what counts as an image.

The pose API takes RGB images as H x W x 3 arrays: uint8, or floats in 0..255. Anything else
(no pixels, a grey or RGBA image, a non-numeric array, NaN or infinite values) is a
`ValueError` that names the shape expected and the shape given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from catalog.pose.geometry import Frame

if TYPE_CHECKING:
    from catalog.cards.load import Preprocess

Dims = Sequence[int | str | None]

EXPECTED_IMAGE = "H x W x 3 RGB uint8 (or float in 0..255)"


def check_image(image: np.ndarray) -> np.ndarray:
    """`image` as an array the pose API can read; a ValueError saying why not otherwise."""
    image = np.asarray(image)
    problem = _image_problem(image)
    if problem:
        raise ValueError(f"expected an image of shape {EXPECTED_IMAGE}, got shape {image.shape} ({problem})")
    return image


def _image_problem(image: np.ndarray) -> str | None:
    if image.ndim != 3:
        return f"{image.ndim} dimensions"
    if image.shape[2] != 3:
        return f"{image.shape[2]} channels"
    if image.shape[0] == 0 or image.shape[1] == 0:
        return "no pixels"
    if image.dtype.kind not in "uif":
        return f"dtype {image.dtype} is not numeric"
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        return "NaN or infinite values"
    return None


def input_size(spec: Preprocess, input_shape: Dims | None) -> tuple[int, int]:
    """(height, width) from the model's own input shape; the card's size where it is dynamic."""
    if input_shape is not None and len(input_shape) == 4:
        h, w = (input_shape[2], input_shape[3]) if spec.layout == "NCHW" else input_shape[1:3]
        if isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0:
            return h, w
    height, width = spec.size
    return int(height), int(width)


def frame_for(image_hw: tuple[int, int], spec: Preprocess, input_hw: tuple[int, int]) -> Frame:
    """The region of the whole image the card's resize mode shows the model."""
    if spec.resize == "letterbox":
        return Frame.letterbox(image_hw, input_hw)
    return Frame.identity()


def to_tensor(pixels: np.ndarray, spec: Preprocess) -> np.ndarray:
    """Float pixels (H x W x 3, 0..255) to a batch of one in the card's range, dtype, layout."""
    if spec.channels == "BGR":
        pixels = pixels[..., ::-1]
    lo, hi = spec.range
    x = lo + (hi - lo) * (pixels.astype(np.float32) / 255.0)
    if spec.mean is not None and spec.std is not None:
        x = (x - np.array(spec.mean, np.float32)) / np.array(spec.std, np.float32)
    if np.dtype(spec.dtype).kind in "iu":
        info = np.iinfo(spec.dtype)
        x = np.clip(np.rint(x), info.min, info.max)
    x = x.astype(spec.dtype)[None]
    return x.transpose(0, 3, 1, 2) if spec.layout == "NCHW" else x


def preprocess(
    image: np.ndarray,
    spec: Preprocess,
    input_shape: Dims | None = None,
    frame: Frame | None = None,
) -> np.ndarray:
    """An RGB image (H x W x 3, uint8 or float 0..255) as the model's input tensor (a batch of one).

    `frame` picks the region to sample (BlazePose's crop); by default the card's resize mode
    over the whole image.
    """
    image = check_image(image)
    input_hw = input_size(spec, input_shape)
    if frame is None:
        frame = frame_for(image.shape[:2], spec, input_hw)
    return to_tensor(frame.sample(image, input_hw, spec.pad), spec)
