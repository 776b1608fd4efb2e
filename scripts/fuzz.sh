#!/usr/bin/env bash
# The long fuzz run of `posezoo inspect`: mutated ONNX, TFLite and TFJS files for N minutes.
# Prints the summary (cases tried, counts per outcome, each distinct failure) and exits non-zero
# if anything failed; failing cases, minimised, go under DIR/failures (default build/fuzz).
#   bash scripts/fuzz.sh --minutes N [--seed S] [--out DIR] [more options of python -m tests.fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=""
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes="${2:?--minutes needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [[ -z "$minutes" ]]; then
  echo "usage: bash scripts/fuzz.sh --minutes N [--seed S] [--out DIR]" >&2
  exit 2
fi
# a fixed hash seed, so that a case behaves the same when replayed from its seed and index
export PYTHONHASHSEED="${PYTHONHASHSEED:-0}"
exec .venv/bin/python -m tests.fuzz --minutes "$minutes" ${args[@]+"${args[@]}"}
