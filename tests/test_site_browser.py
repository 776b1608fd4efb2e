"""The generated docs site in headless Chromium: the Zoo table sorts and filters, the cards and
charts render, nothing runs that a catalog smuggles in, and no page asks another origin for
anything. The site is built once per session from the test zoo, into a temporary folder."""

from __future__ import annotations

import copy
import functools
import html.parser
import http.server
import json
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

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
    """A page with every request, failed response and console error it made recorded."""

    def __init__(self, browser, base: str, width: int = 1400):
        self.base = base
        self.page = browser.new_page(viewport={"width": width, "height": 1000})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("response", lambda response: response.status >= 400 and self.failed.append(response.url))
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

    def make(width: int = 1400) -> Visit:
        visits.append(Visit(browser, served[0], width))
        return visits[-1]

    yield make
    for v in visits:
        v.page.close()


def built_variants(document: dict) -> list[dict]:
    return [v for v in document["variants"] if v["status"] == "ok" and v.get("formats")]


def table_ids(document: dict) -> list[str]:
    """The zoo table's rows: the variants, then the listed ones (a variant whose fetch failed is listed,
    once, with why)."""
    listed = [entry["id"] for entry in document.get("listed", [])]
    return [v["id"] for v in document["variants"] if v["id"] not in listed] + listed


def table_families(document: dict) -> dict[str, str]:
    return {
        **{v["id"]: v["family"] for v in document["variants"]},
        **{e["id"]: e["family"] for e in document["listed"]},
    }


def zoo_rows(page) -> list[str]:
    return page.eval_on_selector_all("#zoo-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.id)")


# --------------------------------------------------------------------------- the Zoo page


def test_zoo_table_lists_sorts_and_filters(visit, served):
    _, document = served
    v = visit()
    page = v.open("zoo/")
    assert sorted(zoo_rows(page)) == sorted(table_ids(document))

    page.click("#zoo-table thead th:has-text('MFLOPs') button")
    # the whole pipeline's FLOPs; a detector (a component) has none, and sorts last with unbuilt variants
    flops = {x["id"]: x["pipeline"]["flops"] for x in built_variants(document) if x.get("pipeline")}
    by_flops = sorted(flops, key=lambda i: (flops[i], i))
    shown = zoo_rows(page)
    assert shown[: len(flops)] == by_flops
    page.click("#zoo-table thead th:has-text('MFLOPs') button")
    assert zoo_rows(page)[: len(flops)] == sorted(flops, key=lambda i: (-flops[i], i))

    family = "movenet"
    page.select_option("#zoo-family", family)
    assert sorted(zoo_rows(page)) == sorted(i for i in table_ids(document) if table_families(document)[i] == family)
    page.fill("#zoo-filter", "thunder")
    assert zoo_rows(page) == ["movenet-thunder"]
    page.fill("#zoo-filter", "")
    page.select_option("#zoo-family", "")
    assert len(zoo_rows(page)) == len(table_ids(document))
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
    assert set(parser.rows) == set(table_ids(document))
    for variant in built_variants(document):
        onnx = variant["formats"]["onnx"]
        row = parser.rows[variant["id"]]
        expected = {
            "Size (MiB)": (mib(onnx["size_mib"]), onnx["size_mib"]),
            "M params": (millions(onnx["params"]), onnx["params"] / 1e6),
        }
        pipeline = variant.get("pipeline")
        if pipeline:  # latency and compute are the whole pipeline's, detector included
            latency, flops = pipeline["latency"]["median_ms"], pipeline["flops"]
            noisy = " (noisy)" if pipeline["latency"]["noisy"] else ""
            expected["Latency (ms)"] = (ms(latency) + noisy, latency)
            expected["MFLOPs"] = (millions(flops), flops / 1e6)
        else:  # a person detector is a component: nothing to rank it by
            assert variant["role"] == "detector"
            assert row["Latency (ms)"] == ("component", "") and row["MFLOPs"] == ("component", "")
        for column, (shown, raw) in expected.items():
            assert row[column][0] == shown, (variant["id"], column)
            assert float(row[column][1]) == raw, (variant["id"], column)
        assert row["License"][0] == variant["license"]["spdx"]
        assert row["Precision"][0] == onnx["precision"]


# --------------------------------------------------------------------------- cards and charts


def test_model_page_says_what_binds_apart_from_what_advises(visit, served):
    _, document = served
    variant = next(v for v in document["variants"] if v["id"] == "movenet-lightning")
    family = next(f for f in document["families"] if f["id"] == variant["family"])
    v = visit()
    page = v.open("zoo/movenet-lightning/")
    body = " ".join(page.inner_text("article").split())
    assert page.locator(f"article a[href='{variant['license']['url']}']").count() >= 1
    license, advice = body.split("Uses and limitations", 1)
    assert "Commercial use: allowed" in license
    for said in family["limitations"] + document["high_risk_uses"]["uses"]:
        assert " ".join(said.split()) in advice and " ".join(said.split()) not in license
    # the download links point at files the site serves
    links = [urljoin(page.url, link.get_attribute("href")) for link in page.locator("article a[download]").all()]
    assert len(links) == 2 and all(page.request.get(address).ok for address in links)
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
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length === 5", timeout=10000)
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


# --------------------------------------------------------------------------- every page, at both widths

DESKTOP, PHONE = 1440, 390
WIDTHS = pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
SITE_NAME = "posezoo"
RUN_IN_LIST = r"(^|\n)\s*([-*]|\d+\.) \S"  # a list item read as a paragraph's text


def nav_links(page) -> list[tuple[str, str]]:
    """(address, title) of every page the site's navigation links to."""
    links = page.eval_on_selector_all(
        "nav.md-nav--primary a.md-nav__link[href]", "links => links.map(a => [a.href, a.textContent.trim()])"
    )
    return list(dict.fromkeys((href, text) for href, text in links if "#" not in href))


def test_every_nav_link_opens_its_page_and_nothing_it_asks_for_is_missing(visit, site):
    home = visit()
    links = nav_links(home.open(""))
    assert any(href.endswith("/python/") for href, _ in links) and len(links) > 20
    for href, text in links:
        v = visit()
        response = v.page.goto(href, wait_until="load")
        v.page.wait_for_load_state("networkidle")
        assert response.status == 200, href
        title = v.page.title()
        assert title == (SITE_NAME if text == "Home" else f"{text} - {SITE_NAME}"), (href, title)
        assert v.page.locator("article h1").count() >= 1, href  # a page of the site, not a folder's listing
        assert v.failed == [], (href, v.failed)  # no 404, the icon included
        paragraphs = v.page.eval_on_selector_all("article p", "ps => ps.map(p => p.textContent)")
        assert not [p for p in paragraphs if re.search(RUN_IN_LIST, p)], href
        v.page.close()


def test_every_page_names_an_icon_the_site_has(site):
    """Chromium asks for no icon when headless; a person's browser asks for the one a page names,
    or for /favicon.ico where it names none."""
    folder = site[0]
    for page in folder.rglob("*.html"):
        text = page.read_text("utf-8")
        icons = re.findall(r'<link[^>]*\brel="(?:shortcut )?icon"[^>]*\bhref="([^"]+)"', text)
        assert icons, page.relative_to(folder)
        for href in icons:  # 404.html names its files from the site's root: it is served at any address
            target = folder / href.lstrip("/") if href.startswith("/") else page.parent / href
            assert target.resolve().is_file(), (page.relative_to(folder), href)


def test_numbers_page_shows_its_lists_as_lists(visit):
    from catalog.publish.model_card.inputs import CONVENTION_ANCHORS

    page = visit().open("numbers/")
    for anchor in CONVENTION_ANCHORS.values():
        assert page.locator(f"article li:has([id='{anchor}'])").count() == 1, anchor
    assert page.locator("article ul > li").count() > 10


def test_the_try_it_text_is_on_one_page_and_linked_from_the_other(visit):
    v = visit()
    marker = "Threads need cross-origin isolation"
    try_it = v.open("try-it/")
    assert marker not in try_it.inner_text("article")
    try_it.click("article a[href='../browser/']")
    v.page.wait_for_load_state("load")
    assert v.page.url.endswith("/browser/") and marker in v.page.inner_text("article")


def _box(page, selector: str) -> dict:
    return page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right}; }"
    )


@WIDTHS
def test_zoo_table_reads_at_this_width(visit, width):
    v = visit(width)
    page = v.open("zoo/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # the page never scrolls sideways
    scroller = _box(page, "#zoo-scroll")
    headers = page.eval_on_selector_all(
        "#zoo-table thead th",
        "cells => cells.filter(c => c.offsetParent).map(c => { const r = c.getBoundingClientRect(); "
        "return {key: c.dataset.key, left: r.left, right: r.right}; })",
    )
    beyond = [h["key"] for h in headers if h["right"] > scroller["right"] + 1]
    cue = page.locator("#zoo-cue")
    if beyond:
        assert cue.is_visible() and cue.inner_text().startswith(f"{len(beyond)} more column")
        names_end = _box(page, "#zoo-table thead th[data-key='variant']")["right"]
        for key in beyond:  # each can be scrolled into view, beside the model's name
            header = f"#zoo-table thead th[data-key='{key}']"
            page.eval_on_selector(header, "th => th.scrollIntoView({inline: 'end', block: 'nearest'})")
            box = _box(page, header)
            assert names_end - 1 <= box["left"] and box["right"] <= scroller["right"] + 1, key
        page.evaluate("document.getElementById('zoo-scroll').scrollLeft = 1e6")
        page.wait_for_function("document.getElementById('zoo-cue').hidden")  # nothing more to the right
        page.evaluate("document.getElementById('zoo-scroll').scrollLeft = 0")
        page.wait_for_function("!document.getElementById('zoo-cue').hidden")
    else:
        assert not cue.is_visible()
    # the model's name and its first figures, in full, in view
    for selector in ("td[data-column='Family']", "td[data-column='Variant']", "td[data-column='AP']"):
        cell = _box(page, f"#zoo-table tbody tr:first-child {selector}")
        assert 0 <= cell["left"] and cell["right"] <= min(width, scroller["right"]), (width, selector)
    page.evaluate("document.activeElement.blur()")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"zoo-{width}.png"), full_page=True)
    assert v.errors == []


def test_zoo_phone_keeps_the_model_name_in_view_while_the_figures_scroll(visit):
    page = visit(PHONE).open("zoo/")
    name = _box(page, "#zoo-table tbody tr:first-child td[data-column='Variant']")
    figure = _box(page, "#zoo-table tbody tr:first-child td[data-column='AP']")
    page.evaluate("document.getElementById('zoo-scroll').scrollLeft = 150")
    assert _box(page, "#zoo-table tbody tr:first-child td[data-column='Variant']") == name
    assert _box(page, "#zoo-table tbody tr:first-child td[data-column='AP']")["left"] < figure["left"]


def test_zoo_filter_matches_every_word_in_any_order_and_not_figures(visit, served):
    _, document = served
    page = visit().open("zoo/")
    # SinglePose and MultiPose Lightning (the TFJS file and Google's TFLite file), all MoveNet
    lightning = {"movenet-lightning", "movenet-multipose", "movenet-multipose-tflite"}
    page.fill("#zoo-filter", "movenet lightning")
    assert set(zoo_rows(page)) == lightning
    page.fill("#zoo-filter", "  Lightning   MOVENET ")
    assert set(zoo_rows(page)) == lightning
    assert page.inner_text("#zoo-count") == f"{len(lightning)} of {len(table_ids(document))} models"

    page.fill("#zoo-filter", "33")  # BlazePose's 33 keypoints: a word of its rows (blazepose-33)
    assert set(zoo_rows(page)) == {v["id"] for v in document["variants"] if "33" in v["keypoints"]["schema"]}

    # digits of a figure (latency, MFLOPs) that no row's words hold: they find nothing
    families = {f["id"]: f["name"] for f in document["families"]}
    words = " ".join(
        f"{v['id']} {v['name']} {families.get(v['family'], '')} {v['keypoints']['schema']} {v['task']}"
        f" {v['license']['spdx']} {v.get('use')}".lower()  # a failed variant has no `use`
        for v in document["variants"]
    )
    # the listed rows (a variant the zoo cannot build, e.g. litehrnet-30) have their words too
    words += " " + " ".join(
        f"{e['id']} {e['name']} {families.get(e['family'], '')} {e['task']} {e['reason']}"
        f" {e['license']['spdx']}".lower()
        for e in document.get("listed", [])
    )
    figures = [ms(v["formats"]["onnx"]["latency"]["median_ms"]) for v in built_variants(document)]
    figures += [millions(v["formats"]["onnx"]["flops"]) for v in built_variants(document)]
    digits = next(d for text in figures for d in re.findall(r"(?=(\d\d))", text) if d not in words)
    page.fill("#zoo-filter", digits)
    assert zoo_rows(page) == [], digits


def test_zoo_view_is_kept_in_the_address_and_restored_from_it(visit, served):
    _, document = served
    v = visit()
    page = v.open("zoo/")
    page.fill("#zoo-filter", "single-person")
    page.select_option("#zoo-family", "efficientpose")
    page.click("#zoo-table thead th[data-key='latency_ms'] button")
    page.click("#zoo-table thead th[data-key='latency_ms'] button")  # again: the slowest first
    shown = zoo_rows(page)
    latency = {x["id"]: x["pipeline"]["latency"]["median_ms"] for x in built_variants(document) if x.get("pipeline")}
    listed = [e["id"] for e in document["listed"] if e["family"] == "efficientpose"]
    assert (
        shown
        == sorted(
            (x["id"] for x in document["variants"] if x["family"] == "efficientpose" and x["id"] not in listed),
            key=lambda i: -latency[i],
        )
        + listed
    )  # the listed rows stay after the built ones, whatever the order
    address = page.url
    assert "filter=single-person" in address and "family=efficientpose" in address and "sort=-latency_ms" in address

    again = visit().open(address.removeprefix(v.base))
    assert zoo_rows(again) == shown
    assert again.input_value("#zoo-filter") == "single-person" and again.input_value("#zoo-family") == "efficientpose"
    assert again.get_attribute("#zoo-table thead th[data-key='latency_ms']", "aria-sort") == "descending"

    by_size = visit().open("zoo/?sort=size_mib")  # a link written by hand
    size = {x["id"]: x["formats"]["onnx"]["size_mib"] for x in built_variants(document)}
    assert zoo_rows(by_size)[: len(size)] == sorted(size, key=lambda i: (size[i], i))


@WIDTHS
def test_pages_read_at_this_width(visit, width):
    for path in ("zoo/blazepose-full/", "numbers/", "try-it/", "browser/"):
        page = visit(width).open(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


@WIDTHS
@pytest.mark.parametrize("variant_id", ["movenet-lightning", "blazepose-lite"])
def test_a_cards_performance_and_license_read_whole_at_this_width(visit, width, variant_id):
    v = visit(width)
    page = v.open(f"zoo/{variant_id}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # every table from the glance to the devices' fits the article: no column scrolled out of view;
    # on a phone the devices' tables (seven figures a row, as AI Hub's) scroll sideways in their own box
    widths = page.eval_on_selector_all(
        "article table",
        "tables => tables.map(t => [t.querySelector('th').innerText.trim(), t.scrollWidth,"
        " t.closest('article').clientWidth, Boolean(t.closest('.md-typeset__scrollwrap'))])",
    )
    phone = width < 600
    cut = [(first, wide) for first, wide, room, _ in widths if wide > room + 1 and not (phone and first == "Runtime")]
    assert cut == [], cut
    assert all(scrolls for first, *_, scrolls in widths if first == "Runtime")
    text = " ".join(page.inner_text("article").split())
    assert "Whole pipeline:" in text and "Commercial use:" in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"card-{variant_id}-{width}.png"), full_page=True)


# --------------------------------------------------------------------------- the devices' rows


def measured_device(document: dict) -> dict:
    """The first device the catalog holds: the repository's devices/ seed it with this project's own
    machine, so the test zoo's catalog always has one."""
    assert document["devices"], "the test zoo's catalog has no device: devices/ should seed one"
    return document["devices"][0]


def test_zoo_table_switches_its_latency_to_a_device_and_back(visit, served):
    from catalog.cards.devices import DeviceEntry
    from catalog.publish.columns import BY_KEY
    from catalog.publish.devices import device_figure
    from catalog.schema import VariantRecord

    _, document = served
    device = measured_device(document)
    thunder = next(x for x in document["variants"] if x["id"] == "movenet-thunder")
    figure = device_figure(DeviceEntry.model_validate(device), VariantRecord.model_validate(thunder))
    assert figure is not None
    v = visit()
    page = v.open("zoo/")
    cell = "#zoo-table tbody tr[data-id='movenet-thunder'] td[data-devices]"
    before = page.text_content(cell)

    page.select_option("#zoo-device", device["id"])

    assert f"device={device['id']}" in page.url
    assert device["device"]["name"] in page.text_content("#zoo-device-note")
    assert page.text_content(cell) == f"{BY_KEY['latency_ms'].text(figure.median_ms)} ({figure.how})"
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 1000})
        page.screenshot(path=str(SCREENSHOTS / f"zoo-device-{width}.png"), full_page=True)
    page.select_option("#zoo-device", "")
    assert page.text_content(cell) == before
    assert v.errors == [] and v.foreign() == []


def test_a_card_shows_the_build_machine_then_the_devices_that_measured_it(visit, served):
    _, document = served
    device = measured_device(document)
    v = visit()
    page = v.open("zoo/movenet-lightning/")
    section = page.locator("h2:has-text('Measured on devices')")
    assert section.count() == 1
    # each device's rows under its name: the build machine's first
    names = page.locator("h2:has-text('Measured on devices') ~ p > strong").all_text_contents()
    assert names[0].startswith("Build machine") and device["device"]["name"] in names
    runtimes = page.locator("h2:has-text('Measured on devices') ~ div table tbody tr td:first-child")
    assert not any("†" in cell for cell in runtimes.all_text_contents()), "the seed rows timed other files"
    section.scroll_into_view_if_needed()
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 1000})
        page.screenshot(path=str(SCREENSHOTS / f"card-devices-{width}.png"), full_page=True)
    assert v.errors == [] and v.foreign() == []
