"""The browser JavaScript (web/**/*.js, the Zoo page's table script) type-checks: tsc, pinned in
package.json, reads the JSDoc types with tsconfig.json's checkJs and strict, and finds no error."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TSC = ROOT / "node_modules" / ".bin" / "tsc"
CONFIG = ROOT / "tsconfig.json"


def test_the_javascript_type_checks() -> None:
    assert TSC.is_file(), "node_modules/.bin/tsc is missing: run `npm ci --ignore-scripts` (scripts/setup.sh runs it)"

    result = subprocess.run(
        [str(TSC), "-p", str(CONFIG), "--pretty", "false"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, f"tsc found type errors:\n{result.stdout}{result.stderr}"
