"""`posezoo build --browser`: onnxruntime-web timings from headless Chromium, in the record and on the card."""

from __future__ import annotations

import json
import os

import pytest

from catalog.build import BuildOptions, build
from catalog.measure.browser import SESSION_OPTIONS_FILE, missing
from catalog.publish.model_card import render_card
from catalog.schema import Catalog
from tests.test_cards import number, section, table_with

FORMS = (("onnx", "ONNX"), ("onnx_int8", "ONNX int8"))  # the forms the browser times, as the card titles them


@pytest.fixture(scope="module")
def browser_build(tmp_path_factory, playwright_driver):
    # built while the session's Playwright driver runs (as after the site's browser tests, or in a
    # notebook's event loop): the measurement must not clash with it
    reason = missing()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("browser-build")
    # MoveNet Lightning comes from a pinned npm package: no mirror needed
    options = BuildOptions(out=out, browser=True, only=["movenet-lightning"], runs=5)
    result = build(options)
    assert result.ok, [f.line() for f in result.failures]
    return json.loads(result.catalog_path.read_text("utf-8"))


def test_the_onnx_form_is_timed_at_one_thread_and_at_every_core(browser_build):
    (variant,) = browser_build["variants"]
    rows = variant["formats"]["onnx"]["browser_latency"]
    assert rows is not None and len(rows) == 2
    # navigator.hardwareConcurrency: Chromium counts the processors online, as os.cpu_count() does
    assert [r["threads"] for r in rows] == [1, os.cpu_count()]
    for row in rows:
        assert row["runtime"] == "onnxruntime-web" and row["backend"] == "wasm"
        assert row["browser"].startswith("Chromium ")
        assert row["runs"] == 5
        assert 0 < row["median_ms"] <= row["p90_ms"]
        assert row["cold_ms"] > 0
        # the options the Try-it page runs the same file with
        assert row["session_options"] == json.loads(SESSION_OPTIONS_FILE.read_text())
    # the ONNX forms are what the browser runs: the float one and its int8 form, never the original
    timed = {f for f, r in variant["formats"].items() if r.get("browser_latency") is not None}
    assert timed == {"onnx", "onnx_int8"}


def test_the_card_shows_every_browser_measurement(browser_build):
    (variant,) = browser_build["variants"]
    card = render_card(Catalog.model_validate(browser_build), variant["id"])
    performance = section(card, "Performance")
    rows = table_with(performance, "First run (ms)")
    expected = [(title, b) for form, title in FORMS for b in variant["formats"][form]["browser_latency"]]
    assert len(rows) == len(expected)
    first = expected[0][1]
    assert f"onnxruntime-web {first['runtime_version']} (wasm) in {first['browser']}" in performance
    for row, (title, b) in zip(rows, expected, strict=True):
        assert row["Form, threads"] == f"{title}, {b['threads']} threads"
        assert number(row["Median (ms)"]) == pytest.approx(b["median_ms"], abs=5e-4)
        assert number(row["First run (ms)"]) == pytest.approx(b["cold_ms"], abs=5e-4)
    assert 'run as the page runs them (session options `graphOptimizationLevel: "all"`)' in section(card, "Performance")


def test_the_int8_form_is_timed_in_the_browser_too(browser_build):
    (variant,) = browser_build["variants"]
    float_rows, int8_rows = (variant["formats"][form]["browser_latency"] for form, _ in FORMS)
    assert [r["threads"] for r in int8_rows] == [r["threads"] for r in float_rows] == [1, os.cpu_count()]
    assert all(r["median_ms"] > 0 and r["runs"] == 5 for r in int8_rows)
    int8 = variant["int8"]
    assert int8["browser_threads"] == os.cpu_count()
    ratio = int8_rows[-1]["median_ms"] / float_rows[-1]["median_ms"]
    assert int8["browser_latency_ratio"] == pytest.approx(ratio, abs=1e-3)
    card = render_card(Catalog.model_validate(browser_build), variant["id"])
    trade = section(card, "int8 form").strip().split("\n\n")[0]
    threads = os.cpu_count()
    assert f"{int8['browser_latency_ratio']:.2f}× the browser time (onnxruntime-web wasm, {threads} threads)" in trade


def test_without_chromium_the_step_fails_in_one_line_saying_how_to_install(monkeypatch, tmp_path):
    from catalog import build as build_module
    from catalog.measure import browser

    monkeypatch.setattr(browser, "CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(build_module.StepFailed) as failed:
        build_module._step("measure", lambda: browser.measure_browser(tmp_path / "m.onnx", {}, runs=5))
    assert failed.value.step == "measure"
    assert "\n" not in failed.value.reason
    assert "apt-get install chromium" in failed.value.reason
