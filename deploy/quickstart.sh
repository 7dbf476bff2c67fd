#!/usr/bin/env bash
# deploy/quickstart.sh: THE quickstart. Installs and builds everything (deploy/setup.sh), starts
# a local MariaDB and a citecheck-server on a free loopback port, submits
# deploy/sample_references.txt with the CLI and streams the results on screen, then a whole
# paper (tests/data/documents/mla9_cather_landscape.txt: references checked, in-text citations
# matched), then stops the server with SIGTERM.
#
# Environment:
#   BUILD_DIR            build directory (default build)
#   QUICKSTART_INPUT     the reference list to submit (default deploy/sample_references.txt)
#   QUICKSTART_PAPER     the paper to submit with --document (default
#                        tests/data/documents/mla9_cather_landscape.txt)
#   QUICKSTART_FREE_LIMIT  free citations per user for this demo server (default 20, so the
#                        8-citation sample and the paper's 11 references are checked whole; the
#                        server's own default is 5)
#   QUICKSTART_CHECKER_DELAY  simulated checker latency per call (default 300ms)
#   OPENAI_API_KEY       when set, check with a real LLM instead of the heuristic checker
#   CITECHECK_LLM_BASE_URL, CITECHECK_LLM_MODEL  the endpoint and model used then
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BUILD_DIR="${BUILD_DIR:-build}"
INPUT="${QUICKSTART_INPUT:-deploy/sample_references.txt}"
PAPER="${QUICKSTART_PAPER:-tests/data/documents/mla9_cather_landscape.txt}"
FREE_LIMIT="${QUICKSTART_FREE_LIMIT:-20}"
# With OPENAI_API_KEY set, citations are checked by a real LLM (CITECHECK_LLM_BASE_URL, default
# OpenAI; any OpenAI-compatible server such as vLLM or llama.cpp works, CITECHECK_LLM_MODEL
# names the model). Without it, the built-in heuristic checker answers in microseconds, so a
# simulated latency (one citation per call, two calls at a time) lets you watch the results
# stream in as they would from an LLM.
if [[ -n "${OPENAI_API_KEY:-}" ]]; then
  CHECKER_ARGS=(--llm_base_url="${CITECHECK_LLM_BASE_URL:-https://api.openai.com/v1}"
    --llm_model="${CITECHECK_LLM_MODEL:-gpt-4o-mini}" --llm_api_key_env=OPENAI_API_KEY)
else
  CHECKER_ARGS=(--checker_delay="${QUICKSTART_CHECKER_DELAY:-300ms}" --citations_per_call=1
    --llm_max_inflight=2)
fi

say() { printf '[quickstart] %s\n' "$*"; }

bash "$ROOT/deploy/setup.sh"

SERVER_BIN="$BUILD_DIR/server/citecheck-server"
CLI_BIN="$BUILD_DIR/client/citecheck"
for bin in "$SERVER_BIN" "$CLI_BIN"; do
  [[ -x "$bin" ]] || { say "error: $bin was not built"; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/citecheck-quickstart.XXXXXX")"
SERVER_PID=""
KEEP_WORK=0

# Stops the server (SIGTERM, then SIGKILL after 15 s) and sets SERVER_RC to its exit status.
SERVER_RC=""
stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  local pid="$SERVER_PID"
  SERVER_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "server did not stop within 15 s of SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  SERVER_RC=0
  wait "$pid" 2>/dev/null || SERVER_RC=$?
}

cleanup() {
  local rc=$?
  stop_server
  if [[ -n "${MARIADB_DIR:-}" && -f "$MARIADB_DIR/env" ]]; then
    bash "$ROOT/deploy/mariadb.sh" stop "$MARIADB_DIR" >/dev/null 2>&1 || true
  fi
  if ((rc != 0 || KEEP_WORK)); then
    say "server log kept in $WORK/server.log"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- Local MariaDB ---------------------------------------------------------------------------
# A throwaway MariaDB of our own (own datadir, port and socket; deploy/mariadb.sh), stopped by
# the EXIT trap. The server creates and migrates its tables at start.
MARIADB_DIR="$WORK/mariadb"
say "starting a local MariaDB (deploy/mariadb.sh)"
bash "$ROOT/deploy/mariadb.sh" start "$MARIADB_DIR" >/dev/null
MYSQL_URL="$(grep '^CITECHECK_MYSQL_URL=' "$MARIADB_DIR/env" | cut -d= -f2-)"
STORE_ARGS=(--store=mysql --mysql_url="$MYSQL_URL")
# ---------------------------------------------------------------------------------------------

: >"$WORK/server.out"
: >"$WORK/server.log"
say "starting $SERVER_BIN ${STORE_ARGS[*]} ${CHECKER_ARGS[*]} --listen 127.0.0.1:0 --free_limit $FREE_LIMIT"
"$SERVER_BIN" "${STORE_ARGS[@]}" "${CHECKER_ARGS[@]}" --listen 127.0.0.1:0 --free_limit "$FREE_LIMIT" \
  >"$WORK/server.out" 2>"$WORK/server.log" </dev/null &
SERVER_PID=$!

ADDR=""
for _ in $(seq 300); do  # up to 30 s
  ADDR="$(sed -n 's/^listening on \([^[:space:]]*\).*$/\1/p;T;q' "$WORK/server.out" || true)"
  [[ -n "$ADDR" ]] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    SERVER_PID=""
    say "error: the server exited before listening; its log:"
    cat "$WORK/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$ADDR" ]]; then
  say "error: no 'listening on' line within 30 s; server log:"
  cat "$WORK/server.log" >&2
  exit 1
fi
say "server listening on $ADDR (log: $WORK/server.log)"
say "submitting $INPUT and watching the results:"
echo

cli_rc=0
"$CLI_BIN" --server "$ADDR" submit "$INPUT" --watch </dev/null || cli_rc=$?
echo

# A whole paper: its reference list is checked like a batch and every in-text citation of its
# body is matched against it (shown under the reference it points to).
if ((cli_rc == 0)); then
  say "submitting a whole paper ($PAPER, MLA 9) with --document:"
  echo
  "$CLI_BIN" --server "$ADDR" submit --document "$PAPER" \
    --style mla9 --watch </dev/null || cli_rc=$?
  echo
fi

say "stopping the server (SIGTERM)"
stop_server
if [[ "$SERVER_RC" != 0 ]]; then
  say "error: the server exited with status $SERVER_RC after SIGTERM; its log:"
  tail -n 50 "$WORK/server.log" >&2
  exit 1
fi
say "server stopped cleanly (exit 0)"
if ((cli_rc != 0)); then
  say "error: citecheck submit --watch exited with status $cli_rc"
  exit "$cli_rc"
fi
say "done"
