"""int8 against float, per variant of a built catalog: size, CPU latency, browser latency, drift.

    python bench/int8_bench.py [--out BUILD] [--runs 30] [--warmup 10] [--threads 1,2] [--no-browser] [--json FILE]

For every variant of BUILD/catalog.json (default build/) with an ONNX form, it prints the float
ONNX form (`formats.onnx`) against its int8 form (`formats.onnx_int8`): file sizes from the
catalog; ms per inference on onnxruntime (CPU) and on onnxruntime-web (wasm, headless
Chromium, the Try-it page's session options), measured here; and the keypoint drift the build
recorded (mean and max over the keypoints the test photos show, as a fraction of the image).
A variant without an int8 form gets its row with the catalog's reason.

Both forms are timed in alternating turns of --chunk runs after --warmup runs each, so load
from elsewhere on the machine (a shared runner) hits both alike; the build's own figures
(`formats.*.latency`) are each measured alone, minutes apart, and on a busy machine their ratio
says less. CPU: one onnxruntime session per form in this process, at each --threads count, its idle
threads not spinning (the form waiting its turn takes no core).
Browser: the build's browser measurement (catalog.measure.browser.measure_forms) on the two
forms, at 1 thread and at every core whatever --threads says; skipped, with the reason, where
Chromium, Playwright or a runtime is missing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from catalog.formats import INT8_FORMAT
from catalog.measure import browser as web
from catalog.measure.latency import alternate, onnxruntime_runner, timed

ROOT = Path(__file__).resolve().parent.parent
FORMS = ("onnx", INT8_FORMAT)


def plan(build: Path, only: list[str] | None) -> list[dict[str, Any]]:
    """Every variant with an ONNX form, in catalog order: its float and int8 reports and int8 record."""
    document = json.loads((build / "catalog.json").read_text("utf-8"))
    jobs = []
    for variant in document["variants"]:
        formats = variant.get("formats") or {}
        if variant.get("status") != "ok" or "onnx" not in formats or (only and variant["id"] not in only):
            continue
        jobs.append({"id": variant["id"], "formats": formats, "int8": variant.get("int8") or {}, "status": "ok"})
    return jobs


def cpu_runner(path: Path, report: dict, threads: int):
    # the form waiting its turn takes no core
    _, run = onnxruntime_runner(
        path, {report["inputs"][0]["name"]: web.concrete_shape(report)}, threads, spinning=False
    )
    return timed(run)


def time_cpu(build: Path, job: dict, threads: list[int], args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """{"<n>t": {form: median ms}} on onnxruntime, both forms in turns."""
    figures = {}
    for n in threads:
        runners = {f: cpu_runner(build / job["formats"][f]["path"], job["formats"][f], n) for f in present(job)}
        times = alternate(runners, args.runs, args.warmup, args.chunk)
        figures[f"{n}t"] = {form: round(statistics.median(t), 2) for form, t in times.items()}
    return figures


def present(job: dict) -> list[str]:
    return [form for form in FORMS if form in job["formats"]]


def time_browser(build: Path, jobs: list[dict], args: argparse.Namespace) -> dict[str, Any]:
    """{variant: {"<n>t": {form: median ms}}} on onnxruntime-web at 1 thread and every core, both
    forms in turns (catalog.measure.browser.measure_forms, as the build's browser pass)."""
    groups = {job["id"]: [f for f in web.forms_of(job) if f.name in FORMS] for job in jobs}
    found: dict[str, Any] = {}
    for variant, results in web.measure_forms(build, groups, args.runs, args.warmup).items():
        entry = found.setdefault(variant, {})
        for form, rows in results.items():
            if isinstance(rows, str):
                print(f"# {variant} {form}: {rows}", file=sys.stderr)
                continue
            for row in rows:
                entry.setdefault(f"{row['threads']}t", {})[form] = round(row["median_ms"], 2)
                found["browser"] = row["browser"]
        print(f"# {variant}: browser {entry}", file=sys.stderr)
    return found


def ratio(pair: dict[str, float] | None) -> str:
    if not pair or INT8_FORMAT not in pair:
        return "–"
    return f"{pair[INT8_FORMAT] / pair['onnx']:.2f}×"


def ms_pair(pair: dict[str, float] | None) -> str:
    if not pair:
        return "–"
    return " / ".join(f"{pair[f]:.1f}" for f in FORMS if f in pair)


def print_table(jobs: list[dict], cpu: dict, browser: dict, threads: list[int]) -> None:
    # the first thread count is tabled: at 1 thread the figures suffer least from other load on a
    # shared machine (at every core a run waits for the slowest core)
    n = threads[0]
    header = ["variant", "MiB float / int8", "size", f"CPU ms {n}t", "CPU", f"web ms {n}t", "web", "drift mean / max"]
    rows = []
    for job in jobs:
        float_form, int8 = job["formats"]["onnx"], job["int8"]
        int8_form = job["formats"].get(INT8_FORMAT)
        size = f"{float_form['size_mib']:.2f} / " + (f"{int8_form['size_mib']:.2f}" if int8_form else "–")
        cpu_pair = cpu.get(job["id"], {}).get(f"{n}t")
        web_pair = browser.get(job["id"], {}).get(f"{n}t")
        drifted = f"{int8['mean_drift']:.4f} / {int8['max_drift']:.4f}" if int8.get("mean_drift") is not None else "–"
        size_ratio = f"{int8_form['size_bytes'] / float_form['size_bytes']:.2f}×" if int8_form else "–"
        rows.append([job["id"], size, size_ratio, ms_pair(cpu_pair), ratio(cpu_pair), ms_pair(web_pair),
                     ratio(web_pair), drifted])  # fmt: skip
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    absent = [
        (job["id"], job["int8"].get("reason") or "this build made none")
        for job in jobs
        if not job["int8"].get("format")
    ]
    if absent:
        print("\nNo int8 form:")
        for variant_id, reason in absent:
            print(f"- {variant_id}: {reason}")
    for m in threads[1:]:
        print(f"\nat {m} thread(s), float / int8 ms (int8 ×):")
        for job in jobs:
            cpu_pair, web_pair = cpu.get(job["id"], {}).get(f"{m}t"), browser.get(job["id"], {}).get(f"{m}t")
            print(f"  {job['id']:28} CPU {ms_pair(cpu_pair):>15} ({ratio(cpu_pair)})  web {ms_pair(web_pair):>15} "
                  f"({ratio(web_pair)})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="the built catalog (BUILD)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--chunk", type=int, default=5, help="timed runs per form per turn")
    parser.add_argument("--threads", default="1,2", help="thread counts, comma separated; the first is tabled")
    parser.add_argument("--variants", help="only these variant ids, comma separated")
    parser.add_argument("--no-browser", action="store_true", help="time onnxruntime (CPU) only")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a browser page may take per call")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()

    build = args.out.resolve()
    threads = [int(t) for t in args.threads.split(",")]
    jobs = plan(build, args.variants.split(",") if args.variants else None)
    if not jobs:
        raise SystemExit(f"no variant with an ONNX form in {build / 'catalog.json'}")
    cpu = {}
    for job in jobs:
        cpu[job["id"]] = time_cpu(build, job, threads, args)
        print(f"# {job['id']}: cpu {cpu[job['id']]}", file=sys.stderr)
    browser: dict[str, Any] = {}
    why_not = "--no-browser" if args.no_browser else web.missing()
    if why_not is None:
        browser = time_browser(build, jobs, args)
    print(f"float / int8 ({INT8_FORMAT}) of {build / 'catalog.json'}; ms are medians of {args.runs} runs after "
          f"{args.warmup} warm-up runs, the two forms in turns of {args.chunk}")  # fmt: skip
    print(f"CPU: onnxruntime; web: onnxruntime-web wasm in {browser.get('browser', 'no browser')}" +
          (f" (not measured: {why_not})" if why_not else ""))  # fmt: skip
    print_table(jobs, cpu, browser, threads)
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu, "browser": browser}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
