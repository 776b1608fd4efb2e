"""The generated docs site in headless Chromium: the Zoo table sorts and filters, the cards and
charts render, nothing runs that a catalog smuggles in, and no page asks another origin for
anything. The site is built once per session from the test zoo, into a temporary folder."""

from __future__ import annotations

import copy
import functools
import html.parser
import http.server
import json
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from catalog.measure.browser import HEADLESS_FLAGS
from catalog.publish.formatting import mib, millions, ms

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = HEADLESS_FLAGS
PAGES = ["", "zoo/", "zoo/movenet-lightning/", "charts/", "notebook/", "numbers/", "inspect/", "build/"]
HOSTILE_NAME = "<script>window.pwned=1</script>"
HOSTILE_NOTE = 'He said "don\'t" & <b>bold</b> <img src=x onerror="window.pwned=1">'

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium on PATH or at /usr/bin/chromium (apt-get install chromium)"
    ),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install 'posezoo[dev]')"),
]


# --------------------------------------------------------------------------- fixtures


def _stage(build: Path, document: dict, into: Path) -> Path:
    """A build folder holding `document` as catalog.json and the built zoo's models (linked)."""
    into.mkdir(parents=True)
    (into / "catalog.json").write_text(json.dumps(document), "utf-8")
    (into / "models").symlink_to(build / "models", target_is_directory=True)
    return into


@pytest.fixture(scope="session")
def site(built_zoo, tmp_path_factory):
    """(site folder, catalog document): the test zoo's site, notebook page included."""
    from catalog.publish.site import build_site

    result, document = built_zoo
    build = _stage(result.catalog_path.parent, document, tmp_path_factory.mktemp("site") / "build")
    return build_site(build), document


@pytest.fixture(scope="session")
def hostile_site(built_zoo, tmp_path_factory):
    """(site folder, variant id) of a catalog whose first built variant's name is a script and
    whose license note holds quotes and markup."""
    from catalog.publish.site import build_site

    result, document = built_zoo
    hostile = copy.deepcopy(document)
    variant = next(v for v in hostile["variants"] if v["status"] == "ok" and v["role"] == "model")
    variant["name"] = HOSTILE_NAME
    variant["license"]["note"] = HOSTILE_NOTE
    build = _stage(result.catalog_path.parent, hostile, tmp_path_factory.mktemp("hostile") / "build")
    return build_site(build, notebook=False), variant["id"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


def _serve(folder: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def browser(playwright_driver):
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def served(site):
    server, base = _serve(site[0])
    yield base, site[1]
    server.shutdown()


class Visit:
    """A page with every request and console error it made recorded."""

    def __init__(self, browser, base: str):
        self.base = base
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str):
        self.page.goto(self.base + path, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        return self.page

    def foreign(self) -> list[str]:
        origin = urlparse(self.base).netloc
        return [url for url in self.requests if not url.startswith("data:") and urlparse(url).netloc != origin]


@pytest.fixture
def visit(browser, served):
    visits: list[Visit] = []

    def make() -> Visit:
        visits.append(Visit(browser, served[0]))
        return visits[-1]

    yield make
    for v in visits:
        v.page.close()


def built_variants(document: dict) -> list[dict]:
    return [v for v in document["variants"] if v["status"] == "ok" and v.get("formats")]


def zoo_rows(page) -> list[str]:
    return page.eval_on_selector_all("#zoo-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.id)")


# --------------------------------------------------------------------------- the Zoo page


def test_zoo_table_lists_sorts_and_filters(visit, served):
    _, document = served
    v = visit()
    page = v.open("zoo/")
    assert sorted(zoo_rows(page)) == sorted(variant["id"] for variant in document["variants"])

    page.click("#zoo-table thead th:has-text('MFLOPs') button")
    flops = {variant["id"]: variant["formats"]["onnx"]["flops"] for variant in built_variants(document)}
    by_flops = sorted(flops, key=lambda i: (flops[i], i))
    shown = zoo_rows(page)
    assert shown[: len(flops)] == by_flops  # unknown figures (variants that did not build) go last
    page.click("#zoo-table thead th:has-text('MFLOPs') button")
    assert zoo_rows(page)[: len(flops)] == sorted(flops, key=lambda i: (-flops[i], i))

    family = "movenet"
    page.select_option("#zoo-family", family)
    assert sorted(zoo_rows(page)) == sorted(x["id"] for x in document["variants"] if x["family"] == family)
    page.fill("#zoo-filter", "thunder")
    assert zoo_rows(page) == ["movenet-thunder"]
    page.fill("#zoo-filter", "")
    page.select_option("#zoo-family", "")
    assert len(zoo_rows(page)) == len(document["variants"])
    page.evaluate("document.activeElement.blur(); document.querySelector('.zoo-scroll').scrollLeft = 0")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "zoo.png"), full_page=True)
    assert v.errors == [] and v.foreign() == []


class _TableParser(html.parser.HTMLParser):
    """Rows of the zoo table: {data-id: {column: (text, data-value)}}."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, dict[str, tuple[str, str | None]]] = {}
        self.row: str | None = None
        self.cell: tuple[str, str | None] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "tr" and "data-id" in attributes:
            self.row = attributes["data-id"]
            self.rows[self.row] = {}
        elif tag == "td" and self.row:
            self.cell = (attributes["data-column"], attributes.get("data-value"))
            self.text = []

    def handle_endtag(self, tag):
        if tag == "td" and self.row and self.cell:
            self.rows[self.row][self.cell[0]] = ("".join(self.text).strip(), self.cell[1])
            self.cell = None

    def handle_data(self, data):
        if self.cell:
            self.text.append(data)


def test_zoo_page_figures_equal_the_catalog(served, site):
    _, document = served
    parser = _TableParser()
    parser.feed((site[0] / "zoo" / "index.html").read_text("utf-8"))
    assert set(parser.rows) == {v["id"] for v in document["variants"]}
    for variant in built_variants(document):
        onnx = variant["formats"]["onnx"]
        row = parser.rows[variant["id"]]
        latency = onnx["latency"]["median_ms"]
        expected = {
            "Size (MiB)": (mib(onnx["size_mib"]), onnx["size_mib"]),
            "MFLOPs": (millions(onnx["flops"]), onnx["flops"] / 1e6),
            "M params": (millions(onnx["params"]), onnx["params"] / 1e6),
            "Latency (ms)": (ms(latency), latency),
        }
        for column, (shown, raw) in expected.items():
            assert row[column][0] == shown, (variant["id"], column)
            assert float(row[column][1]) == raw, (variant["id"], column)
        assert row["License"][0] == variant["license"]["spdx"]
        assert row["Precision"][0] == onnx["precision"]


# --------------------------------------------------------------------------- cards and charts


def test_model_page_shows_its_license_and_every_restriction(visit, served):
    _, document = served
    variant = next(v for v in document["variants"] if v["id"] == "movenet-lightning")
    v = visit()
    page = v.open("zoo/movenet-lightning/")
    body = page.inner_text("article")
    assert page.locator(f"article a[href='{variant['license']['url']}']").count() >= 1
    for restriction in variant["usage_restrictions"]:
        assert " ".join(restriction.split()) in " ".join(body.split())
    assert page.locator("article a[href='../../numbers/#params']").count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "movenet-lightning.png"), full_page=True)
    assert v.errors == [] and v.foreign() == []


def test_numbers_page_has_the_anchors_the_cards_link_to(visit):
    from catalog.publish.model_card.inputs import CONVENTION_ANCHORS

    page = visit().open("numbers/")
    for anchor in CONVENTION_ANCHORS.values():
        assert page.locator(f"[id='{anchor}']").count() == 1, anchor


def test_charts_render_and_hover_names_a_model(visit, served):
    _, document = served
    v = visit()
    page = v.open("charts/")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length === 4", timeout=10000)
    charts = page.locator(".js-plotly-plot")
    assert page.locator("svg.main-svg").count() >= 2
    performance = charts.nth(2)  # after accuracy against latency and the timeline
    point = performance.locator(".scatterlayer .trace .points path").first
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".hoverlayer .hovertext", timeout=5000)
    hover = performance.locator(".hoverlayer").text_content()
    assert "ms median latency" in hover and "MFLOPs" in hover
    assert any(variant["id"] in hover for variant in built_variants(document)), hover
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "charts.png"), full_page=True)
    assert v.errors == [] and v.foreign() == []


def test_no_page_errs_or_leaves_the_origin(visit):
    for path in PAGES:
        v = visit()
        v.open(path)
        assert v.errors == [], (path, v.errors)
        assert v.foreign() == [], (path, v.foreign())
        assert len(v.requests) > 1, path  # its assets were requested, from the site itself


# --------------------------------------------------------------------------- a hostile catalog


def test_hostile_catalog_shows_text_and_runs_nothing(browser, hostile_site):
    folder, variant_id = hostile_site
    server, base = _serve(folder)
    try:
        v = Visit(browser, base)
        for path in ("zoo/", f"zoo/{variant_id}/", "charts/"):
            page = v.open(path)
            assert page.evaluate("typeof window.pwned") == "undefined", path
            if path != "charts/":
                assert HOSTILE_NAME in page.inner_text("article"), path
        card = v.open(f"zoo/{variant_id}/")
        assert 'He said "don\'t" & <b>bold</b>' in card.inner_text("article")
        assert v.errors == []
        v.page.close()
    finally:
        server.shutdown()
