#!/usr/bin/env bash
# deploy/run_tests.sh: THE test command. Installs and builds everything (deploy/setup.sh), then
# runs every test (unit, integration, interop) through ctest and exits with ctest's status.
#
# Environment: BUILD_DIR (default build), CTEST_PARALLEL (default 2), CTEST_ARGS (extra ctest
# arguments, e.g. "-L unit" or "-R interop").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BUILD_DIR="${BUILD_DIR:-build}"

start=$(date +%s)
bash "$ROOT/deploy/setup.sh"
built=$(date +%s)
printf '[tests] setup and build took %d s; running ctest in %s\n' "$((built - start))" "$BUILD_DIR"

read -r -a extra_args <<<"${CTEST_ARGS:-}"
set +e
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"${CTEST_PARALLEL:-2}" \
  --timeout 600 "${extra_args[@]}" </dev/null
status=$?
set -e
printf '[tests] ctest exited %d after %d s (total %d s)\n' "$status" "$(($(date +%s) - built))" \
  "$(($(date +%s) - start))"
exit "$status"
