"""The Try-it page's cold start, per model and runtime, with the model's files already cached:

    python bench/cold_start_bench.py [--out BUILD] [--only ID ...] [--runtime R ...] [--repeat 3] [--frames 20]
                                     [--dwell S] [--json FILE]

For every runnable variant of a built catalog (BUILD/catalog.json, default build/) and every
browser runtime that has a form of it (onnxruntime-web: ONNX, litert.js: TFLite, tfjs: TFJS;
a model behind a detector runs both stages on that runtime where the detector has its form), it
opens the Try-it page in a fresh browser profile once to put the files in Cache Storage, then in
a fresh page of that profile picks the model and the runtime and runs it on the sample photo.
It prints the time from the choice to the first keypoints and its parts, as the page measures
them (performance.now, no driver round trip in the figure): the runtime's start (its module, its
wasm compiled, its threads; alongside the files' read), the files' read from the cache, the
sessions' creation and the first inference; then the median inference of the first --frames
frames on the same photo (V8 is still tiering the runtime's wasm up then, as in a visitor's first
seconds: the build's figures, after warm-up runs, are the steady ones). Each figure is the median
of --repeat fresh pages. The target: first keypoints within 1.5 s of choosing a cached model.

How: the page's files (`catalog.publish.site.try_page_files`: web/try/, web/pose/, the runtimes'
files from node_modules, the sample photo, the catalog and its models) are linked into a
temporary folder served on 127.0.0.1 with COOP/COEP (`posezoo preview`'s server), so the page is
cross-origin isolated and uses every core; Chromium is Debian's /usr/bin/chromium with
catalog.measure.browser.HEADLESS_FLAGS, V8's defaults kept (a visitor's browser tiers its wasm up
as it runs), each model and runtime in a fresh profile on disk, as a returning visitor's (an
incognito context keeps no compiled code).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from catalog.measure.browser import CHROMIUM, HEADLESS_FLAGS  # noqa: E402
from catalog.paths import CATALOG_FILE, DEFAULT_OUT  # noqa: E402

TARGET_MS = 1500
RUNTIMES = {"onnxruntime-web": "onnx", "litert.js": "tflite", "tfjs": "tfjs"}  # the form each runs
SHORT = {"onnxruntime-web": "ORT", "litert.js": "LiteRT", "tfjs": "TFJS"}
WAIT_MS = 120_000
PARTS = (
    "keypoints_ms",
    "runtime_ms",
    "download_ms",
    "session_ms",
    "ready_ms",
    "first_inference_ms",
    "frame_ms",
    "median_ms",
)
HEADERS = ("first kp", "runtime", "read", "session", "ready", "1st inf", "1st frame", "median")

# in the page: choose the model and the runtime, run the sample photo, time it to the first poses
CHOOSE = """async ([id, runtime, dwell]) => {
  const s = window.posezooTry;
  const picker = document.getElementById("model");
  picker.value = id;
  picker.dispatchEvent(new Event("change"));
  document.getElementById("runtime").value = runtime;
  document.getElementById("runtime").dispatchEvent(new Event("change"));
  await new Promise((resolve) => setTimeout(resolve, dwell));
  const start = performance.now();
  document.getElementById("prompt-sample").click();
  await new Promise((resolve) => {
    const done = () => s.status === "error" || (s.model === id && s.frames > 0);
    const check = () => (done() ? resolve() : setTimeout(check, 1));
    check();
  });
  return { ms: performance.now() - start, state: JSON.parse(JSON.stringify(s)) };
}"""
# in the page: the sample photo again, `count` times, one frame each
AGAIN = """async (count) => {
  const s = window.posezooTry;
  for (let i = 0; i < count && s.status !== "error"; i++) {
    const frames = s.frames;
    document.getElementById("sample").click();
    await new Promise((resolve) => {
      const check = () => (s.frames > frames || s.status === "error" ? resolve() : setTimeout(check, 1));
      check();
    });
  }
  return JSON.parse(JSON.stringify(s));
}"""


def version() -> str:
    import subprocess

    found = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=False).stdout.split()
    return next((word for word in found if word[:1].isdigit()), "?")


def stage(build: Path, into: Path) -> None:
    """The Try-it page's files for the catalog in `build`, linked into `into`."""
    from catalog.publish.site import try_page_files
    from catalog.schema import read_catalog

    for relative, source in try_page_files(build, read_catalog(build / CATALOG_FILE)).items():
        (into / relative).parent.mkdir(parents=True, exist_ok=True)
        (into / relative).symlink_to(source.resolve())


def jobs(document: dict, only: list[str] | None, runtimes: list[str] | None) -> list[tuple[str, str]]:
    """(variant id, runtime) for every runnable variant and every runtime with a form of it."""
    found = []
    for variant in document["variants"]:
        formats = variant.get("formats") or {}
        if variant.get("status") != "ok" or variant.get("role") != "model" or "onnx" not in formats:
            continue
        if only and variant["id"] not in only:
            continue
        for runtime, form in RUNTIMES.items():
            if form in formats and (not runtimes or runtime in runtimes):
                found.append((variant["id"], runtime))
    return found


def one_visit(playwright, base: str, variant_id: str, runtime: str, frames: int, dwell_ms: int) -> dict:
    """A fresh browser profile on disk, as a returning visitor has one (an incognito context keeps no
    compiled wasm): a first visit caches the files, a fresh page then times the choice."""
    profile = tempfile.TemporaryDirectory()
    context = playwright.chromium.launch_persistent_context(
        profile.name,
        executable_path=CHROMIUM,
        headless=True,
        args=HEADLESS_FLAGS,
        viewport={"width": 1400, "height": 1000},
    )
    try:
        first = context.new_page()
        first.set_default_timeout(WAIT_MS)
        first.goto(f"{base}try/?model={variant_id}&runtime={runtime}")
        first.wait_for_function(f"window.posezooTry.status === 'error' || window.posezooTry.model === '{variant_id}'")
        error = first.evaluate("window.posezooTry.error")
        first.close()
        if error:
            return {"error": error}
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{base}try/")
        page.wait_for_function("window.posezooTry.status === 'ready'")
        timed = page.evaluate(CHOOSE, [variant_id, runtime, dwell_ms])
        state = timed["state"]
        if state["status"] == "error":
            return {"error": state["error"]}
        # the page's median of its last 30 inferences: here of the first `frames`
        median = page.evaluate(AGAIN, frames - 1)["inference_ms"] if frames > 1 else None
        page.close()
        cold = state["cold"]
        return {
            "keypoints_ms": cold["keypoints_ms"],
            "runtime_ms": cold["runtime_ms"],
            "download_ms": cold["download_ms"],
            "session_ms": cold["session_ms"],
            "ready_ms": cold["ready_ms"],
            "first_inference_ms": cold["first_inference_ms"],
            "frame_ms": cold["frame_ms"],
            "median_ms": median,
            "cached": cold["cached"],
            "driver_ms": timed["ms"],
            "threads": state["threads"],
            "stages": [f"{s['id']}:{SHORT[s['runtime']]}" for s in state["stages"]],
        }
    finally:
        context.close()
        profile.cleanup()


def median_of(visits: list[dict]) -> dict:
    good = [v for v in visits if "error" not in v]
    if not good:
        return {"error": visits[0]["error"]}
    row = {k: statistics.median(v[k] for v in good if v[k] is not None) for k in PARTS if good[0][k] is not None}
    row["cached"] = all(v["cached"] for v in good)
    row["threads"] = good[0]["threads"]
    row["stages"] = good[0]["stages"]
    row["runs"] = [round(v["keypoints_ms"]) for v in good]
    return row


def print_table(rows: dict[tuple[str, str], dict], repeat: int, frames: int, dwell: float) -> None:
    print(f"\nTry-it cold start, model files cached; median of {repeat} fresh pages, ms")
    if dwell:
        print(f"first kp: pressing the sample button {dwell:g} s after choosing the model -> its first keypoints")
    else:
        print("first kp: choosing the model (and pressing the sample button) -> its first keypoints (target 1500 ms)")
    print("runtime: the runtime's start, alongside the files' read (0: running already); read: the files from")
    print("Cache Storage; session: the sessions' creation; ready: the choice -> the sessions made; 1st inf: the")
    print("first inference (both stages); 1st frame: the first frame's whole time (its inference, preprocessing,")
    print(f"decoding, drawing); median: the median inference of the first {frames} frames\n")
    print(f"{'variant':28} {'runtime':8} " + " ".join(f"{h:>9}" for h in HEADERS) + "  stages")
    for (variant_id, runtime), row in rows.items():
        if "error" in row:
            print(f"{variant_id:28} {SHORT[runtime]:8} error: {row['error']}")
            continue
        cells = [f"{row[k]:.0f}" if k in row else "-" for k in PARTS]
        flag = "" if row["cached"] else "  (NOT cached)"
        over = "  OVER" if row["keypoints_ms"] > TARGET_MS else ""
        print(
            f"{variant_id:28} {SHORT[runtime]:8} "
            + " ".join(f"{c:>9}" for c in cells)
            + f"  {', '.join(row['stages'])}{over}{flag}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the build folder (default build/)")
    parser.add_argument("--only", nargs="*", help="variant ids (default: every runnable one)")
    parser.add_argument("--runtime", nargs="*", choices=sorted(RUNTIMES), help="runtimes (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh pages per model and runtime")
    parser.add_argument(
        "--frames", type=int, default=20, help="the median inference of the first N frames (at most 30)"
    )
    parser.add_argument(
        "--dwell",
        type=float,
        default=0,
        help="seconds between choosing in the picker and pressing the sample button (the page starts the"
        " chosen model's runtime after 0.25 s): the figures then count from the press",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not (args.out / CATALOG_FILE).is_file():
        sys.exit(f"no catalog in {args.out}: run posezoo build first")
    from playwright.sync_api import sync_playwright

    from catalog.publish.preview import make_server

    document = json.loads((args.out / CATALOG_FILE).read_text("utf-8"))
    todo = jobs(document, args.only, args.runtime)
    rows: dict[tuple[str, str], dict] = {}
    with tempfile.TemporaryDirectory() as temp, sync_playwright() as playwright:
        site = Path(temp)
        stage(args.out, site)
        server = make_server(site, 0, quiet=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            for variant_id, runtime in todo:
                visits = [
                    one_visit(playwright, base, variant_id, runtime, args.frames, round(args.dwell * 1000))
                    for _ in range(args.repeat)
                ]
                rows[(variant_id, runtime)] = median_of(visits)
                print(f"{variant_id} {runtime}: {rows[(variant_id, runtime)]}", file=sys.stderr)
        finally:
            server.shutdown()
            server.server_close()
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} after; Chromium {version()}; {args.out / CATALOG_FILE}")
    print_table(rows, args.repeat, args.frames, args.dwell)
    if args.json:
        args.json.write_text(json.dumps({f"{v} {r}": row for (v, r), row in rows.items()}, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
