"""The build's browser pass: every form timed on the browser runtime that runs it, in headless
Chromium, the fastest chosen as the Try-it page's default, in the record and on the card."""

from __future__ import annotations

import copy
import json
import os

import pytest

from catalog.build import BuildOptions, build
from catalog.measure.browser import SESSION_OPTIONS_FILE, missing
from catalog.publish.model_card import render_card
from catalog.schema import Catalog
from tests.test_cards import number, section, table_with

# every form of a TFJS original and the runtime the browser runs it on
RUNTIMES = {"onnx": "onnxruntime-web", "onnx_int8": "onnxruntime-web", "tflite": "litert.js", "tfjs": "tfjs"}
TITLES = {"tfjs": "TFJS (original)", "onnx": "ONNX", "onnx_int8": "ONNX int8", "tflite": "TFLite"}


@pytest.fixture(scope="module")
def browser_build(tmp_path_factory, playwright_driver):
    # built while the session's Playwright driver runs (as after the site's browser tests, or in a
    # notebook's event loop): the measurement must not clash with it
    reason = missing()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("browser-build")
    # MoveNet Lightning comes from a pinned npm package: no mirror needed; the browser pass is on by default
    options = BuildOptions(out=out, only=["movenet-lightning"], runs=5, accuracy=False)
    result = build(options)
    assert result.ok, [f.line() for f in result.failures]
    return out, json.loads(result.catalog_path.read_text("utf-8"))


def test_every_form_is_timed_on_its_runtime_at_one_thread_and_at_every_core(browser_build):
    _, document = browser_build
    (variant,) = document["variants"]
    assert set(variant["formats"]) == set(RUNTIMES)
    for form, runtime in RUNTIMES.items():
        rows = variant["formats"][form]["browser_latency"]
        # navigator.hardwareConcurrency: Chromium counts the processors online, as os.cpu_count() does
        assert [r["threads"] for r in rows] == [1, os.cpu_count()], form
        for row in rows:
            assert row["runtime"] == runtime and row["backend"] == "wasm"
            assert row["browser"].startswith("Chromium ") and row["runtime_version"] != "unknown"
            assert row["runs"] == 5 and 0 < row["median_ms"] <= row["p90_ms"] and row["cold_ms"] > 0
            # onnxruntime-web runs with the options the Try-it page uses; the others take none
            expected = json.loads(SESSION_OPTIONS_FILE.read_text()) if runtime == "onnxruntime-web" else {}
            assert row["session_options"] == expected
    assert variant["browser_note"] == ""


def test_the_default_runtime_is_the_fastest_float_form_at_every_core(browser_build):
    _, document = browser_build
    (variant,) = document["variants"]
    choice = variant["browser_runtime"]
    at_most = {
        form: next(r for r in report["browser_latency"] if r["threads"] == os.cpu_count())
        for form, report in variant["formats"].items()
        if form != "onnx_int8"
    }
    ranked = sorted(at_most, key=lambda form: at_most[form]["median_ms"])
    assert (choice["format"], choice["runtime"]) == (ranked[0], RUNTIMES[ranked[0]])
    assert choice["threads"] == os.cpu_count() and choice["median_ms"] == at_most[ranked[0]]["median_ms"]
    assert choice["runner_up"] == RUNTIMES[ranked[1]] and choice["runner_up_ms"] == at_most[ranked[1]]["median_ms"]


def test_the_card_shows_every_browser_measurement_and_names_the_default(browser_build):
    _, document = browser_build
    (variant,) = document["variants"]
    card = render_card(Catalog.model_validate(document), variant["id"])
    performance = section(card, "Performance")
    rows = table_with(performance, "First run (ms)")
    expected = [(form, b) for form in TITLES for b in variant["formats"][form]["browser_latency"]]
    assert len(rows) == len(expected)
    for row, (form, b) in zip(rows, expected, strict=True):
        assert row["Form, runtime"] == f"{TITLES[form]}, {b['runtime']} {b['runtime_version']}"
        assert number(row["Threads"]) == b["threads"]
        assert number(row["Median (ms)"]) == pytest.approx(b["median_ms"], abs=5e-3)
        assert number(row["First run (ms)"]) == pytest.approx(b["cold_ms"], abs=5e-3)
    choice = variant["browser_runtime"]
    assert f"The Try-it page runs it on **{choice['runtime']}** ({TITLES[choice['format']]}) by default" in performance
    assert 'session options `graphOptimizationLevel: "all"`' in performance


def test_the_int8_form_is_timed_in_the_same_run(browser_build):
    _, document = browser_build
    (variant,) = document["variants"]
    float_rows, int8_rows = (variant["formats"][form]["browser_latency"] for form in ("onnx", "onnx_int8"))
    int8 = variant["int8"]
    assert int8["browser_threads"] == os.cpu_count()
    ratio = int8_rows[-1]["median_ms"] / float_rows[-1]["median_ms"]
    assert int8["browser_latency_ratio"] == pytest.approx(ratio, abs=1e-3)
    card = render_card(Catalog.model_validate(document), variant["id"])
    trade = section(card, "int8 form").strip().split("\n\n")[0]
    threads = os.cpu_count()
    assert f"{int8['browser_latency_ratio']:.2f}× the browser time (onnxruntime-web wasm, {threads} threads)" in trade


def test_a_second_build_keeps_the_figures_while_nothing_changed(browser_build):
    out, document = browser_build
    again = build(BuildOptions(out=out, only=["movenet-lightning"], runs=5, accuracy=False))
    (variant,) = json.loads(again.catalog_path.read_text("utf-8"))["variants"]
    assert variant["browser_runtime"] == document["variants"][0]["browser_runtime"]
    before = document["variants"][0]["formats"]["tflite"]["browser_latency"]
    assert variant["formats"]["tflite"]["browser_latency"] == before


def test_without_chromium_the_build_says_why_in_one_line(monkeypatch, tmp_path, browser_build):
    from catalog.measure import browser
    from catalog.time_browser import time_browser

    _, document = browser_build
    records = copy.deepcopy(document["variants"])
    records[0]["cache_key"] = "changed"  # the figures' key no longer holds: they are measured again
    monkeypatch.setattr(browser, "CHROMIUM", str(tmp_path / "no-chromium"))
    time_browser(records, tmp_path, runs=5)
    (record,) = records
    assert record["browser_runtime"] is None and "\n" not in record["browser_note"]
    assert record["browser_note"].startswith("not measured: ")
    assert "apt-get install chromium" in record["browser_note"]
    assert all(report["browser_latency"] is None for report in record["formats"].values())
    assert record["int8"]["browser_latency_ratio"] is None
