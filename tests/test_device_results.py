"""devices/: the rows visitors' browsers measured. Every committed file is a valid device result,
the schema file is the record's own, a bad file is one line and the build keeps the others, and
the benchmark page's arithmetic and naming (web/benchmark/) agree with Python's on the same values."""

from __future__ import annotations

import json
import random
import shutil
import statistics
import subprocess

import pytest

from catalog.bench_device import file_name
from catalog.cards.device_result import SCHEMA_FILE, DeviceResult, json_schema_text
from catalog.cards.devices import load_devices, read_device
from catalog.measure.browser import p90
from catalog.paths import DEFAULT_DEVICES, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "devices"
BENCHMARK_JS = ROOT / "web" / "benchmark"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed: the JavaScript twin runs in node")


def a_result() -> dict:
    """A small, valid device result: one run on one engine."""
    return {
        "schema": "posezoo-device-result/1",
        "measured_at": "2026-12-06T09:30:00Z",
        "tool": "benchmark page",
        "device": {
            "name": "Pixel 8, Chrome 142",
            "user_agent": "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/142.0.0.0 Mobile Safari/537.36",
            "browser": "Google Chrome 142.0.7444.60",
            "platform": "Android 14.0.0",
            "model": "Pixel 8",
            "architecture": "",
            "mobile": True,
            "cores": 9,
            "memory_gib": 8,
            "gpu": {"vendor": "arm", "architecture": "valhall", "device": "", "description": ""},
            "cross_origin_isolated": True,
        },
        "zoo": {"builder": "0.1.0", "schema_version": 11, "page": "https://example.org/benchmark/"},
        "runs": [
            {
                "variant": "movenet-lightning",
                "form": "tflite",
                "sha256": "a" * 64,
                "runtime": "litert.js",
                "runtime_version": None,
                "backend": "wasm",
                "threads": 9,
                "inference": {"median_ms": 9.5, "p90_ms": 11.2, "runs": 30},
                "warmup": 5,
                "cold": {"download_ms": 310.0, "cached": False, "session_ms": 41.0, "first_inference_ms": 30.1},
                "pipeline": None,
            }
        ],
    }


def test_the_schema_file_is_the_records_own():
    assert (DEFAULT_DEVICES / SCHEMA_FILE).read_text("utf-8") == json_schema_text(), (
        "devices/device-result.schema.json is out of date: write catalog.cards.device_result.json_schema_text() to it"
    )


def test_every_committed_device_file_is_a_valid_result():
    entries, problems = load_devices(DEFAULT_DEVICES)
    assert problems == []
    assert entries, "devices/ holds no rows: the build machine's browser rows seed it"
    for entry in entries:
        assert entry.runs and all(run.inference.median_ms <= run.inference.p90_ms for run in entry.runs)


def test_a_bad_file_is_one_line_and_the_others_are_used(tmp_path):
    (tmp_path / "good.json").write_text(json.dumps(a_result()))
    (tmp_path / "truncated.json").write_text(json.dumps(a_result())[:200])
    (tmp_path / "other-schema.json").write_text(json.dumps({**a_result(), "schema": "posezoo-device-result/9"}))
    no_runs = a_result()
    no_runs["runs"] = []
    (tmp_path / "no-runs.json").write_text(json.dumps(no_runs))
    bad_hash = a_result()
    bad_hash["runs"][0]["sha256"] = "not-a-hash"
    (tmp_path / "bad-hash.json").write_text(json.dumps(bad_hash))
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / SCHEMA_FILE).write_text(json_schema_text())  # the schema beside them is not a device

    entries, problems = load_devices(tmp_path)

    assert [e.id for e in entries] == ["good"]
    said = dict(problems)
    assert sorted(said) == ["bad-hash.json", "binary.json", "no-runs.json", "other-schema.json", "truncated.json"]
    assert all("\n" not in reason for reason in said.values())
    assert said["truncated.json"].startswith("not JSON")
    assert "posezoo-device-result/9" in said["other-schema.json"]
    assert said["no-runs.json"].startswith("runs:")
    assert said["bad-hash.json"].startswith("runs.0.sha256:")
    assert said["binary.json"] == "not UTF-8 text"


def test_posezoo_build_reports_a_bad_device_file_and_publishes_the_others(tmp_path):
    from typer.testing import CliRunner

    from catalog.cli import app

    cards = tmp_path / "cards"
    cards.mkdir()
    shutil.copyfile(ROOT / "cards" / "_defaults.yaml", cards / "_defaults.yaml")
    devices = tmp_path / "devices"
    devices.mkdir()
    (devices / "phone.json").write_text(json.dumps(a_result()))
    (devices / "broken.json").write_text("{")
    out = tmp_path / "build"

    result = CliRunner().invoke(
        app, ["build", "--cards", str(cards), "--out", str(out), "--devices", str(devices), "--no-accuracy"]
    )

    said = [line for line in result.stderr.splitlines() if line.startswith("posezoo: error:")]
    assert said == [
        "posezoo: error: broken.json: device result failed: not JSON (Expecting property name enclosed in double"
        " quotes: line 1 column 2 (char 1))"
    ]
    document = json.loads((out / "catalog.json").read_text("utf-8"))
    assert [d["id"] for d in document["devices"]] == ["phone"]
    assert document["devices"][0]["schema"] == "posezoo-device-result/1"


def test_a_fixture_device_file_reads(tmp_path):
    for path in sorted(FIXTURES.glob("*.json")):
        assert read_device(path).id == path.stem


# --------------------------------------------------------------------------- the page's twins

TWIN_SCRIPT = """
import { readFileSync } from "node:fs";
const [dir, jobFile] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobFile, "utf-8"));
const stats = await import(`${dir}/stats.js`);
const result = await import(`${dir}/result.js`);
const plan = await import(`${dir}/plan.js`);
const device = await import(`${dir}/device.js`);
const out = {
  summaries: job.samples.map((ms) => stats.summary(ms)),
  names: job.names.map((name) => result.fileName(result.deviceResult({
    device: job.device, name, zoo: job.zoo, runs: job.runs, tool: "benchmark page", at: new Date(job.at)}))),
  document: result.deviceResult({device: job.device, name: "", zoo: job.zoo, runs: job.runs, tool: "benchmark page",
    at: new Date(job.at)}),
  engines: plan.engines(job.choices).map((e) => e.key),
  threads: [plan.defaultThreads({isolated: true, cores: 8}), plan.defaultThreads({isolated: false, cores: 8}),
    plan.defaultThreads({isolated: true, cores: 1})],
  browsers: job.brands.map(([brands, ua]) => device.browserName(brands, ua)),
};
process.stdout.write(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def page_twins(tmp_path_factory):
    if NODE is None:
        pytest.skip("node is not installed: the JavaScript twin runs in node")
    rng = random.Random(7)
    samples = [[rng.uniform(0.5, 400.0) for _ in range(n)] for n in (1, 2, 3, 9, 10, 11, 30, 31, 57)]
    samples.append([5.0, 5.0, 5.0, 1.0])
    result = a_result()
    device = {k: v for k, v in result["device"].items() if k != "name"}
    job = {
        "samples": samples,
        "names": ["Pixel 8, Chrome", "  Café  Läptop — ünïcode ", "!!!", "x" * 90, "MacBook Air M2 / Safari 18"],
        "device": device,
        "zoo": result["zoo"],
        "runs": result["runs"],
        "at": "2026-12-06T09:30:12.345Z",
        "choices": {
            "runtimes": ["onnxruntime-web", "litert.js", "tfjs"],
            "backends": ["wasm", "webgpu"],
            "threads": [4, 1, 4],
            "int8": False,
        },
        "brands": [
            [[{"brand": "Not A(Brand", "version": "8"}, {"brand": "Chromium", "version": "140.0.7339.185"}], ""],
            [
                [
                    {"brand": "Chromium", "version": "142.0.1"},
                    {"brand": "Google Chrome", "version": "142.0.1"},
                    {"brand": "Not_A Brand", "version": "99"},
                ],
                "",
            ],
            [[], "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15"],
        ],
    }
    folder = tmp_path_factory.mktemp("benchmark-twins")
    (folder / "job.json").write_text(json.dumps(job))
    (folder / "twin.mjs").write_text(TWIN_SCRIPT)
    ran = subprocess.run(
        [NODE, str(folder / "twin.mjs"), BENCHMARK_JS.as_uri(), str(folder / "job.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    return job, json.loads(ran.stdout)


def test_the_pages_median_and_p90_are_pythons(page_twins):
    job, out = page_twins
    for ms, got in zip(job["samples"], out["summaries"], strict=True):
        assert got == {"median_ms": round(statistics.median(ms), 3), "p90_ms": round(p90(ms), 3), "runs": len(ms)}


def test_the_pages_document_is_a_valid_result_named_as_the_cli_names_it(page_twins):
    job, out = page_twins
    document = DeviceResult.model_validate(out["document"])
    assert document.measured_at == "2026-12-06T09:30:12Z"
    assert document.device.name == "Pixel 8, Google Chrome 142.0.7444.60, 9 cores"
    for name, got in zip(job["names"], out["names"], strict=True):
        named = DeviceResult.model_validate({**out["document"], "device": {**out["document"]["device"], "name": name}})
        assert got == file_name(named)
    assert out["names"][0] == "pixel-8-chrome-2026-12-06.json"
    assert out["names"][2] == "device-2026-12-06.json"


def test_the_page_plans_one_engine_per_runtime_backend_and_thread_count(page_twins):
    _, out = page_twins
    assert out["engines"] == [
        "onnxruntime-web/wasm/1",
        "onnxruntime-web/wasm/4",
        "onnxruntime-web/webgpu/1",
        "litert.js/wasm/1",
        "litert.js/wasm/4",
        "litert.js/webgpu/1",
        "tfjs/wasm/1",
        "tfjs/wasm/4",
    ]
    assert out["threads"] == [[1, 8], [1], [1]]


def test_the_page_names_the_browser_not_its_decoy_brand(page_twins):
    _, out = page_twins
    assert out["browsers"] == ["Chromium 140.0.7339.185", "Google Chrome 142.0.1", "Safari 18.1"]
