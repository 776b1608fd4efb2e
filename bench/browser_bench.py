"""Browser benchmark: ms per inference in headless Chromium, every runtime side by side.

    python bench/browser_bench.py [--out BUILD] [--runs 50] [--warmup 30] [--variants a,b] [--json FILE]

For every built variant of BUILD/catalog.json (default build/) it times every form on the
browser runtime that runs it, at 1 thread and at every core, with the build's own measurement
(catalog.measure.browser.measure_forms: one page per runtime and thread count, a variant's forms
in alternating turns, cross-origin isolated so wasm threads work, ORT with the Try-it page's
session options): the ONNX form on onnxruntime-web, the TFLite form on LiteRT.js (XNNPACK wasm),
a TFJS original on TensorFlow.js (wasm). It prints the medians side by side, each runtime's ratio
to TFJS and to onnxruntime-web, the fastest (the Try-it page's default), and the issue's targets:

- the fastest runtime at most 0.8x TFJS's time on MoveNet Lightning, MultiPose, the BlazePose
  detector and EfficientPose II Lite (TFJS), at every thread count;
- LiteRT.js at most 0.75x onnxruntime-web's time on the BlazePose landmark models.

`--liftoff` keeps V8's baseline wasm compiler (the measurement turns it off: otherwise the first
30-60 runs run on unoptimised code).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from catalog.measure.browser import FORM_RUNTIMES, forms_of, measure_forms

ROOT = Path(__file__).resolve().parent.parent
SHORT = {"onnx": "ORT", "tflite": "LiteRT", "tfjs": "TFJS", "onnx_int8": "ORT int8"}
FLOAT_FORMS = ("onnx", "tflite", "tfjs")
# (variants, the peer, the most the fastest may take of the peer's time)
TARGETS = (
    (("movenet-lightning", "movenet-multipose", "blazepose-detector", "efficientpose-ii-lite-tfjs"), "tfjs", 0.8),
    (("blazepose-lite", "blazepose-full", "blazepose-heavy"), "onnx", 0.75),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="the built catalog (BUILD)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--variants", help="only these variant ids, comma separated")
    parser.add_argument("--int8", action="store_true", help="time the int8 forms too")
    parser.add_argument("--liftoff", action="store_true", help="keep V8's baseline wasm compiler")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()

    build = args.out.resolve()
    only = set(args.variants.split(",")) if args.variants else None
    document = json.loads((build / "catalog.json").read_text("utf-8"))
    kept = FLOAT_FORMS + (("onnx_int8",) if args.int8 else ())
    groups = {
        v["id"]: [f for f in forms_of(v) if f.name in kept]
        for v in document["variants"]
        if v.get("status") == "ok" and (only is None or v["id"] in only)
    }
    if not groups:
        raise SystemExit(f"no built variant in {build / 'catalog.json'}")
    results = measure_forms(
        build, groups, args.runs, args.warmup, lambda v, step: print(f"# {v}: {step}", file=sys.stderr), args.liftoff
    )
    medians = {
        variant: {
            (form, row["threads"]): row["median_ms"]
            for form, rows in found.items()
            if isinstance(rows, list)
            for row in rows
        }
        for variant, found in results.items()
    }
    met = print_table(results, medians, kept, args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        print(f"\nwrote {args.json}")
    return 0 if met else 1


def print_table(results: dict, medians: dict, forms: tuple[str, ...], args: argparse.Namespace) -> bool:
    threads = sorted({n for found in medians.values() for _, n in found})
    rows = [row for found in results.values() for got in found.values() if isinstance(got, list) for row in got]
    browser = rows[0]["browser"] if rows else "?"
    versions = {row["runtime"]: row["runtime_version"] for row in rows}
    print(f"\n{browser}; " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    print(f"median ms per inference over {args.runs} runs after {args.warmup} warm-up runs, forms in alternating turns")
    print("runtime per form: " + ", ".join(f"{SHORT[f]} = {FORM_RUNTIMES[f]} ({f})" for f in forms) + "\n")
    all_met = True
    for n in threads:
        cols = [SHORT[f] for f in forms] + ["LiteRT/TFJS", "LiteRT/ORT", "ORT/TFJS", "fastest", "target"]
        print(f"## {n} thread(s)")
        print(f"{'variant':28} " + " ".join(f"{c:>11}" for c in cols))
        for variant, found in medians.items():
            ms = {f: found.get((f, n)) for f in forms}
            cells = [f"{ms[f]:.1f}" if ms[f] else ("error" if isinstance(results[variant].get(f), str) else "-")
                     for f in forms]  # fmt: skip
            cells += [_ratio(ms.get("tflite"), ms.get("tfjs")), _ratio(ms.get("tflite"), ms.get("onnx")),
                      _ratio(ms.get("onnx"), ms.get("tfjs"))]  # fmt: skip
            timed = {f: ms[f] for f in FLOAT_FORMS if ms.get(f)}
            best = min(timed, key=lambda f: timed[f]) if timed else None
            cells.append(SHORT[best] if best else "-")
            verdict = "-"
            for variants, peer, limit in TARGETS:
                if variant in variants and best and ms.get(peer):
                    value = timed[best] / ms[peer]
                    ok = value <= limit
                    all_met &= ok
                    verdict = f"{'met' if ok else 'NO'} {value:.2f}<={limit}"
            cells.append(verdict)
            print(f"{variant:28} " + " ".join(f"{c:>11}" for c in cells))
        print()
    failed = [(v, f, r) for v, found in results.items() for f, r in found.items() if isinstance(r, str)]
    for variant, form, reason in failed:
        print(f"{variant} {form}: {reason}")
    print(f"targets: {'all MET' if all_met else 'NOT all met'}")
    return all_met


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "-"


if __name__ == "__main__":
    sys.exit(main())
