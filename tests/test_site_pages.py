"""The docs site's pages as they are written, before any browser: no copied folder takes a page's
place, the Numbers page's lists are lists, the Try-it text is said once, every page names the
site's icon, the Zoo filter reads words and not figures, and the skeleton figures' labels each
have their own room. Fast: the fixture catalog, no build."""

from __future__ import annotations

import html.parser
import itertools
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import markdown
import pytest

from catalog.publish.columns import ZOO_COLUMNS
from catalog.publish.model_card.inputs import CONVENTION_ANCHORS
from catalog.publish.records import families_by_id
from catalog.publish.site import (
    EMPTY_ICON,
    FAVICON,
    SiteError,
    built_pages,
    link_icon,
    numbers_page,
    refuse_shadowing,
    search_text,
    try_it_page,
    zoo_table,
)
from catalog.publish.skeleton import LAYOUTS, skeleton_svg
from catalog.schema import read_catalog

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "app" / "catalog.json"
SVG = "{http://www.w3.org/2000/svg}"


# --------------------------------------------------------------------------- no page is shadowed


def test_a_folder_copied_over_a_page_stops_the_build(tmp_path):
    site = tmp_path / "site"
    for folder in ("python", "pose", "zoo/movenet-lightning"):
        (site / folder).mkdir(parents=True)
        (site / folder / "index.html").write_text(f"<h1>{folder}</h1>")
    pages = built_pages(site)
    shutil.rmtree(site / "try", ignore_errors=True)  # what copying the Try-it page does
    (site / "try").mkdir()
    (site / "try" / "index.html").write_text("<h1>Try it</h1>")
    refuse_shadowing(site, pages)  # a folder of its own: no page is lost

    shutil.rmtree(site / "pose")  # the Try-it page's scripts, copied where a page was
    (site / "pose").mkdir()
    (site / "pose" / "pipeline.js").write_text("export {};")
    with pytest.raises(SiteError, match=r"page pose/ .* rename the page"):
        refuse_shadowing(site, pages)


def test_no_docs_page_has_the_name_of_a_folder_the_site_copies_in():
    from catalog.publish.site import TRY_DIR, WEB
    from catalog.publish.stlite import APP_DIR

    pages = {p.stem for p in (ROOT / "site" / "docs").glob("*.md")} | {
        p.name for p in (ROOT / "site" / "docs").iterdir() if p.is_dir()
    }
    copied = {TRY_DIR, APP_DIR, *(p.name for p in WEB.iterdir() if p.is_dir())}
    assert pages & copied == set()


# --------------------------------------------------------------------------- the Numbers page


class _Lists(html.parser.HTMLParser):
    """Which ids sit inside a list item, and the text of every paragraph."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.ids_in_items: set[str] = set()
        self.ids: set[str] = set()
        self.paragraphs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)
        if tag == "p":
            self.paragraphs.append("")
        identifier = dict(attrs).get("id")
        if identifier:
            self.ids.add(identifier)
            if "li" in self.open:
                self.ids_in_items.add(identifier)

    def handle_endtag(self, tag):
        while self.open and self.open.pop() != tag:
            pass

    def handle_data(self, data):
        if "p" in self.open:
            self.paragraphs[-1] += data


def test_the_numbers_page_renders_every_convention_as_a_list_item():
    conventions = (ROOT / "catalog" / "measure" / "conventions.md").read_text("utf-8")
    source = numbers_page((ROOT / "site" / "docs" / "numbers.md").read_text("utf-8"), conventions)
    page = markdown.markdown(
        source,
        extensions=["attr_list", "tables", "pymdownx.superfences", "pymdownx.snippets"],
        extension_configs={"pymdownx.snippets": {"base_path": [str(ROOT)]}},
    )
    parsed = _Lists()
    parsed.feed(page)
    assert set(CONVENTION_ANCHORS.values()) <= parsed.ids_in_items
    assert page.count("<ul>") >= 3  # the conventions, the MACs' formulas, the kinds of quantization
    run_in = [p for p in parsed.paragraphs if re.search(r"(^|\n)\s*([-*]|\d+\.) \S", p)]
    assert run_in == [], "a list was read as a paragraph's text"


# --------------------------------------------------------------------------- the Try-it text, once


def test_the_try_it_page_links_to_the_browser_page_instead_of_repeating_it():
    page = try_it_page(read_catalog(FIXTURE))
    browser = (ROOT / "site" / "docs" / "browser.md").read_text("utf-8")
    assert '--8<-- "README.md:try"' in browser
    assert "README.md:try" not in page and "](browser.md)" in page
    assert "?model=movenet-lightning" in page  # its own part: a link per model


# --------------------------------------------------------------------------- the icon


def test_every_page_outside_the_theme_gets_the_site_icon(tmp_path):
    site = tmp_path / "site"
    (site / "try").mkdir(parents=True)
    (site / "stlite").mkdir()
    (site / "zoo").mkdir()
    (site / "try" / "index.html").write_text(f"<html><head>\n{EMPTY_ICON}\n</head><body></body></html>")
    (site / "stlite" / "index.html").write_text("<!doctype html><html><head><title>app</title></head></html>")
    themed = '<html><head><link rel="icon" href="../assets/favicon.svg"></head></html>'
    (site / "zoo" / "index.html").write_text(themed)

    changed = link_icon(site)

    assert sorted(p.parent.name for p in changed) == ["stlite", "try"]
    for name in ("try", "stlite"):
        text = (site / name / "index.html").read_text()
        assert 'rel="icon" type="image/svg+xml" href="../assets/favicon.svg"' in text and "data:," not in text
    assert (site / "zoo" / "index.html").read_text() == themed
    assert (ROOT / "site" / "docs" / FAVICON).is_file()
    ET.fromstring((ROOT / "site" / "docs" / FAVICON).read_text("utf-8"))  # a well-formed SVG


# --------------------------------------------------------------------------- the Zoo filter


def test_the_zoo_filter_reads_a_rows_words_and_none_of_its_figures():
    catalog = read_catalog(FIXTURE)
    families = families_by_id(catalog)
    figures = [c for c in ZOO_COLUMNS if c.sort == "number"]
    for variant in catalog.variants:
        family = families.get(variant.family)
        words = search_text(variant, family)
        assert variant.id in words and variant.license.spdx.lower() in words and variant.task.lower() in words
        if family:
            assert family.name.lower() in words
        for column in figures:
            value = column.value(variant, family)
            shown = column.text(value) if value is not None else ""
            if len(shown) >= 3:  # a figure of a few characters may be part of a name ("II", "16")
                assert shown not in words, (variant.id, column.key, shown)
    table = zoo_table(catalog)
    assert table.count("data-search=") == len(catalog.variants)
    assert 'id="zoo-cue"' in table and "data-key=" in table


# --------------------------------------------------------------------------- the skeleton figure

CHARACTER_EM = 0.6  # a sans-serif character's width, counted generously
LINE_EM = 1.2  # a line of text's height


def _font_size(svg: ET.Element, css_class: str) -> float:
    style = "".join(s.text or "" for s in svg.iter(f"{SVG}style"))
    return float(re.search(rf"\.{css_class}\{{font:(?:bold )?([\d.]+)px", style).group(1))


def _text_boxes(svg_text: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each text of the figure and the box it takes, from its position, anchor and an estimated width."""
    svg = ET.fromstring(svg_text)
    boxes = []
    for text in svg.iter(f"{SVG}text"):
        size = _font_size(svg, text.get("class"))
        width = len(text.text or "") * CHARACTER_EM * size
        x, y = float(text.get("x")), float(text.get("y"))
        left = {"start": x, "middle": x - width / 2, "end": x - width}[text.get("text-anchor", "start")]
        boxes.append((text.text or "", (left, y - 0.95 * size, left + width, y + 0.25 * size)))
    return boxes


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _cross(p, q, r, s) -> bool:
    def side(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    return side(p, q, r) * side(p, q, s) < 0 and side(r, s, p) * side(r, s, q) < 0


SCHEMAS = [(schema, list(points)) for schema, points in LAYOUTS.items()]
SCHEMAS += [("my-70", [f"point_number_{i}" for i in range(70)])]  # no template: a circle, and a tall figure


@pytest.mark.parametrize(("schema", "names"), SCHEMAS, ids=[schema for schema, _ in SCHEMAS])
def test_no_two_labels_of_a_skeleton_figure_overlap_and_no_two_leaders_cross(schema, names):
    svg_text = skeleton_svg(schema, names, [(0, 1)])
    svg = ET.fromstring(svg_text)
    left, top, width, height = (float(v) for v in svg.get("viewBox").split())
    boxes = _text_boxes(svg_text)
    assert sorted(name for name, _ in boxes[1:]) == sorted(names)  # the title, then a label per name
    for (one, a), (other, b) in itertools.combinations(boxes, 2):
        assert not _overlap(a, b), (schema, one, other)
    for name, (x0, y0, x1, y1) in boxes:
        assert left <= x0 and x1 <= left + width and top <= y0 and y1 <= top + height, (schema, name)
    leaders = [
        ((float(line.get("x1")), float(line.get("y1"))), (float(line.get("x2")), float(line.get("y2"))))
        for line in svg.iter(f"{SVG}line")
        if line.get("class") == "leader"
    ]
    assert len(leaders) == len(names)
    for (p, q), (r, s) in itertools.combinations(leaders, 2):
        assert not _cross(p, q, r, s), (schema, p, r)


def test_the_blazepose_figure_is_no_wider_than_its_labels_need():
    svg = ET.fromstring(skeleton_svg("blazepose-33", list(LAYOUTS["blazepose-33"]), []))
    width = float(svg.get("viewBox").split()[2])
    assert width < 520  # it was 640: a phone shrinks it less, so its labels stay legible
