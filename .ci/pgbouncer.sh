#!/usr/bin/env bash
# The suites where sessions, locks and prepared statements matter, with DATABASE_URL through a
# PgBouncer in transaction mode and DATABASE_DIRECT_URL naming the server itself: several instances
# on one database (test/cluster), and the refresh-rotation races.
#
#   .ci/pgbouncer.sh OUTPUT.json   writes jest's --json report there; exits with jest's status
#
# Debian's pgbouncer (1.18: no prepared-statement tracking) is installed when missing. It runs in the
# foreground of a background job, as the postgres user (it refuses to run as root), on a free port,
# with a config in a temporary directory that is removed on exit.
set -uo pipefail
cd "$(dirname "$0")/.."

out="${1:?usage: .ci/pgbouncer.sh OUTPUT.json}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
PG_SERVER="${CI_PG_SERVER:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_host="$(node -e 'const u = new URL(process.argv[1]); console.log(u.hostname)' "$PG_SERVER")"
pg_port="$(node -e 'const u = new URL(process.argv[1]); console.log(u.port || 5432)' "$PG_SERVER")"

if ! command -v pgbouncer >/dev/null; then
  echo "== installing pgbouncer"
  apt-get update && apt-get install -y pgbouncer || { echo "pgbouncer: cannot install"; exit 1; }
fi

dir="$(mktemp -d)"
port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

# `*`: any database name (the tests create one per file) goes to the same server. connect_query sets
# on each server connection the timeouts Tessera's own connections ask for at start-up; a pooler
# refuses that startup parameter, and a SET through it would reach other clients.
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$pg_host port=$pg_port connect_query='SET lock_timeout = 5000; SET statement_timeout = 15000'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
; waiting for a server connection is what DATABASE_POOL_ACQUIRE_TIMEOUT_MS bounds in-process: as
; long here (the default, 120 s, holds a query to a dropped database past any graceful stop)
query_wait_timeout = 5
log_connections = 0
log_disconnections = 0
EOF
echo '"postgres" ""' >"$dir/userlist.txt"
chown -R postgres "$dir" 2>/dev/null || true

if [ "$(id -u)" = 0 ]; then
  runuser -u postgres -- pgbouncer "$dir/pgbouncer.ini" >"$dir/pgbouncer.log" 2>&1 &
else
  pgbouncer "$dir/pgbouncer.ini" >"$dir/pgbouncer.log" 2>&1 &
fi
pid=$!
for _ in $(seq 1 50); do
  pg_isready -h 127.0.0.1 -p "$port" -q 2>/dev/null && break
  sleep 0.2
done
if ! pg_isready -h 127.0.0.1 -p "$port" -q; then
  echo "pgbouncer did not start:"
  cat "$dir/pgbouncer.log"
  exit 1
fi

echo "== cluster and rotation suites through PgBouncer $(pgbouncer --version | head -1 | awk '{print $2}') (transaction pooling, port $port)"
DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" \
  DATABASE_DIRECT_URL="$PG_SERVER" \
  npx jest --runInBand \
  apps/server/test/operations/cluster.e2e-spec.ts \
  apps/server/test/sessions/refresh-rotation.e2e-spec.ts \
  apps/server/test/sessions/concurrent-refresh-two-instances.e2e-spec.ts \
  --json --outputFile="$out"
rc=$?
# what the pooler itself refused (a startup parameter, a protocol message) says more than a timeout
grep -E 'WARNING|ERROR|FATAL' "$dir/pgbouncer.log" | grep -vE 'closing because|when not linked' | tail -20
exit $rc
