"""The int8 form of a variant's ONNX file: static QDQ quantization with onnxruntime's own tools.

    quantized = quantize_int8(Path("movenet-lightning.onnx"), Path("movenet-lightning.int8.onnx"), tensors)

`tensors` are the model's inputs for the calibration photos (`calibration_photos()`), made by
the variant's own pipeline (catalog.pose), so the activations' ranges are those of real use.
The converted files store their large weights as fp16 initializers feeding Cast nodes, which
the quantizer does not see as weights (it quantizes initializers only): they are stored as
fp32 first. Then `quant_pre_process` (ONNX's shape inference and onnxruntime's basic graph
optimisation; not its symbolic shape inference, which needs sympy, and these image models'
shapes are static but for the batch) and `quantize_static`: QDQ format, weights int8 per
channel, activations uint8, MinMax calibration. The output is written deterministically: the
same inputs give the same bytes on every build.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

from catalog import atomic

# why each photo: real photos of a person that every build has offline (they ship with
# scikit-image), neither of them a photo the int8 form is then compared on
CALIBRATION_PHOTOS = {
    "skimage.data.camera(), grey made RGB": (
        "a man in a coat at a camera on a tripod, outdoors, head to thighs, bent sideways: unlike the test "
        "photos' pose, and in grey"
    ),
    "skimage.data.astronaut() mirrored left to right": (
        "a woman in a spacesuit, head and shoulders, in colour; mirrored, so not the test photo itself"
    ),
}
# What the quantizer is asked for, recorded with the file (the catalog's QuantizerRecord).
# Measured on MoveNet Lightning here (x86 with AVX2, no VNNI; 1 thread, best of 15): one scale
# per tensor instead of per channel moves her keypoints by half the image; int8 activations
# (S8S8) instead of uint8 run 1.3x slower (onnxruntime's x86 integer kernels pair uint8
# activations with int8 weights) and drift no less; quantizing only the convolutions leaves
# Q/DQ pairs between them and the other ops (1.2x slower) and drifts as much; keeping the
# heads float changed little but made BlazePose Lite's file 40% bigger. Entropy and
# percentile calibration drifted no less than MinMax, which is also the fastest and exact.
SETTINGS: dict[str, Any] = {
    "tool": "onnxruntime.quantization.quantize_static",
    "format": "QDQ",
    "per_channel": True,
    "weights": "int8 (symmetric)",
    "activations": "uint8 (asymmetric)",
    "calibration_method": "MinMax",
}


@dataclass(frozen=True)
class Quantized:
    path: Path
    # SETTINGS, with the versions of onnxruntime and onnx under "versions"
    settings: dict[str, Any]
    seconds: float
    # what quantizing changed or noticed
    notes: list[str] = field(default_factory=list)


def calibration_photos() -> list[tuple[str, np.ndarray]]:
    """(description, RGB uint8 image) of each calibration photo, in CALIBRATION_PHOTOS' order."""
    from skimage import data

    camera = np.repeat(data.camera()[..., None], 3, axis=2)
    mirrored = np.ascontiguousarray(data.astronaut()[:, ::-1])
    return list(zip(CALIBRATION_PHOTOS, (camera, mirrored), strict=True))


def quantize_int8(float_path: Path, out_path: Path, tensors: Sequence[np.ndarray]) -> Quantized:
    """The int8 (static QDQ) form of the ONNX file `float_path` at `out_path`, calibrated on
    `tensors` (one input tensor per calibration photo, as the model takes it). Raises whatever
    the quantizer raises; the caller says the variant has no int8 form and why."""
    from onnxruntime import __version__ as ort_version
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quant_pre_process, quantize_static

    if not tensors:
        raise ValueError("no calibration tensors")
    started = time.perf_counter()
    model = onnx.load(str(float_path))
    (model_input,) = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    notes: list[str] = []
    stored = _store_weights_as_fp32(model)
    if stored:
        notes.append(f"{stored} fp16 weights stored as fp32 before quantizing (the quantizer takes initializers only)")
    with tempfile.TemporaryDirectory(prefix="posezoo-quantize-") as scratch:
        fp32 = Path(scratch) / "fp32.onnx"
        prepared = Path(scratch) / "prepared.onnx"
        written = Path(scratch) / "int8.onnx"
        onnx.save(model, fp32)
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(written),
            _Reader(model_input.name, tensors),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"WeightSymmetric": True, "ActivationSymmetric": False},
        )
        quantized = onnx.load(str(written))
    quantized.producer_name, quantized.producer_version = "posezoo", ""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(out_path, quantized.SerializeToString(deterministic=True))
    settings = {**SETTINGS, "versions": {"onnxruntime": ort_version, "onnx": metadata.version("onnx")}}
    return Quantized(out_path, settings, round(time.perf_counter() - started, 2), notes)


class _Reader:
    """onnxruntime's CalibrationDataReader over in-memory tensors (duck-typed: the calibrator only calls get_next)."""

    def __init__(self, input_name: str, tensors: Sequence[np.ndarray]) -> None:
        self._feeds = iter([{input_name: np.ascontiguousarray(t)} for t in tensors])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)


def _store_weights_as_fp32(model: onnx.ModelProto) -> int:
    """Each Cast of an fp16 initializer to float becomes an fp32 initializer under the Cast's
    output name; the number replaced."""
    graph = model.graph
    fp16 = {t.name: t for t in graph.initializer if t.data_type == TensorProto.FLOAT16}
    replaced, kept = [], []
    for node in graph.node:
        to = next((a.i for a in node.attribute if a.name == "to"), None)
        if node.op_type == "Cast" and to == TensorProto.FLOAT and node.input[0] in fp16:
            weight = numpy_helper.to_array(fp16[node.input[0]]).astype(np.float32)
            replaced.append(numpy_helper.from_array(weight, node.output[0]))
        else:
            kept.append(node)
    if not replaced:
        return 0
    del graph.node[:]
    graph.node.extend(kept)
    still_read = {name for node in kept for name in node.input}
    remaining = [t for t in graph.initializer if t.name not in fp16 or t.name in still_read]
    del graph.initializer[:]
    graph.initializer.extend([*remaining, *replaced])
    return len(replaced)
