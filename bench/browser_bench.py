"""Browser benchmark: ms per inference in headless Chromium, onnxruntime-web against TFJS.

    python bench/browser_bench.py [--out BUILD] [--runs 50] [--warmup 30] [--json FILE]

For every variant of a built catalog (BUILD/catalog.json, default build/) it times the ONNX
form on onnxruntime-web's wasm backend with 1 and 2 threads, and, for every variant whose
original is a TFJS graph model (`formats.tfjs`), that original on TensorFlow.js's wasm backend
with the same thread counts, in the same browser run. It prints median and p90 per inference,
the first (cold) inference apart, and the ratio ORT / TFJS against the issue's target (ORT at
most 0.8x TFJS's time on every variant).

How:
- A temporary folder holds web/bench/ (the page and its ES modules), the engines' dist files
  from node_modules (pinned in package.json) and symlinks to the model files; a local
  http.server on 127.0.0.1 serves it with COOP/COEP headers, so the page is cross-origin
  isolated and multi-threaded wasm (SharedArrayBuffer) works. The page reports
  `crossOriginIsolated`; the script refuses figures for more than one thread without it.
- Chromium (Debian's /usr/bin/chromium, driven by Playwright) runs with `--js-flags=--no-liftoff`:
  otherwise V8 starts ORT's wasm on its baseline compiler and tiers up in the background, and
  the first 30-60 runs are about twice as slow. `--liftoff` keeps V8's default to show that.
- Each engine x thread count gets its own page (a wasm module's thread count is fixed when it
  starts). TFJS caps its threads at hardwareConcurrency / 2 unless told: the page calls
  `tf.wasm.setThreadsCount(n)` before `tf.setBackend('wasm')` and reads back
  `tf.wasm.getThreadsCount()`; for ORT it sets `ort.env.wasm.numThreads` and reads it back
  after the first session (ORT writes 1 there where it cannot use threads). A ratio is only
  given at equal, verified thread counts, else "unverified".
- Inputs are deterministic pseudo-random data of the catalog's dtype and shape
  (`formats.onnx.inputs[0].shape`, dynamic dims from `reference_shapes`), the same for both
  engines; outputs are read back to JS memory on both. Each model: one cold run, --warmup runs,
  then --runs timed runs (median, p90).

ORT runs with the Try-it page's session options (web/try/session-options.json); `--ort-options
JSON` adds to or overrides them in `ort.InferenceSession.create` (to try e.g.
`{"graphOptimizationLevel": "all", "enableCpuMemArena": true}`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from catalog.errors import PosezooError
from catalog.measure.browser import (
    CHROMIUM_FLAGS,
    NODE,
    assemble_ort,
    concrete_shape,
    launch,
    open_page,
    p90,
    serve,
    session_options,
)
from catalog.measure.browser import link as _link
from catalog.measure.latency import alternate

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.8  # the target: ORT's time at most 0.8x TFJS's

TFJS_FILES = [
    NODE / "@tensorflow" / "tfjs" / "dist" / "tf.min.js",
    NODE / "@tensorflow" / "tfjs-backend-wasm" / "dist" / "tf-backend-wasm.min.js",
    NODE / "@tensorflow" / "tfjs-backend-wasm" / "dist" / "tfjs-backend-wasm.wasm",
    NODE / "@tensorflow" / "tfjs-backend-wasm" / "dist" / "tfjs-backend-wasm-simd.wasm",
    NODE / "@tensorflow" / "tfjs-backend-wasm" / "dist" / "tfjs-backend-wasm-threaded-simd.wasm",
]


def plan(build: Path, only: list[str] | None) -> list[dict]:
    """The variants to time, each with its ONNX (and TFJS original's) URL, shape and dtype."""
    catalog = json.loads((build / "catalog.json").read_text())
    jobs = []
    for v in catalog["variants"]:
        formats = v.get("formats") or {}
        if "onnx" not in formats or (only and v["id"] not in only):
            continue
        onnx = formats["onnx"]
        job = {
            "id": v["id"],
            "files": [onnx["path"]],
            "onnx": {
                "url": f"models/{onnx['path']}",
                "shape": concrete_shape(onnx),
                "dtype": onnx["inputs"][0].get("dtype", "float32"),
            },
        }
        tfjs = formats.get("tfjs")
        if tfjs:
            job["files"] += [f["path"] for f in tfjs.get("files") or []] or [tfjs["path"]]
            job["tfjs"] = {
                "url": f"models/{tfjs['path']}",
                "shape": concrete_shape(tfjs),
                "dtype": tfjs["inputs"][0].get("dtype", "float32"),
            }
        jobs.append(job)
    return jobs


def assemble(site: Path, build: Path, jobs: list[dict]) -> None:
    assemble_ort(site, {rel: build / rel for job in jobs for rel in job["files"]})
    for f in TFJS_FILES:
        _link(f, site / "tfjs" / f.name)
    for job in jobs:
        if "tfjs" in job:  # weight files named by model.json's manifest, beside it
            model_json = build / job["tfjs"]["url"].removeprefix("models/")
            manifest = json.loads(model_json.read_text()).get("weightsManifest") or []
            for group in manifest:
                for p in group.get("paths", []):
                    src = model_json.parent / p
                    dst = site / "models" / Path(job["tfjs"]["url"].removeprefix("models/")).parent / p
                    if not dst.exists():
                        _link(src, dst)


def summarize(result: dict) -> dict:
    times = sorted(result["times_ms"])
    warm = result.get("warmup_ms") or []
    return {
        "threads": result["threads"],
        "median_ms": round(statistics.median(times), 2),
        "p90_ms": round(p90(times), 2),
        "cold_ms": round(result["cold_ms"], 1),
        "warmup_first10_median_ms": round(statistics.median(warm[:10]), 2) if warm else None,
        "load_ms": round(result["load_ms"], 1),
        "runs": len(times),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="the built catalog (BUILD)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--chunk", type=int, default=5, help="timed runs per engine per turn")
    parser.add_argument("--threads", default="1,2", help="thread counts, comma separated")
    parser.add_argument("--variants", help="only these variant ids, comma separated")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--ort-options", default="{}", help="ORT session options as JSON")
    parser.add_argument("--no-tfjs", action="store_true", help="time onnxruntime-web only")
    parser.add_argument("--liftoff", action="store_true", help="keep V8's baseline wasm compiler")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per model and engine")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    build = args.out.resolve()
    threads = [int(t) for t in args.threads.split(",")]
    jobs = plan(build, args.variants.split(",") if args.variants else None)
    if not jobs:
        raise SystemExit(f"no variant with an ONNX form in {build / 'catalog.json'}")
    ort_options = {**session_options(), **json.loads(args.ort_options)}
    engines = ["ort"] + ([] if args.no_tfjs or not any("tfjs" in j for j in jobs) else ["tfjs"])
    flags = CHROMIUM_FLAGS + ([] if args.liftoff else ["--js-flags=--no-liftoff"])

    with tempfile.TemporaryDirectory(prefix="posezoo-browser-bench-") as tmp:
        site = Path(tmp)
        assemble(site, build, jobs)
        with serve(site) as base:
            with sync_playwright() as p:
                browser = launch(p, liftoff=args.liftoff)
                context = browser.new_context()
                pages, infos = {}, {}
                for engine in engines:
                    for n in threads:
                        try:
                            page = open_page(context, base, engine, n, args.timeout)
                        except PosezooError as error:
                            raise SystemExit(f"{engine} {n}t failed to start: {error.reason}") from None
                        page.on("console", lambda m, k=(engine, n): _console(k, m))
                        pages[engine, n] = page
                        infos[engine, n] = page.evaluate("window.bench.info")
                        print(f"# {engine} {n}t: {json.dumps(infos[engine, n])}", file=sys.stderr)
                report = {
                    "browser": {
                        "name": "chromium",
                        "version": browser.version,
                        "flags": flags,
                        "hardwareConcurrency": infos[engines[0], threads[0]]["hardwareConcurrency"],
                        "crossOriginIsolated": all(i["crossOriginIsolated"] for i in infos.values()),
                    },
                    "engines": {f"{e}:{n}t": infos[e, n] for e, n in infos},
                    "method": {
                        "warmup": args.warmup,
                        "runs": args.runs,
                        "chunk": args.chunk,
                        "ort_options": ort_options,
                    },
                    "variants": {},
                }
                for job in jobs:
                    report["variants"][job["id"]] = run_variant(job, engines, threads, pages, infos, args, ort_options)
                browser.close()

    met = print_table(report, threads)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"\nwrote {args.json}")
    return 0 if met is not False else 1


def run_variant(
    job: dict,
    engines: list[str],
    threads: list[int],
    pages: dict,
    infos: dict,
    args: argparse.Namespace,
    ort_options: dict,
) -> dict:
    """Loads the variant on every engine x thread count, warms each up, then times them in
    turns of --chunk runs each, so that load from elsewhere on the machine hits all alike."""
    configs, raw, entry = [], {}, {}
    started = time.perf_counter()
    for engine in engines:
        if engine == "tfjs" and "tfjs" not in job:
            continue
        spec = dict(job["onnx" if engine == "ort" else "tfjs"])
        if engine == "ort":
            spec["options"] = ort_options
        key = "onnxruntime-web" if engine == "ort" else "tfjs"
        for n in threads:
            try:
                raw[engine, n] = pages[engine, n].evaluate("spec => window.bench.load(spec)", spec)
                raw[engine, n]["warmup_ms"] = pages[engine, n].evaluate("k => window.bench.step(k)", args.warmup)
                configs.append((engine, n, key))
            except Exception as e:  # one model failing must not lose the others
                entry.setdefault(key, {})[f"{n}t"] = {"error": str(e).splitlines()[0]}
                print(f"{job['id']:28} {key:16} {n}t  ERROR {e}", file=sys.stderr)
    steps = {(engine, n): (lambda k, page=pages[engine, n]: page.evaluate("k => window.bench.step(k)", k))
             for engine, n, _ in configs}  # fmt: skip
    for config, times in alternate(steps, args.runs, 0, args.chunk).items():  # each warmed up above
        raw[config]["times_ms"] = times
    for engine, n, key in configs:
        pages[engine, n].evaluate("window.bench.unload()")
        fig = summarize(raw[engine, n])
        fig["requested_threads"] = n
        fig["threads_verified"] = fig["threads"] == n and (n == 1 or infos[engine, n]["crossOriginIsolated"])
        if engine == "tfjs":
            fig["execute_async"] = raw[engine, n]["execute_async"]
        entry.setdefault(key, {})[f"{n}t"] = fig
        print(
            f"{job['id']:28} {key:16} {n}t  median {fig['median_ms']:8.2f}  p90 {fig['p90_ms']:8.2f}  "
            f"cold {fig['cold_ms']:8.1f}  load {fig['load_ms']:8.0f}  threads {fig['threads']}",
            file=sys.stderr,
        )
    print(f"# {job['id']}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return entry


def _console(key: tuple, msg) -> None:
    if msg.type in ("error", "warning"):
        print(f"# [{key[0]} {key[1]}t console {msg.type}] {msg.text}", file=sys.stderr)


def ratio(entry: dict, n: int) -> tuple[float | None, str]:
    """ORT / TFJS median at n threads, and how to show it."""
    o = entry.get("onnxruntime-web", {}).get(f"{n}t")
    t = entry.get("tfjs", {}).get(f"{n}t")
    if not o or not t:
        return None, "-"
    if "error" in o or "error" in t:
        return None, "error"
    if not (o["threads_verified"] and t["threads_verified"] and o["threads"] == t["threads"]):
        return None, "unverified"
    r = o["median_ms"] / t["median_ms"]
    return r, f"{r:.2f}"


def print_table(report: dict, threads: list[int]) -> bool | None:
    b = report["browser"]
    print(
        f"\nChromium {b['version']}, navigator.hardwareConcurrency {b['hardwareConcurrency']}, "
        f"crossOriginIsolated {b['crossOriginIsolated']}"
    )
    for key, info in report["engines"].items():
        used = info.get("threads", "env readback per model")
        print(
            f"  {key:8} {info['engine']} {info.get('version')}: requested {info['requested_threads']} "
            f"thread(s), used {used}"
        )
    m = report["method"]
    print(
        f"median ms per inference over {m['runs']} runs after {m['warmup']} warm-up runs "
        f"(p90 and cold first run below); ORT session options {m['ort_options']}\n"
    )

    def cell(entry: dict, key: str, n: int) -> str:
        f = entry.get(key, {}).get(f"{n}t")
        if not f:
            return "-"
        if "error" in f:
            return "error"
        return f"{f['median_ms']:.1f}" + ("" if f["threads_verified"] else "?")

    cols = [f"ORT {n}t" for n in threads] + [f"TFJS {n}t" for n in threads] + [f"O/T {n}t" for n in threads]
    header = f"{'variant':28} " + " ".join(f"{c:>10}" for c in cols) + f" {'target <=0.8':>13}"
    print(header)
    print("-" * len(header))
    all_met: bool | None = None
    for vid, entry in report["variants"].items():
        cells = [cell(entry, "onnxruntime-web", n) for n in threads]
        cells += [cell(entry, "tfjs", n) for n in threads]
        rs = [ratio(entry, n) for n in threads]
        cells += [s for _, s in rs]
        if "tfjs" not in entry:
            verdict = "n/a (no TFJS)"
        elif any(r is None for r, _ in rs):
            verdict = "unverified"
            all_met = False
        else:
            ok = all(r <= TARGET for r, _ in rs)
            worst = max(r for r, _ in rs)
            verdict = "met" if ok else f"NO ({worst / TARGET:.2f}x over)"
            all_met = ok if all_met is None else all_met and ok
        print(f"{vid:28} " + " ".join(f"{c:>10}" for c in cells) + f" {verdict:>13}")
    print("\n? = thread count not verified.  'x over' = worst ratio / 0.8 (ORT needs to get that much faster).")
    print("\np90 and cold (first inference after loading) in ms:")
    for vid, entry in report["variants"].items():
        parts = []
        for key, short in (("onnxruntime-web", "ORT"), ("tfjs", "TFJS")):
            for n in threads:
                f = entry.get(key, {}).get(f"{n}t")
                if f and "error" not in f:
                    parts.append(
                        f"{short} {n}t p90 {f['p90_ms']:.1f} cold {f['cold_ms']:.0f} "
                        f"first10 {f['warmup_first10_median_ms']}"
                    )
        print(f"  {vid:28} " + " | ".join(parts))
    if all_met is None:
        print("\ntarget: no variant with a TFJS original to compare")
    else:
        print(
            f"\ntarget (ORT <= {TARGET}x TFJS on every TFJS variant, every thread count): "
            f"{'MET' if all_met else 'NOT met'}"
        )
    return all_met


if __name__ == "__main__":
    sys.exit(main())
