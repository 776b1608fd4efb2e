"""ms per inference of an ONNX model on onnxruntime-web (wasm) in headless Chromium.

`posezoo build --browser` records these figures; bench/browser_bench.py builds its comparison
with TensorFlow.js on the same pieces:

- a temporary folder holds web/bench/ (the page and its ES modules), onnxruntime-web's dist
  files from node_modules (pinned in package.json) and links to the model files;
- a local http.server on 127.0.0.1 serves it with COOP/COEP headers, so the page is
  cross-origin isolated and multi-threaded wasm (SharedArrayBuffer) works;
- Chromium (Debian's /usr/bin/chromium, driven by Playwright) runs with
  `--js-flags=--no-liftoff`: otherwise V8 starts ORT's wasm on its baseline compiler and tiers
  up in the background, and the first 30-60 runs are about twice as slow;
- each thread count gets its own page (a wasm module's thread count is fixed when it starts);
  ORT writes the count it really uses back into `ort.env.wasm.numThreads`, which the page
  reads after the first session: a count above 1 is only reported when it was used and the
  page was cross-origin isolated.
"""

from __future__ import annotations

import concurrent.futures
import functools
import http.server
import json
import math
import os
import shutil
import statistics
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from catalog.errors import PosezooError
from catalog.paths import ROOT

WEB = ROOT / "web" / "bench"
# the session options of the Try-it page, which the measurements use and record
SESSION_OPTIONS_FILE = ROOT / "web" / "try" / "session-options.json"
NODE = ROOT / "node_modules"
CHROMIUM = os.environ.get("POSEZOO_CHROMIUM", "/usr/bin/chromium")
DEFAULT_WARMUP = 10
PAGE_TIMEOUT_S = 300

ORT_FILES = [
    NODE / "onnxruntime-web" / "dist" / name
    for name in ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
]
# the flags that keep headless Chromium quiet and off the network (the browser tests use them too)
HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_FLAGS = [
    *HEADLESS_FLAGS,
    # Several pages stay open side by side; none may be throttled as a background page.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
# what makes a page cross-origin isolated (SharedArrayBuffer, so wasm threads)
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
INSTALL = (
    "install them with `pip install playwright` and `apt-get install chromium` "
    "(or set POSEZOO_CHROMIUM), and onnxruntime-web with `npm ci`"
)


class IsolatedHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder with the headers that make a page cross-origin isolated (`posezoo preview`
    and the browser measurement both serve through it)."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".onnx": "application/octet-stream",
        ".bin": "application/octet-stream",
    }
    quiet = False
    extra_headers: dict[str, str] = {}

    def end_headers(self) -> None:
        for name, value in {**ISOLATION_HEADERS, "Cross-Origin-Resource-Policy": "same-origin"}.items():
            self.send_header(name, value)
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        if not self.quiet:
            super().log_message(format, *args)


class MeasuringHandler(IsolatedHandler):
    """Silent, and never cached: each page load fetches the files it times."""

    quiet = True
    extra_headers = {"Cache-Control": "no-store"}


def missing() -> str | None:
    """Why the browser cannot be measured here (one line), or None when it can."""
    from importlib.util import find_spec

    if find_spec("playwright") is None:
        return f"the browser measurement needs Playwright and Chromium: {INSTALL}"
    if not Path(CHROMIUM).is_file():
        return f"the browser measurement needs Chromium (no {CHROMIUM}): {INSTALL}"
    absent = [f for f in ORT_FILES if not f.is_file()]
    if absent:
        return f"the browser measurement needs onnxruntime-web (no {absent[0]}): {INSTALL}"
    return None


def link(src: Path, dst: Path) -> None:
    if not src.is_file():
        raise PosezooError(str(src), "missing (run `npm ci` for the engines, or build the catalog)")
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        dst.symlink_to(src.resolve())
    except OSError:
        shutil.copyfile(src, dst)


def assemble_ort(site: Path, models: dict[str, Path]) -> None:
    """The page, onnxruntime-web under ort/, and each model under models/<its relative path>."""
    for f in WEB.iterdir():
        if f.suffix in (".html", ".js"):
            link(f, site / f.name)
    for f in ORT_FILES:
        link(f, site / "ort" / f.name)
    for rel, src in models.items():
        link(src, site / "models" / rel)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The folder served with COOP/COEP on 127.0.0.1; yields its base URL."""
    handler = functools.partial(MeasuringHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def launch(playwright: Any, liftoff: bool = False) -> Any:
    flags = CHROMIUM_FLAGS + ([] if liftoff else ["--js-flags=--no-liftoff"])
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)


def open_page(context: Any, base: str, engine: str, threads: int, timeout_s: float = PAGE_TIMEOUT_S) -> Any:
    """A bench page with one engine at one thread count, started; its `window.bench.info`
    is read with `page.evaluate("window.bench.info")`."""
    page = context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    page.goto(f"{base}/bench.html?engine={engine}&threads={threads}")
    page.wait_for_function("window.benchReady || window.benchError")
    error = page.evaluate("window.benchError")
    if error:
        raise PosezooError(f"{engine} {threads}t", f"the page failed to start: {error.splitlines()[0]}")
    return page


def time_model(page: Any, spec: dict, warmup: int, runs: int) -> dict:
    """Loads `spec` ({url, shape, dtype}) on the page, runs it once cold, `warmup` times, then
    `runs` timed times; the page's figures (threads, load_ms, cold_ms, warmup_ms, times_ms)."""
    raw = page.evaluate("spec => window.bench.load(spec)", spec)
    raw["warmup_ms"] = page.evaluate("k => window.bench.step(k)", warmup)
    raw["times_ms"] = page.evaluate("k => window.bench.step(k)", runs)
    page.evaluate("window.bench.unload()")
    return raw


def p90(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]


def concrete_shape(report: dict) -> list[int]:
    """The first input's shape, dynamic dims taken from `reference_shapes` (else batch 1, 256)."""
    first = report["inputs"][0]
    ref = (report.get("reference_shapes") or {}).get(first["name"])
    if ref:
        return [int(d) for d in ref]
    return [d if isinstance(d, int) else (1 if i == 0 else 256) for i, d in enumerate(first["shape"])]


def session_options() -> dict[str, Any]:
    """The Try-it page's onnxruntime-web session options (web/try/session-options.json)."""
    return json.loads(SESSION_OPTIONS_FILE.read_text("utf-8"))


def measure_browser(model: Path, report: dict, runs: int, warmup: int = DEFAULT_WARMUP) -> list[dict]:
    """The ONNX `model` (its inspect `report` gives shape and dtype) timed on onnxruntime-web's
    wasm backend, with the Try-it page's session options, at 1 thread and at
    navigator.hardwareConcurrency threads: one record each (BrowserLatencyRecord). Raises
    PosezooError, one line, when it cannot."""
    reason = missing()
    if reason:
        raise PosezooError("--browser", reason)
    # Playwright's sync API refuses to start inside a running event loop (a notebook, or a caller
    # already driving a browser): its own thread has none.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(_measure_browser, model, report, runs, warmup).result()


def _measure_browser(model: Path, report: dict, runs: int, warmup: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    options = session_options()
    spec = {
        "url": f"models/{model.name}",
        "shape": concrete_shape(report),
        "dtype": report["inputs"][0].get("dtype", "float32"),
        "options": options,
    }
    records = []
    with tempfile.TemporaryDirectory(prefix="posezoo-browser-") as tmp:
        site = Path(tmp)
        assemble_ort(site, {model.name: model})
        with serve(site) as base, sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                context = browser.new_context()
                page = open_page(context, base, "ort", 1)
                info = page.evaluate("window.bench.info")
                counts = [1] + ([info["hardwareConcurrency"]] if info["hardwareConcurrency"] > 1 else [])
                for n in counts:
                    if n != 1:
                        page.close()
                        page = open_page(context, base, "ort", n)
                        info = page.evaluate("window.bench.info")
                    raw = time_model(page, spec, warmup, runs)
                    if raw["threads"] != n or (n > 1 and not info["crossOriginIsolated"]):
                        raise PosezooError(
                            str(model),
                            f"onnxruntime-web used {raw['threads']} thread(s) for {n} requested "
                            f"(crossOriginIsolated {info['crossOriginIsolated']})",
                        )
                    records.append(
                        {
                            "runtime": "onnxruntime-web",
                            "runtime_version": str(info.get("version") or "unknown"),
                            "browser": f"Chromium {browser.version}",
                            "backend": "wasm",
                            "session_options": options,
                            "threads": n,
                            "median_ms": round(statistics.median(raw["times_ms"]), 3),
                            "p90_ms": round(p90(raw["times_ms"]), 3),
                            "cold_ms": round(raw["cold_ms"], 3),
                            "runs": len(raw["times_ms"]),
                            "warmup": warmup,
                        }
                    )
            finally:
                browser.close()
    return records
