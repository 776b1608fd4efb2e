#!/usr/bin/env bash
# Build the docs site into build/site: set up, build the zoo (build/catalog.json), then the site.
# Arguments go to the build: the release workflow runs `scripts/site.sh --browser` (each ONNX
# form also timed on onnxruntime-web in headless Chromium) and publishes build/site to GitHub Pages.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${POSEZOO_EXTRAS:-convert,docs}"  # scripts/run.sh adds the app's
[[ " $* " == *" --browser "* ]] && extras+=,browser
bash scripts/setup.sh "$extras"
.venv/bin/posezoo build --out build "$@"
.venv/bin/posezoo site --out build
