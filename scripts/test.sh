#!/usr/bin/env bash
# Set up and run every test: ruff, then pytest (the whole default zoo is built once, cached).
set -euo pipefail
cd "$(dirname "$0")/.."
# CI and this machine cannot reach the upstream https: model URLs (the release workflow fetches from them)
if [ -z "${POSEZOO_MIRROR:-}" ] && [ -d ../shared/models/efficientpose ]; then
    POSEZOO_MIRROR="$(cd ../shared/models/efficientpose && pwd)"
    export POSEZOO_MIRROR
fi
bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
