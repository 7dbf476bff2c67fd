#!/usr/bin/env bash
# tests/fuzz/run.sh: fuzzes one target for a while, without ctest (docs/FUZZING.md).
#
# Usage: tests/fuzz/run.sh TARGET MINUTES [libFuzzer flag...]
#
# The target starts from its committed corpus (tests/fuzz/corpus/TARGET/, only read) and keeps
# what it finds in $FUZZ_BUILD_DIR/fuzz-work/TARGET/corpus; a crashing input lands in
# $FUZZ_BUILD_DIR/fuzz-work/TARGET/artifacts/. One process on one core, at low priority (nice).
# libFuzzer's final statistics (executions, coverage) end the output. To add what it found to
# the committed corpus (inputs that bring new coverage only):
#   $FUZZ_BUILD_DIR/tests/fuzz/TARGET -merge=1 tests/fuzz/corpus/TARGET \
#       $FUZZ_BUILD_DIR/fuzz-work/TARGET/corpus
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fuzz_build.sh"

if (($# < 2)) || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 TARGET MINUTES [libFuzzer flag...]" >&2
  echo "targets: ${FUZZ_TARGETS[*]}" >&2
  exit 2
fi
target="$1"
minutes="$2"
shift 2
[[ " ${FUZZ_TARGETS[*]} " == *" $target "* ]] || { fuzz_say "unknown target $target"; exit 2; }

# The longest input tried: a little over what the server lets through to the parser, or enough
# for the structure the target reads.
case "$target" in
  page_token_fuzzer) max_len=256 ;;
  mysql_url_fuzzer) max_len=512 ;;
  inline_extractor_fuzzer | inline_answer_fuzzer | llm_http_response_fuzzer) max_len=4096 ;;
  citation_rules_fuzzer) max_len=4200 ;;
  document_fuzzer | submit_batch_fuzzer) max_len=16384 ;;
  *) max_len=8192 ;;
esac

fuzz_build "$target"
work="$FUZZ_BUILD_DIR/fuzz-work/$target"
mkdir -p "$work/corpus" "$work/artifacts"
dict=()
[[ -f "$FUZZ_ROOT/tests/fuzz/dict/$target.dict" ]] &&
  dict=(-dict="$FUZZ_ROOT/tests/fuzz/dict/$target.dict")
fuzz_say "$target for $minutes min (max_len $max_len); new inputs in $work/corpus"
exec nice -n 10 "$FUZZ_BIN/$target" -max_total_time=$((minutes * 60)) -max_len="$max_len" \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
  -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" "$FUZZ_CORPUS/$target"
