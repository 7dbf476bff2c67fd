#!/usr/bin/env bash
# deploy/docker/test.sh: the container images end to end, with podman or docker (not part of the
# test command, which never needs a container engine):
#   1. builds the images (build.sh; SKIP_BUILD=1 reuses them),
#   2. starts MariaDB, the fake LLM and two citecheck replicas (A and B) as containers sharing
#      one database (host network, free loopback ports),
#   3. grants credits and submits a job on replica A with the image's own CLI, and watches it to
#      its end on replica B,
#   4. checks /metrics, /healthz, /readyz and the image's health check on both,
#   5. submits a slow job on A and stops A with SIGTERM while it runs: A must drain (end its
#      streams, hand back or finish its work) and exit 0, and the job must still end SUCCEEDED,
#      watched on B,
#   6. removes every container it started (also on failure).
# Prints one line per check and "N passed, M failed" at the end; exits 1 when a check failed.
#
# Environment: TAG (default dev), SKIP_BUILD=1, KEEP_CONTAINERS=1 (for debugging),
# CITECHECK_CONTAINER_ENGINE=podman|docker.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DOCKER_DIR="$ROOT/deploy/docker"
LOG_TAG=docker-test
# shellcheck source=deploy/docker/lib.sh
source "$DOCKER_DIR/lib.sh"
TAG="${TAG:-dev}"
IMAGE="localhost/citecheck:$TAG"
STARTED=$(date +%s)
pick_engine
[[ "${SKIP_BUILD:-0}" == 1 ]] || bash "$DOCKER_DIR/build.sh"

PREFIX="citecheck-test-$$"
ADMIN_KEY="test-admin-$RANDOM$RANDOM"
DB_PASSWORD="test-db-$RANDOM$RANDOM"
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...: runs the command, counts and prints the outcome
  local what="$1"
  shift
  if "$@"; then
    passed=$((passed + 1))
    printf 'ok %d - %s\n' "$((passed + failed))" "$what"
  else
    failed=$((failed + 1))
    printf 'FAIL %d - %s\n' "$((passed + failed))" "$what"
  fi
}

# Prints the replicas' logs when something failed, the summary line, and exits.
finish() {
  if ((failed > 0)); then
    for name in a b; do
      say "---- log of replica $name (last 30 lines) ----"
      "$ENGINE" logs --tail 30 "$PREFIX-$name" 2>&1 || true
    done
  fi
  say "done in $(($(date +%s) - STARTED)) s"
  echo "$passed passed, $failed failed"
  ((failed == 0))
  exit
}

cleanup() {
  local names
  names="$("$ENGINE" ps -a --filter "name=$PREFIX-" --format '{{.Names}}' 2>/dev/null || true)"
  if [[ -n "$names" && "${KEEP_CONTAINERS:-0}" != 1 ]]; then
    # shellcheck disable=SC2086
    "$ENGINE" rm -f -t 5 $names >/dev/null 2>&1 || true
    say "removed containers: $(echo $names)"
  fi
}
trap cleanup EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
DB_PORT=$(free_port)
LLM_PORT=$(free_port)
A_GRPC=$(free_port)
A_METRICS=$(free_port)
B_GRPC=$(free_port)
B_METRICS=$(free_port)

wait_until() {  # wait_until SECONDS COMMAND...
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) < deadline)) || return 1
    sleep 0.2
  done
}

http_status() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2" || true; }
is_ready() { [[ "$(http_status "$1" /readyz)" == 200 ]]; }

say "starting MariaDB (127.0.0.1:$DB_PORT) and the fake LLM (127.0.0.1:$LLM_PORT)"
"$ENGINE" run -d --name "$PREFIX-mariadb" --network=host \
  -e MARIADB_PORT="$DB_PORT" -e MARIADB_BIND_ADDRESS=127.0.0.1 -e MARIADB_PASSWORD="$DB_PASSWORD" \
  "localhost/citecheck-mariadb:$TAG" >/dev/null
"$ENGINE" run -d --name "$PREFIX-fake-llm" --network=host \
  "localhost/citecheck-fake-llm:$TAG" --host=127.0.0.1 --port="$LLM_PORT" >/dev/null
check "MariaDB container answers" wait_until 60 "$ENGINE" exec "$PREFIX-mariadb" \
  mariadb-admin --no-defaults --socket=/run/mysqld/mysqld.sock ping

# Replica flags that exist in this image's server (the durable-job ones come with issue 7).
HELP="$("$ENGINE" run --rm "$IMAGE" --help 2>&1 || true)"
replica() {  # replica NAME GRPC_PORT METRICS_PORT
  local extra=()
  if grep -q -- '--replica_name' <<<"$HELP"; then extra+=(-e "CITECHECK_REPLICA_NAME=$1"); fi
  if grep -q -- '--watch_poll' <<<"$HELP"; then extra+=(-e CITECHECK_WATCH_POLL=100ms); fi
  if grep -q -- '--shutdown_grace' <<<"$HELP"; then extra+=(-e CITECHECK_SHUTDOWN_GRACE=20s); fi
  "$ENGINE" run -d --name "$PREFIX-$1" --network=host "${extra[@]}" \
    -e CITECHECK_LISTEN="127.0.0.1:$2" -e CITECHECK_METRICS_LISTEN="127.0.0.1:$3" \
    -e CITECHECK_STORE=mysql \
    -e CITECHECK_MYSQL_URL="mysql://citecheck:$DB_PASSWORD@127.0.0.1:$DB_PORT/citecheck" \
    -e CITECHECK_LLM_BASE_URL="http://127.0.0.1:$LLM_PORT/v1" -e CITECHECK_LLM_MODEL=fake-model \
    -e CITECHECK_LLM_API_KEY_ENV= -e CITECHECK_CITATIONS_PER_CALL=1 \
    -e CITECHECK_ADMIN_KEY="$ADMIN_KEY" "$IMAGE" >/dev/null
}
say "starting replicas A (gRPC $A_GRPC, metrics $A_METRICS) and B (gRPC $B_GRPC, metrics $B_METRICS)"
replica a "$A_GRPC" "$A_METRICS"
replica b "$B_GRPC" "$B_METRICS"
check "replica A is ready (/readyz 200)" wait_until 60 is_ready "$A_METRICS"
check "replica B is ready (/readyz 200)" wait_until 60 is_ready "$B_METRICS"
((failed == 0)) || finish
check "the image's HEALTHCHECK passes on A" "$ENGINE" healthcheck run "$PREFIX-a"
check "/healthz answers 200 on B" test "$(http_status "$B_METRICS" /healthz)" = 200
check "an unknown path answers 404" test "$(http_status "$A_METRICS" /nope)" = 404

cli() {  # cli ARGS...: the image's own citecheck CLI on the host network, stdin passed through
  "$ENGINE" run --rm -i --network=host --entrypoint /usr/local/bin/citecheck "$IMAGE" "$@"
}
json_field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.readline())$1)"; }

TOKEN="token-$RANDOM$RANDOM"
check "admin grant-credits on A" cli --server "127.0.0.1:$A_GRPC" --admin_key "$ADMIN_KEY" \
  admin grant-credits --token "$TOKEN" --credits 100 --order "order-$$"
SUBMITTED="$(cli --server "127.0.0.1:$A_GRPC" --token "$TOKEN" submit --json - \
  <"$ROOT/deploy/sample_references.txt" | head -n1 || true)"
JOB="$(json_field "['job']['job_id']" <<<"$SUBMITTED" 2>/dev/null || true)"
check "job submitted on A ($JOB)" test -n "$JOB"
WATCHED="$(cli --server "127.0.0.1:$B_GRPC" --token "$TOKEN" watch "$JOB" --json || true)"
LAST_STATE="$(tail -n1 <<<"$WATCHED" | json_field ".get('job_update', {}).get('state')" 2>/dev/null || true)"
RESULTS="$(grep -c '"result"' <<<"$WATCHED" || true)"
check "watched on B to its end: $LAST_STATE with $RESULTS results" \
  test "$LAST_STATE" = JOB_STATE_SUCCEEDED -a "$RESULTS" -gt 0

metric() {  # metric PORT SAMPLE_PREFIX: the sum of the samples whose line starts with it
  curl -s "http://127.0.0.1:$1/metrics" | awk -v p="$2" 'index($0, p) == 1 {s += $NF} END {print s + 0}'
}
SUBMITS=$(metric "$A_METRICS" 'grpc_server_handled_total{grpc_service="citecheck.v1.CitationService",grpc_method="SubmitBatch",grpc_type="unary",grpc_code="OK"}')
WATCHES=$(metric "$B_METRICS" 'grpc_server_handled_total{grpc_service="citecheck.v1.CitationService",grpc_method="WatchJob",grpc_type="server_stream",grpc_code="OK"}')
COMMITS=$(metric "$A_METRICS" 'citecheck_db_transactions_total{outcome="commit"}')
check "A's /metrics: SubmitBatch OK = $SUBMITS, database commits = $COMMITS" \
  test "$SUBMITS" -eq 1 -a "$COMMITS" -gt 0
check "B's /metrics: WatchJob OK = $WATCHES" test "$WATCHES" -eq 1
check "/metrics has the process families" test "$(metric "$B_METRICS" process_start_time_seconds)" != 0

# Drain: a slow job runs on A when SIGTERM arrives.
curl -s -X POST -d '{"latency_ms": 1500}' "http://127.0.0.1:$LLM_PORT/control/default" >/dev/null
SLOW="$(cli --server "127.0.0.1:$A_GRPC" --token "$TOKEN" submit --json - \
  <"$ROOT/deploy/sample_references.txt" | head -n1 | json_field "['job']['job_id']" || true)"
check "slow job submitted on A ($SLOW)" test -n "$SLOW"
llm_busy() {
  curl -s "http://127.0.0.1:$LLM_PORT/control/stats" | /usr/bin/python3 -c \
    'import json, sys; sys.exit(0 if json.load(sys.stdin)["in_flight"] > 0 else 1)'
}
check "A is checking the slow job" wait_until 20 llm_busy
"$ENGINE" kill --signal TERM "$PREFIX-a" >/dev/null
check "A turns not ready after SIGTERM" wait_until 10 bash -c \
  "[[ \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$A_METRICS/readyz) != 200 ]]"
A_EXIT="$("$ENGINE" wait "$PREFIX-a" 2>/dev/null | tail -n1)"
check "A drained and exited 0 (exit code $A_EXIT)" test "$A_EXIT" = 0
check "A's log shows the drain" bash -c "\"$ENGINE\" logs $PREFIX-a 2>&1 | grep -q 'shutdown complete'"
SLOW_WATCH="$(cli --server "127.0.0.1:$B_GRPC" --token "$TOKEN" watch "$SLOW" --json || true)"
SLOW_STATE="$(tail -n1 <<<"$SLOW_WATCH" | json_field ".get('job_update', {}).get('state')" 2>/dev/null || true)"
check "the job A was running ends on B: $SLOW_STATE" test "$SLOW_STATE" = JOB_STATE_SUCCEEDED
check "B is still ready" is_ready "$B_METRICS"

finish
