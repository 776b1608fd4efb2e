"""A built catalog (BUILD/catalog.json) as pose models: each variant's card facts and its ONNX file.

A build records every variant with the facts of its card (preprocess, decode, keypoints,
detector, ...) and, when it built, `formats.onnx.path` relative to the build folder (and
`formats.onnx_int8.path`, its int8 form, where it has one): the catalog alone is enough to
run a model, without the cards it was built from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from catalog.cards.facts import VariantFacts
from catalog.cards.load import Variant
from catalog.formats import INT8_FORMAT

Precision = Literal["float", "int8"]  # the ONNX form a variant runs as: float, or its int8 form


def variant_record(document: dict[str, Any], variant_id: str) -> dict[str, Any]:
    """The catalog's record of a variant that built; a KeyError naming the ones that did otherwise."""
    records = {v["id"]: v for v in document.get("variants", [])}
    record = records.get(variant_id)
    if record is None:
        raise KeyError(f"no variant {variant_id!r} in the catalog; it has {', '.join(sorted(records))}")
    if record.get("status") != "ok" or "onnx" not in record.get("formats", {}):
        reason = (record.get("error") or {}).get("reason", "no ONNX form")
        raise KeyError(f"variant {variant_id!r} did not build: {reason}")
    return record


def onnx_form(record: dict[str, Any], precision: Precision = "float") -> dict[str, Any]:
    """The record of the variant's float ONNX file, or of its int8 form (`precision="int8"`): its
    path relative to the catalog and its sha256; a KeyError saying why where it has no int8 form."""
    if precision == "float":
        return record["formats"]["onnx"]
    if INT8_FORMAT not in record["formats"]:
        reason = (record.get("int8") or {}).get("reason") or "this build made none"
        raise KeyError(f"variant {record['id']!r} has no int8 form: {reason}")
    return record["formats"][INT8_FORMAT]


def onnx_path(record: dict[str, Any], build_dir: str | Path, precision: Precision = "float") -> Path:
    """The variant's ONNX file of this precision (`onnx_form`) in a build folder."""
    return Path(build_dir) / onnx_form(record, precision)["path"]


def variant_from_record(record: dict[str, Any]) -> Variant:
    """The card's `Variant` from its catalog record: the record holds the card's facts and more."""
    return Variant.model_validate({name: record[name] for name in VariantFacts.model_fields})
