"""The Zoo page's table and its filters, without Streamlit: one row per variant, the figures of
its ONNX file (as on the docs site's Zoo page: every variant has one, checked against its
original, and it is the file timed on onnxruntime), then the variants listed but not built here,
each with why (greyed by `styled`), and what a visitor narrows it by; its latency on a device that
measured the zoo in its browser instead of the build machine's (`zoo_table(catalog, device)`); and
a handful of its columns, for a notebook (`overview`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from catalog.formats import INT8_FORMAT, ONNX_FORMAT
from catalog.publish.columns import BY_KEY, LISTED_TEXT, ZOO_COLUMNS, Column
from catalog.publish.devices import device_figure
from catalog.publish.records import (
    FORMAT_NAMES,
    families_by_id,
    listed_status,
    onnx_report,
    original_format,
    shown_variants,
)
from catalog.schema import Catalog, FamilyRecord, ListedRecord, VariantRecord


def _figures_of(variant: VariantRecord, _: FamilyRecord | None) -> str | None:
    """What the row's figures are of, the ONNX file, and what it was converted from:
    "ONNX (from TFJS; int8 too)"; None where no ONNX file was built."""
    original = original_format(variant)
    if variant.status != "ok" or onnx_report(variant) is None or original is None:
        return None
    source = "the original" if original == ONNX_FORMAT else f"from {FORMAT_NAMES.get(original, original)}"
    return f"{FORMAT_NAMES[ONNX_FORMAT]} ({source}{'; int8 too' if INT8_FORMAT in variant.formats else ''})"


# the site's Format column ("TFJS → ONNX") beside figures of the ONNX file alone read as the
# original's figures: the app's table says which file they are of
FIGURES_OF = replace(
    BY_KEY["format"],
    header="Figures of",
    value=_figures_of,
    title="What the figures are of: the ONNX file, converted from the original (int8 too: it has an int8 form)",
)
SHOWN = [FIGURES_OF if c.key == FIGURES_OF.key else c for c in ZOO_COLUMNS if c.in_app]
ID = "id"
TASK = BY_KEY["task"].header
SCHEMA = BY_KEY["keypoints"].header
FORMAT = FIGURES_OF.header
PRECISION = BY_KEY["precision"].header
SIZE = BY_KEY["size_mib"].header
MFLOPS = BY_KEY["mflops"].header
PARAMS = BY_KEY["mparams"].header
LATENCY = BY_KEY["latency_ms"].header
LICENSE = BY_KEY["license"].header
STATUS = "Status"
MEASURED_WITH = "Latency measured with"  # beside the latency column while it shows a device's figures
LISTED = "not built here"  # how a listed row's status begins
LISTED_STYLE = "color: #8a8a8a; background-color: #f2f2f2"  # the listed rows' cells: grey, as on the site
COLUMNS = [*(c.header for c in SHOWN), STATUS, ID]
# figures the table formats itself (and sorts as numbers)
NUMBERS = [c for c in SHOWN if c.sort == "number" and (c.detail is None or not c.detail_in_app)]
SEARCHED = [ID, *(c.header for c in SHOWN if c not in NUMBERS)]
RANGES = {"size_mib": SIZE, "mflops": MFLOPS, "latency_ms": LATENCY}  # Filters' field -> column


def _cell(column: Column, variant: VariantRecord, family: FamilyRecord | None) -> Any:
    """A figure as it is (st.dataframe formats numbers), anything else as the site shows it; None where unknown."""
    value = column.value(variant, family)
    return value if value is None or column in NUMBERS else column.shown(variant, family)


def _listed_row(entry: ListedRecord, family: FamilyRecord | None) -> dict[str, Any]:
    """A listed variant's row: its names, task and license, no figure, and why in its status."""
    row: dict[str, Any] = {c.header: said(entry, family) for c in SHOWN if (said := LISTED_TEXT.get(c.key))}
    row[STATUS] = f"{listed_status(entry)}: {entry.note}"
    row[ID] = entry.id
    return row


def zoo_table(catalog: Catalog, device: str | None = None) -> pd.DataFrame:
    """One row per variant of the catalog, in its order, the columns of catalog.publish.columns
    the app shows (raw figures, which st.dataframe formats); a variant that did not build has its
    status and no figures. The listed variants follow, their status saying why they are not built
    (a variant whose fetch failed is one of them). With `device`, the id of one of the catalog's
    `devices`, the latency is that device's (`catalog.publish.devices.device_figure`), and the
    column after it says what each figure is of; an unknown id is the build machine."""
    families = families_by_id(catalog)
    entry = next((e for e in catalog.devices if e.id == device), None) if device else None
    rows = []
    for variant in shown_variants(catalog):
        row = {c.header: _cell(c, variant, families.get(variant.family)) for c in SHOWN}
        if entry is not None:
            figure = device_figure(entry, variant)
            row[LATENCY] = figure.median_ms if figure else None
            row[MEASURED_WITH] = figure.how if figure else None
        built = row[SIZE] is not None
        row[STATUS] = "built" if built else f"not built ({variant.error.step if variant.error else variant.status})"
        row[ID] = variant.id
        rows.append(row)
    rows += [_listed_row(listed, families.get(listed.family)) for listed in catalog.listed]
    columns = COLUMNS if entry is None else _with_measured(COLUMNS)
    table = pd.DataFrame(rows, columns=columns)
    for column in NUMBERS:
        table[column.header] = pd.to_numeric(table[column.header]).astype("Float64")
    return table


def _with_measured(columns: list[str]) -> list[str]:
    at = columns.index(LATENCY) + 1
    return [*columns[:at], MEASURED_WITH, *columns[at:]]


def listed_rows(table: pd.DataFrame) -> pd.Series:
    """Which rows are listed variants, not built here."""
    return table[STATUS].astype("string").fillna("").str.startswith(LISTED)


def styled(table: pd.DataFrame) -> Any:
    """The table as st.dataframe shows it: with listed rows, a Styler that greys them (their status
    says why in words) and formats the figures as the site does (st.dataframe shows a Styler's text,
    not its column formats); without, the table itself."""
    listed = listed_rows(table)
    if not listed.any():
        return table
    formats = {c.header: _number_text(c.digits) for c in NUMBERS}
    return table.style.apply(lambda row: [LISTED_STYLE if listed[row.name] else ""] * len(row), axis=1).format(
        formats, na_rep=""
    )


def _number_text(digits: int | None) -> Any:
    return (lambda value: f"{value:.{digits}f}") if digits is not None else (lambda value: f"{value:g}")


@dataclass(frozen=True)
class Filters:
    """What the table is narrowed to. An empty choice keeps every row; a range keeps the rows
    inside it (rows without the figure go once a range is set)."""

    search: str = ""
    tasks: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    precisions: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    size_mib: tuple[float, float] | None = None
    mflops: tuple[float, float] | None = None
    latency_ms: tuple[float, float] | None = None


def choices(table: pd.DataFrame, column: str) -> list[str]:
    return sorted(str(value) for value in table[column].dropna().unique())


def bounds(table: pd.DataFrame, column: str) -> tuple[float, float] | None:
    """The smallest and largest figure of a column, None when it has none."""
    values = table[column].dropna()
    return (float(values.min()), float(values.max())) if len(values) else None


def _chosen(table: pd.DataFrame, column: str, wanted: Sequence[str]) -> pd.Series:
    return table[column].isin(list(wanted)).fillna(False) if wanted else pd.Series(True, index=table.index)


def _inside(table: pd.DataFrame, column: str, limits: tuple[float, float] | None) -> pd.Series:
    if limits is None:
        return pd.Series(True, index=table.index)
    low, high = limits
    return table[column].between(low, high).fillna(False).astype(bool)


def matches(table: pd.DataFrame, search: str) -> pd.Series:
    """Rows holding every word of `search` (any case) in their names, task, schema, format or license."""
    text = table[SEARCHED].astype("string").fillna("").agg(" ".join, axis=1).str.lower()
    mask = pd.Series(True, index=table.index)
    for word in search.lower().split():
        mask &= text.str.contains(word, regex=False)
    return mask


def apply(table: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    mask = matches(table, filters.search)
    for column, wanted in (
        (TASK, filters.tasks),
        (SCHEMA, filters.schemas),
        (FORMAT, filters.formats),
        (PRECISION, filters.precisions),
        (LICENSE, filters.licenses),
    ):
        mask &= _chosen(table, column, wanted)
    for field, column in RANGES.items():
        mask &= _inside(table, column, getattr(filters, field))
    return table[mask.astype(bool)]


# what a person choosing a model reads first, for a notebook's first look at a catalog
OVERVIEW = ("family", "variant", "ap", "keypoints", "size_mib", "mflops", "latency_ms", "license")


def overview(catalog: Catalog | Mapping[str, Any]) -> pd.DataFrame:
    """A handful of the zoo table's columns (OVERVIEW), one row per variant named by its id, the
    most accurate first and each figure rounded as the table shows it: catalog.load() has every
    figure, catalog.load_records() every record."""
    if not isinstance(catalog, Catalog):
        catalog = Catalog.model_validate(catalog)
    headers = [BY_KEY[key].header for key in OVERVIEW]
    table = zoo_table(catalog).set_index(ID)[headers]
    digits = {c.header: c.digits for c in NUMBERS if c.header in headers and c.digits is not None}
    accuracy = BY_KEY["ap"].header
    return table.round(digits).sort_values(accuracy, ascending=False, na_position="last", kind="stable")
