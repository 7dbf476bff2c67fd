#!/usr/bin/env bash
# bench/run_accounts_bench.sh: the MySQL account store's accounting transactions against
# `sysbench oltp_update_index`, on one throwaway MariaDB (deploy/mariadb.sh), in one run.
#
#   bench/run_accounts_bench.sh            # BUILD_DIR=build THREADS="1 4" SECONDS_PER_RUN=10
#
# Starts a private MariaDB in a temp dir (stopped and deleted on exit), prepares sysbench's
# sbtest1 (1 table, 10000 rows) in database `citecheck`, then for each thread count runs
# sysbench oltp_update_index and $BUILD_DIR/bench/accounts_bench (reserve + charge, 2
# transactions per unit) in the same database (the store's tables do not clash with sbtest1),
# and prints a markdown table. See docs/PERFORMANCE.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
[[ "$BUILD_DIR" == /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
BENCH="$BUILD_DIR/bench/accounts_bench"
THREADS="${THREADS:-1 4}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
ACCOUNTS="${ACCOUNTS:-1000}"

say() { printf '[accounts-bench] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[[ -x "$BENCH" ]] || die "$BENCH not found (ninja -C $BUILD_DIR accounts_bench)"
command -v sysbench >/dev/null || die "sysbench not found (apt-get install sysbench)"

DIR="$(mktemp -d "${TMPDIR:-/tmp}/citecheck-accounts-bench.XXXXXX")"
cleanup() {
  "$ROOT/deploy/mariadb.sh" stop "$DIR" >/dev/null 2>&1 || true
  rm -rf -- "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$ROOT/deploy/mariadb.sh" start "$DIR" >/dev/null
env_get() { sed -n "s/^$1=//p" "$DIR/env"; }
URL="$(env_get CITECHECK_MYSQL_URL)"
PORT="$(env_get MARIADB_PORT)"
[[ -n "$URL" && -n "$PORT" ]] || die "no URL/port in $DIR/env"

SB=(sysbench oltp_update_index --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT"
  --mysql-user=citecheck --mysql-password=citecheck --mysql-db=citecheck --tables=1
  --table-size=10000)
say "sysbench prepare (1 table, 10000 rows)"
"${SB[@]}" prepare >"$DIR/sysbench-prepare.log" 2>&1 ||
  { cat "$DIR/sysbench-prepare.log" >&2; die "sysbench prepare failed"; }

rows=()
for t in $THREADS; do
  say "threads=$t: sysbench oltp_update_index, ${SECONDS_PER_RUN} s"
  sb_out="$("${SB[@]}" --threads="$t" --time="$SECONDS_PER_RUN" run 2>&1)" ||
    { printf '%s\n' "$sb_out" >&2; die "sysbench run failed"; }
  # "    transactions:                        123456 (12345.67 per sec.)"
  sb_tps="$(printf '%s\n' "$sb_out" | sed -n 's/^ *transactions: *[0-9]* *(\([0-9.]*\) per sec\.).*/\1/p')"
  [[ -n "$sb_tps" ]] || { printf '%s\n' "$sb_out" >&2; die "cannot parse sysbench output"; }

  say "threads=$t: accounts_bench (reserve + charge), ${SECONDS_PER_RUN} s"
  cc_out="$("$BENCH" --mysql_url="$URL" --threads="$t" --seconds="$SECONDS_PER_RUN" \
    --accounts="$ACCOUNTS")" || { printf '%s\n' "$cc_out" >&2; die "accounts_bench failed"; }
  say "$cc_out"
  cc_tps="$(printf '%s\n' "$cc_out" | sed -n 's/.* tx_per_s=\([0-9.]*\).*/\1/p')"
  cc_ups="$(printf '%s\n' "$cc_out" | sed -n 's/.* units_per_s=\([0-9.]*\).*/\1/p')"
  [[ -n "$cc_tps" && -n "$cc_ups" ]] || die "cannot parse accounts_bench output: $cc_out"
  ratio="$(awk -v a="$cc_tps" -v b="$sb_tps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
  rows+=("| $t | $sb_tps | $cc_tps | $ratio | $cc_ups |")
done

"${SB[@]}" cleanup >/dev/null 2>&1 || say "sysbench cleanup failed (the server is deleted anyway)"

echo "MariaDB $(mariadbd --version | sed -n 's/.*Ver \([^ ]*\).*/\1/p') from deploy/mariadb.sh:" \
  "data on /dev/shm (tmpfs), innodb_flush_log_at_trx_commit=2, buffer pool 64M;" \
  "${SECONDS_PER_RUN} s per run, $ACCOUNTS accounts, $(nproc) cores shared by server and client."
echo
echo "| threads | sysbench oltp_update_index tx/s | citecheck reserve+charge tx/s |" \
  "ratio (citecheck tx/s ÷ sysbench tx/s) | citecheck units/s |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
