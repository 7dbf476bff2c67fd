#!/usr/bin/env bash
# The checking-quality evaluation in one command (docs/QUALITY.md): installs the npm packages
# (citeproc-js) when missing, renders the evaluation's references with the official CSL styles
# (seeded; same seed, same cases), builds quality_bench and prints its tables.
#
#   bench/quality/run.sh [--seed N] [--items N] [-- quality_bench flags...]
#
# BUILD_DIR (default: build) is the CMake build directory to use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"

generate_args=()
while [[ $# -gt 0 && "$1" != "--" ]]; do generate_args+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift

if [[ ! -f "$here/node_modules/citeproc/package.json" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
fi
mkdir -p "$here/data"
node "$here/generate.mjs" --out "$here/data/eval.jsonl" "${generate_args[@]}"
ninja -C "$build" quality_bench >/dev/null
"$build/bench/quality_bench" --cases="$here/data/eval.jsonl" "$@"
