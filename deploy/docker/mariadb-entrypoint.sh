#!/bin/bash
# The MariaDB container of local clusters: creates the data directory on first start, the
# database and the user the service needs (MARIADB_DATABASE, MARIADB_USER, MARIADB_PASSWORD,
# defaults citecheck/citecheck/citecheck), then runs mariadbd in the foreground (it handles
# SIGTERM) on MARIADB_BIND_ADDRESS:MARIADB_PORT (default 0.0.0.0:3306). The server settings citecheck relies on are passed below; see docs/OPERATIONS.md.
set -euo pipefail
DATA=/var/lib/citecheck-mariadb/data
DB="${MARIADB_DATABASE:-citecheck}"
USER_NAME="${MARIADB_USER:-citecheck}"
PASSWORD="${MARIADB_PASSWORD:-citecheck}"
# A mounted option file (deploy/k8s/mariadb.yaml) replaces the built-in tuning.
CNF=/etc/mysql/conf.d/citecheck.cnf
if [[ -f "$CNF" ]]; then
  SETTINGS=(--defaults-file="$CNF")
else
  SETTINGS=(--no-defaults --skip-name-resolve --character-set-server=utf8mb4
    --collation-server=utf8mb4_unicode_ci --transaction-isolation=READ-COMMITTED
    --innodb-buffer-pool-size="${MARIADB_BUFFER_POOL:-256M}" --innodb-log-file-size=256M
    --max-connections=500)
fi
SETTINGS+=(--datadir="$DATA" --socket=/run/mysqld/mysqld.sock --port="${MARIADB_PORT:-3306}"
  --bind-address="${MARIADB_BIND_ADDRESS:-0.0.0.0}"
  --log-error=/dev/stderr)
if [[ ! -d "$DATA/mysql" ]]; then
  mariadb-install-db "${SETTINGS[0]}" --datadir="$DATA" --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null
  mariadbd "${SETTINGS[@]}" --skip-networking &
  pid=$!
  for _ in $(seq 1 300); do
    mariadb-admin --no-defaults --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  mariadb --no-defaults --socket=/run/mysqld/mysqld.sock -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$USER_NAME'@'%' IDENTIFIED BY '$PASSWORD';
GRANT ALL ON \`$DB\`.* TO '$USER_NAME'@'%';
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MARIADB_ROOT_PASSWORD:-$(head -c 18 /dev/urandom | base64)}';
SQL
  kill -TERM "$pid"
  wait "$pid" || true
fi
exec mariadbd "${SETTINGS[@]}"
