#!/usr/bin/env bash
# Build the docs site into build/site: set up, build the zoo (build/catalog.json), then the site.
# Arguments go to the build. The build times every form on its browser runtime in headless
# Chromium (`--no-browser` skips it). With $POSEZOO_RELEASE set (the release workflow), the site is
# committed to the gh-pages branch as that release's folder, which the workflow publishes to GitHub Pages.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${POSEZOO_EXTRAS:-build,docs}"  # scripts/run.sh adds the app's
[[ " $* " == *" --no-browser "* ]] || extras+=,browser
bash scripts/setup.sh "$extras"
status=0
.venv/bin/posezoo build --out build "$@" || status=$?
# 1: some variants failed, each said in a line above and listed in the catalog: the others publish
{ [ "$status" -le 1 ] && [ -f build/catalog.json ]; } || exit "$status"
if [ -n "${POSEZOO_RELEASE:-}" ]; then
    # a release (the release workflow): the site with its version switcher, committed to the gh-pages
    # branch in a folder of its own, beside the earlier releases' (mike)
    .venv/bin/posezoo release-docs "$POSEZOO_RELEASE" --out build
else
    .venv/bin/posezoo site --out build
fi
