"""The benchmark page (web/benchmark/) on the test zoo's site, in headless Chromium, as a visitor
and as `posezoo bench-device` run it: three models timed on every runtime and thread count this
browser offers, the table filled, the document valid against devices/device-result.schema.json,
nothing asked of another origin; Stop keeps what was measured. Screenshots at desktop and phone
widths go to build/screenshots/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from catalog.bench_device import Settings, run_page
from catalog.cards.device_result import SCHEMA_FILE
from catalog.measure.browser import CHROMIUM, FORM_RUNTIMES
from catalog.paths import DEFAULT_DEVICES, ROOT

SCREENSHOTS = ROOT / "build" / "screenshots"
# a two-stage model (its detector's pipeline timed too), a top-down one, a TFJS original
MODELS = ("blazepose-lite", "movenet-lightning", "posenet-mobilenet-v1")

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no Chromium at {CHROMIUM}")


def planned(document: dict, models: tuple[str, ...], threads: list[int]) -> set[tuple[str, str, str, int]]:
    """(variant, form, runtime, threads) the page should time: every float form of each model on its
    runtime, at each thread count."""
    records = {v["id"]: v for v in document["variants"]}
    return {
        (model, form, FORM_RUNTIMES[form], n)
        for model in models
        for form in records[model]["formats"]
        if form in FORM_RUNTIMES and form != "onnx_int8"
        for n in threads
    }


@pytest.fixture(scope="module")
def benchmarked(site, playwright_driver):
    """The page run on MODELS, 5 runs each: (what run_page returned, the table's rows, the page's
    JSON text and file name, the catalog)."""
    site_dir, document = site
    seen: dict = {}

    def look(page) -> None:
        seen["rows"] = page.eval_on_selector_all(
            "#results tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
        )
        seen["json"] = page.text_content("#json")
        seen["file"] = page.text_content("#file-name")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in (1440, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(SCREENSHOTS / f"benchmark-{width}.png"), full_page=True)

    bench = run_page(
        site_dir, Settings(models=MODELS, runs=5, warmup=1), Path(CHROMIUM), look=look, playwright=playwright_driver
    )
    return bench, seen, document


def test_the_page_times_every_form_of_three_models_on_every_engine(benchmarked):
    bench, seen, document = benchmarked
    threads = [1, bench.result.device.cores] if bench.result.device.cores > 1 else [1]
    ran = {(r.variant, r.form, r.runtime, r.threads) for r in bench.result.runs}

    assert bench.failures == []
    assert ran == planned(document, MODELS, threads)
    assert len(seen["rows"]) == len(ran)
    for cells in seen["rows"]:
        assert cells[0] in MODELS and cells[-1] == "done", cells
        assert float(cells[5]) > 0 and float(cells[6]) >= float(cells[5])  # median, p90


def test_each_run_names_the_file_it_timed_and_its_cold_start(benchmarked):
    bench, _, document = benchmarked
    records = {v["id"]: v for v in document["variants"]}
    for run in bench.result.runs:
        assert run.sha256 == records[run.variant]["formats"][run.form]["sha256"]
        assert run.inference.runs == 5 and run.warmup == 1
        assert run.cold.session_ms > 0 and run.cold.first_inference_ms > 0
    first_reads = [r for r in bench.result.runs if not r.cold.cached]
    assert {(r.variant, r.form) for r in first_reads} == {(r.variant, r.form) for r in bench.result.runs}


def test_a_model_behind_a_detector_has_its_whole_pipeline_timed(benchmarked):
    bench, _, document = benchmarked
    records = {v["id"]: v for v in document["variants"]}
    own_form = {"onnxruntime-web": "onnx", "litert.js": "tflite", "tfjs": "tfjs"}  # the detector's, same runtime
    pipelines = 0
    for run in bench.result.runs:
        detector = (records[run.variant].get("use") or {}).get("detector")
        if detector and own_form[run.runtime] in records[detector]["formats"]:
            assert run.pipeline is not None and run.pipeline.detector == detector, run
            assert run.pipeline.people >= 1 and run.pipeline.median_ms > run.inference.median_ms
            pipelines += 1
        else:
            assert run.pipeline is None
    assert pipelines >= 4


def test_the_row_to_share_is_valid_against_the_schema_file_and_shown_as_the_file(benchmarked):
    bench, seen, _ = benchmarked
    schema = json.loads((DEFAULT_DEVICES / SCHEMA_FILE).read_text("utf-8"))
    shown = json.loads(seen["json"])

    jsonschema.validate(shown, schema)
    assert shown["schema"] == "posezoo-device-result/1" and shown["tool"] == "posezoo bench-device"
    assert shown["device"]["cross_origin_isolated"] is True
    assert seen["file"].startswith("devices/") and seen["file"].endswith(f"-{shown['measured_at'][:10]}.json")
    assert len(shown["runs"]) == len(bench.result.runs)


def test_nothing_leaves_the_page(benchmarked):
    bench, _, _ = benchmarked
    assert bench.off_origin == []


def test_stop_keeps_what_was_measured(site, playwright_driver):
    site_dir, _ = site
    stopped: dict = {}

    def look(page) -> None:
        stopped["status"] = page.evaluate("window.benchmark.status")
        stopped["said"] = page.text_content("#progress-text")

    settings = Settings(
        models=("movenet-lightning",), runtimes=("onnxruntime-web",), threads=(1,), runs=100000, warmup=0
    )
    bench = run_page(
        site_dir,
        settings,
        Path(CHROMIUM),
        timeout_s=300,
        look=look,
        playwright=playwright_driver,
        stop=lambda progress: " of 100000 runs" in progress,
    )

    assert stopped["status"] == "stopped" and stopped["said"] == "Stopped: 1 run measured."
    [run] = bench.result.runs
    assert 0 < run.inference.runs < 100000


def test_bench_device_writes_the_row_in_one_command(site, tmp_path):
    site_dir, _ = site
    target = tmp_path / "this-machine.json"
    command = ["bench-device", "--out", str(site_dir.parent), "--models", "movenet-lightning"]
    command += ["--runtimes", "litert.js"]
    command += ["--threads", "1", "--runs", "3", "--warmup", "0", "--to", str(target)]
    ran = subprocess.run([sys.executable, "-m", "catalog.cli", *command], capture_output=True, text=True, timeout=600)

    assert ran.returncode == 0, ran.stderr
    document = json.loads(target.read_text("utf-8"))
    jsonschema.validate(document, json.loads((DEFAULT_DEVICES / SCHEMA_FILE).read_text("utf-8")))
    assert [(r["variant"], r["runtime"], r["threads"]) for r in document["runs"]] == [
        ("movenet-lightning", "litert.js", 1)
    ]
    assert document["device"]["cpu"] and "headless" in document["device"]["name"]
    assert ran.stdout.strip().endswith(str(target))


def test_bench_device_without_a_site_says_so_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from catalog.cli import app

    result = CliRunner().invoke(app, ["bench-device", "--out", str(tmp_path)])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"posezoo: error: {tmp_path / 'site'}: no benchmark page here: build the site with `posezoo site`"
    ]
