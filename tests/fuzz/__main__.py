"""`python -m tests.fuzz`: fuzz catalog.inspect for a number of cases or minutes, print the
summary, save failing cases; exit status 1 when anything failed. `--replay INDEX` makes and
runs one case of a seed again and lays its files out to look at."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from tests.fuzz.campaign import FuzzConfig, run
from tests.fuzz.case import write_case
from tests.fuzz.generate import make_case
from tests.fuzz.runner import Limits, Pool


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="fuzz for this long (default: 1)")
    budget.add_argument("--cases", type=int, help="fuzz this many cases")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed: a case is (seed, index) (default: 0)")
    parser.add_argument("--out", type=Path, default=Path("build/fuzz"), help="failing cases go here (build/fuzz)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers (default: one per core)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per case before it is a hang (10)")
    parser.add_argument("--memory-mib", type=int, default=1536, help="address space per worker (1536)")
    parser.add_argument("--only", help="one mutator, e.g. tfjs.cycle")
    parser.add_argument("--no-minimise", action="store_true", help="save failing cases as generated")
    parser.add_argument("--replay", type=int, metavar="INDEX", help="run case INDEX of --seed once, and save it")
    return parser.parse_args(argv)


def _replay(args: argparse.Namespace, limits: Limits) -> int:
    case = make_case(args.seed, args.replay, args.only)
    target = args.out / f"replay-{args.seed}-{args.replay}"
    with tempfile.TemporaryDirectory(prefix="posezoo-fuzz-") as work, Pool(Path(work), limits) as pool:
        outcome = pool.run_one(case)
    path = write_case(case, target)
    print(f"case {case.label}\n  file: {path}\n  {outcome.kind}: {outcome.detail}")
    if outcome.where:
        print(f"  at {outcome.where}")
    return 1 if outcome.failed else 0


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    limits = Limits(timeout_s=args.timeout, memory_mib=args.memory_mib)
    if args.replay is not None:
        return _replay(args, limits)
    minutes = args.minutes if args.minutes is not None or args.cases is not None else 1.0
    config = FuzzConfig(seed=args.seed, cases=args.cases, minutes=minutes, jobs=args.jobs, limits=limits,
                        out=args.out, minimise=not args.no_minimise, only=args.only)  # fmt: skip
    summary = run(config, progress=lambda line: print(f"... {line}", file=sys.stderr, flush=True))
    print(summary.text())
    if summary.failed:
        print(f"failing cases saved under {args.out / 'failures'}; summary in {args.out / 'summary.txt'}")
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
