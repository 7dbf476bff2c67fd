#!/usr/bin/env bash
# tests/fuzz/replay.sh: builds the libFuzzer targets (clang 14, ASan + UBSan; see
# docs/FUZZING.md) and runs every committed input of tests/fuzz/corpus/<target>/ through its
# target once: a regression check that takes seconds once the targets are built. Exits 0 when
# every input passes, 1 when one crashes, leaks, hits undefined behaviour or breaks a property
# (the target's output is printed then).
#
# Usage: tests/fuzz/replay.sh [TARGET...]      (default: every target)
# Environment: see tests/fuzz/fuzz_build.sh (FUZZ_BUILD_DIR, FUZZ_CXX, FUZZ_JOBS).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fuzz_build.sh"

targets=("$@")
((${#targets[@]})) || targets=("${FUZZ_TARGETS[@]}")
fuzz_build "${targets[@]}"

failed=0
for target in "${targets[@]}"; do
  corpus="$FUZZ_CORPUS/$target"
  inputs=$(find "$corpus" -type f | wc -l)
  if ((inputs == 0)); then
    fuzz_say "$target: no committed input in $corpus"
    failed=1
    continue
  fi
  log="$(mktemp)"
  start=$(date +%s%N)
  # -runs=0: execute the corpus once, generate nothing.
  if "$FUZZ_BIN/$target" -runs=0 -timeout=30 "$corpus" >"$log" 2>&1; then
    ms=$((($(date +%s%N) - start) / 1000000))
    fuzz_say "$(printf '%-26s %4d inputs ok in %d.%03d s' "$target" "$inputs" $((ms / 1000)) \
      $((ms % 1000)))"
  else
    cat "$log"
    fuzz_say "$target: FAILED (output above)"
    failed=1
  fi
  rm -f "$log"
done
exit "$failed"
