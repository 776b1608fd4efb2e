"""ms per inference of every form of a model on the browser runtime that runs it, in headless Chromium.

The build's browser pass (catalog/time_browser.py) records these figures and bench/browser_bench.py
prints them side by side; both call `measure_forms`:

- each form runs on its runtime (`FORM_RUNTIMES`): the ONNX forms on onnxruntime-web, the TFLite
  form on LiteRT.js (`@litertjs/core`, XNNPACK wasm), a TFJS original on TensorFlow.js (wasm);
- a temporary folder holds web/bench/ (the page and its ES modules), the runtimes' files from
  node_modules (pinned in package.json) and links to the model files;
- a local http.server on 127.0.0.1 serves it with COOP/COEP headers, so the page is
  cross-origin isolated and multi-threaded wasm (SharedArrayBuffer) works;
- Chromium (Debian's /usr/bin/chromium, driven by Playwright) runs with
  `--js-flags=--no-liftoff`: otherwise V8 starts ORT's wasm on its baseline compiler and tiers
  up in the background, and the first 30-60 runs are about twice as slow;
- each runtime x thread count gets its own page (a wasm module's thread count is fixed when it
  starts), kept open for the whole pass; a count above 1 is only recorded when the runtime
  reports using it and the page was cross-origin isolated;
- a variant's forms are loaded on every page at once, warmed up, then timed in alternating turns,
  so load from elsewhere on the machine hits all alike and their medians compare.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.errors import PosezooError, first_line
from catalog.formats import INT8_FORMAT, ONNX_FORMAT, TFLITE_FORMAT
from catalog.paths import ROOT

WEB = ROOT / "web" / "bench"
# the session options of the Try-it page, which the measurements use and record
SESSION_OPTIONS_FILE = ROOT / "web" / "try" / "session-options.json"
NODE = ROOT / "node_modules"
CHROMIUM = os.environ.get("POSEZOO_CHROMIUM", "/usr/bin/chromium")
DEFAULT_WARMUP = 5
CHUNK = 5  # timed runs per form per turn
PAGE_TIMEOUT_S = 300


@dataclass(frozen=True)
class Runtime:
    """A browser runtime: its name in the records, the bench page's engine, the npm package whose
    version is recorded, and its files (node_modules path -> path in the page's folder)."""

    name: str
    engine: str
    package: str
    files: tuple[tuple[Path, str], ...]

    def version(self) -> str:
        manifest = NODE / self.package / "package.json"
        return str(json.loads(manifest.read_text("utf-8"))["version"]) if manifest.is_file() else "unknown"


_LITERT = NODE / "@litertjs"
_LITERT_WASM = ("litert_wasm_internal", "litert_wasm_threaded_internal", "litert_wasm_compat_internal")
RUNTIMES = {
    runtime.name: runtime
    for runtime in (
        Runtime(
            "onnxruntime-web",
            "ort",
            "onnxruntime-web",
            tuple(
                (NODE / "onnxruntime-web" / "dist" / name, f"ort/{name}")
                for name in ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
            ),
        ),
        Runtime(
            "litert.js",
            "litert",
            "@litertjs/core",
            (
                (_LITERT / "core" / "dist" / "index.js", "litert/core/index.js"),
                (_LITERT / "wasm-utils" / "dist" / "index.js", "litert/wasm-utils/index.js"),
                *(
                    (_LITERT / "core" / "wasm" / f"{n}.{ext}", f"litert/wasm/{n}.{ext}")
                    for n in _LITERT_WASM
                    for ext in ("js", "wasm")
                ),
            ),
        ),
        Runtime(
            "tfjs",
            "tfjs",
            "@tensorflow/tfjs",
            tuple(
                (NODE / "@tensorflow" / package / "dist" / name, f"tfjs/{name}")
                for package, name in (
                    ("tfjs", "tf.min.js"),
                    ("tfjs-backend-wasm", "tf-backend-wasm.min.js"),
                    ("tfjs-backend-wasm", "tfjs-backend-wasm.wasm"),
                    ("tfjs-backend-wasm", "tfjs-backend-wasm-simd.wasm"),
                    ("tfjs-backend-wasm", "tfjs-backend-wasm-threaded-simd.wasm"),
                )
            ),
        ),
    )
}
# the runtime that runs each form in the browser (the Try-it page's choices)
FORM_RUNTIMES = {
    ONNX_FORMAT: "onnxruntime-web",
    INT8_FORMAT: "onnxruntime-web",
    TFLITE_FORMAT: "litert.js",
    "tfjs": "tfjs",
}
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
    "(or set POSEZOO_CHROMIUM), and the browser runtimes with `npm ci`"
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
    for runtime in RUNTIMES.values():
        absent = [src for src, _ in runtime.files if not src.is_file()]
        if absent:
            return f"the browser measurement needs {runtime.package} (no {absent[0]}): {INSTALL}"
    return None


def link(src: Path, dst: Path) -> None:
    if not src.is_file():
        raise PosezooError(str(src), "missing (run `npm ci` for the runtimes, or build the catalog)")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        return
    try:
        dst.symlink_to(src.resolve())
    except OSError:
        shutil.copyfile(src, dst)


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


# ---------------------------------------------------------------------------------- the forms


@dataclass(frozen=True)
class Form:
    """One form of a variant as the browser runs it."""

    variant: str
    name: str  # its key in `formats`: onnx, onnx_int8, tflite, tfjs
    runtime: str  # a key of RUNTIMES
    files: tuple[str, ...]  # relative to the build folder, the model file first
    shape: tuple[int, ...]
    dtype: str

    @property
    def key(self) -> str:
        return f"{self.variant}/{self.name}"


def forms_of(record: dict) -> list[Form]:
    """Every form of a built record that a browser runtime runs, the ONNX form first."""
    forms = []
    for name, report in (record.get("formats") or {}).items():
        runtime = FORM_RUNTIMES.get(name)
        if runtime is None:
            continue
        files = tuple(f["path"] for f in report.get("files") or []) or (report["path"],)
        if report["path"] in files:
            files = (report["path"], *(f for f in files if f != report["path"]))
        dtype = report["inputs"][0].get("dtype", "float32")
        forms.append(Form(record["id"], name, runtime, files, tuple(concrete_shape(report)), dtype))
    return sorted(forms, key=lambda form: form.name != ONNX_FORMAT)


def _spec(form: Form) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "key": form.key,
        "url": f"models/{form.files[0]}",
        "shape": list(form.shape),
        "dtype": form.dtype,
    }
    if form.runtime == "onnxruntime-web":
        spec["options"] = session_options()
    return spec


Progress = Callable[[str, str], None]
# what a variant's measurement gives: per form, its records (one per thread count) or why none
Results = dict[str, list[dict] | str]


def measure_forms(
    build: Path,
    groups: dict[str, list[Form]],
    runs: int,
    warmup: int = DEFAULT_WARMUP,
    progress: Progress = lambda variant, step: None,
    liftoff: bool = False,
) -> dict[str, Results]:
    """Each group's forms (a variant's), timed on their runtimes at 1 thread and at every core, in
    one Chromium: per variant, per form, a BrowserLatencyRecord per thread count, or the one line
    that says why that form could not run. Raises PosezooError, one line, when the browser cannot
    be measured at all (no Chromium, no Playwright, a runtime that does not start)."""
    reason = missing()
    if reason:
        raise PosezooError("browser", reason)
    # Playwright's sync API refuses to start inside a running event loop (a notebook, or a caller
    # already driving a browser): its own thread has none.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as worker:
        job = worker.submit(_measure_forms, build, groups, runs, warmup, progress, liftoff)
        return job.result()


def _measure_forms(
    build: Path, groups: dict[str, list[Form]], runs: int, warmup: int, progress: Progress, liftoff: bool
) -> dict[str, Results]:
    from playwright.sync_api import sync_playwright

    needed = {form.runtime for forms in groups.values() for form in forms}
    results: dict[str, Results] = {}
    with tempfile.TemporaryDirectory(prefix="posezoo-browser-") as tmp:
        site = Path(tmp)
        for f in WEB.iterdir():
            if f.suffix in (".html", ".js"):
                link(f, site / f.name)
        for name in needed:
            for src, dst in RUNTIMES[name].files:
                link(src, site / dst)
        for forms in groups.values():
            for form in forms:
                for rel in form.files:
                    link(build / rel, site / "models" / rel)
        with serve(site) as base, sync_playwright() as playwright:
            browser = launch(playwright, liftoff)
            try:
                pages = _Pages(browser.new_context(), base, f"Chromium {browser.version}")
                for variant, forms in groups.items():
                    progress(variant, f"time {', '.join(f.name for f in forms)} in the browser")
                    results[variant] = _time_variant(pages, forms, runs, warmup)
            finally:
                browser.close()
    return results


class _Pages:
    """The bench pages, one per runtime x thread count, opened when first needed and kept."""

    def __init__(self, context: Any, base: str, browser: str) -> None:
        self.context, self.base, self.browser = context, base, browser
        self.pages: dict[tuple[str, int], Any] = {}
        self.infos: dict[tuple[str, int], dict] = {}

    def thread_counts(self, runtime: str) -> list[int]:
        """1, and every core (navigator.hardwareConcurrency, as the runtime's page reads it)."""
        self.get(runtime, 1)
        cores = int(self.infos[runtime, 1]["hardwareConcurrency"] or 1)
        return [1] + ([cores] if cores > 1 else [])

    def get(self, runtime: str, threads: int) -> Any:
        key = (runtime, threads)
        if key not in self.pages:
            page = open_page(self.context, self.base, RUNTIMES[runtime].engine, threads)
            self.pages[key] = page
            self.infos[key] = page.evaluate("window.bench.info")
        return self.pages[key]


def _stepper(page: Any, key: str) -> Callable[[int], list[float]]:
    """Times k runs of the model loaded under `key` on `page`: ms per run."""
    return lambda k: page.evaluate("a => window.bench.step(a[0], a[1])", [key, k])


def _time_variant(pages: _Pages, forms: list[Form], runs: int, warmup: int) -> Results:
    from catalog.measure.latency import alternate

    results: Results = {}
    loaded: dict[tuple[str, int], tuple[Any, dict]] = {}
    for form in forms:
        for n in pages.thread_counts(form.runtime):
            page = pages.get(form.runtime, n)
            try:
                raw = page.evaluate("spec => window.bench.load(spec)", _spec(form))
            except Exception as error:  # one form that does not run costs that form only
                results[form.name] = f"{RUNTIMES[form.runtime].name} could not run it: {first_line(error)}"[:300]
                break
            info = pages.infos[form.runtime, n]
            if raw["threads"] != n or (n > 1 and not info["crossOriginIsolated"]):
                results[form.name] = (
                    f"{form.runtime} used {raw['threads']} thread(s) for {n} requested "
                    f"(crossOriginIsolated {info['crossOriginIsolated']})"
                )
                break
            loaded[form.name, n] = (page, raw)
    steps = {
        (name, n): _stepper(page, f"{forms[0].variant}/{name}")
        for (name, n), (page, _) in loaded.items()
        if name not in results
    }
    timed = alternate(steps, runs, warmup, CHUNK)
    for form in forms:
        if form.name in results:
            continue
        runtime = RUNTIMES[form.runtime]
        rows = []
        for (name, n), times in timed.items():
            if name != form.name:
                continue
            raw = loaded[name, n][1]
            rows.append(
                {
                    "runtime": runtime.name,
                    "runtime_version": runtime.version(),
                    "browser": pages.browser,
                    "backend": "wasm",
                    "session_options": session_options() if runtime.name == "onnxruntime-web" else {},
                    "threads": n,
                    "median_ms": round(statistics.median(times), 3),
                    "p90_ms": round(p90(times), 3),
                    "cold_ms": round(raw["cold_ms"], 3),
                    "runs": len(times),
                    "warmup": warmup,
                }
            )
        results[form.name] = rows
    for (name, _), (page, _) in loaded.items():
        page.evaluate("key => window.bench.unload(key)", f"{forms[0].variant}/{name}")
    return results
