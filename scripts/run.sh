#!/usr/bin/env bash
# The main job: set up, build the default zoo (build/catalog.json) and its docs site (build/site),
# print the catalog as a table, and serve the Streamlit app on http://127.0.0.1:$PORT (8501 by
# default), with the docs site beside it on http://127.0.0.1:8000 (a free port if that one is
# busy); `posezoo serve` prints both URLs once the app answers. Ctrl-C stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI and this machine cannot reach the upstream https: model URLs (the release workflow fetches from them)
if [ -z "${POSEZOO_MIRROR:-}" ] && [ -d ../shared/models/efficientpose ]; then
    POSEZOO_MIRROR="$(cd ../shared/models/efficientpose && pwd)"
    export POSEZOO_MIRROR
fi
# torch: the default zoo's YOLO pose checkpoint is exported to ONNX with it
POSEZOO_EXTRAS=build,docs,app,torch bash scripts/site.sh
# the zoo table's first columns: AP, and the whole pipeline's MFLOPs and latency
.venv/bin/python -c "import catalog; from catalog.app.zoo_table import overview; print(overview(catalog.load_records('build')).to_string())"
exec .venv/bin/posezoo serve --out build --port "${PORT:-8501}"
