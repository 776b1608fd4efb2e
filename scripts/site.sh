#!/usr/bin/env bash
# Build the docs site into build/site: set up, build the zoo (build/catalog.json), then the site.
# Arguments go to the build. The build times every form on its browser runtime in headless
# Chromium (`--no-browser` skips it); the release workflow runs this script and publishes
# build/site to GitHub Pages.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${POSEZOO_EXTRAS:-convert,docs}"  # scripts/run.sh adds the app's
[[ " $* " == *" --no-browser "* ]] || extras+=,browser
bash scripts/setup.sh "$extras"
.venv/bin/posezoo build --out build "$@"
.venv/bin/posezoo site --out build
