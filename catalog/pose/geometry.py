"""Where a model looks: a `Frame` maps the model input's normalised coordinates to the image's.

Every position the pose API returns is in normalised coordinates of the original image: x and
y in 0..1, (0, 0) the image's top-left corner and (1, 1) its bottom-right corner. A stretch
resize is the identity frame, a letterbox a scale and shift, BlazePose's crop a rotation too;
the model's input is sampled through the frame and its keypoints are mapped back through it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from skimage.filters import gaussian
from skimage.transform import AffineTransform, warp


@dataclass(frozen=True)
class Frame:
    """Affine map from model-input normalised (u, v) to image normalised (x, y)."""

    matrix: np.ndarray  # 2 x 3

    @staticmethod
    def identity() -> Frame:
        return Frame(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))

    @staticmethod
    def letterbox(image_hw: tuple[int, int], input_hw: tuple[int, int]) -> Frame:
        """The image scaled to fit the input, centred, the rest padded."""
        (h, w), (ih, iw) = image_hw, input_hw
        scale = min(iw / w, ih / h)
        # fraction of the input the image covers along each axis
        fx, fy = w * scale / iw, h * scale / ih
        x0, y0 = (1 - fx) / 2, (1 - fy) / 2  # where the image starts inside the input
        return Frame(np.array([[1 / fx, 0.0, -x0 / fx], [0.0, 1 / fy, -y0 / fy]]))

    @staticmethod
    def square_crop(image_hw: tuple[int, int], centre: np.ndarray, size: float, down: np.ndarray) -> Frame:
        """A square of `size` pixels around `centre` (pixels), its v axis along `down`."""
        h, w = image_hw
        down = down / np.linalg.norm(down)
        right = np.array([down[1], -down[0]])  # so that (u, v) keeps the image's handedness
        # pixel p = centre + (u - 0.5) * size * right + (v - 0.5) * size * down
        origin = centre - 0.5 * size * (right + down)
        pixels = np.column_stack([right * size, down * size, origin])
        return Frame(pixels / np.array([[w], [h]]))

    def to_image(self, uv: np.ndarray) -> np.ndarray:
        """Input-normalised points (N x 2) in image-normalised coordinates."""
        uv = np.asarray(uv, dtype=np.float64)
        return uv @ self.matrix[:, :2].T + self.matrix[:, 2]

    def to_input(self, xy: np.ndarray) -> np.ndarray:
        """Image-normalised points (N x 2) in the input's normalised coordinates: 0..1 is inside it."""
        xy = np.asarray(xy, dtype=np.float64)
        return (xy - self.matrix[:, 2]) @ np.linalg.inv(self.matrix[:, :2]).T

    def sample(self, image: np.ndarray, input_hw: tuple[int, int], pad: float = 0.0) -> np.ndarray:
        """The model-input-sized picture this frame sees (float, 0..255; `pad` outside the image)."""
        h, w = image.shape[:2]
        ih, iw = input_hw
        # pixel-centre conventions: input (col, row) -> (u, v) -> (x, y) -> image (col, row)
        to_norm = np.array([[1 / iw, 0, 0.5 / iw], [0, 1 / ih, 0.5 / ih], [0, 0, 1]])
        to_pixels = np.array([[w, 0, -0.5], [0, h, -0.5], [0, 0, 1]])
        frame = np.vstack([self.matrix, [0, 0, 1]])
        matrix = to_pixels @ frame @ to_norm
        source = image.astype(np.float32)
        # image pixels per input pixel: blur first when shrinking a lot, as a resize would
        shrink = math.sqrt(abs(np.linalg.det(matrix[:2, :2])))
        if shrink > 2:
            source = gaussian(source, sigma=(shrink - 1) / 2, channel_axis=-1, preserve_range=True, truncate=2.0)
        return warp(
            source,
            AffineTransform(matrix=matrix),
            output_shape=(ih, iw),
            order=1,
            mode="constant",
            cval=float(pad),
            preserve_range=True,
        ).astype(np.float32)
