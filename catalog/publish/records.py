"""Reading a catalog.json variant record as the site and the app show it: its ONNX report, its
original format, its onnxruntime latency, whether the browser can run it, and its title.

Plain dictionaries in, plain values out: the docs site and the Streamlit app (also under
Pyodide, with stlite) share these, so a figure is looked up one way everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalog.formats import INT8_FORMAT, ONNX_FORMAT

LATENCY_RUNTIME = "onnxruntime"  # the runtime every variant's ONNX form is timed on
FORMAT_NAMES = {"onnx": "ONNX", INT8_FORMAT: "ONNX int8", "tflite": "TFLite", "tfjs": "TFJS"}


def onnx_report(variant: dict[str, Any]) -> dict[str, Any] | None:
    """The variant's ONNX report: every built variant has one, and onnxruntime times it."""
    return (variant.get("formats") or {}).get("onnx")


def original_format(variant: dict[str, Any]) -> str | None:
    names = [name for name in variant.get("formats") or {} if name not in (ONNX_FORMAT, INT8_FORMAT)]
    return names[0] if names else ("onnx" if variant.get("formats") else None)


def latency_ms(report: dict[str, Any] | None) -> float | None:
    latency = (report or {}).get("latency") or {}
    return latency.get("median_ms") if latency.get("runtime") == LATENCY_RUNTIME else None


def runnable(variant: dict[str, Any]) -> bool:
    """A variant the Try-it page lists: a built model with an ONNX file."""
    return variant.get("status") == "ok" and variant.get("role") == "model" and bool(onnx_report(variant))


def safe_relative(path: str) -> Path | None:
    """A catalog's relative file path, or None where it would leave the folder it is relative to."""
    relative = Path(path)
    if relative.is_absolute() or not relative.parts or ".." in relative.parts:
        return None
    return relative


def model_title(variant: dict[str, Any], families: dict[str, dict[str, Any]]) -> str:
    """The family's name and the variant's: "MoveNet SinglePose Lightning"."""
    family = families.get(variant["family"], {}).get("name", variant["family"])
    return f"{family} {variant['name']}"
