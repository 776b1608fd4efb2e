"""`posezoo serve` without a browser: what it stages beside the app for Streamlit's static file
serving (the Try-it page's files and the ONNX files, linked, kept across starts, pruned), a broken
catalog that still starts the app (which then says what is wrong), the address it binds, and the
build it runs first where there is no catalog."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from catalog.app.serve import streamlit_options, url_of
from catalog.app.static import APP_SCRIPT, stage
from catalog.cli import app
from catalog.publish.site import ORT_FILES
from tests.test_app import FIXTURE, write_build

RUNNABLE = ["movenet-lightning", "movenet-thunder", "blazepose-lite", "efficientpose-rt", "testpose"]


def test_stage_serves_the_try_page_its_runtime_the_catalog_and_the_models(tmp_path):
    document = json.loads(FIXTURE.read_text("utf-8"))
    build = write_build(tmp_path / "build", document)
    script = stage(build)
    static = build / "app" / "static"
    assert script == build / "app" / "app.py" and script.resolve() == APP_SCRIPT.resolve()
    assert (static / "try" / "index.html").is_file() and (static / "pose" / "pipeline.js").is_file()
    assert {p.name for p in (static / "try" / "ort").iterdir()} == set(ORT_FILES)
    assert json.loads((static / "catalog.json").read_text("utf-8")) == document
    models = {p.parent.name for p in (static / "models").rglob("*.onnx")}
    assert models == {*RUNNABLE, "blazepose-detector"}  # BlazePose Lite runs after its detector
    # every form a browser runtime runs: a TFLite file (LiteRT.js), a TFJS original with its weights (TensorFlow.js)
    for variant in (v for v in document["variants"] if v["id"] in models):
        for form in ("tflite", "tfjs"):
            report = variant["formats"].get(form)
            for listed in [report, *report.get("files", [])] if report else []:
                assert (static / listed["path"]).is_file(), listed["path"]
    onnx = static / "models" / "movenet-lightning" / "movenet-lightning.onnx"
    assert os.path.samefile(onnx, build / "models" / "movenet-lightning" / "movenet-lightning.onnx")


def test_a_second_start_keeps_what_is_there_and_drops_what_the_catalog_no_longer_names(tmp_path):
    document = json.loads(FIXTURE.read_text("utf-8"))
    build = write_build(tmp_path / "build", document)
    stage(build)
    static = build / "app" / "static"
    kept = static / "try" / "main.js"
    before = kept.stat().st_ino
    document["variants"] = [v for v in document["variants"] if v["id"] != "movenet-thunder"]
    (build / "catalog.json").write_text(json.dumps(document), "utf-8")
    (static / "leftover.txt").write_text("from an earlier start", "utf-8")
    stage(build)
    assert kept.stat().st_ino == before
    assert not (static / "leftover.txt").exists()
    assert not (static / "models" / "movenet-thunder").exists()
    assert json.loads((static / "catalog.json").read_text("utf-8")) == document


def test_a_broken_catalog_still_stages_the_page(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    (build / "catalog.json").write_text('{"variants": [{"id": "x", "formats": 3}]}', "utf-8")
    stage(build)
    static = build / "app" / "static"
    assert (static / "try" / "index.html").is_file() and not (static / "models").exists()


def test_the_app_binds_the_address_it_is_given():
    assert "--server.address=127.0.0.1" in streamlit_options("127.0.0.1", 8501)
    assert "--server.enableStaticServing=true" in streamlit_options("127.0.0.1", 8501)
    assert "--client.showErrorDetails=none" in streamlit_options("127.0.0.1", 8501)
    assert url_of("127.0.0.1", 8501) == "http://127.0.0.1:8501/"
    assert url_of("0.0.0.0", 80) == "http://127.0.0.1:80/"  # every network: this machine's address works
    assert url_of("::1", 8501) == "http://[::1]:8501/"


def test_serve_builds_the_catalog_first_where_there_is_none(tmp_path):
    # the build stops at once here (no such mirror): enough to see that serve ran it, with its checks
    result = CliRunner().invoke(app, ["serve", "--out", str(tmp_path / "new"), "--mirror", str(tmp_path / "none")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        f"no catalog at {tmp_path / 'new' / 'catalog.json'}: building it first",
        f"posezoo: error: {tmp_path / 'none'}: no such mirror folder (--mirror or POSEZOO_MIRROR)",
    ]
    assert not Path(tmp_path / "new" / "app").exists()
