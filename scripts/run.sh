#!/usr/bin/env bash
# The main job: set up, build the default zoo into build/catalog.json, and print it as a table
# (the app that serves it comes with its own issue and will start here).
set -euo pipefail
cd "$(dirname "$0")/.."
# CI and this machine cannot reach the upstream https: model URLs (the release workflow fetches from them)
if [ -z "${POSEZOO_MIRROR:-}" ] && [ -d ../shared/models/efficientpose ]; then
    POSEZOO_MIRROR="$(cd ../shared/models/efficientpose && pwd)"
    export POSEZOO_MIRROR
fi
bash scripts/setup.sh convert
.venv/bin/posezoo build
.venv/bin/python -c "import catalog; print(catalog.load()[['id', 'format', 'size_mib', 'precision', 'params', 'flops', 'latency_median_ms']].to_string())"
