"""web/try/format.js against catalog/publish/formatting.py: node formats the same values, and the
int8 trade of every variant of the app's fixture catalog, as Python does, character for character."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from catalog.publish import formatting
from catalog.schema import VariantRecord

ROOT = Path(__file__).resolve().parent.parent
FORMAT_JS = ROOT / "web" / "try" / "format.js"
FIXTURE = ROOT / "tests" / "fixtures" / "app" / "catalog.json"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: the JavaScript twin runs in node")

# Python name -> JavaScript name, for the formatters of one number
TWINS = {
    "count": "count",
    "millions": "millions",
    "billions": "billions",
    "mib": "mib",
    "size": "size",
    "memory": "memory",
    "ms": "ms",
    "ms_brief": "msBrief",
    "ratio": "ratio",
    "percent": "percent",
    "fraction": "fraction",
    "coordinate": "coordinate",
    "score": "score",
    "points": "points",
}
# halfway doubles (0.125, 2.5, 0.0625) round to even in Python and away from zero in toFixed
NUMBERS = [0.0, -0.0, 0.125, 0.375, 2.5, 1.25, 0.0625, 2.675, 0.005, 4.4671, 2.6396, 11.915, 0.58, 1e-7, -0.001]
NUMBERS += [1234.5678, 987654.321, 2324896.0, 270550000.0, 1.5e12, 0.9999, 99.995, 1e-15]
COUNTS = [0, 7, 999, 1000, 2324896, 1234567890123]
INTERVALS = [(0.2871, 0.2236, 0.3715), (0.0, 0.0, 0.0125), (1.0, 0.9995, 1.0), (0.00625, 0.0, 0.0875)]

SCRIPT = """
import { readFileSync } from "node:fs";
const [url, job] = process.argv.slice(1);
const format = await import(url);
const { numbers, counts, twins, variants, intervals } = JSON.parse(readFileSync(job, "utf-8"));
const formatted = Object.fromEntries(
  Object.entries(twins).map(([py, js]) => [py, (py === "count" ? counts : numbers).map((v) => format[js](v))]),
);
const trades = variants.map((v) => format.trade(v));
const withIntervals = intervals.map(([value, low, high]) => format.withInterval(value, low, high));
process.stdout.write(JSON.stringify({ formatted, trades, withIntervals, lead: format.TRADE_LEAD }));
"""


def run_js(tmp_path: Path, job: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job), "utf-8")
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", SCRIPT, FORMAT_JS.as_uri(), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def trade_cases() -> list[dict[str, Any]]:
    """Every fixture variant, and the movenet one with each optional figure of its trade taken out."""
    variants = json.loads(FIXTURE.read_text("utf-8"))["variants"]
    traded = next(v for v in variants if formatting.trade(VariantRecord.model_validate(v)) is not None)
    cases = list(variants)
    for missing in ("cpu_latency_ratio", "mean_drift", "browser_latency_ratio"):
        case = copy.deepcopy(traded)
        case["int8"][missing] = None
        cases.append(case)
    timed = copy.deepcopy(traded)
    timed["int8"].update(browser_latency_ratio=1.625, browser_threads=4, size_ratio=0.125)
    cases.append(timed)
    return cases


def test_the_javascript_formatter_writes_every_number_as_python_does(tmp_path):
    cases = trade_cases()
    job = {"numbers": NUMBERS, "counts": COUNTS, "twins": TWINS, "variants": cases, "intervals": INTERVALS}
    answer = run_js(tmp_path, job)
    for name in TWINS:
        values = COUNTS if name == "count" else NUMBERS
        assert answer["formatted"][name] == [getattr(formatting, name)(v) for v in values], name
    assert answer["withIntervals"] == [formatting.with_interval(*triple) for triple in INTERVALS]
    assert answer["lead"] == formatting.TRADE_LEAD
    assert answer["trades"] == [formatting.trade(VariantRecord.model_validate(v)) for v in cases]
    assert sum(t is not None for t in answer["trades"]) >= 5, "the fixture has int8 forms to compare"
