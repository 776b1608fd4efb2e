"""The zoo table's columns, said once: the docs site's Zoo page, the app's Zoo table and its
Compare page read them. A column names its figure, says how to read it from a variant's record
(and its family's) and how to show it, how the table sorts it, and where it is left out.

Typed records in (`catalog.schema`), plain values out: the app runs it under Pyodide too.
Size, parameters and precision are the variant's ONNX file's (every built variant has one); latency
and MFLOPs are the whole pipeline's a user runs (detector and model, pre- and post-processing), so a
two-stage model is never ranked by its second stage alone, and a person detector not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from catalog.formats import INT8_FORMAT, TFLITE_FORMAT
from catalog.publish.formatting import MIB_DIGITS, MS_DIGITS, dims, mib, ms, points
from catalog.publish.records import (
    FORMAT_NAMES,
    onnx_report,
    original_format,
    pipeline_flops,
    pipeline_ms,
    scored,
    use_brief,
)
from catalog.schema import FamilyRecord, FormatRecord, IntervalRecord, ListedRecord, TensorRecord, VariantRecord

MISSING = "—"
Sort = Literal["number", "text"]  # a number column sorts by its figure, a text column by what it shows
# (variant, its family: None where the catalog lacks it) -> the figure, None where unknown
Value = Callable[[VariantRecord, FamilyRecord | None], Any]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    value: Value
    text: Callable[[Any], str] = str  # the figure as shown
    sort: Sort = "text"
    detail: Callable[[VariantRecord], str | None] | None = None  # said after the figure, in brackets
    digits: int | None = None  # a number's decimals, for a table that formats numbers itself (the app's)
    phone: bool = True  # shown on a phone's width too
    in_app: bool = True  # the app's Zoo table has no room for the tensors' shapes
    title: str | None = None  # the figure's name where no header stands over it (a Compare row)
    smaller_is_better: bool = False
    larger_is_better: bool = False
    detail_in_app: bool = True  # False: the app's table shows the bare figure, sortable as a number
    absent: Callable[[VariantRecord], str | None] | None = None  # said instead of MISSING where there is no figure

    @property
    def name(self) -> str:
        """What a row of figures calls it: its title, or its header."""
        return self.title or self.header

    def shown(self, variant: VariantRecord, family: FamilyRecord | None) -> str:
        """The cell's text: the figure, and its detail in brackets; MISSING where unknown."""
        value = self.value(variant, family)
        if value is None:
            return (self.absent(variant) if self.absent else None) or MISSING
        detail = self.detail(variant) if self.detail else None
        return f"{self.text(value)} ({detail})" if detail else self.text(value)


def _built(variant: VariantRecord) -> FormatRecord | None:
    return onnx_report(variant) if variant.status == "ok" else None


def _onnx(figure: Callable[[FormatRecord], Any], scale: float = 1.0) -> Value:
    def value(variant: VariantRecord, _: FamilyRecord | None) -> Any:
        report = _built(variant)
        return None if report is None else figure(report) if scale == 1.0 else figure(report) / scale

    return value


def _format(variant: VariantRecord, _: FamilyRecord | None) -> str | None:
    """The original's format and what it became: "TFLite → ONNX + int8"."""
    original = original_format(variant)
    if not original:
        return None
    shown = f"{FORMAT_NAMES.get(original, original)} → ONNX" if original != "onnx" else "ONNX"
    shown += " + int8" if INT8_FORMAT in variant.formats else ""
    return shown + (" + TFLite" if original != TFLITE_FORMAT and TFLITE_FORMAT in variant.formats else "")


def _browser_ms(variant: VariantRecord, _: FamilyRecord | None) -> float | None:
    """The Try-it page's default runtime (the fastest the build measured), median ms at every core."""
    choice = variant.browser_runtime if variant.status == "ok" else None
    return choice.median_ms if choice else None


def _browser_runtime(variant: VariantRecord) -> str | None:
    choice = variant.browser_runtime
    return f"{choice.runtime}, {choice.threads} threads" if choice else None


def _keypoints(variant: VariantRecord, _: FamilyRecord | None) -> int:
    return len(variant.keypoints.names)


def _schema(variant: VariantRecord) -> str | None:
    return variant.keypoints.schema


def tensors_text(tensors: Sequence[TensorRecord]) -> str:
    """Names, shapes and dtypes: "input: 1 × 192 × 192 × 3 int32"."""
    return "; ".join(f"{t.name}: {dims(t.shape)} {t.dtype}" for t in tensors)


def _shapes(tensors: Callable[[FormatRecord], list[TensorRecord]]) -> Value:
    """Shapes only, compact, so a row stays one line: "1×192×192×3"."""

    def value(variant: VariantRecord, _: FamilyRecord | None) -> str | None:
        report = _built(variant)
        if report is None:
            return None
        return ", ".join("×".join("?" if d is None else str(d) for d in t.shape) for t in tensors(report))

    return value


def _interval(figure: Callable[[Any], IntervalRecord | None], variant: VariantRecord) -> IntervalRecord | None:
    """An accuracy figure of the float ONNX form; None where it was not scored."""
    accuracy = variant.accuracy
    return figure(accuracy) if accuracy is not None and scored(accuracy) else None


def _accuracy(figure: Callable[[Any], IntervalRecord | None]) -> Value:
    """The figure in points (0..100)."""

    def value(variant: VariantRecord, _: FamilyRecord | None) -> float | None:
        interval = _interval(figure, variant)
        return float(points(interval.value)) if interval else None

    return value


def _interval_detail(figure: Callable[[Any], IntervalRecord | None]) -> Callable[[VariantRecord], str | None]:
    """The figure's 95 % interval, in points: "22.4–37.2"."""

    def detail(variant: VariantRecord) -> str | None:
        interval = _interval(figure, variant)
        return f"{points(interval.low)}–{points(interval.high)}" if interval else None

    return detail


def _component(variant: VariantRecord) -> str | None:
    """A person detector has no figure of its own to rank: it is timed inside its pose models' pipelines."""
    return "component" if variant.use is not None and variant.use.mode is None else None


def _noisy(variant: VariantRecord) -> str | None:
    return "noisy" if variant.pipeline and variant.pipeline.latency.noisy else None


def _two(value: float) -> str:
    return f"{value:,.2f}"


def _one(value: float) -> str:
    return f"{value:.1f}"


ZOO_COLUMNS: list[Column] = [
    Column("family", "Family", lambda v, f: f.name if f else v.family),
    Column("variant", "Variant", lambda v, _: v.name),
    # accuracy first among the figures: what a person choosing a model weighs first
    Column(
        "ap",
        "AP",
        _accuracy(lambda a: a.ap),
        _one,
        "number",
        detail=_interval_detail(lambda a: a.ap),
        digits=1,
        detail_in_app=False,
        larger_is_better=True,
        absent=_component,
        title="AP on the zoo's evaluation set (OKS, COCO sigmas; 95 % interval)",
    ),
    Column(
        "pck_10",
        "PCK@0.1",
        _accuracy(lambda a: a.pck_10),
        _one,
        "number",
        detail=_interval_detail(lambda a: a.pck_10),
        digits=1,
        phone=False,
        detail_in_app=False,
        larger_is_better=True,
        absent=_component,
        title="PCK@0.1 on the zoo's evaluation set (% of keypoints; 95 % interval)",
    ),
    Column("use", "Run as", lambda v, _: use_brief(v.use), phone=False, title="How it is run (and scored)"),
    Column("task", "Task", lambda v, _: v.task, phone=False),
    Column("keypoints", "Keypoints", _keypoints, sort="number", detail=_schema),
    Column("format", "Format", _format, phone=False, title="Formats (the original → ONNX)"),
    Column("precision", "Precision", _onnx(lambda r: r.precision), phone=False),
    Column(
        "size_mib",
        "Size (MiB)",
        _onnx(lambda r: r.size_mib),
        mib,
        "number",
        digits=MIB_DIGITS,
        title="Size of the ONNX file (MiB)",
        smaller_is_better=True,
    ),
    Column(
        "mflops",
        "MFLOPs",
        lambda v, _: None if (flops := pipeline_flops(v)) is None else flops / 1e6,
        _two,
        "number",
        digits=2,
        title="Compute per frame, whole pipeline (MFLOPs: detector and model, one person)",
        smaller_is_better=True,
        absent=_component,
    ),
    Column(
        "mparams",
        "M params",
        _onnx(lambda r: r.params, 1e6),
        _two,
        "number",
        digits=2,
        phone=False,
        title="Parameters (millions)",
        smaller_is_better=True,
    ),
    Column(
        "latency_ms",
        "Latency (ms)",
        lambda v, _: pipeline_ms(v),
        ms,
        "number",
        detail=_noisy,
        detail_in_app=False,
        digits=MS_DIGITS,
        title="Latency, whole pipeline: image in, poses out (ms, median; onnxruntime CPU)",
        smaller_is_better=True,
        absent=_component,
    ),
    Column(
        "browser_ms",
        "In the browser (ms)",
        _browser_ms,
        ms,
        "number",
        detail=_browser_runtime,
        detail_in_app=False,
        digits=MS_DIGITS,
        phone=False,
        title="In the browser: the model's inference on its fastest runtime, the Try-it page's default (ms, median)",
        smaller_is_better=True,
    ),
    Column(
        "commercial",
        "Commercial use",
        lambda v, _: v.license.commercial_use,
        title="Commercial use, by the license (catalog.cards.licenses)",
    ),
    Column("license", "License", lambda v, _: v.license.spdx, phone=False),
    # last: the widest, and read less often than the figures
    Column("inputs", "Inputs", _shapes(lambda r: r.inputs), phone=False, in_app=False),
    Column("outputs", "Outputs", _shapes(lambda r: r.outputs), phone=False, in_app=False),
]
BY_KEY: dict[str, Column] = {column.key: column for column in ZOO_COLUMNS}


# what a listed variant's row says in a column: its names, task and license; no figure (nothing of it
# was built or measured here: its authors' figures are on its own page). Why it is not built is said
# under its name on the site, and in the app's Status column
LISTED_TEXT: dict[str, Callable[[ListedRecord, FamilyRecord | None], str]] = {
    "family": lambda e, f: f.name if f else e.family,
    "variant": lambda e, _: e.name,
    "task": lambda e, _: e.task,
    "commercial": lambda e, _: e.license.commercial_use,
    "license": lambda e, _: e.license.spdx,
}


def listed_shown(column: Column, entry: ListedRecord, family: FamilyRecord | None) -> str:
    """A listed variant's cell in `column`: its text, or MISSING."""
    said = LISTED_TEXT.get(column.key)
    return said(entry, family) if said else MISSING
