#!/usr/bin/env bash
# deploy/run_tests.sh: THE test command (CI runs it through .ci/run). Runs these stages in order,
# each timed, every one even when an earlier one failed (setup aside), and exits non-zero when
# any failed:
#   format  clang-format 14 over every C++ file (third_party/ aside)
#   build   deploy/setup.sh (dependencies, the normal build in $BUILD_DIR), then every test
#           (unit, integration, mysql, interop) through ctest
#   fuzz    the fuzz corpora replayed (tests/fuzz/replay.sh) in a clang ASan + UBSan build of the
#           fuzz targets alone ($FUZZ_BUILD_DIR, default build-fuzz); not in the default stages,
#           and skipped when asan runs (which replays them with its own build)
#   asan    clang build with AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer on) and
#           -Wthread-safety -Werror: compiles every target, runs the unit, integration and mysql
#           tests (the integration tests start this build's own server binary), then replays
#           the fuzz corpora (tests/fuzz/replay.sh) with the same build (CITECHECK_FUZZ=ON)
#   tsan    clang build with ThreadSanitizer: builds the unit tests and the in-process
#           concurrency tests (the MySQL stores' tests), runs them
# A sanitizer finding in any process (a test binary, the server it started, the fake LLM) is a
# report file under <build dir>/sanitizer-reports: the stage prints every one and fails.
# Suppressions (third-party code only) are in tests/sanitizers/.
# A test that fails is run once more, alone; the stage fails when it fails again. The summary at
# the end names every test that failed, as "failed" or as "flaky" (passed alone): a flaky test
# is a bug to fix, which the summary keeps in sight.
#
# Environment:
#   STAGES          the stages to run (default "format build asan tsan": what CI runs; e.g.
#                   STAGES="format build fuzz" skips the sanitizer builds and replays the fuzz
#                   corpora in a build of their own; docs/SANITIZERS.md)
#   BUILD_DIR       normal build (default build); ASAN_BUILD_DIR (build-asan), TSAN_BUILD_DIR
#                   (build-tsan) the sanitizer builds
#   CTEST_PARALLEL  default 2
#   CTEST_ARGS      extra ctest arguments for the build stage's run, e.g. "-L unit" or "-R interop"
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BUILD_DIR="${BUILD_DIR:-build}"
ASAN_BUILD_DIR="${ASAN_BUILD_DIR:-build-asan}"
TSAN_BUILD_DIR="${TSAN_BUILD_DIR:-build-tsan}"
[[ "$ASAN_BUILD_DIR" == /* ]] || ASAN_BUILD_DIR="$ROOT/$ASAN_BUILD_DIR"
[[ "$TSAN_BUILD_DIR" == /* ]] || TSAN_BUILD_DIR="$ROOT/$TSAN_BUILD_DIR"
STAGES="${STAGES:-format build asan tsan}"
CTEST_PARALLEL="${CTEST_PARALLEL:-2}"
SANITIZERS_DIR="$ROOT/tests/sanitizers"

say() { printf '[tests] %s\n' "$*"; }
now() { date +%s; }
START=$(now)
declare -a SUMMARY=()
FAILED=0
# Each stage's failed tests, one file per stage, so that the summary (the end of CI's log) names
# them even when ctest's own output scrolled away.
FAILED_TESTS_DIR="$(mktemp -d)"
trap 'rm -rf "$FAILED_TESTS_DIR"' EXIT

# run_stage NAME FUNCTION: runs FUNCTION, records its status and wall time.
run_stage() {
  local name="$1" fn="$2" began status
  [[ " $STAGES " == *" $name "* ]] || return 0
  began=$(now)
  say "---- stage $name ----"
  set +e
  STAGE_NAME="$name"
  ("$fn")
  status=$?
  set -e
  SUMMARY+=("$(printf '%-7s %s in %d s' "$name" "$([[ $status == 0 ]] && echo passed || echo "FAILED ($status)")" "$(($(now) - began))")")
  say "stage $name: ${SUMMARY[-1]#* }"
  local failed_test
  if [[ -f "$FAILED_TESTS_DIR/$name" ]]; then
    while IFS= read -r failed_test; do
      SUMMARY+=("        $failed_test")
    done <"$FAILED_TESTS_DIR/$name"
  fi
  ((status == 0)) || FAILED=1
}

# ---- format ---------------------------------------------------------------------------------
# Every C++ file of the tree (third_party/ aside) must be as clang-format 14 writes it under
# .clang-format: the stage prints what it would change in each file that is not, and fails.
stage_format() {
  local status=0 file unformatted=0
  while IFS= read -r -d '' file; do
    if ! clang-format-14 --dry-run -Werror "$file" >/dev/null 2>&1; then
      diff -u "$file" <(clang-format-14 "$file") --label "$file" --label "$file (formatted)" || true
      unformatted=$((unformatted + 1))
      status=1
    fi
  done < <(git ls-files -z -- '*.cc' '*.h' ':!third_party')
  if ((status == 0)); then
    say "format: every C++ file is formatted"
  else
    say "format: $unformatted file(s) differ from clang-format-14 (above): clang-format-14 -i them"
  fi
  return "$status"
}

# run_ctest DIR [CTEST ARGS...]: ctest over DIR. The tests that fail are run once more, alone
# (ctest --rerun-failed, -j1): the run fails only when one fails again. Either way each of them
# goes to the stage's list for the summary, "failed: NAME" or "flaky: NAME", so that a flaky test
# is seen at the end of the log and fixed, not retried for good.
run_ctest() {
  local dir="$1" status=0 failed_log
  shift
  failed_log="$dir/Testing/Temporary/LastTestsFailed.log"
  rm -f "$failed_log"
  ctest --test-dir "$dir" --output-on-failure -j"$CTEST_PARALLEL" "$@" </dev/null || status=$?
  ((status != 0)) || return 0
  if [[ ! -f "$failed_log" ]]; then
    say "ctest in $dir failed ($status) without a list of failed tests"
    return "$status"
  fi
  local first_failures=()
  mapfile -t first_failures < <(cut -d: -f2- "$failed_log")  # lines read "NUMBER:NAME"
  say "${#first_failures[@]} test(s) failed in $dir; running them once more, alone"
  status=0
  ctest --test-dir "$dir" --output-on-failure --rerun-failed "$@" </dev/null || status=$?
  local name
  for name in "${first_failures[@]}"; do
    if ((status != 0)) && grep -qxF -- "$name" <(cut -d: -f2- "$failed_log" 2>/dev/null); then
      echo "failed: $name" >>"$FAILED_TESTS_DIR/$STAGE_NAME"
    else
      echo "flaky: $name (failed, then passed alone)" >>"$FAILED_TESTS_DIR/$STAGE_NAME"
    fi
  done
  return "$status"
}

# ---- build: the normal build and every test -------------------------------------------------
stage_build() {
  local began
  began=$(now)
  bash "$ROOT/deploy/setup.sh"
  say "setup and build took $(($(now) - began)) s; running ctest in $BUILD_DIR"
  local extra_args=()
  read -r -a extra_args <<<"${CTEST_ARGS:-}"
  run_ctest "$BUILD_DIR" --timeout 600 "${extra_args[@]}"
}

# ---- sanitizer builds -----------------------------------------------------------------------
# configure_clang DIR SANITIZE [CMAKE ARGS...]: a clang build of the tree, -O1 with line tables
# (enough for the reports' stacks; -O1 also keeps the instrumented tests fast), through ccache
# when there is one.
configure_clang() {
  local dir="$1" sanitize="$2"
  shift 2
  local launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if [[ ! -f "$dir/build.ninja" ]]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
      -DCITECHECK_SANITIZE="$sanitize" "${launcher[@]}" "$@" >/dev/null
  fi
}

# build_targets DIR [TARGETS...]: ninja -j2, output kept short unless it fails.
build_targets() {
  local dir="$1" log began
  shift
  began=$(now)
  log="$(mktemp)"
  if ! ninja -C "$dir" -j2 "$@" >"$log" 2>&1; then
    cat "$log"
    rm -f "$log"
    say "error: the build in $dir failed"
    return 1
  fi
  tail -n 1 "$log"
  rm -f "$log"
  say "built $dir in $(($(now) - began)) s"
}

# sanitized_ctest DIR [CTEST ARGS...]: ctest with every sanitizer's reports written to
# DIR/sanitizer-reports/report.<program>.<pid>; fails when ctest does or any report exists.
sanitized_ctest() {
  local dir="$1" reports status=0 began
  shift
  reports="$dir/sanitizer-reports"
  rm -rf "$reports"
  mkdir -p "$reports"
  began=$(now)
  local common="log_exe_name=1:handle_abort=1:allocator_may_return_null=1"
  ASAN_OPTIONS="$common:log_path=$reports/report:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:suppressions=$SANITIZERS_DIR/asan.supp" \
  LSAN_OPTIONS="suppressions=$SANITIZERS_DIR/lsan.supp:print_suppressions=0" \
  UBSAN_OPTIONS="$common:log_path=$reports/report:print_stacktrace=1:halt_on_error=1:suppressions=$SANITIZERS_DIR/ubsan.supp" \
  TSAN_OPTIONS="$common:log_path=$reports/report:halt_on_error=0:second_deadlock_stack=1:suppressions=$SANITIZERS_DIR/tsan.supp" \
    run_ctest "$dir" --timeout 900 "$@" || status=$?
  say "ctest in $dir exited $status after $(($(now) - began)) s"
  local found=()
  mapfile -t found < <(find "$reports" -type f | sort)
  if ((${#found[@]} > 0)); then
    local report
    for report in "${found[@]}"; do
      say "==== sanitizer report $report ===="
      cat "$report"
    done
    say "error: ${#found[@]} sanitizer report(s) in $reports"
    status=1
  fi
  return "$status"
}

# asan: ASan + UBSan + LeakSanitizer, and -Wthread-safety -Werror, one build of every target;
# then the fuzz corpora replayed with that build. CITECHECK_FUZZ=ON (tests/fuzz) adds libFuzzer's
# coverage instrumentation, makes every UBSan check fatal and takes tests/fuzz's UBSan ignore
# list; sharing the build saves a second ASan build of the server library.
stage_asan() {
  configure_clang "$ASAN_BUILD_DIR" address,undefined -DCITECHECK_THREAD_SAFETY=ON \
    -DCITECHECK_FUZZ=ON
  build_targets "$ASAN_BUILD_DIR" || return 1
  local status=0
  sanitized_ctest "$ASAN_BUILD_DIR" -L 'unit|integration|mysql' || status=1
  replay_fuzz_corpora || status=1
  return "$status"
}

# replay_fuzz_corpora: every committed fuzz input once through its target, built in the ASan
# build (tests/fuzz/replay.sh; docs/FUZZING.md). Nothing to do before tests/fuzz exists.
replay_fuzz_corpora() {
  local build_dir="${1:-$ASAN_BUILD_DIR}"
  if [[ ! -f "$ROOT/tests/fuzz/replay.sh" ]]; then
    say "fuzz: no tests/fuzz/replay.sh in this tree: no corpus to replay"
    return 0
  fi
  local began status=0
  began=$(now)
  FUZZ_BUILD_DIR="$build_dir" bash "$ROOT/tests/fuzz/replay.sh" </dev/null || status=$?
  say "fuzz: corpus replay (build included) exited $status after $(($(now) - began)) s"
  return "$status"
}

# fuzz: the corpus replay alone, in a build of the fuzz targets only (the asan stage replays with
# its own build instead).
stage_fuzz() {
  if [[ " $STAGES " == *" asan "* ]]; then
    say "fuzz: the asan stage replays the corpora"
    return 0
  fi
  replay_fuzz_corpora "$ROOT/${FUZZ_BUILD_DIR:-build-fuzz}"
}

# tsan: the unit tests and the in-process concurrency tests (the MySQL stores' own tests: several
# stores and threads on one MariaDB). Target in_process_tests (tests/sanitizers) is every test
# program that does not start the server binary; the tests of the programs it leaves out are
# placeholders named <target>_NOT_BUILT, without labels.
stage_tsan() {
  configure_clang "$TSAN_BUILD_DIR" thread
  build_targets "$TSAN_BUILD_DIR" in_process_tests || return 1
  sanitized_ctest "$TSAN_BUILD_DIR" -L 'unit|mysql' -E '_NOT_BUILT$'
}

# ---- run ------------------------------------------------------------------------------------
# The dependencies of every stage (clang-format and clang included); without them nothing runs.
SETUP_SKIP_BUILD=1 bash "$ROOT/deploy/setup.sh"
run_stage format stage_format
run_stage build stage_build
run_stage fuzz stage_fuzz
run_stage asan stage_asan
run_stage tsan stage_tsan

say "---- summary ----"
for line in "${SUMMARY[@]}"; do say "$line"; done
say "total $(($(now) - START)) s"
exit "$FAILED"
