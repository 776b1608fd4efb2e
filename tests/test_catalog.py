"""Reading a built catalog: the pandas view, refusing a foreign catalog, diffing two builds, and
the drift check that every published figure is what its file says today."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import catalog
from catalog.diff import diff_files, differences
from catalog.errors import PosezooError
from catalog.measure.inspection import inspect
from catalog.schema import SCHEMA_VERSION, Catalog

# two 1x1 convs, 5x5x5 in, 2 filters with bias: 5x5x2 out (50), 50x5 MACs (250), weights 2x5 + bias 2 (12) each
OPS = [{"op": "CONV_2D", "kind": "Conv", "count": 2, "macs": 500, "flops": 1100, "output_elements": 100,
        "first_input_elements": 250, "other_input_elements": 24, "folded": 0}]  # fmt: skip
REPORT = {
    "path": "models/tiny/tiny.tflite",
    "format": "tflite",
    "size_bytes": 2048,
    "size_mib": 0.002,
    "sha256": "ab" * 32,
    "inputs": [{"name": "image", "shape": [1, 64, 64, 3], "dtype": "float32"}],
    "outputs": [{"name": "points", "shape": [1, 17, 3], "dtype": "float32"}],
    "reference_shapes": {},
    "reference_source": {},
    "precision": "fp16",
    "precision_split": {"fp16": 1.0},
    "quantization": None,
    "quantization_format": None,
    "params": 1234,
    "sparse_params": 0,
    "macs": 500,
    "flops": 1100,
    "ops": OPS,
    "latency": {
        "runtime": "tflite",
        "runtime_version": "1.0",
        "median_ms": 1.5,
        "median_low_ms": 1.4,
        "median_high_ms": 1.6,
        "p90_ms": 2.0,
        "min_ms": 1.0,
        "runs": 20,
        "warmup": 3,
        "threads": 2,
        "noisy": False,
        "turns_with": ["tflite"],
        "peak_rss_mib": 80.0,
        "baseline_rss_mib": 70.0,
        "model_peak_mib": 10.0,
    },
}
LICENSE = {
    "spdx": "MIT",
    "url": "https://opensource.org/licenses/MIT",
    "note": "",
    "commercial_use": "allowed",
    "obligations": ["keep the copyright notice and the license text with every copy"],
}
DOCUMENT = {
    "schema": SCHEMA_VERSION,
    "builder": "0.1.0",
    "machine": {"cpu": "a CPU", "cores": 2, "python": "3.11.7", "platform": "Linux"},
    "conventions": "...",
    "families": [
        {
            "id": "tiny",
            "name": "Tiny",
            "task": "single-person pose estimation",
            "authors": ["Me"],
            "paper": None,
            "release_date": "2024-01",
            "license": LICENSE,
            "out_of_scope": None,
            "limitations": [],
            "references": [],
            "card": "tiny.md",
            "body": "",
        }
    ],
    "variants": [
        {
            "id": "tiny-a",
            "name": "A",
            "source": "file:tiny.tflite",
            "sha256": None,
            "role": "model",
            "task": "single-person pose estimation",
            "preprocess": {
                "size": [64, 64],
                "layout": "NHWC",
                "dtype": "float32",
                "range": [0.0, 1.0],
                "mean": None,
                "std": None,
                "resize": "stretch",
                "channels": "RGB",
            },
            "decode": "movenet-singlepose",
            "keypoints": {"schema": "coco-17", "names": ["nose"], "skeleton": []},
            "release_date": "2024-01",
            "detector": None,
            "notes": "",
            "family": "tiny",
            "license": LICENSE,
            "status": "ok",
            "formats": {"tflite": REPORT},
            "conversion": None,
            "provenance": None,
            "cache_key": "k",
        }
    ],
    "failures": [],
}


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(DOCUMENT))
    return path


def test_the_hand_made_catalog_is_schema_valid():
    Catalog.model_validate(DOCUMENT)


def test_the_pandas_view_has_one_typed_row_per_variant_and_format(catalog_file):
    frame = catalog.load(catalog_file)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["id"] == "tiny-a" and row["family_name"] == "Tiny" and row["format"] == "tflite"
    assert row["inputs"] == "1 x 64 x 64 x 3" and row["outputs"] == "1 x 17 x 3"
    assert row["params"] == 1234 and str(frame["params"].dtype) == "Int64"
    assert row["latency_median_ms"] == 1.5 and row["runtime"] == "tflite" and row["license"] == "MIT"
    assert frame["release_date"].dtype.kind == "M"
    assert frame.attrs["catalog"]["schema"] == SCHEMA_VERSION


def test_a_catalog_of_another_schema_is_refused_in_one_line(tmp_path):
    old = copy.deepcopy(DOCUMENT)
    old["schema"] = 1
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(old))
    with pytest.raises(PosezooError, match="a catalog of schema 1, .*rebuild it with `posezoo build`") as raised:
        catalog.load_records(path)
    assert "\n" not in str(raised.value)
    old["schema"] = SCHEMA_VERSION
    old["machine"] = "not a machine"
    path.write_text(json.dumps(old))
    with pytest.raises(PosezooError, match=r"not a catalog of this posezoo \(machine: .*`posezoo build`"):
        catalog.load_records(path)


def test_two_builds_differ_only_where_a_figure_does(tmp_path):
    new = copy.deepcopy(DOCUMENT)
    report = new["variants"][0]["formats"]["tflite"]
    report["flops"] = 1101
    report["latency"]["median_ms"] = 9.0  # a timing: noise between two builds
    new["variants"][0]["cache_key"] = "other"
    assert differences(DOCUMENT, new) == ["variants[tiny-a].formats.tflite.flops: 1100 -> 1101"]
    report["ops"] = []
    assert "variants[tiny-a].formats.tflite.ops[CONV_2D]" in differences(DOCUMENT, new)[1]


def test_posezoo_diff_says_what_changed(tmp_path, catalog_file):
    from typer.testing import CliRunner

    from catalog.cli import app

    new = copy.deepcopy(DOCUMENT)
    new["variants"][0]["formats"]["tflite"]["params"] = 1
    (tmp_path / "new.json").write_text(json.dumps(new))
    assert diff_files(catalog_file, catalog_file) == []
    runner = CliRunner()
    same = runner.invoke(app, ["diff", str(catalog_file), str(catalog_file)])
    assert same.exit_code == 0 and "no figure differs" in same.output
    changed = runner.invoke(app, ["diff", str(catalog_file), str(tmp_path / "new.json")])
    assert changed.exit_code == 1
    assert "variants[tiny-a].formats.tflite.params: 1234 -> 1" in changed.output


def test_no_published_figure_drifts_from_its_file(built_zoo):
    # as torchvision's test_extended_models does for its weights' meta: recompute every figure
    result, document = built_zoo
    out = result.catalog_path.parent
    drift = []
    for variant in document["variants"]:
        for fmt, published in variant.get("formats", {}).items():  # a failed variant has none
            # a dynamic-size graph is counted at the size the build counted it at (a frozen .pb: the card's)
            shapes = {
                name: tuple(shape)
                for name, shape in published.get("reference_shapes", {}).items()
                if published.get("reference_source", {}).get(name) == "user"
            }
            measured = json.loads(json.dumps(inspect(out / published["path"], shapes or None).to_dict()))
            measured["path"] = published["path"]
            for file in measured["files"]:
                file["path"] = Path(file["path"]).relative_to(out).as_posix()
            expected = {k: v for k, v in published.items() if k not in ("latency", "latency_note", "browser_latency")}
            drift += [f"{variant['id']}.{fmt}: {line}" for line in differences(expected, measured, ignore=())]
    assert drift == []
