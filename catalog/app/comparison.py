"""Models side by side, without Streamlit: one row per figure, one column per model, and the best
value of each row where a direction is better: larger (accuracy) or smaller (size, parameters,
compute, latency, memory, the conversion's difference)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from catalog.publish.columns import BY_KEY, MISSING, Value
from catalog.publish.formatting import difference, memory, ms, points
from catalog.publish.records import families_by_id, latency_ms, model_title, onnx_report, scored, variants_by_id
from catalog.schema import Catalog, FamilyRecord, LatencyRecord, VariantRecord

BEST = "★"  # after the best value of a row


@dataclass(frozen=True)
class Figure:
    label: str
    value: Value  # (variant, family) -> value or None
    text: Callable[[Any], str] = str
    smaller_is_better: bool = False  # rows without a direction mark nothing
    larger_is_better: bool = False
    detail: Callable[[VariantRecord], str | None] | None = None  # said after the value, in brackets

    def shown(self, value: Any, variant: VariantRecord) -> str:
        detail = self.detail(variant) if self.detail else None
        return f"{self.text(value)} ({detail})" if detail else self.text(value)


def _latency(figure: Callable[[LatencyRecord], float]) -> Value:
    def value(variant: VariantRecord, _: FamilyRecord | None) -> float | None:
        report = onnx_report(variant)
        latency = report.latency if report else None
        return figure(latency) if latency and latency_ms(report) is not None else None

    return value


def _browser(threads_of_one: bool) -> Value:
    """The form the Try-it page runs by default (the fastest the build measured), on its runtime."""

    def value(variant: VariantRecord, _: FamilyRecord | None) -> float | None:
        choice = variant.browser_runtime
        report = variant.formats.get(choice.format) if choice else None
        timed = (report.browser_latency if report else None) or []
        chosen = [b for b in timed if (b.threads == 1) == threads_of_one]
        return chosen[0].median_ms if chosen else None

    return value


def _browser_runtime(variant: VariantRecord) -> str | None:
    return variant.browser_runtime.runtime if variant.browser_runtime else None


def _ap50(variant: VariantRecord, _: FamilyRecord | None) -> float | None:
    accuracy = variant.accuracy
    return float(points(accuracy.ap50.value)) if accuracy and scored(accuracy) and accuracy.ap50 else None


def _int8_drop(variant: VariantRecord, _: FamilyRecord | None) -> float | None:
    drop = variant.int8.ap_drop if variant.int8 else None
    return None if drop is None else float(points(drop))


def _conversion(variant: VariantRecord, _: FamilyRecord | None) -> float | None:
    outputs = variant.conversion.check.outputs if variant.conversion else []
    return max((o.relative for o in outputs), default=None)


def _resolution(variant: VariantRecord, _: FamilyRecord | None) -> str:
    height, width = variant.preprocess.size
    return f"{height} × {width}"


def _of(key: str) -> Figure:
    """A figure of the zoo table (catalog.publish.columns), as the site's table shows it."""
    column = BY_KEY[key]
    return Figure(
        column.name, column.value, column.text, column.smaller_is_better, column.larger_is_better, column.detail
    )


FIGURES: list[Figure] = [
    _of("family"),
    _of("task"),
    _of("ap"),
    Figure("AP50 on the zoo's evaluation set", _ap50, lambda v: f"{v:.1f}", larger_is_better=True),
    _of("pck_10"),
    _of("use"),
    Figure("int8 form's AP drop (points; positive: int8 is worse)", _int8_drop, lambda v: f"{v:.1f}", True),
    _of("keypoints"),
    Figure("Input (height × width)", _resolution),
    _of("format"),
    Figure("Released", lambda v, _: v.release_date),
    _of("size_mib"),
    _of("mparams"),
    _of("mflops"),
    _of("precision"),
    _of("latency_ms"),
    Figure("Inference alone, the model once (ms, median, onnxruntime CPU)", _latency(lambda t: t.median_ms), ms, True),
    Figure("Model's peak memory (MiB)", _latency(lambda latency: latency.model_peak_mib), memory, True),
    Figure("In the browser, fastest runtime, 1 thread (ms)", _browser(True), ms, True, False, _browser_runtime),
    Figure("In the browser, fastest runtime, every core (ms)", _browser(False), ms, True, False, _browser_runtime),
    Figure("Conversion: largest relative difference", _conversion, difference, True),
    _of("commercial"),
    _of("license"),
]
BARS = {  # the bars drawn under the table: label -> figure
    "Size (MiB)": BY_KEY["size_mib"].name,
    "Parameters (millions)": BY_KEY["mparams"].name,
    "MFLOPs": BY_KEY["mflops"].name,
    "Latency, whole pipeline (ms, onnxruntime CPU)": BY_KEY["latency_ms"].name,
}


def best_of(values: Sequence[Any], larger: bool = False) -> set[int]:
    """Positions of the smallest value (the largest, with `larger`; every one, where tied); none
    unless two models have the figure."""
    known = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return set()
    best = (max if larger else min)(v for _, v in known)
    return {i for i, v in known if v == best}


def column_names(titles: Sequence[str], ids: Sequence[str]) -> list[str]:
    """The models' titles, with their ids where two share a title."""
    return [title if list(titles).count(title) == 1 else f"{title} ({i})" for title, i in zip(titles, ids, strict=True)]


@dataclass(frozen=True)
class Comparison:
    values: pd.DataFrame  # figure x model: the raw values (None where missing)
    shown: pd.DataFrame  # figure x model: text, the best marked with BEST
    best: pd.DataFrame  # figure x model: True where the value is its row's best


def compare(catalog: Catalog, ids: Sequence[str]) -> Comparison:
    families = families_by_id(catalog)
    variants = variants_by_id(catalog)
    chosen = [variants[i] for i in ids]
    names = column_names([model_title(v, families) for v in chosen], list(ids))
    figures = [f for f in FIGURES if any(f.value(v, families.get(v.family)) is not None for v in chosen)]
    raw, text, best = {}, {}, {}
    for figure in figures:
        values = [figure.value(v, families.get(v.family)) for v in chosen]
        directed = figure.smaller_is_better or figure.larger_is_better
        winners = best_of(values, figure.larger_is_better) if directed else set()
        raw[figure.label] = values
        text[figure.label] = [
            MISSING if v is None else figure.shown(v, variant) + (f" {BEST}" if i in winners else "")
            for i, (v, variant) in enumerate(zip(values, chosen, strict=True))
        ]
        best[figure.label] = [i in winners for i in range(len(values))]

    def table(rows: dict[str, list[Any]]) -> pd.DataFrame:
        return pd.DataFrame.from_dict(rows, orient="index", columns=names)

    return Comparison(table(raw), table(text), table(best))
