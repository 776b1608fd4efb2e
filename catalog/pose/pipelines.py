"""Run a card's variant on an image: the pre- and post-processing the cards describe.

`preprocess` turns an RGB image into the model's input tensor; decoders (keyed by a card's
`decode` kind) turn the model's outputs into keypoints; `estimate_poses` runs a whole variant,
two-stage BlazePose included, with onnxruntime. Every position is returned in normalised
coordinates of the original image: x and y in 0..1, (0, 0) the top-left corner of the image
and (1, 1) its bottom-right corner.

Geometry is one idea throughout: a `Frame` is the affine map from the model input's own
normalised coordinates to the image's. A stretch resize is the identity, a letterbox a scale
and shift, BlazePose's crop a rotation too; the input is sampled through the frame and the
decoded keypoints are mapped back through it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from skimage.filters import gaussian
from skimage.transform import AffineTransform, warp

from catalog.cards.load import Keypoints, Preprocess, Variant
from catalog.pose.kinds import DECODE_KINDS

Dims = Sequence[int | str | None]


@dataclass
class Pose:
    """One person: keypoint names, positions (K x 2, normalised x, y) and scores (K)."""

    names: list[str]
    xy: np.ndarray
    scores: np.ndarray
    score: float  # the person's overall score, as the model gives it
    box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 (normalised)
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> tuple[float, float]:
        i = self.names.index(name)
        return float(self.xy[i, 0]), float(self.xy[i, 1])


@dataclass
class Decoded:
    """A decoder's answer for one person, in the model input's normalised coordinates."""

    xy: np.ndarray  # K x 2
    scores: np.ndarray  # K
    score: float
    box: np.ndarray | None = None  # x0, y0, x1, y1
    extra: dict[str, np.ndarray] = field(default_factory=dict)


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
        uv = np.asarray(uv, dtype=np.float64)
        return uv @ self.matrix[:, :2].T + self.matrix[:, 2]

    def sample(self, image: np.ndarray, input_hw: tuple[int, int]) -> np.ndarray:
        """The model-input-sized picture this frame sees (float, 0..255, black outside)."""
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
            cval=0.0,
            preserve_range=True,
        ).astype(np.float32)


# --- input ---------------------------------------------------------------------------------


def input_size(spec: Preprocess, input_shape: Dims | None) -> tuple[int, int]:
    """(height, width) from the model's own input shape; the card's size where it is dynamic."""
    if input_shape is not None and len(input_shape) == 4:
        h, w = (input_shape[2], input_shape[3]) if spec.layout == "NCHW" else input_shape[1:3]
        if isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0:
            return h, w
    return spec.size


def frame_for(image_hw: tuple[int, int], spec: Preprocess, input_hw: tuple[int, int]) -> Frame:
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
    """An RGB uint8 image (H x W x 3) as the model's input tensor (a batch of one).

    `frame` picks the region to sample (BlazePose's crop); by default the card's resize mode
    over the whole image.
    """
    _check_image(image)
    input_hw = input_size(spec, input_shape)
    if frame is None:
        frame = frame_for(image.shape[:2], spec, input_hw)
    return to_tensor(frame.sample(image, input_hw), spec)


def _check_image(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H x W x 3 RGB image, got shape {image.shape}")


# --- decoders ------------------------------------------------------------------------------

Outputs = dict[str, np.ndarray]
Decoder = Callable[[Outputs, Keypoints, tuple[int, int]], list[Decoded]]
DECODERS: dict[str, Decoder] = {}


def decoder(kind: str) -> Callable[[Decoder], Decoder]:
    if kind not in DECODE_KINDS:
        raise ValueError(f"decode kind {kind!r} is not in catalog.pose.kinds.DECODE_KINDS")

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
    """1 x H x W x K confidence maps: each keypoint at its map's peak."""
    k = len(keypoints.names)
    maps = _only(outputs, lambda v: v.ndim == 4 and v.shape[-1] == k, f"{k}-channel map")[0]
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


# --- BlazePose detector --------------------------------------------------------------------


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


@decoder("blazepose-detector")
def decode_blazepose_detector(outputs: Outputs, keypoints: Keypoints, input_hw: tuple[int, int]) -> list[Decoded]:
    """1 x N x 13 per anchor: score logit, head box (cx, cy, w, h), 4 keypoints (x, y).

    Values are input pixels relative to the anchor centre; the face stands in for the person.
    Keypoints: hip centre, a point giving full-body size and rotation, shoulder centre, a
    point giving upper-body size and rotation. People are returned best first after a simple
    non-maximum suppression (on the head boxes).
    """
    k = len(keypoints.names)
    raw = _only(outputs, lambda v: v.ndim == 3 and v.shape[-1] == 5 + 2 * k, "1xNx13 tensor")[0]
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
        if scores[i] < 0.05 or len(people) == 10:
            break
        if any(_iou(boxes[i], p.box) > 0.3 for p in people if p.box is not None):
            continue
        people.append(Decoded(points[i], np.full(k, scores[i]), float(scores[i]), boxes[i]))
    if not people:  # nobody: still report the best anchor, its score says how sure it is
        i = int(np.argmax(scores))
        people.append(Decoded(points[i], np.full(k, scores[i]), float(scores[i]), boxes[i]))
    return people


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None))
    union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter
    return float(inter / union) if union > 0 else 0.0


def blazepose_crop(image_hw: tuple[int, int], detection: Pose, scale: float = 1.25) -> Frame:
    """The landmark model's input region from a detection, as MediaPipe computes it.

    Centre on the hip centre; the square's side is twice the hip-to-scale-point distance
    times `scale`; it is rotated so the scale point (above the head) is straight up.
    """
    h, w = image_hw
    pixels = detection.xy[:2] * np.array([w, h])
    hip, top = pixels[0], pixels[1]
    radius = float(np.linalg.norm(top - hip))
    if radius < 1e-6:
        raise ValueError("detection has no extent: hip centre and scale point coincide")
    return Frame.square_crop(image_hw, hip, 2 * radius * scale, hip - top)


# --- running a variant ---------------------------------------------------------------------


@lru_cache(maxsize=16)
def session(onnx_path: str):  # -> onnxruntime.InferenceSession
    from catalog.runtime import onnx_session

    return onnx_session(onnx_path)


def run_model(
    image: np.ndarray, variant: Variant, onnx_path: str | Path, frame: Frame | None = None
) -> tuple[list[Decoded], Frame]:
    """Preprocess, run and decode one model; positions still in its input's coordinates."""
    _check_image(image)
    sess = session(str(onnx_path))
    (inp,) = sess.get_inputs()
    input_hw = input_size(variant.preprocess, inp.shape)
    if frame is None:
        frame = frame_for(image.shape[:2], variant.preprocess, input_hw)
    tensor = to_tensor(frame.sample(image, input_hw), variant.preprocess)
    names = [o.name for o in sess.get_outputs()]
    outputs = dict(zip(names, sess.run(names, {inp.name: tensor}), strict=True))
    if variant.decode not in DECODERS:
        raise ValueError(f"{variant.id}: no decoder for decode kind {variant.decode!r}")
    return DECODERS[variant.decode](outputs, variant.keypoints, input_hw), frame


def _to_pose(decoded: Decoded, frame: Frame, names: Sequence[str]) -> Pose:
    box = None
    if decoded.box is not None:
        corners = frame.to_image(decoded.box.reshape(2, 2))
        box = (*corners.min(axis=0), *corners.max(axis=0))
    extra = dict(decoded.extra)
    if "aux" in extra and len(extra["aux"]):
        extra["aux"] = frame.to_image(extra["aux"])
    return Pose(
        list(names),
        frame.to_image(decoded.xy),
        np.asarray(decoded.scores),
        decoded.score,
        box,
        extra,
    )


def estimate_poses(
    image: np.ndarray,
    variant: Variant,
    onnx_path: str | Path,
    detector: tuple[Variant, str | Path] | None = None,
) -> list[Pose]:
    """Every person the variant reports, best first, in the original image's coordinates.

    For a two-stage variant (BlazePose) pass `detector=(detector_variant, its_onnx_path)`:
    the landmark model then runs on the detector's crop around the best person. Without a
    detector it sees the whole (letterboxed) image, which it was not trained for.
    """
    if detector is not None:
        det_variant, det_path = detector
        found = estimate_poses(image, det_variant, det_path)
        crop = blazepose_crop(image.shape[:2], found[0])
        decoded, frame = run_model(image, variant, onnx_path, crop)
        poses = [_to_pose(d, frame, variant.keypoints.names) for d in decoded]
        for pose in poses:
            pose.extra["detection"] = found[0].xy
            pose.extra["crop"] = frame.matrix
        return poses
    decoded, frame = run_model(image, variant, onnx_path)
    return [_to_pose(d, frame, variant.keypoints.names) for d in decoded]


def estimate_pose(
    image: np.ndarray,
    variant: Variant,
    onnx_path: str | Path,
    detector: tuple[Variant, str | Path] | None = None,
) -> Pose:
    """The variant's best person (see `estimate_poses`)."""
    return estimate_poses(image, variant, onnx_path, detector)[0]
