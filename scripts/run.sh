#!/usr/bin/env bash
# The main job: set up, build the default zoo (build/catalog.json) and its docs site (build/site),
# print the catalog as a table, and serve the site on http://127.0.0.1:$PORT (8000 by default).
# The Streamlit app comes with its own issue and will be served from here.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI and this machine cannot reach the upstream https: model URLs (the release workflow fetches from them)
if [ -z "${POSEZOO_MIRROR:-}" ] && [ -d ../shared/models/efficientpose ]; then
    POSEZOO_MIRROR="$(cd ../shared/models/efficientpose && pwd)"
    export POSEZOO_MIRROR
fi
bash scripts/site.sh
.venv/bin/python -c "import catalog; print(catalog.load()[['id', 'format', 'size_mib', 'precision', 'params', 'flops', 'latency_median_ms']].to_string())"
port="${PORT:-8000}"
echo "posezoo: the zoo's site is at http://127.0.0.1:${port}/ (Ctrl-C stops the server)"
exec .venv/bin/python -m http.server --bind 127.0.0.1 --directory build/site "$port"
