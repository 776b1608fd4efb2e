"""Reading a catalog.json variant record as the site and the app show it: its ONNX report, its
original format, its onnxruntime latency, whether the browser can run it, and its title.

Typed records in (`catalog.schema`), plain values out: the docs site and the Streamlit app (also
under Pyodide, with stlite) share these, so a figure is looked up one way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from catalog.formats import INT8_FORMAT, ONNX_FORMAT
from catalog.schema import Catalog, FamilyRecord, FormatRecord, VariantRecord

LATENCY_RUNTIME = "onnxruntime"  # the runtime every variant's ONNX form is timed on
FORMAT_NAMES = {"onnx": "ONNX", INT8_FORMAT: "ONNX int8", "tflite": "TFLite", "tfjs": "TFJS"}


def onnx_report(variant: VariantRecord) -> FormatRecord | None:
    """The variant's ONNX report: every built variant has one, and onnxruntime times it."""
    return variant.formats.get(ONNX_FORMAT)


def built(variant: VariantRecord) -> bool:
    """A variant the build finished: its files are there to describe, show and download."""
    return variant.status == "ok" and bool(variant.formats)


def original_format(variant: VariantRecord) -> str | None:
    names = [name for name in variant.formats if name not in (ONNX_FORMAT, INT8_FORMAT)]
    return names[0] if names else ("onnx" if variant.formats else None)


def latency_ms(report: FormatRecord | None) -> float | None:
    latency = report.latency if report else None
    return latency.median_ms if latency and latency.runtime == LATENCY_RUNTIME else None


def runnable(variant: VariantRecord) -> bool:
    """A variant the Try-it page lists: a built model with an ONNX file."""
    return variant.status == "ok" and variant.role == "model" and onnx_report(variant) is not None


def safe_relative(path: str) -> Path | None:
    """A catalog's relative file path, or None where it would leave the folder it is relative to."""
    relative = Path(path)
    if relative.is_absolute() or not relative.parts or ".." in relative.parts:
        return None
    return relative


def families_by_id(catalog: Catalog) -> dict[str, FamilyRecord]:
    return {family.id: family for family in catalog.families}


def variants_by_id(catalog: Catalog) -> dict[str, VariantRecord]:
    return {variant.id: variant for variant in catalog.variants}


def family_name(variant: VariantRecord, families: Mapping[str, FamilyRecord]) -> str:
    """The name of the variant's family; its id where the catalog has no such family."""
    family = families.get(variant.family)
    return family.name if family else variant.family


def model_title(variant: VariantRecord, families: Mapping[str, FamilyRecord]) -> str:
    """The family's name and the variant's: "MoveNet SinglePose Lightning"."""
    return f"{family_name(variant, families)} {variant.name}"
