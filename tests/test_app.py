"""The Streamlit app, page by page, with streamlit's AppTest on a small catalog (tests/fixtures/app:
five real variants, a made-up family with its own license and restrictions, a variant that failed
to build): the Zoo's filters narrow its table and selecting rows opens or compares models; the
Model page shows the card with the license and every restriction, and both files to download; the
Compare page marks the best of each row; the Charts page draws the site's figures; the Try-it page
embeds the site's page; deep links open what they name; a bad catalog is a sentence on the page."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from catalog.app import zoo_table as zt  # noqa: E402
from catalog.app.charts_page import selected_model  # noqa: E402
from catalog.app.comparison import BEST  # noqa: E402
from catalog.app.data import Zoo, catalog_at  # noqa: E402
from catalog.app.links import NUMBERS_PAGE, Route, query_of, route_of  # noqa: E402
from catalog.app.model_page import CONVENTIONS_TITLE  # noqa: E402
from catalog.app.navigation import page_title  # noqa: E402
from catalog.publish.columns import BY_KEY  # noqa: E402
from catalog.publish.model_card.sections import COMMERCIAL_WORDS  # noqa: E402
from catalog.schema import Catalog, json_schema_text  # noqa: E402
from tests.apptest import AppTest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "app" / "catalog.json"
APP = ROOT / "app.py"
TIMEOUT_S = 60


def write_build(folder: Path, document: dict) -> Path:
    """A build folder holding `document` as catalog.json, its schema, and a small stand-in file at
    every path the catalog names (the app reads them only when a visitor downloads one)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalog.json").write_text(json.dumps(document), "utf-8")
    (folder / "catalog.schema.json").write_text(json_schema_text(), "utf-8")
    for variant in document["variants"]:
        for report in (variant.get("formats") or {}).values():
            for listed in [report, *report.get("files", [])]:
                (folder / listed["path"]).parent.mkdir(parents=True, exist_ok=True)
                (folder / listed["path"]).write_bytes(b"stand-in for " + listed["path"].encode())
    return folder


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(FIXTURE.read_text("utf-8"))


@pytest.fixture(scope="module")
def small_build(tmp_path_factory, document) -> Path:
    return write_build(tmp_path_factory.mktemp("app") / "build", document)


def visitor(build: Path, monkeypatch) -> Callable[..., AppTest]:
    """Opens the app on the catalog in `build` at a query (a deep link), as a new visitor."""
    monkeypatch.setenv("POSEZOO_BUILD", str(build))

    def open_app(script: Path = APP, **query: str) -> AppTest:
        at = AppTest.from_file(str(script), default_timeout=TIMEOUT_S)
        at.query_params.update(query)
        at.run()
        assert not at.exception, at.exception
        return at

    return open_app


@pytest.fixture
def visit(small_build, monkeypatch):
    return visitor(small_build, monkeypatch)


def shown_ids(at: AppTest) -> list[str]:
    return at.dataframe[0].value[zt.ID].tolist()


def text_of(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


# --------------------------------------------------------------------------- the Zoo


def test_the_zoo_lists_every_variant(visit, document):
    at = visit()
    assert shown_ids(at) == [v["id"] for v in document["variants"]]
    assert at.caption[0].value == "7 of 7 variants"
    table = at.dataframe[0].value.set_index(zt.ID)
    lightning = next(v for v in document["variants"] if v["id"] == "movenet-lightning")
    assert table.at["movenet-lightning", zt.SIZE] == lightning["formats"]["onnx"]["size_mib"]
    assert table.at["testpose-broken", zt.STATUS] == "not built (fetch)"


def test_the_zoo_says_its_figures_are_the_onnx_files(visit, document):
    """The size is the ONNX file's, and the column beside it names that file and what it was converted
    from, never the original's format alone; the latency is the whole pipeline's."""
    at = visit()
    assert "Latency and MFLOPs are the whole pipeline's" in at.markdown[0].value
    assert "Size, parameters and precision are the variant's ONNX file's" in at.markdown[0].value
    table = at.dataframe[0].value.set_index(zt.ID)
    assert zt.FORMAT == "Figures of" and "Format" not in table.columns
    assert table[zt.FORMAT].fillna("").to_dict() == {
        "movenet-lightning": "ONNX (from TFJS; int8 too)",
        "movenet-thunder": "ONNX (from TFJS; int8 too)",
        "blazepose-detector": "ONNX (from TFJS)",
        "blazepose-lite": "ONNX (from TFLite; int8 too)",
        "efficientpose-rt": "ONNX (from TFLite)",
        "testpose": "ONNX (from TFJS; int8 too)",
        "testpose-broken": "",  # no ONNX file, so no figures
    }
    onnx = next(v for v in document["variants"] if v["id"] == "efficientpose-rt")["formats"]["onnx"]
    assert table.at["efficientpose-rt", zt.SIZE] == onnx["size_mib"]
    pipeline = next(v for v in document["variants"] if v["id"] == "efficientpose-rt")["pipeline"]
    assert table.at["efficientpose-rt", zt.LATENCY] == pipeline["latency"]["median_ms"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("zoo_license", ["CC-BY-NC-4.0"], ["testpose", "testpose-broken"]),
        ("zoo_schema", ["33 (blazepose-33)"], ["blazepose-lite"]),
        ("zoo_format", ["ONNX (from TFLite; int8 too)"], ["blazepose-lite"]),
        ("zoo_format", ["ONNX (from TFLite)"], ["efficientpose-rt"]),
        ("zoo_task", ["person detection (BlazePose stage 1)"], ["blazepose-detector"]),
        ("zoo_precision", ["fp32"], ["testpose"]),
        ("zoo_search", "movenet thunder", ["movenet-thunder"]),
        ("zoo_search", "COCO", ["movenet-lightning", "movenet-thunder", "testpose", "testpose-broken"]),
    ],
)
def test_a_filter_narrows_the_table(visit, key, value, expected):
    at = visit()
    widget = at.text_input(key=key) if key == "zoo_search" else at.multiselect(key=key)
    widget.set_value(value).run()
    assert shown_ids(at) == expected
    assert at.caption[0].value == f"{len(expected)} of 7 variants"


def test_ranges_keep_the_models_inside_them(visit, document):
    onnx = {v["id"]: v["formats"]["onnx"] for v in document["variants"] if v.get("formats")}
    small = [i for i, report in onnx.items() if report["size_mib"] <= 3.0]  # the failed variant has no size
    at = visit()
    size = at.slider(key="zoo_size")
    size.set_value((size.min, 3.0)).run()
    assert shown_ids(at) == small and 0 < len(small) < len(onnx)
    # the latency range is the whole pipeline's, as the table shows it
    pipeline = {v["id"]: v["pipeline"]["latency"]["median_ms"] for v in document["variants"] if v.get("pipeline")}
    fastest = min(pipeline[i] for i in small)
    limit = math.ceil(fastest * 10) / 10
    latency = at.slider(key="zoo_latency")
    latency.set_value((latency.min, limit)).run()
    assert shown_ids(at) == [i for i in small if i in pipeline and pipeline[i] <= limit]
    assert len(shown_ids(at)) < len(small)


def test_filters_together_can_leave_nothing(visit):
    at = visit()
    at.multiselect(key="zoo_license").set_value(["CC-BY-NC-4.0"]).run()
    at.text_input(key="zoo_search").set_value("blazepose").run()
    assert shown_ids(at) == []
    assert at.caption[0].value == "0 of 7 variants"


def test_selecting_rows_opens_or_compares_them(visit):
    at = visit()
    at.session_state["zoo_table"] = {"selection": {"rows": [0, 3], "columns": [], "cells": []}}
    at.run()
    labels = [b.label for b in at.button]
    assert labels == ["Open MoveNet SinglePose Lightning", "Open BlazePose Lite (GHUM 3D)", "Compare these 2"]
    at.button(key="compare_selected").click().run()
    assert at.query_params == {"page": "compare", "models": "movenet-lightning,blazepose-lite"}
    assert list(at.dataframe[0].value.columns) == ["MoveNet SinglePose Lightning", "BlazePose Lite (GHUM 3D)"]
    at.sidebar.radio(key="posezoo_page").set_value("zoo").run()
    at.session_state["zoo_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    at.button(key="open_movenet-thunder").click().run()
    assert at.query_params == {"model": "movenet-thunder"}
    assert card_title(at) == "# MoveNet SinglePose Thunder"


# --------------------------------------------------------------------------- a model


def test_a_deep_link_opens_its_model(visit):
    at = visit(model="movenet-thunder")
    assert at.selectbox(key="model_choice").value == "movenet-thunder"
    assert card_title(at) == "# MoveNet SinglePose Thunder"
    assert "## Performance" in text_of(at) and "## Provenance and reproduction" in text_of(at)


def page_order(at: AppTest) -> list[str]:
    """The main area's titles and widgets, top to bottom: "title" for a level-1 heading."""
    order = []
    for node in at.main:
        if node.type == "markdown" and node.value.lstrip().startswith("# "):
            order.append("title")
        elif node.type in ("selectbox", "download_button", "warning", "error"):
            order.append(node.type)
    return order


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"model": "movenet-thunder"}, ["title", "selectbox", "download_button"]),
        ({"model": "testpose-broken"}, ["title", "selectbox", "error"]),
        ({"model": "no-such-model"}, ["title", "warning", "selectbox", "download_button"]),
    ],
)
def test_the_model_page_names_the_model_before_its_controls(visit, query, expected):
    at = visit(**query)
    assert page_order(at)[: len(expected)] == expected
    assert page_order(at).count("title") == 1  # the card's own title is not drawn twice


# a path into the repository, in code: `catalog/measure/conventions.md`, `site/docs/x.md`
REPOSITORY_PATH = re.compile(r"`(?:catalog|site|web|tests|notebooks)/[^`\s]+`")


def test_the_model_page_shows_how_figures_are_counted_not_a_path(visit, document):
    at = visit(model="movenet-lightning")
    text = text_of(at)
    assert not REPOSITORY_PATH.findall(text)
    assert f"the conventions under *{CONVENTIONS_TITLE}*, at the foot of this page" in text
    [conventions] = at.expander
    assert conventions.label == CONVENTIONS_TITLE
    assert conventions.markdown[0].value == document["conventions"].strip()
    assert list(at.main.children.values())[-1] is conventions  # at the foot, as the card says


def test_where_the_site_is_known_the_model_page_links_its_numbers_page(visit, monkeypatch):
    monkeypatch.setenv("POSEZOO_SITE_URL", "http://127.0.0.1:8123")
    at = visit(model="movenet-lightning")
    text = text_of(at)
    assert "How each figure is counted: [the Numbers page](http://127.0.0.1:8123/numbers/)." in text
    assert "](http://127.0.0.1:8123/numbers/#params)" in text  # the figures' labels link their convention
    assert "../numbers/" not in text and not REPOSITORY_PATH.findall(text)
    assert not at.expander


def test_the_numbers_page_the_app_links_is_a_page_of_the_docs_site():
    assert (ROOT / "site" / "docs" / f"{NUMBERS_PAGE.strip('/')}.md").is_file()


@pytest.mark.parametrize("variant_id", ["movenet-lightning", "testpose"])
def test_the_model_page_shows_the_license_apart_from_uses_and_limitations(visit, document, variant_id):
    variant = next(v for v in document["variants"] if v["id"] == variant_id)
    family = next(f for f in document["families"] if f["id"] == variant["family"])
    text = text_of(visit(model=variant_id))
    assert f"**{variant['license']['spdx']}**" in text
    assert f"Commercial use: **{COMMERCIAL_WORDS[variant['license']['commercial_use']]}**" in text
    license, advice = text.split("## Uses and limitations", 1)
    for said in family["out_of_scope"]["uses"] + family["limitations"] + document["high_risk_uses"]["uses"]:
        assert f"- {said}" in advice and f"- {said}" not in license


def card_title(at) -> str:
    """The model card's title line, as the Model page shows it."""
    card = next(m.value.lstrip() for m in at.markdown if m.value.lstrip().startswith("# "))
    return card.splitlines()[0]


def test_the_model_page_offers_the_original_and_the_onnx_file(visit):
    labels = [b.label for b in visit(model="movenet-lightning").get("download_button")]
    assert labels[0].startswith("Download the original (tfjs: ") and "files zipped" in labels[0]
    assert labels[1] == "Download the ONNX file (4.47 MiB)"  # sizes to 2 decimals, as everywhere
    labels = [b.label for b in visit(model="blazepose-lite").get("download_button")]
    assert labels[:2] == ["Download the original (tflite, 2.69 MiB)", "Download the ONNX file (2.64 MiB)"]


def test_the_model_page_offers_the_int8_form_with_its_trade(visit, document):
    at = visit(model="movenet-lightning")
    int8 = next(v for v in document["variants"] if v["id"] == "movenet-lightning")["formats"]["onnx_int8"]
    labels = [b.label for b in at.get("download_button")]
    assert labels[2] == f"Download the int8 ONNX file ({int8['size_mib']:.2f} MiB)"
    [trade] = [m.value for m in at.markdown if m.value.startswith("**The trade, int8 against the float ONNX form:**")]
    assert "the size" in trade and "keypoints moved" in trade
    # the detector did not quantize cleanly: no int8 offer, its card says why
    at = visit(model="blazepose-detector")
    assert not [b for b in at.get("download_button") if "int8" in b.label]
    assert not [m for m in at.markdown if m.value.startswith("**The trade, int8")]


def test_a_variant_without_an_onnx_file_says_so(visit, document):
    at = visit(model="testpose-broken")
    assert len(at.error) == 1
    assert "did not build (fetch failed: cannot download" in at.error[0].value
    assert "no ONNX file" in at.error[0].value
    assert not at.get("download_button")
    text = text_of(at)
    assert "**CC-BY-NC-4.0**" in text and "Commercial use: **not allowed" in text
    assert "- Identifying people." in text and "- Made up for the tests: it finds nobody it was not shown." in text


def test_a_missing_model_file_is_said(visit, small_build, tmp_path, monkeypatch, document):
    build = shutil.copytree(small_build, tmp_path / "build")
    (build / "models" / "movenet-lightning" / "movenet-lightning.onnx").unlink()
    monkeypatch.setenv("POSEZOO_BUILD", str(build))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["model"] = "movenet-lightning"
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        f"The ONNX file is missing from {build}: rebuild with `posezoo build --only movenet-lightning`."
    ]


def test_an_unknown_model_is_said_and_another_shown(visit):
    at = visit(model="no-such-model")
    assert at.warning[0].value == "There is no variant 'no-such-model' in this catalog: choose one below."
    assert at.selectbox(key="model_choice").value == "movenet-lightning"


def test_a_page_that_fails_is_a_sentence_not_a_traceback(visit, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the renderer broke")

    monkeypatch.setattr("catalog.app.model_page.render_card", broken)
    at = visit(model="movenet-lightning")
    assert [e.value for e in at.error] == [
        "This page could not be drawn (RuntimeError: the renderer broke). "
        "The other pages still work; please report this with the catalog you used."
    ]


# --------------------------------------------------------------------------- compare


def table_ids(table, variants) -> list[str]:
    """The variant ids of Compare's columns, in order (the columns are titled by model name)."""
    ids = ("movenet-lightning", "blazepose-lite", "efficientpose-rt")
    assert len(table.columns) == len(ids)
    return [i for i in ids if i in variants]


def test_compare_shows_the_chosen_models_and_marks_the_best(visit, document):
    at = visit(page="compare", models="movenet-lightning,blazepose-lite,efficientpose-rt")
    table = at.dataframe[0].value
    assert list(table.columns) == ["MoveNet SinglePose Lightning", "BlazePose Lite (GHUM 3D)", "EfficientPose RT"]
    variants = {v["id"]: v for v in document["variants"]}
    sizes = [
        variants[i]["formats"]["onnx"]["size_mib"] for i in ("movenet-lightning", "blazepose-lite", "efficientpose-rt")
    ]
    row = table.loc["Size of the ONNX file (MiB)"].tolist()
    assert [cell.endswith(BEST) for cell in row] == [size == min(sizes) for size in sizes]
    for key in ("mparams", "mflops", "latency_ms"):
        assert sum(cell.endswith(BEST) for cell in table.loc[BY_KEY[key].name]) >= 1
    # the pipeline's figure, not the landmark stage's: BlazePose Lite's detector counts in its latency
    latencies = [variants[i]["pipeline"]["latency"]["median_ms"] for i in table_ids(table, variants)]
    row = table.loc[BY_KEY["latency_ms"].name].tolist()
    assert [cell.endswith(BEST) for cell in row] == [ms == min(latencies) for ms in latencies]
    for key in ("license", "commercial"):  # no direction: nothing marked
        assert not any(BEST in cell for cell in table.loc[BY_KEY[key].name])
    assert len(at.get("vega_lite_chart")) == 4  # bars: size, parameters, MFLOPs, latency


def test_compare_asks_for_two_models(visit):
    at = visit(page="compare", models="movenet-lightning")
    assert at.info[0].value.startswith("Choose two to 4 models")
    assert not at.dataframe


def test_compare_names_what_it_cannot_compare(visit):
    at = visit(page="compare", models="movenet-lightning,testpose-broken,nothing")
    assert at.warning[0].value == "Not in this catalog, or not built: testpose-broken, nothing."


# --------------------------------------------------------------------------- charts


def test_the_charts_are_the_sites(visit):
    charts = visit(page="charts").get("plotly_chart")
    # accuracy against latency first, then the timeline, the two performance charts and latency by device
    assert len(charts) == 5
    specs = [json.loads(chart.proto.spec) for chart in charts]
    names = [trace.get("name") for spec in specs for trace in spec["data"]]
    assert "Pareto front" in names and "MoveNet" in names
    hovers = [text for spec in specs for trace in spec["data"] for text in trace.get("hovertext") or []]
    assert any("<b>MoveNet SinglePose Lightning</b>" in text for text in hovers)
    accuracy = specs[0]
    assert accuracy["layout"]["title"]["text"].startswith("Accuracy against latency")
    accuracy_hovers = [text for trace in accuracy["data"] for text in trace.get("hovertext") or []]
    assert any("AP " in text and "run top-down" in text for text in accuracy_hovers)


def test_a_selected_point_names_its_model():
    points = [{"curve_number": 4, "point_index": 0}, {"customdata": "movenet-thunder"}, {"customdata": "x"}]
    assert selected_model(points) == "movenet-thunder"
    assert selected_model([{"x": 1.0}]) is None


# --------------------------------------------------------------------------- try it


def test_try_it_embeds_the_sites_page_when_served(visit, small_build, tmp_path):
    from streamlit import config

    from catalog.app.static import stage

    build = shutil.copytree(small_build, tmp_path / "build")
    script = stage(build)
    config.set_option("server.enableStaticServing", True)
    try:
        at = visit(script, page="try", model="movenet-thunder")
    finally:
        config.set_option("server.enableStaticServing", False)
    from catalog.app.try_page import redirect_page

    frames = at.get("iframe")  # an inline frame, which Streamlit sizes to its content, going on to the page
    page = "/app/static/try/index.html?model=movenet-thunder&embed=1"
    assert [frame.proto.srcdoc for frame in frames] == [redirect_page(page)]
    note = at.info[0].value
    assert "not cross-origin isolated" in note and "**one thread**" in note
    assert "posezoo preview" in note and "try/?model=movenet-thunder" in note


def test_try_it_says_how_to_serve_its_files(visit):
    at = visit(page="try")
    assert "run the app with `posezoo serve`" in at.warning[0].value
    assert not at.get("iframe")


def test_try_it_names_a_model_it_cannot_run(visit):
    at = visit(page="try", model="blazepose-detector")
    assert at.warning[0].value == (
        "blazepose-detector cannot be tried here (it has no ONNX file to run, or is a detector): "
        "the page starts with MoveNet SinglePose Lightning."
    )


# --------------------------------------------------------------------------- a bad catalog


def bad_build(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "catalog.json").write_text(text, "utf-8")
    return folder


BAD_CATALOGS = [
    (None, "There is no catalog at {path}. Build it with `posezoo build`, or run `posezoo serve`"),
    ("{not json", "{path}: cannot read the catalog ("),
    ('{"schema": 1, "variants": []}', "{path}: a catalog of schema 1; this posezoo ("),
]
PAGES = ["zoo", "model", "compare", "charts", "try"]


@pytest.mark.parametrize(
    ("content", "said", "page"),
    [
        # every page with a missing catalog, every other problem on one page in the fast tier; the
        # whole matrix in the slow one
        pytest.param(content, said, page, marks=() if content is None or page == "zoo" else pytest.mark.slow)
        for content, said in BAD_CATALOGS
        for page in PAGES
    ],
)
def test_a_missing_or_broken_catalog_is_a_sentence_on_every_page(tmp_path, monkeypatch, content, said, page):
    build = tmp_path / "build"
    build.mkdir()
    if content is not None:
        (build / "catalog.json").write_text(content, "utf-8")
    monkeypatch.setenv("POSEZOO_BUILD", str(build))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["page"] = page
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith(said.format(path=build / "catalog.json"))


# --------------------------------------------------------------------------- links and titles


@pytest.mark.parametrize(
    ("query", "route"),
    [
        ({}, Route("zoo")),
        ({"model": "movenet-lightning"}, Route("model", ("movenet-lightning",))),
        ({"page": "compare", "models": "a,b"}, Route("compare", ("a", "b"))),
        ({"models": "a, b,c,d,e"}, Route("compare", ("a", "b", "c", "d"))),
        ({"page": "try", "model": "a"}, Route("try", ("a",))),
        ({"page": "charts"}, Route("charts")),
        ({"page": "nowhere"}, Route("zoo")),
    ],
)
def test_a_query_names_a_route_and_back(query, route):
    assert route_of(query) == route
    if query.get("page") != "nowhere" and "e" not in query.get("models", ""):
        assert route_of(query_of(route)) == route


def test_every_page_has_its_title(document):
    catalog = Catalog.model_validate(document)
    zoo = Zoo(FIXTURE, catalog, zt.zoo_table(catalog))
    assert page_title(Route("zoo"), zoo) == "Zoo · posezoo"
    assert page_title(Route("model", ("movenet-thunder",)), zoo) == "MoveNet SinglePose Thunder · posezoo"
    assert page_title(Route("try", ("movenet-thunder",)), zoo) == "Try MoveNet SinglePose Thunder · posezoo"
    assert page_title(Route("compare", ("movenet-lightning", "blazepose-lite")), zoo) == (
        "Compare MoveNet SinglePose Lightning, BlazePose Lite (GHUM 3D) · posezoo"
    )
    assert page_title(Route("charts"), None) == "Charts · posezoo"


def test_the_fixture_is_a_catalog_of_this_posezoo(small_build):
    assert len(catalog_at(small_build / "catalog.json").variants) == 7
