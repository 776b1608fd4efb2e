"""Models side by side, without Streamlit: one row per figure, one column per model, and the best
value of each row where smaller is better (size, parameters, compute, latency, memory, the
keypoint check's distance, the conversion's difference)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from catalog.publish.records import FORMAT_NAMES, latency_ms, model_title, onnx_report, original_format

BEST = "★"  # after the best value of a row
MISSING = "—"


@dataclass(frozen=True)
class Figure:
    label: str
    value: Callable[[dict[str, Any], dict[str, Any]], Any]  # (variant, family) -> value or None
    text: Callable[[Any], str] = str
    smaller_is_better: bool = False  # rows without a direction mark nothing


def _onnx(key: str) -> Callable[[dict[str, Any], dict[str, Any]], Any]:
    return lambda variant, _: (onnx_report(variant) or {}).get(key)


def _latency(key: str) -> Callable[[dict[str, Any], dict[str, Any]], Any]:
    def value(variant: dict[str, Any], _: dict[str, Any]) -> Any:
        latency = (onnx_report(variant) or {}).get("latency") or {}
        return latency.get(key) if latency_ms(onnx_report(variant)) is not None else None

    return value


def _browser(threads_of_one: bool) -> Callable[[dict[str, Any], dict[str, Any]], Any]:
    def value(variant: dict[str, Any], _: dict[str, Any]) -> Any:
        timed = (onnx_report(variant) or {}).get("browser_latency") or []
        chosen = [b for b in timed if (b["threads"] == 1) == threads_of_one]
        return chosen[0]["median_ms"] if chosen else None

    return value


def _check(variant: dict[str, Any], _: dict[str, Any]) -> Any:
    return (variant.get("keypoint_check") or {}).get("mean_distance")


def _conversion(variant: dict[str, Any], _: dict[str, Any]) -> Any:
    outputs = (((variant.get("conversion") or {}).get("check")) or {}).get("outputs") or []
    return max((o["relative"] for o in outputs), default=None)


def _keypoints(variant: dict[str, Any], _: dict[str, Any]) -> Any:
    keypoints = variant.get("keypoints") or {}
    return f"{keypoints.get('schema')} ({len(keypoints.get('names') or [])})"


def _resolution(variant: dict[str, Any], _: dict[str, Any]) -> Any:
    height, width = (variant.get("preprocess") or {}).get("size", (None, None))
    return f"{height} × {width}" if height else None


def _format(variant: dict[str, Any], _: dict[str, Any]) -> Any:
    original = original_format(variant)
    return FORMAT_NAMES.get(original, original) if original else None


def _two(value: float) -> str:
    return f"{value:,.2f}"


def _one(value: float) -> str:
    return f"{value:,.1f}"


FIGURES: list[Figure] = [
    Figure("Family", lambda v, f: f.get("name", v.get("family"))),
    Figure("Task", lambda v, _: v.get("task")),
    Figure("Keypoints", _keypoints),
    Figure("Input (height × width)", _resolution),
    Figure("Original format", _format),
    Figure("Released", lambda v, _: v.get("release_date")),
    Figure("Size of the ONNX file (MiB)", _onnx("size_mib"), _two, True),
    Figure("Parameters (millions)", lambda v, f: _scaled(_onnx("params")(v, f)), _two, True),
    Figure("MFLOPs", lambda v, f: _scaled(_onnx("flops")(v, f)), _one, True),
    Figure("Precision", _onnx("precision")),
    Figure("Latency, onnxruntime CPU (ms, median)", _latency("median_ms"), _one, True),
    Figure("Latency, onnxruntime CPU (ms, p90)", _latency("p90_ms"), _one, True),
    Figure("Model's peak memory (MiB)", _latency("model_peak_mib"), _one, True),
    Figure("In the browser, wasm, 1 thread (ms, median)", _browser(True), _one, True),
    Figure("In the browser, wasm, every core (ms, median)", _browser(False), _one, True),
    Figure("Keypoint check: mean distance (of the image's side)", _check, lambda x: f"{x:.4f}", True),
    Figure("Conversion: largest relative difference", _conversion, lambda x: f"{x:.3g}", True),
    Figure("License", lambda v, _: (v.get("license") or {}).get("spdx")),
]
BARS = {  # the bars drawn under the table: label -> figure
    "Size (MiB)": "Size of the ONNX file (MiB)",
    "Parameters (millions)": "Parameters (millions)",
    "MFLOPs": "MFLOPs",
    "Latency (ms, onnxruntime CPU)": "Latency, onnxruntime CPU (ms, median)",
}


def _scaled(value: Any) -> float | None:
    return None if value is None else value / 1e6


def best_of(values: Sequence[Any]) -> set[int]:
    """Positions of the smallest value (every one, where tied); none unless two models have the figure."""
    known = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return set()
    lowest = min(v for _, v in known)
    return {i for i, v in known if v == lowest}


def column_names(titles: Sequence[str], ids: Sequence[str]) -> list[str]:
    """The models' titles, with their ids where two share a title."""
    return [title if list(titles).count(title) == 1 else f"{title} ({i})" for title, i in zip(titles, ids, strict=True)]


@dataclass(frozen=True)
class Comparison:
    values: pd.DataFrame  # figure x model: the raw values (None where missing)
    shown: pd.DataFrame  # figure x model: text, the best marked with BEST
    best: pd.DataFrame  # figure x model: True where the value is its row's best


def compare(document: dict[str, Any], ids: Sequence[str]) -> Comparison:
    families = {f["id"]: f for f in document.get("families", [])}
    variants = {v["id"]: v for v in document.get("variants", [])}
    chosen = [variants[i] for i in ids]
    names = column_names([model_title(v, families) for v in chosen], list(ids))
    figures = [f for f in FIGURES if any(f.value(v, families.get(v["family"], {})) is not None for v in chosen)]
    raw, text, best = {}, {}, {}
    for figure in figures:
        values = [figure.value(v, families.get(v["family"], {})) for v in chosen]
        winners = best_of(values) if figure.smaller_is_better else set()
        raw[figure.label] = values
        text[figure.label] = [
            MISSING if v is None else figure.text(v) + (f" {BEST}" if i in winners else "")
            for i, v in enumerate(values)
        ]
        best[figure.label] = [i in winners for i in range(len(values))]

    def table(rows: dict[str, list[Any]]) -> pd.DataFrame:
        return pd.DataFrame.from_dict(rows, orient="index", columns=names)

    return Comparison(table(raw), table(text), table(best))
