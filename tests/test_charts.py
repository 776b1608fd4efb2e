"""The catalog's charts: the Pareto front on hand-made points, dates placed as written, and the
figures drawn from the built zoo checked against the catalog's own figures."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime

import pandas as pd
import pytest

pytest.importorskip("plotly")

import catalog  # noqa: E402
from catalog.publish.charts import (  # noqa: E402
    FRONT_NOTE,
    date_position,
    figure_html,
    pareto_front,
    performance,
    plotly_js_path,
    timeline,
)
from tests.test_app import FIXTURE  # noqa: E402

# --- the Pareto front on hand-made points --------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "front"),
    [
        ([], []),
        ([(3.0, 4.0)], [0]),
        ([(1, 5), (2, 3), (3, 4), (4, 1)], [0, 1, 3]),  # (3, 4) is beaten by (2, 3)
        ([(3, 1), (1, 3), (2, 2)], [1, 2, 0]),  # ordered by x for the line through them
        ([(1, 1), (1, 1), (2, 2)], [0, 1]),  # identical points beat neither: both on the front
        ([(1, 2), (1, 3)], [0]),  # tied on x: the lower y wins
        ([(1, 2), (3, 2)], [0]),  # tied on y: the lower x wins
        ([(2, 2), (1, 3), (3, 1), (2, 2), (2.5, 2.5)], [1, 0, 3, 2]),
    ],
)
def test_pareto_front_keeps_exactly_the_unbeaten_points(points, front):
    assert pareto_front(points) == front


def test_pareto_front_refuses_nan():
    with pytest.raises(ValueError, match="NaN"):
        pareto_front([(1.0, math.nan), (2.0, 1.0)])


# --- dates as the cards write them ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("2021-05", datetime(2021, 5, 16, 12)),  # 31 days: the middle is the 16th at noon
        ("2021-02", datetime(2021, 2, 15)),
        ("2021-12", datetime(2021, 12, 16, 12)),
        ("2020", datetime(2020, 7, 2)),  # a leap year: 183 days in
        ("2020-04-25", datetime(2020, 4, 25, 12)),
    ],
)
def test_a_date_sits_in_the_middle_of_the_span_it_names(text, position):
    assert date_position(text) == position


def hand_made_frame() -> pd.DataFrame:
    """Two variants of one family, one dated by year only, without building anything."""
    frame = pd.DataFrame(
        {
            "id": ["tiny", "big"],
            "family": ["fam", "fam"],
            "family_name": ["Fam", "Fam"],
            "variant": ["Tiny", "Big"],
            "role": ["model", "model"],
            "format": ["onnx", "onnx"],
            "params": pd.array([1_000_000, 4_000_000], dtype="Int64"),
            "flops": pd.array([10_000_000, 40_000_000], dtype="Int64"),
            "size_mib": [1.0, 4.0],
            "runtime": ["onnxruntime", "onnxruntime"],
            "latency_median_ms": [2.0, 1.0],
            "status": ["ok", "ok"],
        }
    )
    # the catalog's records: the app fixture's first family and variant, renamed and dated
    document = json.loads(FIXTURE.read_text("utf-8"))
    family, variant = document["families"][0], document["variants"][0]
    frame.attrs["catalog"] = {
        **document,
        "machine": {**document["machine"], "cpu": "test CPU", "cores": 1},
        "families": [{**family, "id": "fam", "name": "Fam"}],
        "variants": [
            {**variant, "id": "tiny", "family": "fam", "release_date": "2020"},
            {**variant, "id": "big", "family": "fam", "release_date": "2021-05-17"},
        ],
        "failures": [],
    }
    return frame


def test_a_year_only_date_hovers_as_written_at_mid_year():
    [trace] = timeline(hand_made_frame()).data
    tiny = list(trace.customdata).index("tiny")
    assert "released 2020<br>" in trace.hovertext[tiny]
    assert pd.Timestamp(trace.x[tiny]) == pd.Timestamp("2020-07-02")


def test_marker_area_is_proportional_to_params():
    [trace] = timeline(hand_made_frame()).data
    tiny, big = (list(trace.customdata).index(i) for i in ("tiny", "big"))
    assert trace.marker.size[big] == pytest.approx(2 * trace.marker.size[tiny])  # 4x the params


# --- the charts of the built zoo --------------------------------------------------------------------


@pytest.fixture(scope="module")
def zoo(built_zoo) -> tuple[pd.DataFrame, dict]:
    result, document = built_zoo
    return catalog.load(result.catalog_path), document


def original_params(variant: dict) -> int | None:
    """The parameter count of the file as published; None for a variant the build could not publish."""
    formats = variant.get("formats") or {}
    original = next((f for f in formats if f != "onnx"), "onnx")
    return formats[original]["params"] if original in formats else None


def markers(figure) -> dict[str, dict]:
    """Variant id -> its marker's x, y, size and hover text, over every marker trace."""
    found: dict[str, dict] = {}
    for trace in figure.data:
        if trace.mode != "markers":
            continue
        sizes = trace.marker.size if isinstance(trace.marker.size, tuple) else [trace.marker.size] * len(trace.x)
        for variant_id, x, y, size, hover in zip(
            trace.customdata, trace.x, trace.y, sizes, trace.hovertext, strict=True
        ):
            assert variant_id not in found, f"{variant_id} has two markers"
            found[variant_id] = {"x": x, "y": y, "size": size, "hover": hover, "family": trace.name}
    return found


def test_timeline_has_one_marker_per_variant(zoo):
    frame, document = zoo
    assert sorted(markers(timeline(frame))) == sorted(v["id"] for v in document["variants"])


def test_timeline_puts_a_month_only_date_at_mid_month_and_hovers_it_as_written(zoo):
    frame, document = zoo
    month_only = [v for v in document["variants"] if re.fullmatch(r"\d{4}-\d{2}", v["release_date"])]
    assert month_only, "the default zoo has month-only dates (BlazePose, EfficientPose): the test needs one"
    placed = markers(timeline(frame))
    for variant in month_only:
        text = variant["release_date"]
        month = pd.Period(text, freq="M")
        middle = month.start_time + (month.end_time - month.start_time) / 2
        assert abs(pd.Timestamp(placed[variant["id"]]["x"]) - middle) < pd.Timedelta(seconds=1)
        assert f"released {text}<br>" in placed[variant["id"]]["hover"], "the hover invents a day"


def test_timeline_hover_names_the_model_with_its_figures(zoo):
    frame, document = zoo
    families = {f["id"]: f["name"] for f in document["families"]}
    placed = markers(timeline(frame))
    for variant in document["variants"]:
        hover = placed[variant["id"]]["hover"]
        assert f"{families[variant['family']]} {variant['name']}" in hover
        assert variant["id"] in hover
        params = original_params(variant)
        assert (f"{params / 1e6:.2f} M params" if params else "parameters unknown") in hover
        assert "MFLOPs" in hover
        assert ("build failed" in hover) == (variant["status"] != "ok")


def test_timeline_markers_grow_with_params(zoo):
    frame, document = zoo
    placed = markers(timeline(frame))
    published = [v for v in document["variants"] if original_params(v)]
    sizes = [placed[v["id"]]["size"] for v in sorted(published, key=original_params)]
    assert sizes == sorted(sizes)
    assert sizes[-1] > sizes[0]
    unpublished = [placed[v["id"]]["size"] for v in document["variants"] if not original_params(v)]
    assert all(size <= min(sizes) for size in unpublished), "an unknown count must not look large"


def measured_pose_models(document: dict, x: str) -> dict[str, tuple[float, float]]:
    """Variant id -> (x, median latency) of the pose models' whole pipelines timed on onnxruntime, from the
    document: the pipeline's FLOPs, or the MiB of its ONNX files (the model's and its detector's)."""
    variants = {v["id"]: v for v in document["variants"]}
    points = {}
    for variant in document["variants"]:
        pipeline = variant.get("pipeline")
        if variant["role"] != "model" or not pipeline or pipeline["latency"]["runtime"] != "onnxruntime":
            continue
        detector = (variant.get("use") or {}).get("detector")
        files = [variant] + ([variants[detector]] if detector else [])
        mib = sum(f["formats"]["onnx"]["size_mib"] for f in files)
        value = pipeline["flops"] / 1e6 if x == "mflops" else mib
        points[variant["id"]] = (value, pipeline["latency"]["median_ms"])
    return points


def unbeaten(points: dict[str, tuple[float, float]]) -> set[str]:
    """The Pareto front by its definition, written out again so as not to test the code with itself."""
    return {
        name
        for name, (x, y) in points.items()
        if not any(ox <= x and oy <= y and (ox, oy) != (x, y) for ox, oy in points.values())
    }


@pytest.mark.parametrize("x", ["mflops", "size_mib"])
def test_performance_marks_exactly_the_catalogs_pareto_front(zoo, x):
    frame, document = zoo
    figure = performance(frame, x=x)
    points = measured_pose_models(document, x)
    placed = markers(figure)
    assert set(placed) == set(points)
    [front_line] = [trace for trace in figure.data if trace.mode == "lines"]
    assert set(front_line.customdata) == unbeaten(points)
    assert {i for i, marker in placed.items() if FRONT_NOTE in marker["hover"]} == unbeaten(points)
    for variant_id, marker in placed.items():
        assert (marker["x"], marker["y"]) == pytest.approx(points[variant_id])


def test_performance_hover_names_each_model_with_its_figures(zoo):
    frame, document = zoo
    families = {f["id"]: f["name"] for f in document["families"]}
    variants = {v["id"]: v for v in document["variants"]}
    for variant_id, marker in markers(performance(frame)).items():
        variant = variants[variant_id]
        latency = variant["pipeline"]["latency"]["median_ms"]
        assert f"<b>{families[variant['family']]} {variant['name']}</b>" in marker["hover"]
        assert variant_id in marker["hover"]
        assert f"{latency:.1f} ms median latency, whole pipeline" in marker["hover"]
        assert "MFLOPs" in marker["hover"]
        assert marker["family"] == families[variant["family"]]


def test_charts_have_titles_and_axis_units(zoo):
    frame, _ = zoo
    for figure in (timeline(frame), performance(frame), performance(frame, x="size_mib")):
        assert figure.layout.title.text
        assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text
    assert "MFLOPs" in performance(frame).layout.xaxis.title.text
    assert "MiB" in performance(frame, x="size_mib").layout.xaxis.title.text
    assert "ms" in performance(frame).layout.yaxis.title.text


def test_performance_refuses_an_unknown_axis(zoo):
    frame, _ = zoo
    with pytest.raises(ValueError, match="mflops"):
        performance(frame, x="params")  # type: ignore[arg-type]


# --- offline HTML -------------------------------------------------------------------------------------


def test_figure_html_is_a_div_that_loads_nothing_from_the_network():
    figure = timeline(hand_made_frame())
    html = figure_html(figure)
    assert html.lstrip().startswith("<div")
    assert not re.search(r"<script[^>]*\bsrc=", html), "the page serves plotly.js itself"
    assert "http://" not in html and "https://" not in html
    assert figure_html(timeline(hand_made_frame())) == html, "a rebuilt page must be the same"


def test_plotly_js_is_shipped_with_the_python_package():
    path = plotly_js_path()
    assert path.is_file() and path.name == "plotly.min.js"
    assert path.stat().st_size > 1_000_000
