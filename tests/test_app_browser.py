"""The app as a visitor meets it: a real `posezoo serve` of the test zoo on 127.0.0.1 (a free port),
Debian's Chromium with the fake camera showing the astronaut (the Try-it page's tests' video).
The Zoo table renders; the Try-it page, embedded, loads a model and draws keypoints from the
camera on one thread; a point of a chart opens its model; a refused camera is said on the page;
no page logs an error. Screenshots go to build/screenshots/app-*.png."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from catalog.app.zoo_page import ROW_PX  # noqa: E402
from catalog.publish.records import families_by_id, model_title  # noqa: E402
from catalog.schema import Catalog  # noqa: E402
from tests.app_driver import (  # noqa: E402
    TABLE,
    ServedApp,
    camera_args,
    launch_chromium,
    open_when_up,
    try_frame,
    wait_for_keypoints,
    wait_for_table,
)
from tests.test_site_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, sync_playwright  # noqa: E402
from tests.test_try_page import astronaut, write_y4m  # noqa: E402

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH or at /usr/bin/chromium"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install 'posezoo[dev]')"),
]
WAIT_MS = 120_000
# Streamlit's own chatter that is not an error of the app's (its forward-message cache, a favicon)
HARMLESS = ("favicon",)
PHONE_MAX = 767  # Streamlit's widest viewport that starts with the sidebar collapsed


def zoo_titles(document: dict) -> dict[str, str]:
    catalog = Catalog.model_validate(document)
    families = families_by_id(catalog)
    return {v.id: model_title(v, families) for v in catalog.variants}


@pytest.fixture(scope="module")
def zoo_build(app_zoo_build) -> tuple[Path, dict]:
    return app_zoo_build


@pytest.fixture(scope="module")
def camera_browser(playwright_driver, tmp_path_factory):
    """Chromium whose camera shows the astronaut (the Try-it page's tests' video)."""
    video = write_y4m(astronaut(), tmp_path_factory.mktemp("camera") / "astronaut.y4m")
    browser = launch_chromium(playwright_driver, camera_args(video))
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def served(zoo_build, tmp_path_factory):
    app = ServedApp(zoo_build[0], tmp_path_factory.mktemp("serve") / "serve.log")
    yield app
    app.close()


class AppVisit:
    """A page of its own in `browser` with every console error recorded, frames' included."""

    def __init__(self, browser, app: ServedApp, width: int = 1500, height: int = 1150) -> None:
        self.app = app
        self.width = width
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, query: str = ""):
        open_when_up(self.page, self.app.url + query)
        # a phone's width starts with the sidebar collapsed
        shown = "visible" if self.width > PHONE_MAX else "attached"
        self.page.locator('[data-testid="stSidebar"]').first.wait_for(state=shown, timeout=WAIT_MS)
        return self.page

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(500)  # let the last rerun paint
        self.page.evaluate("document.querySelector('[data-testid=\"stMain\"]')?.scrollTo(0, 0)")
        self.page.screenshot(path=str(SCREENSHOTS / f"app-{name}.png"), full_page=True)

    def real_errors(self) -> list[str]:
        return [e for e in self.errors if not any(word in e for word in HARMLESS)]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(camera_browser, served):
    visits: list[AppVisit] = []

    def open_visit(browser=None, width: int = 1500, height: int = 1150) -> AppVisit:
        visits.append(AppVisit(browser or camera_browser, served, width, height))
        return visits[-1]

    yield open_visit
    for one in visits:
        one.close()


def test_serve_prints_its_url_and_serves_the_zoo_table(visit, served, zoo_build):
    one = visit()
    page = one.open()
    wait_for_table(page, WAIT_MS)
    # the built variants and the rows listed without a build (a failed fetch shows once, listed)
    listed = {entry["id"] for entry in zoo_build[1].get("listed", [])}
    count = len(listed) + sum(1 for v in zoo_build[1]["variants"] if v["id"] not in listed)
    assert page.get_by_text(f"{count} of {count} variants").is_visible()
    assert page.title() == "Zoo · posezoo"
    assert f"posezoo: the app is at {served.url} (Ctrl-C stops it)" in served.output()
    one.screenshot("zoo")
    assert one.real_errors() == []


def select_row(page, row: int, opened, tries: int = 3) -> None:
    """Ticks the checkbox of the table's `row` (1: the first under the header), then waits for the
    app's answer, `opened` (a locator: the row's own Open button).

    A click that lands while the grid is still being laid out (a loaded machine) is lost. The grid's
    own accessible table (`tr[aria-selected]`) says whether the tick took, so a try clicks again only
    while the row is unticked, and never unticks it.
    """
    table = page.locator(TABLE).first
    ticked = table.locator(f'tr[aria-rowindex="{row + 1}"][aria-selected="true"]')
    for _ in range(tries):
        if ticked.count():
            break
        # relative to the table, which Playwright first scrolls into view and waits to be still
        table.click(position={"x": 14, "y": ROW_PX * row + ROW_PX / 2})
        try:
            ticked.wait_for(state="attached", timeout=15_000)
            break
        except PlaywrightTimeout:
            continue
    assert ticked.count(), f"row {row} of the table is not ticked after {tries} clicks"
    opened.wait_for(timeout=WAIT_MS)


def test_selecting_rows_in_the_table_opens_a_model_or_compares(visit, zoo_build):
    one = visit()
    page = one.open()
    wait_for_table(page, WAIT_MS)
    titles = list(zoo_titles(zoo_build[1]).values())
    select_row(page, 1, page.get_by_role("button", name=f"Open {titles[0]}"))
    select_row(page, 2, page.get_by_role("button", name=f"Open {titles[1]}"))
    page.get_by_role("button", name="Compare these 2").wait_for(timeout=WAIT_MS)
    one.screenshot("zoo-selected")
    page.get_by_role("button", name=f"Open {titles[1]}").click()
    page.get_by_role("heading", name=titles[1], level=1).wait_for(timeout=WAIT_MS)
    assert page.url.endswith(f"?model={list(zoo_titles(zoo_build[1]))[1]}")
    assert one.real_errors() == []


WIDTHS = {"desktop": 1440, "phone": 390}
# how far the page, or its main area (which scrolls on its own), is wider than the window
OVERFLOW = """() => Math.max(
  ...[document.documentElement, document.querySelector('[data-testid="stMain"]')].map(
    (e) => e.scrollWidth - e.clientWidth
  )
)"""


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_model_page_names_its_model_first_and_its_conventions(visit, width):
    one = visit(width=width, height=900)
    page = one.open("?model=movenet-lightning")
    title = page.get_by_role("heading", name="MoveNet SinglePose Lightning", level=1)
    title.wait_for(timeout=WAIT_MS)
    choice = page.locator('[data-testid="stSelectbox"]').first
    choice.wait_for(timeout=WAIT_MS)
    # the title first, then the choice of model and the downloads
    assert title.bounding_box()["y"] < choice.bounding_box()["y"]
    assert choice.bounding_box()["y"] < page.get_by_text("Download the ONNX file").bounding_box()["y"]
    # how each figure is counted is on the page, not a path into the repository
    assert page.get_by_text("catalog/measure/conventions.md").count() == 0
    assert page.get_by_text("the conventions under How each figure is counted, at the foot of this page").is_visible()
    conventions = page.get_by_test_id("stExpander").get_by_text("How each figure is counted", exact=True)
    conventions.scroll_into_view_if_needed()
    conventions.click()
    page.get_by_text("multiply-accumulates of the dense ops only").first.wait_for(timeout=WAIT_MS)
    assert page.evaluate(OVERFLOW) <= 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"app-model-conventions-{width}.png"))
    one.screenshot(f"model-{width}")
    assert one.real_errors() == []


SCROLL_TO_COLUMN = """(wanted) => {
  const grid = document.querySelector('[data-testid="stDataFrame"]');
  const shown = [...grid.querySelectorAll('th[role="columnheader"]')].map((th) => th.textContent);
  if (wanted.every((header) => shown.includes(header))) return true;
  grid.querySelector(".dvn-scroller").scrollLeft += 120;
  return false;
}"""


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_zoo_says_which_file_its_figures_are_of(visit, width):
    one = visit(width=width, height=900)
    page = one.open()
    wait_for_table(page, WAIT_MS)
    assert page.get_by_text("Figures of names what it was converted from").is_visible()
    assert page.evaluate(OVERFLOW) <= 0
    one.screenshot(f"zoo-{width}")
    # the grid draws the columns in view, and an accessible table of them (hidden) that it renews
    # once a scroll has rested (a page timer, shorter than the poll's): scroll it, a little each
    # poll, to the column beside the precision, the size and the latency
    grid = page.locator(TABLE).first
    grid.scroll_into_view_if_needed()
    page.wait_for_function(SCROLL_TO_COLUMN, arg=["Figures of", "Precision"], polling=500, timeout=WAIT_MS)
    headers = grid.locator('th[role="columnheader"]').all_inner_texts()
    assert "Figures of" in headers and "Format" not in headers, headers
    column = grid.locator('th[role="columnheader"]', has_text="Figures of").get_attribute("aria-colindex")
    cells = grid.locator(f'td[role="gridcell"][aria-colindex="{column}"]').all_inner_texts()
    cells = [cell for cell in cells if cell.strip() not in ("", "—")]  # the listed rows have no file
    assert cells and all(cell.startswith(("ONNX (from ", "ONNX (the original")) for cell in cells), cells
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    grid.screenshot(path=str(SCREENSHOTS / f"app-zoo-figures-of-{width}.png"))
    assert one.real_errors() == []


def test_try_it_draws_keypoints_from_the_camera_on_one_thread(visit):
    one = visit()
    page = one.open("?page=try&model=movenet-lightning&input=camera")
    state = wait_for_keypoints(page, "movenet-lightning")
    assert page.title() == "Try MoveNet SinglePose Lightning · posezoo"
    assert state["input"]["kind"] == "camera" and (state["input"]["width"], state["input"]["height"]) == (512, 512)
    assert state["threads"] == 1 and state["backend"] == "wasm"  # Streamlit sends no COOP/COEP
    person = state["poses"][0]
    nose = next(k for k in person["keypoints"] if k["name"] == "nose")
    assert nose["score"] > 0.3 and 0.4 < nose["x"] < 0.6 and 0.1 < nose["y"] < 0.4  # her face, top middle
    frame = try_frame(page)
    assert frame.url.startswith(one.app.url + "app/static/try/index.html?model=movenet-lightning")
    assert frame.locator("body > header").is_hidden()  # embedded: the app shows its own title
    assert page.get_by_text("This page is not cross-origin isolated").is_visible()
    frame.wait_for_function("window.posezooTry.frames >= 3", timeout=WAIT_MS)
    one.screenshot("try")
    assert one.real_errors() == []


def test_a_point_of_a_chart_opens_its_model(visit, zoo_build):
    one = visit()
    page = one.open("?page=charts")
    charts = page.locator('[data-testid="stPlotlyChart"]')
    charts.nth(2).wait_for(state="visible", timeout=WAIT_MS)
    one.screenshot("charts")
    marker = charts.nth(1).locator(".scatterlayer .trace .points path").first
    marker.wait_for(state="visible", timeout=WAIT_MS)
    marker.click(force=True)
    page.wait_for_url("**/?model=*", timeout=WAIT_MS)
    model = page.url.rsplit("model=", 1)[1]
    name = next(title for variant_id, title in zoo_titles(zoo_build[1]).items() if variant_id == model)
    page.get_by_role("heading", name=name, level=1).wait_for(timeout=WAIT_MS)  # the card's title
    assert page.title() == f"{name} · posezoo"
    page.get_by_role("heading", name="License").first.wait_for(timeout=WAIT_MS)
    one.screenshot("model")
    assert one.real_errors() == []


def test_compare_marks_the_best(visit):
    one = visit()
    page = one.open("?page=compare&models=movenet-lightning,movenet-thunder,blazepose-lite")
    wait_for_table(page, WAIT_MS)
    page.locator('[data-testid="stVegaLiteChart"]').nth(3).wait_for(state="visible", timeout=WAIT_MS)
    assert page.title() == (
        "Compare MoveNet SinglePose Lightning, MoveNet SinglePose Thunder, BlazePose Lite (GHUM 3D) · posezoo"
    )
    one.screenshot("compare")
    assert one.real_errors() == []


def test_a_refused_camera_is_said_on_the_page(served, playwright_driver):
    # no fake camera and no permission: the browser refuses getUserMedia
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    one = AppVisit(browser, served)
    try:
        page = one.open("?page=try&model=movenet-lightning&input=camera")
        page.locator("iframe").first.wait_for(timeout=WAIT_MS)
        while try_frame(page) is None:
            page.wait_for_timeout(50)
        message = try_frame(page).locator("#message")
        message.wait_for(state="visible", timeout=WAIT_MS)
        assert message.inner_text().startswith("The camera did not start:")
        assert try_frame(page).evaluate("window.posezooTry.status") == "error"
        one.screenshot("camera-refused")
    finally:
        one.close()
        browser.close()


def test_the_app_served_only_what_the_catalog_names(served, zoo_build):
    build, document = zoo_build
    static = build / "app" / "static"
    runnable = [v["id"] for v in document["variants"] if v["status"] == "ok" and v["role"] == "model"]
    for variant_id in runnable:
        assert (static / "models" / variant_id / f"{variant_id}.onnx").is_file()
    assert json.loads((static / "catalog.json").read_text("utf-8")) == document
    assert os.path.samefile(build / "app" / "app.py", Path(__file__).resolve().parent.parent / "app.py")
