"""The catalog's charts as plotly figures, drawn from `catalog.load()`'s DataFrame.

The docs site, the Streamlit app and the notebook call the same functions:

    frame = catalog.load("build/catalog.json")
    timeline(frame)                   # release date x family, marker area by parameters
    performance(frame, x="size_mib")  # ONNX file size (or MFLOPs) against measured latency
    accuracy(frame)                   # AP on the evaluation set against measured latency
    latency_by_device(frame)          # one model's inference on every device that measured it
    figure_html(fig)                  # a <div> for a page that serves plotly_js_path() itself

Nothing in a figure or its HTML references a CDN: the charts work offline.
"""

from __future__ import annotations

import hashlib
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import plotly
import plotly.graph_objects as go
from plotly.colors import qualitative

from catalog.formats import INT8_FORMAT
from catalog.publish.devices import MISSING, DeviceRow, measured_by, measured_devices, variant_rows
from catalog.publish.formatting import millions, ms_brief, points, size, with_interval
from catalog.publish.records import (
    LATENCY_RUNTIME,
    accuracy_flag,
    built,
    families_by_id,
    model_title,
    use_text,
    variants_by_id,
)
from catalog.schema import Catalog

LATENCY = "pipeline_ms"  # every chart's latency: the whole pipeline a user runs, as the tables show it
PerformanceAxis = Literal["mflops", "size_mib"]

FIGURE_HEIGHT = 520
LARGEST_MARKER_PX = 56  # the diameter of the variant with the most parameters
SMALLEST_MARKER_PX = 6  # so that a tiny model stays visible and hoverable
SAME_DATE_SPREAD = 0.6  # of a family's row: variants released together are spread across it
FRONT_NOTE = "on the Pareto front"


# --- the Pareto front -------------------------------------------------------------------------


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether `a` is at least as good as `b` on both axes and better on one (lower is better)."""
    return a[0] <= b[0] and a[1] <= b[1] and a != b


def pareto_front(points: Sequence[Sequence[float]]) -> list[int]:
    """Indices of the points no other point dominates (lower is better on both axes), ordered by
    x then y so that a line can be drawn through them. Identical points are all on the front;
    of points tied on one axis, only the best on the other is. NaN is a ValueError."""
    pairs = [(float(p[0]), float(p[1])) for p in points]
    if any(math.isnan(v) for pair in pairs for v in pair):
        raise ValueError("a point has a NaN coordinate: drop unmeasured variants first")
    front = [i for i, p in enumerate(pairs) if not any(dominates(q, p) for q in pairs)]
    return sorted(front, key=lambda i: pairs[i])


def front_markers(colour: str, members: Sequence[int], front: Sequence[int]) -> dict[str, Any]:
    """A family's markers, those on the Pareto front ringed (as well as named in their hover)."""
    return {"size": 11, "color": colour, "line": {"width": [2 if i in front else 0 for i in members], "color": "black"}}


def front_line(xs: Sequence[float], ys: Sequence[float], ids: Sequence[str], front: Sequence[int]) -> go.Scatter:
    """The dashed line through the Pareto front's points, in `pareto_front`'s order."""
    return go.Scatter(
        name="Pareto front",
        x=[xs[i] for i in front],
        y=[ys[i] for i in front],
        mode="lines",
        line={"color": "grey", "dash": "dash", "width": 1.5},
        customdata=[ids[i] for i in front],
        hoverinfo="skip",
    )


# --- release dates as written -----------------------------------------------------------------


def date_period(text: str) -> tuple[datetime, datetime]:
    """The span a card's date names: a day ("2020-04-25"), a month ("2021-05") or a year ("2020")."""
    parts = [int(part) for part in text.split("-")]
    if len(parts) == 3:
        start = datetime(*parts)
        return start, start + timedelta(days=1)
    if len(parts) == 2:
        year, month = parts
        return datetime(year, month, 1), datetime(year + month // 12, month % 12 + 1, 1)
    if len(parts) == 1:
        return datetime(parts[0], 1, 1), datetime(parts[0] + 1, 1, 1)
    raise ValueError(f"not a card date (YYYY-MM-DD, YYYY-MM or YYYY): {text!r}")


def date_position(text: str) -> datetime:
    """Where a date goes on a time axis: the middle of the span it names, so that a month-only
    date is not pinned to a day the card never gave."""
    start, end = date_period(text)
    return start + (end - start) / 2


def release_dates(catalog: Catalog) -> dict[str, str]:
    """Variant id -> release date as the card writes it. Read from the records: the parsed
    datetime column cannot tell "2021-05" from "2021-05-01"."""
    return {variant.id: variant.release_date for variant in catalog.variants}


# --- rows, names and colours --------------------------------------------------------------------


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, Catalog]:
    """The rows without `attrs`, and the typed records of the catalog document `catalog.load()` keeps
    there. pandas deep-copies `attrs` (the whole document) on every operation: charting the rows with
    it attached takes seconds instead of milliseconds."""
    return pd.DataFrame(frame, copy=False), Catalog.model_validate(frame.attrs["catalog"])


def one_row_per_variant(rows: pd.DataFrame) -> pd.DataFrame:
    """Each variant's original-format row (the float ONNX row only where there is no other): a release
    is of the file as published, and its parameter count is the authors' (the conversion may fold
    a few constants away, e.g. efficientpose-rt 438,987 -> 438,961)."""
    derived = rows["format"].map({"onnx": 1, INT8_FORMAT: 2}).fillna(0)  # the original first, then ONNX, int8
    return rows.iloc[derived.argsort(kind="stable")].drop_duplicates("id").sort_index()


def measured_onnx_rows(rows: pd.DataFrame, x_column: str) -> pd.DataFrame:
    """The pose models' ONNX rows timed on onnxruntime (CPU) that have the figure the x axis
    needs. Person detectors are left out: they find people, not poses, so a pose model slower
    than a detector is no worse for it."""
    measured = rows["format"].eq("onnx") & rows["runtime"].eq(LATENCY_RUNTIME) & rows["role"].eq("model")
    chosen = rows[measured.fillna(False)]
    return chosen.dropna(subset=[LATENCY, x_column])


def model_name(row: Any) -> str:
    """The family's name and the variant's, e.g. "MoveNet SinglePose Lightning"."""
    return " ".join(str(part) for part in (row["family_name"], row["variant"]) if not _missing(part))


def family_colours(catalog: Catalog) -> dict[str, str]:
    """Family id -> colour, in the catalog's family order, the same in every chart."""
    palette = qualitative.Plotly
    return {family.id: palette[i % len(palette)] for i, family in enumerate(catalog.families)}


def family_names(catalog: Catalog) -> dict[str, str]:
    return {family.id: family.name for family in catalog.families}


def _missing(value: Any) -> bool:
    return bool(pd.isna(value))  # None, NaN or pandas.NA


def params_text(params: Any) -> str:
    return "parameters unknown" if _missing(params) else f"{millions(params)} M params"


def mflops_text(flops: Any) -> str:
    return "MFLOPs unknown" if _missing(flops) else f"{flops / 1e6:,.1f} MFLOPs"


def build_note(status: Any) -> list[str]:
    """A line for a variant the build could not publish: it was released all the same."""
    return [] if status == "ok" else [f"build {status}: see the catalog's failures"]


# --- the timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineMarker:
    variant_id: str
    family: str
    date_text: str
    when: datetime
    row_offset: float  # within the family's row, for variants released on the same date
    diameter_px: float
    hover: str


def marker_diameters(params: Sequence[Any]) -> list[float]:
    """Diameters in pixels with the marker's area proportional to the parameter count."""
    known = [p for p in params if not _missing(p)]
    largest = max(known, default=0)
    if largest <= 0:
        return [float(SMALLEST_MARKER_PX)] * len(params)
    return [
        SMALLEST_MARKER_PX if _missing(p) else max(SMALLEST_MARKER_PX, LARGEST_MARKER_PX * math.sqrt(p / largest))
        for p in params
    ]


def same_date_offsets(keys: Sequence[tuple[str, str]]) -> list[float]:
    """An offset within the family's row for each variant, spreading those that share
    (family, date) evenly so that their markers do not hide each other."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    offsets = [0.0] * len(keys)
    for members in groups.values():
        if len(members) > 1:
            step = SAME_DATE_SPREAD / (len(members) - 1)
            for rank, i in enumerate(members):
                offsets[i] = -SAME_DATE_SPREAD / 2 + rank * step
    return offsets


def timeline_markers(rows: pd.DataFrame, catalog: Catalog) -> list[TimelineMarker]:
    variants = one_row_per_variant(rows)
    dates = release_dates(catalog)
    rows = [row for _, row in variants.iterrows()]
    keys = [(str(row["family"]), dates[row["id"]]) for row in rows]
    offsets = same_date_offsets(keys)
    diameters = marker_diameters([row["params"] for row in rows])
    markers = []
    for row, (family, date_text), offset, diameter in zip(rows, keys, offsets, diameters, strict=True):
        hover = "<br>".join(
            [
                f"<b>{model_name(row)}</b>",
                str(row["id"]),
                f"released {date_text}",
                params_text(row["params"]),
                mflops_text(row["flops"]),
                *build_note(row["status"]),
            ]
        )
        markers.append(
            TimelineMarker(str(row["id"]), family, date_text, date_position(date_text), offset, diameter, hover)
        )
    return markers


def timeline(frame: pd.DataFrame) -> go.Figure:
    """Release date (x) against family (y), one marker per variant, its area by parameter count.

    A month-only date sits at mid-month and a year-only date at mid-year; the hover gives the
    date as the card writes it."""
    rows, catalog = split(frame)
    markers = timeline_markers(rows, catalog)
    colours = family_colours(catalog)
    names = family_names(catalog)
    families = [family for family in names if any(m.family == family for m in markers)]
    row_of = {family: i for i, family in enumerate(families)}
    figure = go.Figure()
    for family in families:
        mine = [m for m in markers if m.family == family]
        figure.add_trace(
            go.Scatter(
                name=names[family],
                x=[m.when for m in mine],
                y=[row_of[family] + m.row_offset for m in mine],
                mode="markers",
                marker={
                    "size": [m.diameter_px for m in mine],
                    "color": colours[family],
                    "opacity": 0.75,
                    "line": {"width": 1, "color": "white"},
                },
                customdata=[m.variant_id for m in mine],
                hovertext=[m.hover for m in mine],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    figure.update_layout(
        title={"text": "When the zoo's models were released<br><sup>marker area proportional to parameters</sup>"},
        xaxis={"title": {"text": "Release date (a month-only date at mid-month, a year-only one at mid-year)"}},
        yaxis={
            "title": {"text": "Family"},
            "tickmode": "array",
            "tickvals": list(row_of.values()),
            "ticktext": [names[family] for family in families],
            "range": [len(families) - 0.3, -0.7],  # the catalog's first family at the top
            "zeroline": False,
        },
        showlegend=False,
        height=FIGURE_HEIGHT,
        hovermode="closest",
    )
    return figure


# --- performance ----------------------------------------------------------------------------------

AXES: dict[str, tuple[str, str, str]] = {
    # x: (DataFrame column, axis title, what the title says the chart compares)
    "mflops": ("pipeline_flops", "Compute per frame, whole pipeline (MFLOPs, log scale)", "compute"),
    "size_mib": ("pipeline_size_mib", "ONNX files to download: model and detector (MiB, log scale)", "file size"),
}


def x_values(rows: pd.DataFrame, x: PerformanceAxis) -> list[float]:
    column = AXES[x][0]
    scale = 1e6 if x == "mflops" else 1.0
    return [float(value) / scale for value in rows[column]]


def x_text(value: float, x: PerformanceAxis) -> str:
    return f"{value:,.1f} MFLOPs" if x == "mflops" else size(value)


def detectors(catalog: Catalog) -> dict[str, str]:
    """Variant id -> the detector its pipeline runs first (two-stage and top-down variants)."""
    return {v.id: v.use.detector for v in catalog.variants if v.use and v.use.detector}


def performance_hover(row: Any, x_value: float, x: PerformanceAxis, on_front: bool, detector: str | None) -> str:
    lines = [
        f"<b>{model_name(row)}</b>",
        str(row["id"]),
        x_text(x_value, x),
        f"{ms_brief(float(row[LATENCY]))} ms median latency, whole pipeline (onnxruntime, CPU)",
    ]
    if detector:
        lines.append(f"its detector {detector} included")
    return "<br>".join(lines + ([FRONT_NOTE] if on_front else []))


def machine_text(catalog: Catalog) -> str:
    machine = catalog.machine
    return f"{machine.cpu}, {machine.cores} cores" if machine.cores else machine.cpu


def performance(frame: pd.DataFrame, x: PerformanceAxis = "mflops") -> go.Figure:
    """`x` (MFLOPs or ONNX file size) against the median latency measured on onnxruntime (CPU),
    one marker per ONNX model coloured by family, with the Pareto front drawn through the
    variants no other beats on both."""
    if x not in AXES:
        raise ValueError(f"x must be one of {sorted(AXES)}, not {x!r}")
    all_rows, catalog = split(frame)
    rows = measured_onnx_rows(all_rows, AXES[x][0]).reset_index(drop=True)
    xs = x_values(rows, x)
    latencies = [float(value) for value in rows[LATENCY]]
    front = pareto_front(list(zip(xs, latencies, strict=True)))
    colours = family_colours(catalog)
    names = family_names(catalog)
    first_stages = detectors(catalog)
    figure = go.Figure()
    for family in [family for family in names if family in set(rows["family"])]:
        mine = [i for i in range(len(rows)) if rows.at[i, "family"] == family]
        figure.add_trace(
            go.Scatter(
                name=names[family],
                x=[xs[i] for i in mine],
                y=[latencies[i] for i in mine],
                mode="markers",
                marker=front_markers(colours[family], mine, front),
                customdata=[rows.at[i, "id"] for i in mine],
                hovertext=[
                    performance_hover(rows.loc[i], xs[i], x, i in front, first_stages.get(rows.at[i, "id"]))
                    for i in mine
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    figure.add_trace(front_line(xs, latencies, list(rows["id"]), front))
    axis_title, compared = AXES[x][1], AXES[x][2]
    figure.update_layout(
        title={
            "text": f"Latency against {compared}: each pose model's whole pipeline on onnxruntime (CPU)"
            f"<br><sup>image in, poses out, median on {machine_text(catalog)}; lower left is better</sup>"
        },
        xaxis={"title": {"text": axis_title}, "type": "log"},
        yaxis={"title": {"text": "Median latency, whole pipeline (ms, log scale)"}, "type": "log"},
        legend={"title": {"text": "Family"}},
        height=FIGURE_HEIGHT,
        hovermode="closest",
    )
    return figure


# --- accuracy against latency ------------------------------------------------------------------


def accuracy_hover(row: Any, on_front: bool, catalog: Catalog) -> str:
    variant = variants_by_id(catalog)[str(row["id"])]
    accuracy = variant.accuracy
    assert accuracy is not None and accuracy.ap is not None and accuracy.pck_10 is not None
    lines = [
        f"<b>{model_name(row)}</b>",
        str(row["id"]),
        f"AP {with_interval(accuracy.ap.value, accuracy.ap.low, accuracy.ap.high)}",
        f"PCK@0.1 {with_interval(accuracy.pck_10.value, accuracy.pck_10.low, accuracy.pck_10.high)}",
        f"run {use_text(variant.use)}",
        f"{ms_brief(float(row[LATENCY]))} ms median latency, whole pipeline (onnxruntime, CPU)",
    ]
    pipeline = variant.pipeline
    if pipeline is not None:
        stages = ", ".join(f"{s.variant or 'the rest'} {ms_brief(s.median_ms)} ms" for s in pipeline.stages)
        lines.append(f"per frame: {stages}")
    if accuracy_flag(accuracy):
        lines.append("flagged: PCK@0.1 below half, interval included")
    return "<br>".join(lines + ([FRONT_NOTE] if on_front else []))


def accuracy(frame: pd.DataFrame) -> go.Figure:
    """AP on the zoo's evaluation set (y, with its 95 % interval) against the median latency
    measured on onnxruntime (x, log): one marker per pose model's float ONNX form, coloured by
    family, the Pareto front drawn through those no other beats on both (faster and more
    accurate), and the noise floor, a second annotator's AP, as a line. A person detector is
    left out (it is scored through its pose models); a model the set could not score too."""
    all_rows, catalog = split(frame)
    rows = measured_onnx_rows(all_rows, "ap").reset_index(drop=True)
    latencies = [float(value) for value in rows[LATENCY]]
    aps = [float(value) * 100 for value in rows["ap"]]
    front = pareto_front([(latency, -ap) for latency, ap in zip(latencies, aps, strict=True)])
    colours = family_colours(catalog)
    names = family_names(catalog)
    figure = go.Figure()
    for family in [family for family in names if family in set(rows["family"])]:
        mine = [i for i in range(len(rows)) if rows.at[i, "family"] == family]
        figure.add_trace(
            go.Scatter(
                name=names[family],
                x=[latencies[i] for i in mine],
                y=[aps[i] for i in mine],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [float(rows.at[i, "ap_high"]) * 100 - aps[i] for i in mine],
                    "arrayminus": [aps[i] - float(rows.at[i, "ap_low"]) * 100 for i in mine],
                    "thickness": 1,
                    "width": 3,
                },
                mode="markers",
                marker=front_markers(colours[family], mine, front),
                customdata=[rows.at[i, "id"] for i in mine],
                hovertext=[accuracy_hover(rows.loc[i], i in front, catalog) for i in mine],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    figure.add_trace(front_line(latencies, aps, list(rows["id"]), front))
    floor = catalog.evaluation.noise_floor if catalog.evaluation else None
    floor_ap = floor.second_as_model.ap if floor else None
    if floor_ap is not None:
        figure.add_hline(
            y=floor_ap.value * 100,
            line={"color": "black", "dash": "dot", "width": 1},
            annotation_text=f"a second annotator: AP {points(floor_ap.value)} (the set's noise floor)",
            annotation_position="bottom right",
        )
    evaluation = catalog.evaluation
    about = "the zoo's evaluation set"
    if evaluation:
        counted = evaluation.set
        about = f"{counted.people} people in {counted.images} photos and frames (set {counted.version})"
    figure.update_layout(
        title={
            "text": "Accuracy against latency, each model run as it is meant to be"
            f"<br><sup>AP on {about}; bars: 95 % intervals"
            f"<br>latency: the whole pipeline, image in, poses out, median, onnxruntime on {machine_text(catalog)}; "
            "upper left is better</sup>"
        },
        margin={"t": 110},
        xaxis={"title": {"text": "Median latency, whole pipeline (ms, log scale)"}, "type": "log"},
        yaxis={"title": {"text": "AP (OKS, COCO sigmas; 0–100)"}, "rangemode": "tozero"},
        legend={"title": {"text": "Family"}},
        height=FIGURE_HEIGHT,
        hovermode="closest",
    )
    return figure


# --- latency by device ----------------------------------------------------------------------------

BAR_PX = 22  # a bar's height in the latency-by-device chart: its figure's height follows the model shown
DEVICE_MARGINS = {"t": 130, "b": 150}  # the title and menu above, the axis title and the legend under it


def device_hover(row: DeviceRow, title: str) -> str:
    """A bar's hover: the device's name and GPU come from a contributor's file, so they are escaped."""
    lines = [
        f"<b>{html.escape(row.device)}</b>",
        html.escape(row.chip or MISSING),
        title,
        html.escape(row.runtime_in),
        f"{row.compute_unit}, {row.threads} thread{'' if row.threads == 1 else 's'}, {row.precision} ({row.form})",
        f"{ms_brief(row.median_ms)} ms median inference, p90 {ms_brief(row.p90_ms)} ms",
    ]
    if row.pipeline_ms is not None:
        lines.append(f"whole pipeline {ms_brief(row.pipeline_ms)} ms")
    if row.stale:
        lines.append("measured on an earlier file: not this catalog's file of the form now")
    return "<br>".join(lines)


def latency_by_device(frame: pd.DataFrame) -> go.Figure:
    """One model at a time (the menu chooses it): a bar per device, runtime, backend, thread count and
    form, its median inference ms, the build machine first, then every device that measured the model
    (catalog.publish.devices' rows, as its card's table has them). One trace per device, a colour each;
    a bar measured on an earlier file than the catalog's is hatched."""
    _, catalog = split(frame)
    families = families_by_id(catalog)
    variants = [v for v in catalog.variants if built(v) and variant_rows(catalog.machine, catalog.devices, v)]
    shown = next((v for v in variants if measured_by(catalog.devices, v)), variants[0] if variants else None)
    devices = [None, *(entry.id for entry in measured_devices(catalog.devices))]  # None: the build machine
    palette = qualitative.Plotly
    figure = go.Figure()
    buttons = []
    for variant in variants:
        title = model_title(variant, families)
        rows = variant_rows(catalog.machine, catalog.devices, variant)
        first = len(figure.data)
        for device in dict.fromkeys(row.device_id for row in rows):
            mine = [row for row in rows if row.device_id == device]
            name = html.escape(mine[0].device)
            figure.add_trace(
                go.Bar(
                    name=name,
                    legendgroup=name,
                    orientation="h",
                    x=[row.median_ms for row in mine],
                    y=[[name] * len(mine), [row.setup for row in mine]],
                    marker={
                        "color": palette[devices.index(device) % len(palette)],
                        "pattern": {"shape": ["/" if row.stale else "" for row in mine]},
                    },
                    customdata=[variant.id] * len(mine),
                    hovertext=[device_hover(row, title) for row in mine],
                    hovertemplate="%{hovertext}<extra></extra>",
                    visible=variant is shown,
                )
            )
        visible = [first <= i < len(figure.data) for i in range(len(figure.data))]
        buttons.append((title, visible, len(rows)))
    traces = len(figure.data)
    menu = [
        {
            "label": title,
            "method": "update",
            "args": [
                {"visible": visible + [False] * (traces - len(visible))},
                {"height": max(FIGURE_HEIGHT, sum(DEVICE_MARGINS.values()) + BAR_PX * bars)},
            ],
        }
        for title, visible, bars in buttons
    ]
    active = next((i for i, v in enumerate(variants) if v is shown), 0)
    figure.update_layout(
        title={
            "text": "One model's inference on every device that measured it"
            "<br><sup>median ms; the build machine first; hatched: measured on an earlier file</sup>"
        },
        margin=DEVICE_MARGINS,
        updatemenus=[{"buttons": menu, "active": active, "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"}]
        if menu
        else [],
        xaxis={"title": {"text": "Median inference (ms)"}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed"},  # the build machine, measured first, at the top
        # under the plot: the bars need the page's width more than the legend does
        legend={"title": {"text": "Device"}, "orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"},
        barmode="group",
        height=menu[active]["args"][1]["height"] if menu else FIGURE_HEIGHT,
        hovermode="closest",
    )
    return figure


# --- the Charts page's figures ------------------------------------------------------------------


def chart_figures(frame: pd.DataFrame) -> list[tuple[str, str, go.Figure]]:
    """The figures of a Charts page, in order, as (name, heading, figure): the docs site's Charts
    page, the app's and its in-browser (stlite) copy show these."""
    return [
        ("accuracy", "Accuracy against latency", accuracy(frame)),
        ("timeline", "When the models came out", timeline(frame)),
        ("performance-mflops", "Latency against compute", performance(frame, x="mflops")),
        ("performance-size", "Latency against file size", performance(frame, x="size_mib")),
        ("devices", "Latency by device", latency_by_device(frame)),
    ]


# --- HTML for pages that serve plotly.js themselves -------------------------------------------


def figure_html(fig: go.Figure) -> str:
    """The figure as a `<div>` fragment without plotly.js: the page loads `plotly_js_path()`'s
    copy itself. The div's id is derived from the figure, so that a rebuilt page is the same."""
    div_id = "posezoo-chart-" + hashlib.sha256(fig.to_json().encode("utf-8")).hexdigest()[:12]
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )


def plotly_js_path() -> Path:
    """plotly.min.js as the installed `plotly` package ships it (the version its figures expect)."""
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"the installed plotly {plotly.__version__} has no {path}")
    return path
