"""The catalog as a pandas DataFrame for notebooks: one row per model variant and format."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from catalog.formats import INT8_FORMAT

if TYPE_CHECKING:
    from catalog.remote import Where

COLUMNS: dict[str, str] = {
    "id": "string",
    "family": "string",
    "family_name": "string",
    "variant": "string",
    "role": "string",
    "task": "string",
    "release_date": "datetime64[ns]",
    "format": "string",
    "path": "string",
    "size_bytes": "Int64",
    "size_mib": "Float64",
    "sha256": "string",
    "inputs": "string",
    "outputs": "string",
    "reference": "string",
    "precision": "string",
    "params": "Int64",
    "macs": "Int64",
    "flops": "Int64",
    "runtime": "string",
    "latency_median_ms": "Float64",
    "latency_p90_ms": "Float64",
    "peak_rss_mib": "Float64",
    "model_peak_mib": "Float64",
    "conversion_max_relative": "Float64",
    # the whole pipeline a user runs (detector and model, pre- and post-processing), on the float ONNX
    # form's row only: median ms, its 95 % interval, and FLOPs per frame
    "pipeline_ms": "Float64",
    "pipeline_low_ms": "Float64",
    "pipeline_high_ms": "Float64",
    "pipeline_flops": "Int64",
    "pipeline_size_mib": "Float64",
    # accuracy on the evaluation set, of the ONNX form the row is (float or int8); null on the original's row
    "accuracy_mode": "string",
    "ap": "Float64",
    "ap_low": "Float64",
    "ap_high": "Float64",
    "ap50": "Float64",
    "pck_10": "Float64",
    "pck_10_low": "Float64",
    "pck_10_high": "Float64",
    "license": "string",
    "commercial_use": "string",
    "status": "string",
}


def load_records(where: Where = None) -> dict[str, Any]:
    """The catalog.json document (schema, machine, families, variants, failures), validated
    against `catalog.schema.Catalog`: a catalog of another schema version is refused. `where` is a
    URL, a catalog.json or a build folder; by default this release's catalog on the project's site
    ($POSEZOO_CATALOG names another)."""
    from catalog.remote import open_catalog

    return open_catalog(where).document


def _shapes(tensors: list[dict]) -> str:
    return ", ".join(" x ".join("?" if d is None else str(d) for d in t["shape"]) for t in tensors)


def _accuracy(record: dict | None) -> dict[str, Any]:
    """The accuracy columns of one form's record (figures null where it was not scored)."""
    record = record or {}
    ap, ap50, pck = (record.get(name) or {} for name in ("ap", "ap50", "pck_10"))
    return {
        "accuracy_mode": record.get("mode"),
        "ap": ap.get("value"),
        "ap_low": ap.get("low"),
        "ap_high": ap.get("high"),
        "ap50": ap50.get("value"),
        "pck_10": pck.get("value"),
        "pck_10_low": pck.get("low"),
        "pck_10_high": pck.get("high"),
    }


def _pipeline_size(variant: dict, variants: dict[str, dict]) -> float | None:
    """MiB a user downloads to run the pipeline: the model's ONNX file and its detector's."""
    use = variant.get("use") or {}
    parts = [variant, variants.get(use.get("detector") or "", {})] if use.get("detector") else [variant]
    sizes = [((part.get("formats") or {}).get("onnx") or {}).get("size_mib") for part in parts]
    return None if None in sizes or not variant.get("pipeline") else round(sum(sizes), 4)


def rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    families = {f["id"]: f for f in document.get("families", [])}
    variants = {v["id"]: v for v in document.get("variants", [])}
    table = []
    for variant in document.get("variants", []):
        family = families.get(variant.get("family"), {})
        base = {
            "id": variant["id"],
            "family": variant.get("family"),
            "family_name": family.get("name"),
            "variant": variant.get("name"),
            "role": variant.get("role"),
            "task": variant.get("task"),
            "release_date": variant.get("release_date"),
            "license": (family.get("license") or {}).get("spdx"),
            "commercial_use": (family.get("license") or {}).get("commercial_use"),
            "status": variant.get("status"),
        }
        formats = variant.get("formats") or {}
        if not formats:
            table.append(base)
        check = (variant.get("conversion") or {}).get("check") or {}
        worst = max((o["relative"] for o in check.get("outputs", [])), default=None)
        accuracy = {"onnx": variant.get("accuracy"), INT8_FORMAT: (variant.get("int8") or {}).get("accuracy")}
        pipeline = variant.get("pipeline") or {}
        whole = pipeline.get("latency") or {}
        for fmt, report in formats.items():
            latency = report.get("latency") or {}
            table.append(
                {
                    **base,
                    "format": fmt,
                    "path": report["path"],
                    "size_bytes": report["size_bytes"],
                    "size_mib": report["size_mib"],
                    "sha256": report["sha256"],
                    "inputs": _shapes(report["inputs"]),
                    "outputs": _shapes(report["outputs"]),
                    "reference": _shapes([{"shape": s} for s in report["reference_shapes"].values()]),
                    "precision": report["precision"],
                    "params": report["params"],
                    "macs": report["macs"],
                    "flops": report["flops"],
                    "runtime": latency.get("runtime"),
                    "latency_median_ms": latency.get("median_ms"),
                    "latency_p90_ms": latency.get("p90_ms"),
                    "peak_rss_mib": latency.get("peak_rss_mib"),
                    "model_peak_mib": latency.get("model_peak_mib"),
                    "conversion_max_relative": worst if fmt == "onnx" else None,
                    "pipeline_ms": whole.get("median_ms") if fmt == "onnx" else None,
                    "pipeline_low_ms": whole.get("median_low_ms") if fmt == "onnx" else None,
                    "pipeline_high_ms": whole.get("median_high_ms") if fmt == "onnx" else None,
                    "pipeline_flops": pipeline.get("flops") if fmt == "onnx" else None,
                    "pipeline_size_mib": _pipeline_size(variant, variants) if fmt == "onnx" else None,
                    **_accuracy(accuracy.get(fmt)),
                }
            )
    return table


def load(where: Where = None):  # -> pandas.DataFrame
    """The catalog at `where` (see `load_records`) as a DataFrame (typed columns); the raw document
    is in `frame.attrs["catalog"]`."""
    return frame_of(load_records(where))


def frame_of(document: dict[str, Any]):  # -> pandas.DataFrame
    """`load`'s DataFrame of a document already read and checked."""
    import pandas as pd

    frame = pd.DataFrame(rows(document), columns=list(COLUMNS))
    for column, dtype in COLUMNS.items():
        if dtype.startswith("datetime"):
            # ISO 8601 in each row's own precision: "2021-05" and "2021-05-17" in one column
            frame[column] = pd.to_datetime(frame[column], format="ISO8601", errors="coerce")
        else:
            frame[column] = frame[column].astype(dtype)
    frame.attrs["catalog"] = document
    return frame
