#!/usr/bin/env bash
# tests/fuzz/fuzz_build.sh: configures (once) and builds the libFuzzer targets of tests/fuzz
# with clang 14, ASan and UBSan; sourced by replay.sh and run.sh, which then call
# fuzz_build TARGET...
#
# Environment:
#   FUZZ_BUILD_DIR  the build directory, relative to the repo root or absolute (build-fuzz)
#   FUZZ_CXX        the compiler (clang++-14)
#   FUZZ_JOBS       ninja's -j (2)

FUZZ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FUZZ_BUILD_DIR="${FUZZ_BUILD_DIR:-build-fuzz}"
[[ "$FUZZ_BUILD_DIR" == /* ]] || FUZZ_BUILD_DIR="$FUZZ_ROOT/$FUZZ_BUILD_DIR"
FUZZ_BIN="$FUZZ_BUILD_DIR/tests/fuzz"
FUZZ_CORPUS="$FUZZ_ROOT/tests/fuzz/corpus"

# Every target, in the order replay.sh runs them.
FUZZ_TARGETS=(
  citation_text_fuzzer citation_html_fuzzer document_fuzzer inline_extractor_fuzzer
  citation_rules_fuzzer llm_answer_fuzzer inline_answer_fuzzer llm_http_response_fuzzer
  submit_batch_fuzzer page_token_fuzzer mysql_url_fuzzer
)

# Sanitizer settings for every run: stop at the first report, with a stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

fuzz_say() { printf '[fuzz] %s\n' "$*"; }

# fuzz_build TARGET...: builds the named targets (configuring the build directory first when it
# is not configured yet). Returns non-zero, with the build output, when the build fails.
fuzz_build() {
  local cxx="${FUZZ_CXX:-clang++-14}"
  if [[ ! -f "$FUZZ_BUILD_DIR/build.ninja" ]]; then
    command -v "$cxx" >/dev/null 2>&1 || {
      fuzz_say "error: $cxx not found (deploy/setup.sh installs clang-14 and libclang-rt-14-dev)"
      return 1
    }
    local launcher=()
    command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    fuzz_say "configuring $FUZZ_BUILD_DIR ($cxx, CITECHECK_FUZZ=ON)"
    cmake -S "$FUZZ_ROOT" -B "$FUZZ_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" -DCITECHECK_FUZZ=ON \
      -DCITECHECK_BUILD_TESTS=OFF >/dev/null || return 1
  fi
  local log
  log="$(mktemp)"
  if ! ninja -C "$FUZZ_BUILD_DIR" -j "${FUZZ_JOBS:-2}" "$@" >"$log" 2>&1; then
    cat "$log"
    rm -f "$log"
    fuzz_say "error: build failed"
    return 1
  fi
  rm -f "$log"
}
