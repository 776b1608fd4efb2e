"""`posezoo bench-device`: the site's benchmark page (web/benchmark/, at SITE/benchmark/) run in a
headless browser on this machine, and its device-result document written under devices/.

The built site is served on 127.0.0.1 with the COOP/COEP headers (so wasm runs on several
threads), the page is opened with the models and settings asked for and `auto=1`, and its
`window.benchmark` is read once it is done: the same document a visitor downloads. A request the
page makes off its own origin is an error: the page must run on what the site serves.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.atomic import write_text
from catalog.cards.device_result import DeviceResult
from catalog.errors import PosezooError, first_line
from catalog.measure.browser import CHROMIUM_FLAGS, INSTALL, serve

PAGE = "benchmark/index.html"
DEFAULT_TIMEOUT_S = 3600.0
POLL_MS = 1000


@dataclass(frozen=True)
class Settings:
    """What to run: all the page's models when `models` is empty; its default threads (1 and every
    core) when `threads` is empty."""

    models: tuple[str, ...] = ()
    runtimes: tuple[str, ...] = ()
    threads: tuple[int, ...] = ()
    runs: int = 30
    warmup: int = 5
    int8: bool = False
    name: str = ""

    def query(self) -> str:
        asked: dict[str, str] = {"auto": "1", "tool": "cli", "runs": str(self.runs), "warmup": str(self.warmup)}
        if self.models:
            asked["models"] = ",".join(self.models)
        if self.runtimes:
            asked["runtimes"] = ",".join(self.runtimes)
        if self.threads:
            asked["threads"] = ",".join(str(n) for n in self.threads)
        if self.int8:
            asked["int8"] = "1"
        if self.name:
            asked["name"] = self.name
        return urllib.parse.urlencode(asked)


@dataclass
class Benchmark:
    """What the page measured: the document, the runs that failed (one line each), and every
    address it asked for that was not its own site's."""

    result: DeviceResult
    failures: list[str] = field(default_factory=list)
    off_origin: list[str] = field(default_factory=list)


def run_page(
    site: Path,
    settings: Settings,
    browser: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_progress: Callable[[str], None] = lambda text: None,
    look: Callable[[Any], None] | None = None,
    playwright: Any = None,
    stop: Callable[[str], bool] = lambda progress: False,
) -> Benchmark:
    """The benchmark page of the built `site`, run headless in `browser` (a Chromium); a
    PosezooError in one line when it cannot run or fails. `look` is shown the Playwright page once
    it is done, before it closes; `playwright` is a running driver to use (else one is started).
    `stop` is asked with the page's progress line as it polls: once it says yes, the page's Stop is
    pressed, and the runs measured by then are kept."""
    from importlib.util import find_spec

    if not (Path(site) / PAGE).is_file():
        raise PosezooError(str(site), "no benchmark page here: build the site with `posezoo site`")
    if find_spec("playwright") is None:
        raise PosezooError("bench-device", f"needs Playwright and Chromium: {INSTALL}")
    if not Path(browser).is_file():
        raise PosezooError(str(browser), f"no browser here: {INSTALL}, or name one with --browser")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with serve(Path(site)) as base, contextlib.ExitStack() as stack:
        if playwright is None:
            playwright = stack.enter_context(sync_playwright())
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(browser), headless=True, args=[*CHROMIUM_FLAGS, "--js-flags=--no-liftoff"]
            )
        except PlaywrightError as error:
            raise PosezooError(str(browser), f"did not start: {first_line(error)}") from None
        try:
            context = chromium.new_context(viewport={"width": 1440, "height": 900})
            off_origin: list[str] = []
            context.on("request", lambda r: None if _own(r.url, base) else off_origin.append(r.url))
            page = context.new_page()
            page.goto(f"{base}/benchmark/?{settings.query()}")
            state = _wait(page, timeout_s, on_progress, stop)
            if look is not None:
                look(page)
        except PlaywrightError as error:
            raise PosezooError("the benchmark page", first_line(error)) from None
        finally:
            chromium.close()
    if state.get("status") == "failed" or not state.get("result"):
        why = state.get("error") or "; ".join(state.get("failures") or []) or "no run finished"
        raise PosezooError("the benchmark page", why)
    result = DeviceResult.model_validate(state["result"])
    return Benchmark(on_this_machine(result, settings.name), list(state.get("failures") or []), off_origin)


def on_this_machine(result: DeviceResult, name: str) -> DeviceResult:
    """The page's document with what only this machine knows: its CPU model, which a browser does
    not tell, and, where no name was given, a name saying the browser ran headless here."""
    from catalog.measure.latency import machine_description

    cpu = machine_description()["cpu"]
    device = result.device.model_copy(update={"cpu": cpu})
    if not name:
        device = device.model_copy(update={"name": f"{cpu}, {device.cores} cores, headless {device.browser}"})
    return result.model_copy(update={"device": device})


def _own(url: str, base: str) -> bool:
    return url.startswith((f"{base}/", "data:", "blob:")) or url == base


def _wait(page, timeout_s: float, on_progress: Callable[[str], None], stop: Callable[[str], bool]) -> dict:
    """The page's `window.benchmark` once it is done, stopped or failed; its progress line told on
    the way; its Stop pressed once `stop` says so."""
    import time

    deadline = time.monotonic() + timeout_s
    said = ""
    pressed = False
    while time.monotonic() < deadline:
        state = page.evaluate("window.benchmark ?? null") or {}
        if state.get("status") in {"done", "stopped", "failed"}:
            return state
        text = page.evaluate("document.getElementById('progress-text')?.textContent ?? ''")
        if text and text != said:
            on_progress(text)
            said = text
        if not pressed and stop(text):
            page.click("#stop")
            pressed = True
        page.wait_for_timeout(POLL_MS)
    raise PosezooError("the benchmark page", f"not done after {timeout_s:.0f} s")


def file_name(result: DeviceResult) -> str:
    """The file's name under devices/, as the page names it (web/benchmark/result.js's fileName)."""
    words = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", result.device.name.lower())).strip("-")
    stem = (words or "device")[:60].rstrip("-")
    return f"{stem}-{result.measured_at[:10]}.json"


def write_result(result: DeviceResult, path: Path) -> Path:
    """The document written as the page shows it: two-space indents, a final newline."""
    text = json.dumps(result.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False)
    write_text(path, text + "\n")
    return path
