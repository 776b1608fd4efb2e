"""The Zoo page's table and its filters, without Streamlit: one row per variant, the figures of
its ONNX file (as on the docs site's Zoo page: every variant has one, checked against its
original, and it is the file timed on onnxruntime), and what a visitor narrows it by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from catalog.publish.records import FORMAT_NAMES, latency_ms, model_title, onnx_report, original_format

ID = "id"
MODEL = "Model"
TASK = "Task"
SCHEMA = "Keypoints"
FORMAT = "Format"
PRECISION = "Precision"
SIZE = "Size (MiB)"
MFLOPS = "MFLOPs"
PARAMS = "M params"
LATENCY = "Latency (ms)"
LICENSE = "License"
STATUS = "Status"
COLUMNS = [MODEL, SCHEMA, FORMAT, PRECISION, SIZE, MFLOPS, PARAMS, LATENCY, LICENSE, TASK, STATUS, ID]
SEARCHED = [ID, MODEL, TASK, SCHEMA, FORMAT, PRECISION, LICENSE]
RANGES = {"size_mib": SIZE, "mflops": MFLOPS, "latency_ms": LATENCY}  # Filters' field -> column


def zoo_table(document: dict) -> pd.DataFrame:
    """One row per variant of the catalog, in its order; a variant that did not build has its
    status and no figures."""
    families = {f["id"]: f for f in document.get("families", [])}
    rows = []
    for variant in document.get("variants", []):
        report = onnx_report(variant) if variant.get("status") == "ok" else None
        keypoints = variant.get("keypoints") or {}
        original = original_format(variant)
        error = variant.get("error") or {}
        rows.append(
            {
                MODEL: model_title(variant, families),
                TASK: variant.get("task"),
                SCHEMA: keypoints.get("schema"),
                FORMAT: FORMAT_NAMES.get(original, original) if original else None,
                PRECISION: report["precision"] if report else None,
                SIZE: report["size_mib"] if report else None,
                MFLOPS: report["flops"] / 1e6 if report else None,
                PARAMS: report["params"] / 1e6 if report else None,
                LATENCY: latency_ms(report),
                LICENSE: (variant.get("license") or {}).get("spdx"),
                STATUS: "built" if report else f"not built ({error.get('step', variant.get('status'))})",
                ID: variant["id"],
            }
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    for column in (SIZE, MFLOPS, PARAMS, LATENCY):
        table[column] = pd.to_numeric(table[column]).astype("Float64")
    return table


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
