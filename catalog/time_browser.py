"""The build's browser pass: every form of every built variant timed on the browser runtime that
runs it, and the fastest runtime chosen as the Try-it page's default.

Each form runs on its runtime (catalog.measure.browser.FORM_RUNTIMES: ONNX on onnxruntime-web,
TFLite on LiteRT.js, a TFJS original on TensorFlow.js) in headless Chromium, at 1 thread and at
every core, a variant's forms in alternating turns. The choice (`browser_runtime`) is the fastest
float form at the most threads all of them ran at; the int8 form's browser ratio comes from the
same run. A variant's figures are reused while its key holds. Nothing here fails a build: a
browser that cannot be measured, or a form that does not run, says why in `browser_note`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from catalog.digest import pass_key
from catalog.errors import first_line
from catalog.formats import INT8_FORMAT, ONNX_FORMAT

Progress = Callable[[str, str], None]
BROWSER_WARMUP = 5


def time_browser(records: list[dict], out: Path, runs: int, progress: Progress = lambda variant, step: None) -> None:
    """Fill every built record's forms' `browser_latency`, its `browser_runtime` and `browser_note`."""
    from catalog.measure.browser import forms_of, measure_forms, missing

    built = [r for r in records if r.get("status") == "ok"]
    stale = [r for r in built if (r.get("browser_runtime") or {}).get("key") != pass_key(r, None, "browser")]
    if not stale:
        return
    reason = missing()
    if reason:
        for record in stale:
            _forget(record, f"not measured: {reason}")
        return
    try:
        results = measure_forms(out, {r["id"]: forms_of(r) for r in stale}, runs, BROWSER_WARMUP, progress)
    except Exception as error:  # recorded, never a build failure
        for record in stale:
            _forget(record, f"not measured: {first_line(error)}"[:300])
        return
    for record in stale:
        _record(record, results.get(record["id"], {}))


def not_measured(records: list[dict], why: str) -> None:
    """Every built record without browser figures, saying why (`posezoo build --no-browser`)."""
    for record in records:
        if record.get("status") == "ok":
            _forget(record, why)


def _forget(record: dict, why: str) -> None:
    for report in record["formats"].values():
        report["browser_latency"] = None
    record.update(browser_runtime=None, browser_note=why)
    _int8_ratio(record)


def _record(record: dict, results: dict[str, list[dict] | str]) -> None:
    failed = []
    for name, report in record["formats"].items():
        found = results.get(name)
        report["browser_latency"] = found if isinstance(found, list) else None
        if isinstance(found, str):
            failed.append(f"{name}: {found}")
    record["browser_runtime"] = choose(record)
    if record["browser_runtime"] is not None:
        record["browser_runtime"]["key"] = pass_key(record, None, "browser")
    record["browser_note"] = "; ".join(failed)[:500] if failed else ""
    if record["browser_runtime"] is None and not failed:
        record["browser_note"] = "no form ran in the browser"
    _int8_ratio(record)


def choose(record: dict) -> dict | None:
    """The fastest float form's runtime at the most threads every timed float form ran at, with the
    runner-up; None where no float form was timed."""
    timed = {
        name: {row["threads"]: row for row in report.get("browser_latency") or []}
        for name, report in record["formats"].items()
        if name != INT8_FORMAT and report.get("browser_latency")
    }
    if not timed:
        return None
    shared = set.intersection(*(set(rows) for rows in timed.values()))
    threads = max(shared) if shared else 1
    ranked = sorted((rows[threads]["median_ms"], name) for name, rows in timed.items() if threads in rows)
    if not ranked:
        return None
    (best_ms, best), *rest = ranked
    runner_up = rest[0] if rest else None
    return {
        "runtime": timed[best][threads]["runtime"],
        "format": best,
        "threads": threads,
        "median_ms": best_ms,
        "runner_up": timed[runner_up[1]][threads]["runtime"] if runner_up else None,
        "runner_up_ms": runner_up[0] if runner_up else None,
    }


def _int8_ratio(record: dict) -> None:
    """The int8 form's browser time over the float ONNX form's, at the most threads both ran."""
    int8 = record.get("int8")
    if not int8 or int8.get("format") != INT8_FORMAT:
        return
    timed = [
        {row["threads"]: row["median_ms"] for row in record["formats"][name].get("browser_latency") or []}
        for name in (ONNX_FORMAT, INT8_FORMAT)
    ]
    shared = set(timed[0]) & set(timed[1])
    if shared:
        threads = max(shared)
        int8.update(browser_threads=threads, browser_latency_ratio=round(timed[1][threads] / timed[0][threads], 3))
    else:
        int8.update(browser_threads=None, browser_latency_ratio=None)
