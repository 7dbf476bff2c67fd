#!/usr/bin/env bash
# deploy/mariadb.sh: a throwaway MariaDB for development and the mysql tests (ctest -L mysql).
#
#   deploy/mariadb.sh start [DIR]   starts a private server and prints its URL
#   deploy/mariadb.sh stop [DIR]    stops it (SIGTERM, then SIGKILL) and deletes its data
#   deploy/mariadb.sh restart [DIR] stops it (SIGTERM, waiting for the exit) KEEPING its data,
#                                   and starts it again on the same port, socket and datadir
#   deploy/mariadb.sh env [DIR]     prints DIR/env of a running server (exit 1 when none)
#
# DIR (default /dev/shm/citecheck-mariadb, or $TMPDIR/citecheck-mariadb without /dev/shm) holds
# the server's state file DIR/env:
#   CITECHECK_MYSQL_URL=mysql://citecheck:citecheck@127.0.0.1:PORT/citecheck
#   MARIADB_PORT=PORT  MARIADB_SOCKET=PATH  MARIADB_PID=PID  MARIADB_DATADIR=PATH
# The data directory lives in /dev/shm when it exists (DIR itself may be anywhere, e.g. the
# build tree), and the server listens on 127.0.0.1 only, on a free port chosen here (13306 and
# up; never 3306), with its own socket; no option file is ever read (--no-defaults). User
# citecheck/citecheck may use database `citecheck` and every database named `citecheck_...`
# (the tests create one per test). `start` on a DIR whose server is alive only prints its URL.
# MARIADB_BUFFER_POOL_SIZE (default 64M, small for the tests' many databases) sets InnoDB's buffer
# pool; the benchmarks that write a lot give their own server 1G (bench/bench_mariadb.cc).
# `restart` (e.g. to test reconnection) prints the URL once the server answers again.
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin"

say() { printf '[mariadb] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

default_dir() {
  if [[ -d /dev/shm && -w /dev/shm ]]; then
    echo /dev/shm/citecheck-mariadb
  else
    echo "${TMPDIR:-/tmp}/citecheck-mariadb"
  fi
}

# env_get FILE KEY: the value of KEY=... in FILE ("" when absent).
env_get() {
  local file="$1" key="$2" line
  [[ -f "$file" ]] || return 0
  while IFS= read -r line; do
    if [[ "$line" == "$key="* ]]; then
      printf '%s\n' "${line#*=}"
      return 0
    fi
  done <"$file"
}

# alive PID DATADIR: true when PID is a running mariadbd serving DATADIR.
alive() {
  local pid="$1" datadir="$2"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--datadir=$datadir " || return 1
}

ping_server() {
  mariadb-admin --no-defaults --socket="$1" -uroot --connect-timeout=1 ping >/dev/null 2>&1
}

# stop_pid PID: SIGTERM, up to 30 s for the server to shut down, then SIGKILL.
stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  say "server $pid still running 30 s after SIGTERM; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}

# remove_datadir PATH: deletes a data directory this script created (it holds our marker).
remove_datadir() {
  local datadir="$1"
  [[ -n "$datadir" && -d "$datadir" ]] || return 0
  if [[ -f "$datadir/.citecheck-mariadb" ]]; then
    rm -rf -- "$datadir"
  else
    say "not deleting $datadir: it has no .citecheck-mariadb marker"
  fi
}

# port_free PORT: nothing listens on PORT (TCP, any address).
port_free() {
  [[ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]]
}

# spawn_server DIR DATADIR SOCKET PORT: starts mariadbd in the background (its pid is $!).
spawn_server() {
  local dir="$1" datadir="$2" socket="$3" port="$4"
  setsid mariadbd --no-defaults --datadir="$datadir" --socket="$socket" --port="$port" \
    --bind-address=127.0.0.1 --pid-file="$datadir/mysqld.pid" --user=root \
    --skip-name-resolve --innodb-flush-log-at-trx-commit=2 --innodb-buffer-pool-size="${MARIADB_BUFFER_POOL_SIZE:-64M}" \
    --max-connections=500 --log-error="$datadir/error.log" \
    </dev/null >>"$dir/mariadbd.out" 2>&1 9>&- &
}

cmd_start() {
  local dir="$1"
  local env_file="$dir/env"
  if [[ -f "$env_file" ]]; then
    local pid datadir socket
    pid="$(env_get "$env_file" MARIADB_PID)"
    datadir="$(env_get "$env_file" MARIADB_DATADIR)"
    socket="$(env_get "$env_file" MARIADB_SOCKET)"
    if alive "$pid" "$datadir" && ping_server "$socket"; then
      say "already running (pid $pid); env in $env_file"
      env_get "$env_file" CITECHECK_MYSQL_URL
      return 0
    fi
    say "stale $env_file (server $pid is gone); starting afresh"
    if alive "$pid" "$datadir"; then stop_pid "$pid"; fi
    remove_datadir "$datadir"
    rm -f -- "$env_file"
  fi

  local started_at datadir
  started_at=$(date +%s%N)
  # The data on tmpfs is faster; a DIR already on /dev/shm keeps its data inside.
  if [[ "$dir" == /dev/shm/* || ! -d /dev/shm || ! -w /dev/shm ]]; then
    datadir="$dir/data"
    rm -rf -- "$datadir"
    mkdir -p "$datadir"
  else
    datadir="$(mktemp -d /dev/shm/citecheck-mariadb-data.XXXXXX)"
  fi
  touch "$datadir/.citecheck-mariadb"
  local socket="$datadir/mysqld.sock"

  if ! mariadb-install-db --no-defaults --datadir="$datadir" --user=root \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1; then
    tail -n 20 "$dir/install.log" >&2
    remove_datadir "$datadir"
    die "mariadb-install-db failed (log: $dir/install.log)"
  fi

  # Try free ports from a random point above 13306; another server may take a port between
  # the check and the bind, so a bind failure moves on to the next port.
  local port=$((13306 + RANDOM % 2000)) pid="" tries=0 ready=0
  while ((tries < 20)); do
    tries=$((tries + 1))
    while ! port_free "$port"; do port=$((port + 1)); done
    : >"$datadir/error.log"
    spawn_server "$dir" "$datadir" "$socket" "$port"
    pid=$!
    for _ in $(seq 300); do
      if ping_server "$socket"; then ready=1; break; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    ((ready)) && break
    if kill -0 "$pid" 2>/dev/null; then
      stop_pid "$pid"
      tail -n 20 "$datadir/error.log" >&2
      remove_datadir "$datadir"
      die "mariadbd did not answer within 30 s"
    fi
    if grep -q -i "bind on tcp/ip port\|address already in use" "$datadir/error.log"; then
      say "port $port was taken; trying the next one"
      port=$((port + 1))
      continue
    fi
    tail -n 20 "$datadir/error.log" >&2
    remove_datadir "$datadir"
    die "mariadbd exited during start (log above)"
  done
  ((ready)) || { remove_datadir "$datadir"; die "no free port found after $tries tries"; }
  # The pid file names the server even if setsid had to fork.
  if [[ -s "$datadir/mysqld.pid" ]]; then pid="$(<"$datadir/mysqld.pid")"; fi

  if ! mariadb --no-defaults --socket="$socket" -uroot <<'SQL'
CREATE DATABASE IF NOT EXISTS citecheck CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'citecheck'@'127.0.0.1' IDENTIFIED BY 'citecheck';
CREATE USER IF NOT EXISTS 'citecheck'@'localhost' IDENTIFIED BY 'citecheck';
GRANT ALL ON `citecheck`.* TO 'citecheck'@'127.0.0.1', 'citecheck'@'localhost';
GRANT ALL ON `citecheck\_%`.* TO 'citecheck'@'127.0.0.1', 'citecheck'@'localhost';
SQL
  then
    stop_pid "$pid"
    remove_datadir "$datadir"
    die "could not create the citecheck database and user"
  fi

  local url="mysql://citecheck:citecheck@127.0.0.1:$port/citecheck"
  {
    echo "CITECHECK_MYSQL_URL=$url"
    echo "MARIADB_PORT=$port"
    echo "MARIADB_SOCKET=$socket"
    echo "MARIADB_PID=$pid"
    echo "MARIADB_DATADIR=$datadir"
  } >"$env_file.tmp"
  mv -f -- "$env_file.tmp" "$env_file"
  say "started pid $pid on 127.0.0.1:$port in $(( ($(date +%s%N) - started_at) / 1000000 )) ms;" \
    "env in $env_file"
  echo "$url"
}

cmd_stop() {
  local dir="$1"
  local env_file="$dir/env"
  if [[ ! -f "$env_file" ]]; then
    say "no server in $dir (no env file)"
    return 0
  fi
  local pid datadir
  pid="$(env_get "$env_file" MARIADB_PID)"
  datadir="$(env_get "$env_file" MARIADB_DATADIR)"
  if alive "$pid" "$datadir"; then
    stop_pid "$pid"
    say "stopped pid $pid"
  else
    say "server $pid was not running"
  fi
  remove_datadir "$datadir"
  rm -f -- "$env_file" "$dir/install.log" "$dir/mariadbd.out" "$dir/.lock"
  rmdir -- "$dir" 2>/dev/null || true  # only when nothing else is in it
}

cmd_restart() {
  local dir="$1"
  local env_file="$dir/env"
  [[ -f "$env_file" ]] || die "no server in $dir (no env file)"
  local pid datadir socket port started_at
  pid="$(env_get "$env_file" MARIADB_PID)"
  datadir="$(env_get "$env_file" MARIADB_DATADIR)"
  socket="$(env_get "$env_file" MARIADB_SOCKET)"
  port="$(env_get "$env_file" MARIADB_PORT)"
  [[ -n "$datadir" && -f "$datadir/.citecheck-mariadb" && -n "$socket" && "$port" =~ ^[0-9]+$ ]] ||
    die "$env_file does not describe a server of this script"
  started_at=$(date +%s%N)
  if alive "$pid" "$datadir"; then
    stop_pid "$pid"
    kill -0 "$pid" 2>/dev/null && die "server $pid did not exit"
    say "stopped pid $pid (data kept in $datadir)"
  else
    say "server $pid was not running; starting it on its data"
  fi

  # The old server released the port on exit; wait a little in case it lingers.
  for _ in $(seq 50); do
    port_free "$port" && break
    sleep 0.1
  done
  port_free "$port" || die "port $port is still taken; cannot restart on it"
  : >"$datadir/error.log"
  spawn_server "$dir" "$datadir" "$socket" "$port"
  pid=$!
  local ready=0
  for _ in $(seq 300); do
    if ping_server "$socket"; then ready=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ((!ready)); then
    if kill -0 "$pid" 2>/dev/null; then stop_pid "$pid"; fi
    tail -n 20 "$datadir/error.log" >&2
    die "mariadbd did not come back on port $port (data kept in $datadir)"
  fi
  if [[ -s "$datadir/mysqld.pid" ]]; then pid="$(<"$datadir/mysqld.pid")"; fi

  local line
  while IFS= read -r line; do
    if [[ "$line" == MARIADB_PID=* ]]; then echo "MARIADB_PID=$pid"; else echo "$line"; fi
  done <"$env_file" >"$env_file.tmp"
  mv -f -- "$env_file.tmp" "$env_file"
  say "restarted as pid $pid on 127.0.0.1:$port in" \
    "$(( ($(date +%s%N) - started_at) / 1000000 )) ms; env in $env_file"
  env_get "$env_file" CITECHECK_MYSQL_URL
}

cmd_env() {
  local env_file="$1/env"
  [[ -f "$env_file" ]] || die "no server in $1"
  alive "$(env_get "$env_file" MARIADB_PID)" "$(env_get "$env_file" MARIADB_DATADIR)" ||
    die "the server of $env_file is not running"
  cat "$env_file"
}

main() {
  local cmd="${1:-}"
  local dir="${2:-$(default_dir)}"
  case "$cmd" in
    start | stop | restart | env) ;;
    *)
      echo "usage: $0 start|stop|restart|env [DIR]" >&2
      exit 2
      ;;
  esac
  for tool in mariadbd mariadb-install-db mariadb mariadb-admin ss flock setsid; do
    command -v "$tool" >/dev/null || die "$tool not found (deploy/setup.sh installs MariaDB)"
  done
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  # One start, stop or restart per DIR at a time.
  exec 9>"$dir/.lock"
  flock -w 120 9 || die "$dir is locked by another deploy/mariadb.sh"
  "cmd_$cmd" "$dir"
}

main "$@"
