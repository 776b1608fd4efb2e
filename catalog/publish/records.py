"""Reading a catalog.json variant record as the site and the app show it: its ONNX report, its
original format, its onnxruntime latency, whether the browser can run it, and its title.

Typed records in (`catalog.schema`), plain values out: the docs site and the Streamlit app (also
under Pyodide, with stlite) share these, so a figure is looked up one way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from catalog.formats import INT8_FORMAT, ONNX_FORMAT
from catalog.publish.formatting import points
from catalog.schema import (
    AccuracyRecord,
    Catalog,
    FamilyRecord,
    FormatRecord,
    ListedRecord,
    UseRecord,
    VariantRecord,
)

LATENCY_RUNTIME = "onnxruntime"  # the runtime every variant's ONNX form is timed on
FORMAT_NAMES = {
    "onnx": "ONNX",
    INT8_FORMAT: "ONNX int8",
    "tflite": "TFLite",
    "tfjs": "TFJS",
    "pb": "TensorFlow frozen graph",
    "pytorch": "PyTorch",
}
# the flag rule: a form is flagged when even the top of its PCK@0.1 interval is below this share,
# i.e. it misses or misplaces most of the people's keypoints on the set whatever the sampling luck
FLAG_PCK = 0.5
# why a listed variant is not built, in words for a table cell
LISTED_REASONS = {
    "no-weights": "no weights",
    "no-license": "no license",
    "forbids-redistribution": "license forbids redistribution",
    "unreachable": "unreachable",
}


def onnx_report(variant: VariantRecord) -> FormatRecord | None:
    """The variant's ONNX report: every built variant has one, and onnxruntime times it."""
    return variant.formats.get(ONNX_FORMAT)


def built(variant: VariantRecord) -> bool:
    """A variant the build finished: its files are there to describe, show and download."""
    return variant.status == "ok" and bool(variant.formats)


def original_format(variant: VariantRecord) -> str | None:
    if variant.original_format:
        return variant.original_format
    names = [name for name in variant.formats if name not in (ONNX_FORMAT, INT8_FORMAT)]
    return names[0] if names else ("onnx" if variant.formats else None)


def latency_ms(report: FormatRecord | None) -> float | None:
    """One form's inference alone, median ms (onnxruntime): a stage's figure, not what a user waits for."""
    latency = report.latency if report else None
    return latency.median_ms if latency and latency.runtime == LATENCY_RUNTIME else None


def pipeline_ms(variant: VariantRecord) -> float | None:
    """The headline latency: the whole pipeline a user runs, image in, poses out, median ms; None for
    a component (a person detector) and where it was not timed."""
    return variant.pipeline.latency.median_ms if variant.status == "ok" and variant.pipeline else None


def pipeline_flops(variant: VariantRecord) -> int | None:
    """The whole pipeline's FLOPs per frame (detector and model); None where there is no pipeline figure."""
    return variant.pipeline.flops if variant.status == "ok" and variant.pipeline else None


def used_by(variant: VariantRecord, catalog: Catalog) -> list[VariantRecord]:
    """The pose models whose pipeline runs this variant first (a person detector's)."""
    return [v for v in catalog.variants if v.use and v.use.detector == variant.id and v.id != variant.id]


def shown_variants(catalog: Catalog) -> list[VariantRecord]:
    """The variants a zoo table shows as variants: all but those it shows as listed (a variant whose
    fetch failed is both: its listed row says why)."""
    listed = {entry.id for entry in catalog.listed}
    return [variant for variant in catalog.variants if variant.id not in listed]


def listed_status(entry: ListedRecord) -> str:
    """A listed variant's status in a few words: "not built here: no weights"."""
    return f"not built here: {LISTED_REASONS.get(entry.reason, entry.reason)}"


def listed_in_family(catalog: Catalog, family_id: str) -> list[ListedRecord]:
    return [entry for entry in catalog.listed if entry.family == family_id]


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


def family_name(variant: VariantRecord | ListedRecord, families: Mapping[str, FamilyRecord]) -> str:
    """The name of the variant's family; its id where the catalog has no such family."""
    family = families.get(variant.family)
    return family.name if family else variant.family


def model_title(variant: VariantRecord | ListedRecord, families: Mapping[str, FamilyRecord]) -> str:
    """The family's name and the variant's: "MoveNet SinglePose Lightning"."""
    return f"{family_name(variant, families)} {variant.name}"


def scored(accuracy: AccuracyRecord | None) -> bool:
    """Whether the form has figures on the evaluation set (not a component, not left unscored)."""
    return accuracy is not None and accuracy.ap is not None and accuracy.pck_10 is not None


def accuracy_flag(accuracy: AccuracyRecord | None) -> str | None:
    """Why a form is flagged by its measured accuracy (the one flag rule, FLAG_PCK), or None."""
    if not scored(accuracy):
        return None
    assert accuracy is not None and accuracy.pck_10 is not None
    pck = accuracy.pck_10
    if pck.high >= FLAG_PCK:
        return None
    return (
        f"on the zoo's evaluation set it puts {points(pck.value)} % of the annotated keypoints within a tenth of "
        f"the person's size (PCK@0.1; at most {points(pck.high)} % within its 95 % interval): fewer than half"
    )


def use_text(use: UseRecord | None) -> str | None:
    """How a variant is meant to be run, in words: "top-down, behind movenet-multipose"."""
    if use is None:
        return None
    if use.mode is None:
        return "a component (a person detector)"
    if use.mode == "top-down":
        return f"top-down, on each person {use.detector} finds"
    if use.mode == "two-stage":
        return f"two-stage, behind {use.detector}, on every person it detects"
    return "on the whole frame"


def use_brief(use: UseRecord | None) -> str | None:
    """The mode in a table cell: "top-down (movenet-multipose)"; `use_text` says it in words."""
    if use is None:
        return None
    if use.mode is None:
        return "component"
    return f"{use.mode} ({use.detector})" if use.detector else use.mode
