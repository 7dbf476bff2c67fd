#!/usr/bin/env bash
# deploy/replicas.sh: two citecheck-server replicas sharing one MariaDB, on loopback. Starts a
# throwaway MariaDB (deploy/mariadb.sh), the fake OpenAI-compatible LLM of the test suite and two
# replicas (replica-a, replica-b); submits deploy/sample_references.txt on replica A and watches
# the same job on replica B with the CLI, then lists the caller's jobs on B. Everything it
# started is stopped on exit (replicas with SIGTERM, then the LLM and the database), also after
# an error or Ctrl-C.
#
# It does not install or build: run deploy/setup.sh (or deploy/quickstart.sh) once first, or
# build the three binaries it needs:
#   ninja -C build citecheck-server citecheck fake_openai
#
# Environment:
#   BUILD_DIR                 build directory (default build)
#   REPLICAS_INPUT            the reference list to submit (default deploy/sample_references.txt)
#   REPLICAS_LLM_LATENCY_MS   the fake LLM's latency per call (default 300), so that results
#                             arrive one by one
#   REPLICAS_KEEP_LOGS=1      keep the work directory (server logs) after a successful run
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build}"
INPUT="${REPLICAS_INPUT:-deploy/sample_references.txt}"
LATENCY_MS="${REPLICAS_LLM_LATENCY_MS:-300}"
SERVER_BIN="$BUILD_DIR/server/citecheck-server"
CLI_BIN="$BUILD_DIR/client/citecheck"
FAKE_BIN="$BUILD_DIR/tests/fake_openai/fake_openai"

say() { printf '[replicas] %s\n' "$*"; }
die() { say "error: $*" >&2; exit 1; }

for bin in "$SERVER_BIN" "$CLI_BIN" "$FAKE_BIN"; do
  [[ -x "$bin" ]] || die "$bin is missing: run deploy/setup.sh, or ninja -C $BUILD_DIR citecheck-server citecheck fake_openai"
done
[[ -r "$INPUT" ]] || die "cannot read $INPUT"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/citecheck-replicas.XXXXXX")"
MARIADB_DIR="$WORK/mariadb"
declare -A PIDS=()  # name -> pid of what this script started

# stop NAME: SIGTERM, up to 15 s, then SIGKILL.
stop() {
  local name="$1" pid="${PIDS[$1]:-}"
  [[ -n "$pid" ]] || return 0
  unset "PIDS[$name]"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name did not stop within 15 s of SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  stop replica-b
  stop replica-a
  stop fake-llm
  if [[ -f "$MARIADB_DIR/env" ]]; then
    bash "$ROOT/deploy/mariadb.sh" stop "$MARIADB_DIR" >/dev/null 2>&1 || true
  fi
  if ((rc != 0)) || [[ "${REPLICAS_KEEP_LOGS:-0}" == 1 ]]; then
    say "logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME COMMAND...: runs COMMAND in the background (stdout to $WORK/NAME.out, stderr to
# $WORK/NAME.log) and waits up to 30 s for its "listening on ADDRESS" line; sets ADDR.
start() {
  local name="$1"
  shift
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" </dev/null &
  PIDS[$name]=$!
  ADDR=""
  for _ in $(seq 300); do
    ADDR="$(sed -n 's/^listening on \([^[:space:]]*\).*$/\1/p;T;q' "$WORK/$name.out" || true)"
    [[ -n "$ADDR" ]] && return 0
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
      unset "PIDS[$name]"
      cat "$WORK/$name.log" >&2
      die "$name exited before listening (its log is above)"
    fi
    sleep 0.1
  done
  cat "$WORK/$name.log" >&2
  die "$name did not listen within 30 s"
}

say "starting a throwaway MariaDB (deploy/mariadb.sh)"
bash "$ROOT/deploy/mariadb.sh" start "$MARIADB_DIR" >/dev/null
MYSQL_URL="$(grep '^CITECHECK_MYSQL_URL=' "$MARIADB_DIR/env" | cut -d= -f2-)"

start fake-llm "$FAKE_BIN" --port=0 --latency_ms="$LATENCY_MS"
LLM_URL="http://$ADDR/v1"
say "fake LLM on $LLM_URL (${LATENCY_MS} ms per call)"

# Both replicas: the same database, their own names. One citation per LLM call and two calls at
# a time, so that the results arrive one by one; a short heartbeat so that a killed replica's
# chunks are taken over within seconds (production keeps the defaults: 5 s and 30 s).
REPLICA_FLAGS=(--store=mysql --mysql_url="$MYSQL_URL" --listen=127.0.0.1:0
  --llm_base_url="$LLM_URL" --llm_model=fake-model --citations_per_call=1 --llm_max_inflight=2
  --free_limit=10 --watch_poll=100ms --heartbeat_interval=1s --replica_dead_after=5s
  --shutdown_grace=5s)
start replica-a "$SERVER_BIN" "${REPLICA_FLAGS[@]}" --replica_name=replica-a
A="$ADDR"
start replica-b "$SERVER_BIN" "${REPLICA_FLAGS[@]}" --replica_name=replica-b
B="$ADDR"
say "replica-a on $A, replica-b on $B (logs: $WORK/replica-*.log)"

CLI=("$CLI_BIN" --free_user_id=replicas-demo)
echo
say "\$ citecheck --server $A submit $INPUT"
SUBMITTED="$("${CLI[@]}" --server "$A" submit "$INPUT" </dev/null)"
echo "$SUBMITTED"
JOB="$(sed -n 's/^Job \(job_[0-9a-f]*\) submitted.*$/\1/p' <<<"$SUBMITTED" | head -n 1)"
[[ -n "$JOB" ]] || die "no job id in the submit output"

echo
say "\$ citecheck --server $B watch $JOB     # the same job, from the other replica"
watch_rc=0
"${CLI[@]}" --server "$B" watch "$JOB" </dev/null || watch_rc=$?

echo
say "\$ citecheck --server $B list"
"${CLI[@]}" --server "$B" list </dev/null
echo

say "stopping the replicas (SIGTERM), the fake LLM and the database"
stop replica-b
stop replica-a
((watch_rc == 0)) || die "citecheck watch exited with status $watch_rc"
say "done"
