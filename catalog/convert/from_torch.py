"""Export an Ultralytics YOLO pose checkpoint (PyTorch) to ONNX, and check the file against the checkpoint.

The graph takes a fixed 1 x 3 x S x S float32 RGB image in 0..1 (Ultralytics' own predict
preprocessing: letterbox padded with grey 114, BGR to RGB, / 255, NCHW) and ends at the pose
head's raw output, 1 x (5 + 3K) x N: per anchor a box (cx, cy, w, h in input pixels), the person
score and K x (x, y, visibility) keypoints, scores already through their sigmoid. There is no
NMS in the graph: the decoder (`catalog.pose.yolo`) does it.

torch and ultralytics are the optional extra `posezoo[torch]`, imported only when exporting;
ultralytics goes in without its own requirements (see pyproject.toml's `torch` extra).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from catalog import atomic
from catalog.convert.canonical import NotCanonicalizable, canonicalize
from catalog.convert.equivalence import TOLERANCE, CheckResult, Feeds, compare, run_onnx
from catalog.convert.to_onnx import Conversion, validate_onnx
from catalog.errors import ModelError, first_line
from catalog.fetch.sources import cache_root

ULTRALYTICS = "ultralytics==8.4.190"
INSTALL_HINT = (
    f"export from PyTorch needs `pip install posezoo[torch]` and `pip install --no-deps {ULTRALYTICS}`"
    " (or scripts/setup.sh torch)"
)
INPUT_NAME = "images"  # Ultralytics' own names for the exported graph's input and output
OUTPUT_NAME = "output0"
STRIDE = 32  # the coarsest of the head's three grids: the input's sides are multiples of it
# ultralytics reads these when imported: no settings file in ~/.config, no DNS look-up to decide
# whether it is online, no pip install of whatever it finds missing, no summary lines
ULTRALYTICS_ENV = {"YOLO_OFFLINE": "True", "YOLO_AUTOINSTALL": "False", "YOLO_VERBOSE": "False"}


def export_yolo_pose_onnx(checkpoint: Path, out_path: Path, *, size: int = 640, opset: int = 17) -> Conversion:
    """Export the pose model of an Ultralytics checkpoint (.pt) to an ONNX file at `out_path`.

    Byte-reproducible: the same checkpoint, size, opset and versions give the same file.
    """
    checkpoint, out_path = Path(checkpoint), Path(out_path)
    torch = _import_torch(checkpoint)
    if size <= 0 or size % STRIDE:
        raise ModelError(str(checkpoint), f"export size {size} is not a positive multiple of the stride, {STRIDE}")
    started = time.perf_counter()
    model = _export_ready(load_pose_model(checkpoint), checkpoint)
    image = torch.zeros(1, 3, size, size)
    with torch.no_grad():
        expected = tuple(model(image).shape)
    notes = [
        f"exported at a fixed 1x3x{size}x{size} input; output {'x'.join(map(str, expected))}, no NMS in the graph",
        "Conv and BatchNorm fused (float32 weights: the checkpoint's fp16 ones, folded)",
    ]
    model_proto = _traced(torch, model, image, opset, checkpoint)
    output_shape = tuple(d.dim_value for d in model_proto.graph.output[0].type.tensor_type.shape.dim)
    if output_shape != expected:
        raise ModelError(str(checkpoint), f"exported output is {output_shape}, the model gives {expected}")
    try:
        canonicalize(model_proto)
    except NotCanonicalizable as err:
        raise ModelError(str(checkpoint), f"exported model cannot be made reproducible: {err}") from None
    del model_proto.metadata_props[:]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(out_path, model_proto.SerializeToString(deterministic=True))
    validate_onnx(out_path, "exported")
    return Conversion(
        out_path=out_path,
        converter="torch.onnx",
        versions=_versions(),
        opset=opset,
        seconds=round(time.perf_counter() - started, 2),
        fp16_weights=False,
        source_size=checkpoint.stat().st_size,
        onnx_size=out_path.stat().st_size,
        notes=notes,
    )


def check_torch_export(checkpoint: Path, onnx_path: Path, feeds: Feeds, *, tolerance: float = TOLERANCE) -> CheckResult:
    """Run the checkpoint's model as Ultralytics predicts with it (float32, unfused, its usual
    forward) and the exported file on the same feeds, and compare their outputs as
    `catalog.convert.equivalence.check_conversion` does."""
    checkpoint = Path(checkpoint)
    torch = _import_torch(checkpoint)
    if len(feeds) != 1:
        raise ModelError(str(checkpoint), f"the model takes one image, got feeds {sorted(feeds)}")
    (image,) = feeds.values()
    model = load_pose_model(checkpoint)
    with torch.no_grad():
        answer = model(torch.from_numpy(np.ascontiguousarray(image, np.float32)))
    # in eval mode the head answers (decoded output, raw feature maps)
    decoded = answer[0] if isinstance(answer, (tuple, list)) else answer
    converted = run_onnx(Path(onnx_path), feeds)
    return compare({OUTPUT_NAME: decoded.numpy()}, converted, tolerance=tolerance)


# ---------------------------------------------------------------------------------- loading


def load_pose_model(checkpoint: Path) -> Any:
    """The checkpoint's pose model, float32, in eval mode, unfused (an ultralytics PoseModel).

    Unpickled with `weights_only=True` against Ultralytics' allow-list of its own model classes
    (`torch_safe_load(..., safe_only=True)`), so the file can build nothing else.
    """
    checkpoint = Path(checkpoint)
    torch = _import_torch(checkpoint)
    tasks = _import_ultralytics(checkpoint)
    if not checkpoint.is_file():
        raise ModelError(str(checkpoint), "checkpoint not found")
    if checkpoint.suffix != ".pt":
        raise ModelError(str(checkpoint), "not an Ultralytics checkpoint: expected a .pt file")
    try:
        loaded, _ = tasks.torch_safe_load(str(checkpoint), safe_only=True)
    except Exception as err:  # pickle, zip and torch errors alike
        # ultralytics' own messages start "ERROR ❌️ <path> ...": the path is said once, by ModelError
        reason = _first_line(err).removeprefix("ERROR ❌️ ").replace(f"{checkpoint} ", "")
        raise ModelError(str(checkpoint), f"cannot load the checkpoint: {reason}") from err
    model = (loaded.get("ema") or loaded.get("model")) if isinstance(loaded, dict) else None
    if not isinstance(model, torch.nn.Module):
        raise ModelError(str(checkpoint), "not an Ultralytics checkpoint: it holds no model")
    if getattr(model, "task", None) != "pose" and type(model).__name__ != "PoseModel":
        raise ModelError(str(checkpoint), f"not a pose model: {type(model).__name__}")
    model = model.float().eval()
    for parameter in model.parameters():
        parameter.requires_grad = False
    return model


def _export_ready(model: Any, checkpoint: Path) -> Any:
    """The model as Ultralytics' exporter sets it up for ONNX (engine/exporter.py): fused, its head
    decoding boxes and keypoints in the graph for a fixed input, C2f blocks with split()."""
    from ultralytics.nn.modules import C2f, Detect

    model = model.fuse(verbose=False)
    for module in model.modules():
        if isinstance(module, Detect):
            module.dynamic = False
            module.export = True
            module.format = "onnx"
            module.shape = None
            if getattr(module, "end2end", False):
                raise ModelError(str(checkpoint), "an end-to-end (NMS-free) head: this export keeps the raw one")
        elif isinstance(module, C2f):
            module.forward = module.forward_split
    return model


def _traced(torch: Any, model: Any, image: Any, opset: int, checkpoint: Path) -> onnx.ModelProto:
    """torch's TorchScript-based exporter, as Ultralytics' own export uses it (dynamo=False)."""
    import io
    import warnings

    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # the legacy exporter's deprecation notice and tracer warnings are not the user's business
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                image,
                buffer,
                opset_version=opset,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                do_constant_folding=True,
                dynamo=False,
            )
    except Exception as err:  # the exporter raises anything from RuntimeError to its own errors
        reason = f"torch.onnx.export failed: {type(err).__name__}: {_first_line(err)}"
        raise ModelError(str(checkpoint), reason) from err
    return onnx.load_from_string(buffer.getvalue())


# ---------------------------------------------------------------------------------- imports


def _import_torch(where: Path) -> Any:
    try:
        import torch
    except ImportError:
        raise ModelError(str(where), INSTALL_HINT) from None
    return torch


def _import_ultralytics(where: Path) -> Any:
    """ultralytics.nn.tasks, imported quietly and offline."""
    for name, value in ULTRALYTICS_ENV.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("YOLO_CONFIG_DIR", str(cache_root() / "ultralytics"))
    try:
        with _torchvision_version_unless_installed():
            from ultralytics.nn import tasks
    except ImportError:
        raise ModelError(str(where), INSTALL_HINT) from None
    return tasks


@contextmanager
def _torchvision_version_unless_installed() -> Iterator[None]:
    """ultralytics reads torchvision's version when imported (ultralytics/utils/__init__.py:
    `importlib.metadata.version("torchvision")`), yet loading and exporting a pose model never
    import torchvision; and the torchvision on the package index is built against CUDA and fails to
    import beside the CPU torch. So while ultralytics is imported, a missing torchvision reads as
    version 0.0 (its compatibility warning stays unsaid: YOLO_VERBOSE is off)."""
    if "ultralytics.utils" in sys.modules:
        yield
        return
    real = importlib.metadata.version

    def version(name: str) -> str:
        try:
            return real(name)
        except importlib.metadata.PackageNotFoundError:
            if name == "torchvision":
                return "0.0"
            raise

    importlib.metadata.version = version
    try:
        yield
    finally:
        importlib.metadata.version = real


def _versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in ("torch", "ultralytics", "onnx")}


# ---------------------------------------------------------------------------------- errors


def _first_line(err: BaseException) -> str:
    return first_line(err)[:300]  # a PyTorch error can hold a whole graph on its first line
