"""One variant and its onnxruntime session, made once: image in, decoded people out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from catalog import runtime
from catalog.pose.decoders import DECODERS, Decoded
from catalog.pose.geometry import Frame
from catalog.pose.inputs import check_image, frame_for, input_size, to_tensor

if TYPE_CHECKING:
    from catalog.cards.load import Variant


class Model:
    """A variant's ONNX file loaded once; each call preprocesses, runs and decodes one image.

    The session is made at construction (by `catalog.runtime.onnx_session`, `threads` as
    there, its idle threads not spinning) and kept for the object's lifetime: calls make no sessions.
    """

    def __init__(self, variant: Variant, onnx_path: str | Path, *, threads: int | None = None) -> None:
        if variant.decode not in DECODERS:
            raise ValueError(f"{variant.id}: no decoder for decode kind {variant.decode!r}")
        self.variant = variant
        self.onnx_path = Path(onnx_path)
        # no spinning: a pipeline's sessions take turns, and an idle one spinning takes the cores from
        # the running one (MoveNet Lightning top-down, 2 threads: 25-32 ms without, 34-41 ms with)
        self.session: Any = runtime.onnx_session(self.onnx_path, threads, spinning=False)
        (model_input,) = self.session.get_inputs()
        self.input_name: str = model_input.name
        self.input_hw = input_size(variant.preprocess, model_input.shape)
        self.output_names = [o.name for o in self.session.get_outputs()]

    def __repr__(self) -> str:
        return f"Model({self.variant.id!r}, {str(self.onnx_path)!r})"

    def input_tensor(self, image: np.ndarray, frame: Frame | None = None) -> tuple[np.ndarray, Frame]:
        """The model's input for an RGB image, as `run` feeds it, and the frame it shows."""
        image = check_image(image)
        if frame is None:
            frame = frame_for(image.shape[:2], self.variant.preprocess, self.input_hw)
        spec = self.variant.preprocess
        return to_tensor(frame.sample(image, self.input_hw, spec.pad), spec), frame

    def run(self, image: np.ndarray, frame: Frame | None = None) -> tuple[list[Decoded], Frame]:
        """People in an RGB image, in the input's coordinates, and the frame that maps them back
        to the image's; `frame` is the region to look at, by default the card's resize mode."""
        tensor, frame = self.input_tensor(image, frame)
        values = self.session.run(self.output_names, {self.input_name: tensor})
        outputs = dict(zip(self.output_names, values, strict=True))
        return DECODERS[self.variant.decode](outputs, self.variant.keypoints, self.input_hw), frame
