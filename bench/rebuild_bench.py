"""A rebuild of the whole default zoo with nothing changed: target under one second.

    python bench/rebuild_bench.py [--out build]

Builds once if needed (fetch, convert, check, measure: minutes), then times the rebuild five
times as a user runs it (`posezoo build`, a fresh process each time: interpreter start and
imports included) and prints the median, with the time of a bare Python start as the floor.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build")
    args = parser.parse_args()
    posezoo = [sys.executable, "-m", "catalog.cli", "build", "--out", args.out]
    first = subprocess.run(posezoo, cwd=ROOT, capture_output=True, text=True)
    print(first.stderr.strip().splitlines()[-1] if first.stderr.strip() else "built")
    rebuilds = [timed(posezoo) for _ in range(5)]
    floor = statistics.median(timed([sys.executable, "-c", "pass"]) for _ in range(5))
    median = statistics.median(rebuilds)
    print(
        f"rebuild with nothing changed: median {median:.3f} s over 5 (min {min(rebuilds):.3f}, "
        f"max {max(rebuilds):.3f}); bare python start {floor:.3f} s; target < 1 s: "
        f"{'met' if median < 1 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
