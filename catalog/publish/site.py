"""The docs site, generated from a built catalog: `posezoo site` calls `build_site(BUILD)`.

    BUILD/cards/<id>/             the Hugging Face cards (README.md, skeleton.svg)
    BUILD/site-src/mkdocs.yml     site/mkdocs.yml plus the generated pages' nav, no web fonts
    BUILD/site-src/docs/          site/docs/* plus zoo/, zoo/<id>/, charts.md, notebook.md
    BUILD/site-src/notebook.ipynb notebooks/zoo.ipynb executed against BUILD
    BUILD/site/                   `mkdocs build --strict` of the above: the static site
    BUILD/site/try/, pose/        the Try-it page (web/try/, web/pose/), copied after mkdocs' build
    BUILD/site/benchmark/         the benchmark page (web/benchmark/): the zoo timed in the visitor's browser
    BUILD/site/try/ort/           onnxruntime-web's runtime files the page's two builds need
    BUILD/site/try/litert/        LiteRT.js: its module, the helper it imports (the page's import
                                  map names it) and the wasm builds it picks from
    BUILD/site/try/tfjs/          TensorFlow.js and its wasm backend
    BUILD/site/catalog.json       the catalog, and models/<id>/ beside it: every form the page runs
                                  (ONNX float and int8, TFLite, TFJS with its weights), at the
                                  `formats.<form>.path` relative to catalog.json
    BUILD/site/_headers           COOP/COEP for static hosts that read it (Netlify, Cloudflare Pages)

What is copied after mkdocs' build may not take a page's place: the build stops if it did
(`refuse_shadowing`). Every page names the site's icon, site/docs/assets/favicon.svg.

Every figure comes from catalog.json and is formatted by `catalog.publish.formatting`, so it
reads the same on the Zoo page and on a model's card. Every text from the catalog is HTML-escaped
here. Nothing on a page is loaded from another origin: plotly.js and the table's script are
copied into the site, and mkdocs-material's Google Fonts are turned off.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from catalog.atomic import write_text
from catalog.cards.devices import DeviceEntry
from catalog.measure.browser import FORM_RUNTIMES, ISOLATION_HEADERS, RUNTIMES
from catalog.paths import CATALOG_FILE, ROOT
from catalog.publish.accuracy_page import mapping_markdown
from catalog.publish.columns import BY_KEY, MISSING, ZOO_COLUMNS, Column, listed_shown
from catalog.publish.devices import (
    component,
    device_figure,
    device_labels,
    figures_note,
    machine_name,
    measured_devices,
)
from catalog.publish.formatting import mib
from catalog.publish.model_card import render_card, write_cards
from catalog.publish.model_card.inputs import CONVENTION_ANCHORS
from catalog.publish.model_card.listed import listed_page
from catalog.publish.model_card.markdown import url
from catalog.publish.model_card.sections import SKELETON_FILE
from catalog.publish.records import (
    built,
    families_by_id,
    listed_status,
    model_title,
    onnx_report,
    runnable,
    safe_relative,
    shown_variants,
)
from catalog.publish.stlite import StliteError, write_app_page
from catalog.publish.versions import LATEST
from catalog.schema import Catalog, FamilyRecord, ListedRecord, VariantRecord

SITE_CONFIG = ROOT / "site" / "mkdocs.yml"
NOTEBOOK = ROOT / "notebooks" / "zoo.ipynb"
ASSETS = Path(__file__).resolve().parent / "assets"
TABLE_SCRIPT = "zoo-table.js"
TABLE_STYLE = "zoo-table.css"
CARDS_DIR = "cards"
SOURCE_DIR = "site-src"
SITE_DIR = "site"
PLOTLY_JS = "assets/javascripts/plotly.min.js"  # inside the docs folder
NOTEBOOK_FILES = "notebook-files"  # the executed notebook's images, beside notebook.md
CONVENTIONS_SNIPPET = '--8<-- "catalog/measure/conventions.md"'
PLOTLY_MIME = "application/vnd.plotly.v1+json"
WEB = ROOT / "web"
FAVICON = "assets/favicon.svg"  # site/docs/assets/favicon.svg, mkdocs.yml's theme.favicon
EMPTY_ICON = '<link rel="icon" href="data:,">'  # a page outside the theme names no icon with it
TRY_DIR = "try"  # the Try-it page, a static page outside mkdocs' theme, at site/try/
TRY_PAGE = "try-it.md"  # the nav's "Try it": a generated page linking to it
BENCHMARK_DIR = "benchmark"  # the benchmark page (web/benchmark/), beside the Try-it page whose runtimes it uses
NODE_MODULES = ROOT / "node_modules"  # `npm ci` installs the runtimes (package-lock.json)
ORT_DIST = NODE_MODULES / "onnxruntime-web" / "dist"
# only what the page's two builds load: ort.wasm (wasm EP, SIMD, threads) and ort.webgpu (asyncify)
ORT_FILES = (
    "ort.wasm.min.mjs",
    "ort-wasm-simd-threaded.mjs",
    "ort-wasm-simd-threaded.wasm",
    "ort.webgpu.min.mjs",
    "ort-wasm-simd-threaded.asyncify.mjs",
    "ort-wasm-simd-threaded.asyncify.wasm",
)
# the forms the page runs: onnxruntime-web the ONNX ones, LiteRT.js the TFLite one, TensorFlow.js the TFJS one
SERVED_FORMS = tuple(FORM_RUNTIMES)


class SiteError(Exception):
    """The site could not be built: what went wrong, in one line (mkdocs' output follows)."""


# --------------------------------------------------------------------------- the Zoo table

# the table's columns: the tensors' shapes, too wide for any table, are on each model's page
TABLE_COLUMNS = [c for c in ZOO_COLUMNS if c.in_app]
NAME_KEYS = ("family", "variant")  # the model's name: these stay in view when the table scrolls sideways
DEVICE_COLUMN = BY_KEY["latency_ms"]  # the column the device switch fills with a device's own figures


def esc(value: object) -> str:
    """Text for HTML, in an element or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _classes(column: Column) -> str:
    # zoo-table.css hides the zoo-wide cells on a phone's width and keeps the zoo-name cells in view
    classes = [*(["zoo-name"] if column.key in NAME_KEYS else []), *([] if column.phone else ["zoo-wide"])]
    return f' class="{" ".join(classes)}"' if classes else ""


def search_text(variant: VariantRecord, family: FamilyRecord | None) -> str:
    """What the filter reads in a row: its words, not its figures (the id, the keypoint schema and
    every text column as shown), in lower case; zoo-table.js keeps a row holding every word typed."""
    words = [variant.id, variant.keypoints.schema or ""]
    words += [column.shown(variant, family) for column in TABLE_COLUMNS if column.sort == "text"]
    return " ".join(words).lower()


def _cell_html(column: Column, variant: VariantRecord, family: FamilyRecord | None) -> str:
    """A cell's inner HTML: the column's text, with the site's links; a figure's detail under it."""
    shown = esc(column.shown(variant, family))
    if column.key == "variant":
        if built(variant):
            return f'<a href="{esc(variant.id)}/">{shown}</a>'
        step = variant.error.step if variant.error else variant.status
        return f"{shown} <small>(not built: {esc(step)})</small>"
    if column.key == "license":
        target = url(variant.license.url)
        return f'<a href="{esc(target)}">{shown}</a>' if target else shown
    value = column.value(variant, family)
    detail = column.detail(variant) if column.detail and value is not None else None
    if column.sort == "number" and detail:  # the figure first, its detail (interval, schema) smaller
        return f"{esc(column.text(value))} <small>({esc(detail)})</small>"
    return shown


def _listed_row(entry: ListedRecord, family: FamilyRecord | None) -> str:
    """A listed variant's row: its names, task and license, the reason in words where the figures
    would be, and its page (why, and the authors' figures) linked from its name."""
    cells = []
    for column in TABLE_COLUMNS:
        attrs = f' data-column="{esc(column.header)}"{_classes(column)}'
        shown = listed_shown(column, entry, family)
        if column.key == "variant":
            status = f'<small class="zoo-status">({esc(listed_status(entry))})</small>'
            inner = f'<a href="{esc(entry.id)}/">{esc(shown)}</a> {status}'
        elif column.key == "license":
            target = url(entry.license.url)
            inner = f'<a href="{esc(target)}">{esc(shown)}</a>' if target else esc(shown)
        else:
            inner = esc(shown)
        if column.sort == "number":
            attrs += ' data-value=""'
        cells.append(f"<td{attrs}>{inner}</td>")
    words = [entry.id, listed_status(entry), entry.reason]
    words += [listed_shown(c, entry, family) for c in TABLE_COLUMNS if c.sort == "text"]
    search = " ".join(w for w in words if w != MISSING).lower()
    return (
        f'<tr class="zoo-listed" data-id="{esc(entry.id)}" data-family="{esc(entry.family)}"'
        f' data-reason="{esc(entry.reason)}" title="{esc(entry.note)}" data-search="{esc(search)}">'
        f"{''.join(cells)}</tr>"
    )


def device_figures(column: Column, devices: list[DeviceEntry], variant: VariantRecord) -> str | None:
    """A latency cell's figures on every device that measured the variant, for zoo-table.js's switch:
    JSON, {device id: {"value", "text" (as the column shows it), "detail" (what it is of)}}; None for a
    cell the switch leaves as it is (a component's, a variant that did not build)."""
    if not built(variant) or component(variant):
        return None
    figures = {
        entry.id: {"value": figure.median_ms, "text": column.text(figure.median_ms), "detail": figure.how}
        for entry in devices
        if (figure := device_figure(entry, variant)) is not None
    }
    return json.dumps(figures, ensure_ascii=False, separators=(",", ":"))


def device_switch(catalog: Catalog) -> str:
    """The select that puts a device's figures in the latency column; empty without devices."""
    if not catalog.devices:
        return ""
    labels = device_labels(catalog.devices)
    options = f'<option value="">{esc(machine_name(catalog.machine))}</option>' + "".join(
        f'<option value="{esc(entry.id)}" data-note="{esc(figures_note(entry))}">{esc(labels[entry.id])}</option>'
        for entry in measured_devices(catalog.devices)
    )
    return (
        f'<label>Latency measured on <select id="zoo-device" data-missing="{esc(MISSING)}">{options}</select></label> '
        '<output id="zoo-device-note" class="zoo-device-note" aria-live="polite"></output>'
    )


def zoo_table(catalog: Catalog) -> str:
    families = families_by_id(catalog)
    devices = list(catalog.devices)
    head = "".join(
        f'<th scope="col" data-type="{c.sort}" data-key="{esc(c.key)}"{_classes(c)}>'
        f'<button type="button">{esc(c.header)}</button></th>'
        for c in TABLE_COLUMNS
    )
    rows = []
    for variant in shown_variants(catalog):
        family = families.get(variant.family)
        cells = []
        for column in TABLE_COLUMNS:
            attrs = f' data-column="{esc(column.header)}"{_classes(column)}'
            if column.sort == "number":
                value = column.value(variant, family)
                attrs += f' data-value="{esc(repr(value))}"' if value is not None else ' data-value=""'
            figures = device_figures(column, devices, variant) if column is DEVICE_COLUMN and devices else None
            if figures is not None:
                attrs += f' data-devices="{esc(figures)}"'
            cells.append(f"<td{attrs}>{_cell_html(column, variant, family)}</td>")
        rows.append(
            f'<tr data-id="{esc(variant.id)}" data-family="{esc(variant.family)}"'
            f' data-search="{esc(search_text(variant, family))}">{"".join(cells)}</tr>'
        )
    # the listed rows after the built ones, in a body of their own: sorting moves the built rows only
    listed = "".join(_listed_row(entry, families.get(entry.family)) for entry in catalog.listed)
    listed_body = f'<tbody class="zoo-listed" aria-label="Listed, not built here">{listed}</tbody>' if listed else ""
    options = "".join(f'<option value="{esc(f.id)}">{esc(f.name)}</option>' for f in catalog.families)
    controls = (
        '<div class="zoo-controls">'
        '<label>Filter <input type="search" id="zoo-filter" placeholder="name, task, license…"></label> '
        f'<label>Family <select id="zoo-family"><option value="">All families</option>{options}</select></label> '
        '<output id="zoo-count" aria-live="polite"></output>'
        f"{device_switch(catalog)}"
        "</div>"
    )
    # zoo-table.js shows the cue while columns lie beyond the table's right edge
    cue = '<button type="button" class="zoo-cue" id="zoo-cue" hidden>More columns: scroll the table sideways →</button>'
    table = (
        '<div class="zoo-scroll" id="zoo-scroll" tabindex="0" role="region" aria-label="The zoo table">'
        '<table class="zoo-table" id="zoo-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>{listed_body}</table></div>"
    )
    return controls + "\n" + cue + "\n" + table


def _listed_text(catalog: Catalog) -> str:
    if not catalog.listed:
        return ""
    return (
        "After them, in grey, the variants the zoo lists without building them, each with why in its row:\n"
        "no weights in a form the build reads, no license, a license that forbids redistribution, or a file\n"
        "this build could not fetch (unreachable). Their pages give the authors' own figures, their source\n"
        "and their license.\n\n"
    )


def _devices_text(catalog: Catalog) -> str:
    """How the latency column turns to a device's figures, and where to measure yours."""
    measure = f'<a href="../{BENCHMARK_DIR}/">the benchmark page</a>'
    if not catalog.devices:
        return f"No other device has been measured yet: measure yours on {measure}.\n\n"
    return (
        "Latency measured on: the build machine by default. Choose a device that ran the zoo's benchmark page to\n"
        "put its own figures in the Latency column, each with the runtime and threads it is of: the model's fastest\n"
        "float form there, its whole pipeline for a model run behind a detector (else one inference), on the\n"
        f"catalog's files now. Measure your device on {measure}; every model's page has all its rows.\n\n"
    )


def zoo_page(catalog: Catalog) -> str:
    cpu = esc(catalog.machine.cpu)
    intro = _listed_text(catalog) + _devices_text(catalog)
    # the table is wide: the page gives it the whole width (mkdocs-material's `hide` meta)
    return f"""---
hide: [navigation, toc]
---

# The zoo

Every variant in the catalog, one row each. Latency and MFLOPs are the whole pipeline's a user
runs, image in, poses out: the person detector in front where the model needs one, and every
stage's pre- and post-processing (median on onnxruntime, CPU, {cpu}). A person detector is a
component: it has no figure of its own to rank. Size, parameters and precision are the variant's
ONNX file's (every variant has one, checked against its original). Commercial use is what the
license allows; the uses its authors advise against are on each model's page, with the original
file's figures, the stages of the pipeline, and the inputs and outputs.

{intro}Click a header to sort by it (again to reverse); type words in the filter (a name, a task, a
license...) or choose a family to narrow the table. The page's address keeps the filter and
the order: copy it to share this view. How each figure is counted: [the Numbers page](../numbers.md).

{zoo_table(catalog)}
"""


# --------------------------------------------------------------------------- the other pages


def numbers_page(source: str, conventions: str) -> str:
    """The Numbers page with the conventions inlined and an anchor on each convention the cards
    link to (`#params`...): conventions.md has a list, not headings."""
    wanted = set(CONVENTION_ANCHORS.values())
    found: set[str] = set()

    def anchor(match: re.Match[str]) -> str:
        name = match.group(2).lower()
        if name not in wanted:
            return match.group(0)
        found.add(name)
        return f'{match.group(1)}<a id="{name}"></a>**{match.group(2)}**'

    anchored = re.sub(r"^(- )\*\*(\w+)\*\*", anchor, conventions, flags=re.MULTILINE)
    if found != wanted:
        raise SiteError(f"conventions.md has no bullet for {', '.join(sorted(wanted - found))}: the cards link to it")
    if CONVENTIONS_SNIPPET not in source:
        raise SiteError(f"site/docs/numbers.md no longer includes {CONVENTIONS_SNIPPET}")
    return source.replace(CONVENTIONS_SNIPPET, anchored.strip())


def home_links(notebook: bool) -> str:
    links = [
        "- [The zoo](zoo/index.md): every model in one table, to sort and filter, each with its card.",
        "- [Accuracy](accuracy.md): every model scored on the zoo's annotated photos, against its latency.",
        "- [Charts](charts.md): when the models came out, and their latency against compute and file size.",
        "- [The app](app.md): browse, compare, chart and try the zoo in Streamlit, served or in your browser.",
    ]
    if notebook:
        links.append("- [The notebook](notebook.md): the catalog as a DataFrame, the charts, a model run on a photo.")
    return "\n## Browse the zoo\n\n" + "\n".join(links) + "\n"


def plotly_script(page_depth: int) -> str:
    return f'<script src="{"../" * page_depth}{PLOTLY_JS}"></script>'


def accuracy_site_page(catalog: Catalog, document_path: Path) -> str:
    from catalog.publish.accuracy_page import accuracy_page
    from catalog.publish.charts import accuracy, figure_html
    from catalog.publish.table import load

    chart = figure_html(accuracy(load(document_path))) if catalog.evaluation else ""
    return accuracy_page(catalog, chart, plotly_script(1))


def charts_page(document_path: Path) -> str:
    from catalog.publish.charts import chart_figures, figure_html
    from catalog.publish.table import load

    sections = "".join(
        f"## {heading}\n\n{figure_html(figure)}\n\n" for _, heading, figure in chart_figures(load(document_path))
    )
    return f"""# Charts

Drawn from catalog.json by `catalog.publish.charts`, the same functions the notebook calls. Hover
over a marker for the model and its figures; drag to zoom, double-click to zoom out. Latency by
device shows one model at a time: choose it in the chart's menu.

{plotly_script(1)}

{sections.rstrip()}
"""


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _fenced(text: str, language: str = "") -> str:
    ticks = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def notebook_markdown(notebook: dict[str, Any], files_dir: Path) -> str:
    """An executed notebook as a Markdown page: its Markdown cells, its code, and its outputs.
    Plotly figures become `figure_html` divs (plotly.js is the site's own copy), images files in
    `files_dir` beside the page, pandas' HTML tables stay HTML, everything else is text."""
    import plotly.graph_objects as go

    from catalog.publish.charts import figure_html

    parts = [plotly_script(1)]
    image_count = 0
    for cell in notebook.get("cells", []):
        source = _joined(cell.get("source", ""))
        if cell["cell_type"] == "markdown":
            parts.append(source)
            continue
        if cell["cell_type"] != "code":
            continue
        if source.strip():
            parts.append(_fenced(source, "python"))
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                parts.append(_fenced(_joined(output.get("text", "")), "text"))
            elif kind == "error":
                parts.append(_fenced("\n".join(output.get("traceback", [])), "text"))
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                if PLOTLY_MIME in data:
                    spec = data[PLOTLY_MIME]
                    figure = go.Figure(data=spec.get("data", []), layout=spec.get("layout", {}))
                    parts.append(figure_html(figure))
                elif "image/png" in data or "image/svg+xml" in data:
                    image_count += 1
                    if "image/png" in data:
                        name = f"output-{image_count}.png"
                        (files_dir / name).parent.mkdir(parents=True, exist_ok=True)
                        (files_dir / name).write_bytes(base64.b64decode(_joined(data["image/png"])))
                    else:
                        name = f"output-{image_count}.svg"
                        write_text(files_dir / name, _joined(data["image/svg+xml"]))
                    parts.append(f"![output {image_count}]({files_dir.name}/{name})")
                elif "text/html" in data:
                    parts.append(f'<div class="notebook-output">\n{_joined(data["text/html"]).strip()}\n</div>')
                elif "text/plain" in data:
                    parts.append(_fenced(_joined(data["text/plain"]), "text"))
    return "\n\n".join(parts) + "\n"


def notebook_page(build_dir: Path, source_dir: Path, docs: Path) -> str:
    from catalog.publish.notebook import NotebookError, execute_notebook

    try:
        executed = execute_notebook(NOTEBOOK, source_dir / "notebook.ipynb", build_dir)
    except NotebookError as error:
        raise SiteError(f"the notebook {error} (--no-notebook leaves its page out)") from None
    notebook = json.loads(executed.read_text("utf-8"))
    intro = (
        "_This page is `notebooks/zoo.ipynb`, executed against this catalog when the site was built;"
        " run it yourself with `jupyter lab notebooks/zoo.ipynb` after `posezoo build`._\n\n"
    )
    return intro + notebook_markdown(notebook, docs / NOTEBOOK_FILES)


# --------------------------------------------------------------------------- the Try-it page


def try_href(variant_id: str, depth: int) -> str:
    """The Try-it page's deep link to a variant, from a page `depth` folders below the site's root."""
    return f"{'../' * depth}{TRY_DIR}/?model={variant_id}"


def with_try_link(card: str, variant: VariantRecord) -> str:
    """A model's page with a "Try this model" link under its title (runnable variants only)."""
    if not runnable(variant):
        return card
    link = f'<p><a class="md-button" href="{esc(try_href(variant.id, 2))}">Try this model in your browser</a></p>'
    return re.sub(r"^(# .*)$", lambda m: f"{m.group(1)}\n\n{link}", card, count=1, flags=re.MULTILINE)


def try_it_page(catalog: Catalog) -> str:
    families = families_by_id(catalog)
    items = "".join(
        f'<li><a href="{esc(try_href(v.id, 1))}">{esc(model_title(v, families))}</a>'
        f" <small>({esc(mib(report.size_mib))} MiB)</small></li>"
        for v in catalog.variants
        if runnable(v) and (report := onnx_report(v)) is not None
    )
    return f"""# Try it

<p><a class="md-button md-button--primary" href="../{TRY_DIR}/">Open the Try-it page</a></p>

Or go straight to a model:

<ul>{items}</ul>

What the page measures, how it runs each model, and what your browser needs to run it on several
threads: [Try it in the browser](browser.md).
"""


def runtime_files() -> dict[Path, Path]:
    """The browser runtimes' files the Try-it page loads, copied from node_modules (never a CDN):
    {path under try/: the installed file}; a SiteError naming the first one missing."""
    files = {Path("ort") / name: ORT_DIST / name for name in ORT_FILES}
    # LiteRT.js and TensorFlow.js: the files and the layout the build's browser measurement serves
    # (its three LiteRT.js wasm builds, never the JSPI one the page does not ask for)
    files |= {Path(served): source for name in ("litert.js", "tfjs") for source, served in RUNTIMES[name].files}
    missing = [source for source in files.values() if not source.is_file()]
    if missing:
        absent = missing[0].relative_to(NODE_MODULES)
        raise SiteError(f"a browser runtime is not installed (no node_modules/{absent}): run npm ci")
    return files


def model_files(variant: VariantRecord) -> list[Path]:
    """Every file of the forms the Try-it page runs (`SERVED_FORMS`), relative to the catalog."""
    paths = []
    for fmt in SERVED_FORMS:
        report = variant.formats.get(fmt)
        if report is None:
            continue
        for path in [report.path, *(f.path for f in report.files)]:
            relative = safe_relative(path)
            if relative is not None and relative not in paths:
                paths.append(relative)
    return paths


def try_page_files(build_dir: Path, catalog: Catalog | None) -> dict[Path, Path]:
    """What the Try-it page needs, as {path in the served folder: the file to copy}: web/try/
    and web/pose/ as they are (the page imports ../pose/), and web/benchmark/ (the benchmark page,
    which runs the same adapters), the browser runtimes' files under
    try/ort/, try/litert/ and try/tfjs/ (`runtime_files`), the sample photo and try/sample.json
    (`catalog.publish.try_sample`), catalog.json, and every runnable variant's files in the forms
    the page runs (and its detector's), at the catalog's relative paths; without models where
    there is no catalog. The site copies them; `posezoo serve` links them for Streamlit."""
    runtimes = runtime_files()
    files: dict[Path, Path] = {}
    for name in (TRY_DIR, "pose", BENCHMARK_DIR):
        for source in sorted((WEB / name).rglob("*")):
            if source.is_file():
                files[Path(name) / source.relative_to(WEB / name)] = source
    for relative, source in runtimes.items():
        files[Path(TRY_DIR) / relative] = source
    from catalog.publish.try_sample import sample_files

    files.update(sample_files(TRY_DIR))  # the sample photo, fetched from its pinned package, not git
    files[Path(CATALOG_FILE)] = build_dir / CATALOG_FILE
    variants = catalog.variants if catalog else []
    wanted = {v.id for v in variants if runnable(v)}
    wanted |= {v.detector for v in variants if runnable(v) and v.detector}
    for variant in variants:
        if variant.id not in wanted:
            continue
        for relative in model_files(variant):
            if (build_dir / relative).is_file():
                files[relative] = build_dir / relative
    return files


def copy_try_page(build_dir: Path, catalog: Catalog, site_dir: Path) -> None:
    """The Try-it page's files (`try_page_files`) copied into the built site, and the COOP/COEP `_headers`."""
    files = try_page_files(build_dir, catalog)
    for name in (TRY_DIR, "pose", BENCHMARK_DIR):
        shutil.rmtree(site_dir / name, ignore_errors=True)
    for relative, source in files.items():
        (site_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, site_dir / relative)
    headers = "".join(f"  {name}: {value}\n" for name, value in ISOLATION_HEADERS.items())
    write_text(site_dir / "_headers", f"/*\n{headers}")


# --------------------------------------------------------------------------- mkdocs


def site_config(
    catalog: Catalog, source_dir: Path, site_dir: Path, notebook: bool, versioned: bool = False
) -> dict[str, Any]:
    config = yaml.safe_load(SITE_CONFIG.read_text("utf-8"))
    if versioned:
        # mkdocs-material's version switcher, fed by the versions.json mike keeps beside the releases
        config.setdefault("extra", {})["version"] = {"provider": "mike", "default": LATEST, "alias": True}
    config["docs_dir"] = "docs"
    config["site_dir"] = str(site_dir.resolve())
    theme = config.setdefault("theme", {})
    theme["font"] = False  # no Google Fonts: the system's fonts, and no request off the site
    families = families_by_id(catalog)
    models = [
        # a nav title is printed by the theme's templates: the id, which the schema keeps plain, where
        # the family's and variant's names hold anything HTML would read
        {(title if not re.search(r"[<>&\"']", title) else v.id): f"zoo/{v.id}/index.md"}
        for v in catalog.variants
        if built(v)
        for title in [model_title(v, families)]
    ]
    models += [
        {(title if not re.search(r"[<>&\"']", title) else e.id): f"zoo/{e.id}/index.md"}
        for e in catalog.listed
        for title in [f"{model_title(e, families)} (not built)"]
    ]
    generated = [
        {"Zoo": [{"All models": "zoo/index.md"}, *models]},
        {"Accuracy": "accuracy.md"},
        {"Try it": TRY_PAGE},
        {"Charts": "charts.md"},
    ]
    if notebook:
        generated.append({"Notebook": "notebook.md"})
    nav = config.get("nav") or []
    config["nav"] = nav[:1] + generated + nav[1:]  # Home first, then the zoo
    config["extra_css"] = [*config.get("extra_css", []), f"assets/{TABLE_STYLE}"]
    config["extra_javascript"] = [
        *config.get("extra_javascript", []),
        {"path": f"assets/{TABLE_SCRIPT}", "type": "module"},
    ]
    extensions = config.setdefault("markdown_extensions", [])
    for i, extension in enumerate(extensions):
        if isinstance(extension, dict) and "pymdownx.snippets" in extension:
            # the snippets (README.md's sections, conventions.md) are the project's own
            extension["pymdownx.snippets"]["base_path"] = [str(ROOT)]
            extensions[i] = extension
    return config


def run_mkdocs(config_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        # resolved: mkdocs runs in the project's folder, and a build folder may be relative to another
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-f", str(config_path.resolve())],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        problems = [line for line in lines if not line.startswith("INFO")] or lines[-5:]
        raise SiteError("mkdocs build --strict failed: " + "\n".join(problems))


# --------------------------------------------------------------------------- the whole site


def built_pages(site_dir: Path) -> dict[Path, str]:
    """Every page mkdocs built, as {its index.html, relative to the site: its text}."""
    return {page.relative_to(site_dir): page.read_text("utf-8") for page in sorted(site_dir.rglob("index.html"))}


def refuse_shadowing(site_dir: Path, pages: dict[Path, str]) -> None:
    """A SiteError when files copied into the site after mkdocs' build (the Try-it page's, the app's)
    took the place of one of the `pages` it built (`built_pages`, read before the copy): the page's
    address would serve other files."""
    for page, text in pages.items():
        now = site_dir / page
        if not now.is_file() or now.read_text("utf-8") != text:
            folder = page.parent.as_posix()
            raise SiteError(
                f"the site's page {folder}/ (docs/{folder}.md or docs/{folder}/index.md) was overwritten by"
                " files copied after mkdocs' build (the Try-it page's or the app's): rename the page"
            )


def link_icon(site_dir: Path) -> list[Path]:
    """The site's icon named in every page that the theme did not make (the Try-it page, the app's),
    in place of their empty one (`data:,`, which only keeps a browser from asking for /favicon.ico)
    or where they name none. Returns the pages changed."""
    changed = []
    for page in sorted(site_dir.rglob("*.html")):
        text = page.read_text("utf-8")
        href = os.path.relpath(site_dir / FAVICON, page.parent).replace(os.sep, "/")
        link = f'<link rel="icon" type="image/svg+xml" href="{esc(href)}">'
        head = re.search(r"<head\b[^>]*>", text, re.IGNORECASE)
        if EMPTY_ICON in text:
            write_text(page, text.replace(EMPTY_ICON, link))
        elif head and not re.search(r"<link[^>]*\brel=[\"']?(shortcut )?icon\b", text, re.IGNORECASE):
            write_text(page, f"{text[: head.end()]}\n{link}{text[head.end() :]}")
        else:
            continue
        changed.append(page)
    return changed


def build_site(
    build_dir: Path, *, notebook: bool = True, pyodide_url: str | None = None, versioned: bool = False
) -> Path:
    """The site of the catalog in `build_dir`, built into `build_dir/site`, which is returned.
    `notebook=False` leaves the Notebook page out (it runs models, so it needs the built files).
    `versioned=True` gives its pages the version switcher, for a release's folder of the site
    (`catalog.publish.versions`).
    `pyodide_url` is where the app page (stlite) loads Pyodide from (default: stlite's CDN).
    A FileNotFoundError when there is no catalog.json, a SiteError when mkdocs fails."""
    from catalog.publish.charts import plotly_js_path
    from catalog.schema import read_catalog

    build_dir = Path(build_dir)
    catalog_path = build_dir / CATALOG_FILE
    if not catalog_path.is_file():
        raise FileNotFoundError(f"no catalog at {catalog_path}: run posezoo build first")
    catalog = read_catalog(catalog_path)

    cards_dir = build_dir / CARDS_DIR
    shutil.rmtree(cards_dir, ignore_errors=True)
    write_cards(catalog, cards_dir)

    source_dir = build_dir / SOURCE_DIR
    docs = source_dir / "docs"
    shutil.rmtree(source_dir, ignore_errors=True)
    shutil.copytree(ROOT / "site" / "docs", docs)

    write_text(docs / "index.md", (docs / "index.md").read_text("utf-8").rstrip() + "\n" + home_links(notebook))
    conventions = (ROOT / "catalog" / "measure" / "conventions.md").read_text("utf-8")
    numbers = numbers_page((docs / "numbers.md").read_text("utf-8"), conventions)
    mapping = f"\n## Keypoints scored against COCO-17\n\n{mapping_markdown(catalog)}\n"
    write_text(docs / "numbers.md", numbers + mapping)
    write_text(docs / "accuracy.md", accuracy_site_page(catalog, catalog_path))
    write_text(docs / "zoo" / "index.md", zoo_page(catalog))
    for variant in catalog.variants:
        if not built(variant):
            continue
        page = docs / "zoo" / variant.id
        write_text(page / "index.md", with_try_link(render_card(catalog, variant.id, site=True), variant))
        shutil.copyfile(cards_dir / variant.id / SKELETON_FILE, page / SKELETON_FILE)
    for entry in catalog.listed:
        write_text(docs / "zoo" / entry.id / "index.md", listed_page(catalog, entry.id, site=True))
    write_text(docs / "charts.md", charts_page(catalog_path))
    write_text(docs / TRY_PAGE, try_it_page(catalog))
    if notebook:
        write_text(docs / "notebook.md", notebook_page(build_dir, source_dir, docs))

    assets = docs / "assets"
    (assets / "javascripts").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plotly_js_path(), docs / PLOTLY_JS)
    for name in (TABLE_SCRIPT, TABLE_STYLE):
        shutil.copyfile(ASSETS / name, assets / name)

    site_dir = build_dir / SITE_DIR
    config_path = source_dir / "mkdocs.yml"
    config = site_config(catalog, source_dir, site_dir, notebook, versioned)
    write_text(config_path, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    run_mkdocs(config_path)
    pages = built_pages(site_dir)
    copy_try_page(build_dir, catalog, site_dir)
    try:
        write_app_page(build_dir, site_dir, pyodide_url=pyodide_url)
    except StliteError as error:
        raise SiteError(str(error)) from None
    refuse_shadowing(site_dir, pages)
    link_icon(site_dir)
    return site_dir
