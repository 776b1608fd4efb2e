#!/usr/bin/env bash
# Build the docs site into build/site: set up, build the zoo (build/catalog.json), then the site.
# The release workflow runs this and publishes build/site to GitHub Pages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh convert,docs
.venv/bin/posezoo build --out build
.venv/bin/posezoo site --out build
