"""The Streamlit app's two waits, as a visitor has them, in headless Chromium (Debian's):

    python bench/app_bench.py [--out BUILD] [--model movenet-lightning] [--other efficientpose-rt] [--runs 3]

1. From `posezoo serve` starting (a fresh process: interpreter, imports, staging the static
   files, Streamlit's start) to the Zoo page's table visible in the browser. Target: 3 s.
2. From choosing a model in the Try-it page's picker (and pressing Load) to its first keypoints
   on the fake camera (the astronaut) while the camera runs another model, the model not cached
   (a fresh browser profile) and cached (the browser's Cache Storage holds it from the first
   time). Target: 1.5 s. The page downloads the model (or takes it from the cache), creates its
   onnxruntime-web session and runs it on the next frames. Timed in the page (performance.now,
   from the choice to the keypoints being published), not through the driver's round trips.

The browser starts before the clock does; the build (BUILD/catalog.json) must exist. Each figure
is the median of --runs; the ratio is to the target (below 1 meets it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog.app.serve import HEALTH  # noqa: E402
from catalog.paths import CATALOG_FILE, DEFAULT_OUT  # noqa: E402
from tests.app_driver import (  # noqa: E402
    ServedApp,
    camera_args,
    launch_chromium,
    open_when_up,
    time_choice,
    wait_for_keypoints,
    wait_for_table,
)

SERVE_TARGET_S = 3.0
KEYPOINTS_TARGET_S = 1.5


def serve_to_table(browser, build: Path, log: Path) -> tuple[float, float]:
    """(seconds to the Zoo table visible, seconds to the server's first answer), from the start."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    app = ServedApp(build, log)
    answered: list[float] = []

    def health() -> None:
        while app.process.poll() is None and not answered:
            try:
                with urllib.request.urlopen(app.url + HEALTH, timeout=1):
                    answered.append(time.perf_counter() - app.started)
            except OSError:
                time.sleep(0.02)

    threading.Thread(target=health, daemon=True).start()
    try:
        open_when_up(page, app.url)
        wait_for_table(page)
        return time.perf_counter() - app.started, answered[0] if answered else float("nan")
    finally:
        page.close()
        app.close()


def choose_to_keypoints(page, model_id: str) -> float:
    return time_choice(page, model_id)["ms"] / 1000


def try_it_times(browser, app: ServedApp, model: str, other: str) -> tuple[float, float]:
    """(not cached, cached) seconds for `model`, in a fresh browser profile whose camera runs `other` first."""
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    try:
        page.goto(f"{app.url}?page=try&model={other}&input=camera")
        wait_for_keypoints(page, other)
        uncached = choose_to_keypoints(page, model)
        choose_to_keypoints(page, other)
        cached = choose_to_keypoints(page, model)
        return uncached, cached
    finally:
        context.close()


def line(name: str, seconds: list[float], target: float) -> str:
    median = statistics.median(seconds)
    runs = ", ".join(f"{s:.2f}" for s in seconds)
    return f"{name:<44} {median:6.2f} s  target {target:.1f} s  ratio {median / target:.2f}  (runs: {runs})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the build folder (default build/)")
    parser.add_argument("--model", default="movenet-lightning", help="the model chosen in Try it")
    parser.add_argument("--other", default="efficientpose-rt", help="the model Try it starts on")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not (args.out / CATALOG_FILE).is_file():
        sys.exit(f"no catalog in {args.out}: run posezoo build first")

    import json

    from playwright.sync_api import sync_playwright

    from tests.test_try_page import astronaut, write_y4m

    document = json.loads((args.out / CATALOG_FILE).read_text("utf-8"))
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as temp, sync_playwright() as playwright:
        folder = Path(temp)
        browser = launch_chromium(playwright, camera_args(write_y4m(astronaut(), folder / "astronaut.y4m")))
        starts = [serve_to_table(browser, args.out, folder / f"serve-{i}.log") for i in range(args.runs)]
        ready = [answered for _, answered in starts]
        app = ServedApp(args.out, folder / "serve.log")
        try:
            page = browser.new_page()
            open_when_up(page, app.url)
            wait_for_table(page)
            page.close()
            pairs = [try_it_times(browser, app, args.model, args.other) for _ in range(args.runs)]
        finally:
            app.close()
        browser.close()
    print(f"the app on {args.out} ({len(document['variants'])} variants), headless Chromium, {args.runs} runs each")
    print(f"{os.cpu_count()} cores; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(line("posezoo serve -> Zoo table visible", [table for table, _ in starts], SERVE_TARGET_S))
    print(f"{'  of which: serve -> the server answers':<44} {statistics.median(ready):6.2f} s")
    print(line(f"choose {args.model} -> first keypoints (not cached)", [p[0] for p in pairs], KEYPOINTS_TARGET_S))
    print(line(f"choose {args.model} -> first keypoints (cached)", [p[1] for p in pairs], KEYPOINTS_TARGET_S))


if __name__ == "__main__":
    main()
