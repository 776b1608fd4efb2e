"""The Model page: the variant's name, the model to choose, download buttons for its original
file, its ONNX file and, where it has one, its int8 ONNX file with the trade in one line, then
its model card, drawn by the docs site's card renderer, whose pointers to how each figure is
counted a visitor can follow: the docs site's Numbers page, or the conventions on this page."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from catalog.app import environment
from catalog.app.data import Zoo
from catalog.app.links import BENCHMARK_PAGE, NUMBERS_PAGE, Route
from catalog.app.navigation import go
from catalog.formats import INT8_FORMAT
from catalog.publish.formatting import size
from catalog.publish.model_card import render_card
from catalog.publish.model_card.inputs import BENCHMARK_PAGE as CARD_BENCHMARK_PAGE
from catalog.publish.model_card.inputs import NUMBERS_PAGE as CARD_NUMBERS_PAGE
from catalog.publish.model_card.inputs import CardInputs
from catalog.publish.model_card.int8 import trade_line
from catalog.publish.model_card.markdown import code, text
from catalog.publish.model_card.sections import SKELETON_FILE, license_section, uses_section
from catalog.publish.records import onnx_report, original_format, runnable, safe_relative
from catalog.publish.skeleton import skeleton_svg
from catalog.schema import VariantRecord

CHOICE_KEY = "model_choice"
# what a card made for a reader of the repository points to for how each figure is counted
# (render_card without site=True): a path this page swaps for something a visitor can open
CONVENTIONS_FILE = "catalog/measure/conventions.md"
CONVENTIONS_TITLE = "How each figure is counted"
# a card's wide tables (hashes, tensors' shapes) scroll sideways inside themselves, not the page, on a phone
WIDE_TABLES = "<style>[data-testid='stMarkdownContainer'] table {display: block; overflow-x: auto;}</style>"


def shown_model(zoo: Zoo, wanted: str | None) -> str | None:
    """The variant the page shows: the one asked for, else the catalog's first; None when it has none."""
    if wanted in zoo.variants:
        return wanted
    return next(iter(zoo.variants), None)


def choose_model(zoo: Zoo, wanted: str | None, shown: str) -> None:
    """Says when the variant asked for is not there, and offers every variant, `shown` chosen."""
    if wanted and wanted != shown:
        st.warning(f"There is no variant {wanted!r} in this catalog: choose one below.")
    if st.session_state.get(CHOICE_KEY) != shown:
        st.session_state[CHOICE_KEY] = shown

    def chosen() -> None:
        go(Route("model", (st.session_state[CHOICE_KEY],)))

    st.selectbox("Model", list(zoo.variants), format_func=zoo.title, key=CHOICE_KEY, on_change=chosen)


def app_card(zoo: Zoo, variant_id: str) -> tuple[str, bool]:
    """The variant's card, its pointers to how each figure is counted made ones a visitor can
    follow: links to the docs site's Numbers page (and its benchmark page) where the app knows the
    site, else words pointing to the conventions at the foot of the page (True: the page must show them)."""
    site = environment.site_url()
    if site:
        card = render_card(zoo.catalog, variant_id, site=True, metadata=False)
        card = card.replace(f"]({CARD_BENCHMARK_PAGE}", f"]({site}{BENCHMARK_PAGE}")
        return card.replace(f"]({CARD_NUMBERS_PAGE}", f"]({site}{NUMBERS_PAGE}"), False
    card = render_card(zoo.catalog, variant_id, metadata=False)
    below = f"the conventions under *{CONVENTIONS_TITLE}*, at the foot of this page"
    return card.replace(code(CONVENTIONS_FILE), below), True


def card_parts(card: str) -> tuple[str, str]:
    """The card before and after its skeleton figure, which the app draws itself, without the
    card's title (the page shows it above the choice of model)."""
    lines = card.lstrip("\n").splitlines(keepends=True)
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    marker = f"]({SKELETON_FILE})"
    for i, line in enumerate(lines):
        if line.startswith("![") and line.rstrip().endswith(marker):
            return "".join(lines[:i]), "".join(lines[i + 1 :])
    return "".join(lines), ""


def _file_bytes(path: Path) -> Callable[[], bytes]:
    return lambda: path.read_bytes()


def _zipped(paths: dict[str, Path]) -> Callable[[], bytes]:
    def make() -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, path in paths.items():
                archive.write(path, name)
        return buffer.getvalue()

    return make


def download_files(zoo: Zoo, variant: VariantRecord) -> None:
    """Buttons for the original file (a TFJS model's files zipped) and the ONNX file; in the
    browser, where no model file is on the page's disk, links to the site's copies."""
    build = zoo.path.parent
    original = original_format(variant)
    onnx = onnx_report(variant)
    relative = safe_relative(onnx.path) if onnx else None
    left, right = st.columns(2)
    if environment.IN_BROWSER:
        if onnx and relative is not None:
            right.link_button(f"Download the ONNX file ({size(onnx.size_mib)})", f"{environment.site_url()}{relative}")
        left.info(f"The original file is not on this site: `posezoo build --only {variant.id}` fetches it.")
        return
    if original and original not in ("onnx", *variant.formats):
        left.info(f"The original ({original}) is not published here: its source is `{variant.source}`.")
    elif original and original != "onnx":
        report = variant.formats[original]
        listed = [f.path for f in report.files] or [report.path]
        paths = {Path(path).name: build / path for path in listed if safe_relative(path)}
        if not paths or not all(path.is_file() for path in paths.values()):
            left.warning(
                f"The original file is missing from {build}: rebuild with `posezoo build --only {variant.id}`."
            )
        elif len(paths) == 1:
            (name, path), *_ = paths.items()
            label = f"Download the original ({original}, {size(report.size_mib)})"
            left.download_button(label, _file_bytes(path), file_name=name, on_click="ignore", key="download_original")
        else:
            label = f"Download the original ({original}: {len(paths)} files zipped, {size(report.size_mib)})"
            left.download_button(
                label,
                _zipped(paths),
                file_name=f"{variant.id}-{original}.zip",
                on_click="ignore",
                key="download_original",
            )
    if not onnx or relative is None or not (build / relative).is_file():
        right.warning(f"The ONNX file is missing from {build}: rebuild with `posezoo build --only {variant.id}`.")
    else:
        label = f"Download the ONNX file ({size(onnx.size_mib)})"
        right.download_button(
            label, _file_bytes(build / relative), file_name=relative.name, on_click="ignore", key="download_onnx"
        )


def int8_offer(zoo: Zoo, variant: VariantRecord) -> None:
    """The int8 form, where the variant has one: its trade in one line (the card's) and its file."""
    int8 = variant.formats.get(INT8_FORMAT)
    trade = trade_line(CardInputs(variant, zoo.family(variant), zoo.catalog.machine, site=False))
    if not int8 or trade is None:
        return
    st.markdown(trade)
    relative = safe_relative(int8.path)
    label = f"Download the int8 ONNX file ({size(int8.size_mib)})"
    if relative is None:
        return
    if environment.IN_BROWSER:
        st.link_button(label, f"{environment.site_url()}{relative}")
    elif (zoo.path.parent / relative).is_file():
        st.download_button(
            label,
            _file_bytes(zoo.path.parent / relative),
            file_name=relative.name,
            on_click="ignore",
            key="download_int8",
        )


def not_built(zoo: Zoo, variant: VariantRecord) -> None:
    """A variant the build could not finish: why, and what holds all the same: its license, its uses
    and limitations."""
    error = variant.error
    st.error(
        f"{zoo.title(variant.id)} did not build ({error.step if error else variant.status} failed: "
        f"{error.reason if error else 'no reason recorded'}). It has no ONNX file to download or to try."
    )
    card = CardInputs(
        variant, zoo.family(variant), zoo.catalog.machine, site=False, high_risk_uses=zoo.catalog.high_risk_uses
    )
    st.subheader("License")
    st.markdown(license_section(card))
    st.subheader("Uses and limitations")
    st.markdown(uses_section(card))


def model_page(zoo: Zoo, route: Route) -> None:
    variant_id = shown_model(zoo, route.model)
    if variant_id is None:
        st.info("The catalog holds no variant.")
        return
    st.markdown(f"# {text(zoo.title(variant_id))}")
    choose_model(zoo, route.model, variant_id)
    variant = zoo.variants[variant_id]
    if variant.status != "ok" or onnx_report(variant) is None:
        not_built(zoo, variant)
        return
    download_files(zoo, variant)
    int8_offer(zoo, variant)
    if runnable(variant):
        st.button("Try it in your browser", key="try_this", on_click=go, args=(Route("try", (variant_id,)),))
    st.html(WIDE_TABLES)
    card, conventions_below = app_card(zoo, variant_id)
    before, after = card_parts(card)
    st.markdown(before)
    keypoints = variant.keypoints
    st.image(skeleton_svg(keypoints.schema, keypoints.names, keypoints.skeleton), width=480)
    st.markdown(after)
    if conventions_below:
        with st.expander(CONVENTIONS_TITLE):
            st.markdown(zoo.catalog.conventions)
