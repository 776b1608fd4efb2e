#!/usr/bin/env bash
# Set up and run every test: ruff, then pytest in two tiers, the fast one first (everything that
# needs no build, converter, browser or model package: under 90 s on two cores), then the slow one
# (the whole default zoo is built once, cached). `--fast` runs only the fast tier, `--slow` only
# the slow one (CI's second job); other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
tiers=(fast slow)
case "${1:-}" in
    --fast) tiers=(fast); shift ;;
    --slow) tiers=(slow); shift ;;
esac
# CI and this machine cannot reach the upstream https: model URLs (the release workflow fetches from them)
if [ -z "${POSEZOO_MIRROR:-}" ] && [ -d ../shared/models/efficientpose ]; then
    POSEZOO_MIRROR="$(cd ../shared/models/efficientpose && pwd)"
    export POSEZOO_MIRROR
fi
bash scripts/setup.sh dev
.venv/bin/ruff check .
for tier in "${tiers[@]}"; do
    # the fast tier spreads over every core; the slow one stays in one process, as its build measures
    # latencies that tests run beside it would disturb
    marker="not slow"
    workers=(-n auto)
    if [ "$tier" = slow ]; then
        marker="slow"
        workers=()
    fi
    echo "== the $tier tier: pytest -m \"$marker\" ${workers[*]}"
    status=0
    .venv/bin/python -m pytest -q -m "$marker" "${workers[@]}" "$@" || status=$?
    # 5: no test selected (a -k or a path that names none of this tier's tests)
    [ "$status" -eq 0 ] || [ "$status" -eq 5 ] || exit "$status"
done
