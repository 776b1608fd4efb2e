#!/usr/bin/env bash
# Set up and run every test: ruff, then pytest (the whole default zoo is built once, cached).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
