#!/usr/bin/env bash
# A private PostgreSQL cluster under the project folder, for `make run` and `make test`
# when DATABASE_URL is not set. It listens on 127.0.0.1 only and trusts local
# connections: a developer's and CI's throwaway database, never a production one.
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
# Usage: scripts/dev-db.sh start|stop|url   (STEWARD_PG_DIR, STEWARD_PG_PORT override)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${STEWARD_PG_DIR:-$PWD/.data/pg}
port=${STEWARD_PG_PORT:-5433}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (run scripts/ensure-tools.sh)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgres://postgres@127.0.0.1:$port/${1:-steward}"; }

start() {
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir"
    if ! runuser -u postgres -- test -x "$dir"; then
      echo "the postgres user cannot reach $dir; put the project in a folder others can traverse" >&2
      exit 1
    fi
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    echo "==> initdb $dir/data"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "==> PostgreSQL already running on port $port"
  else
    echo "==> starting PostgreSQL on 127.0.0.1:$port"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 ${STEWARD_PG_OPTS:-}" start >/dev/null
  fi
  if ! psql "$(url postgres)" -tAc "SELECT 1 FROM pg_database WHERE datname = 'steward'" | grep -q 1; then
    psql "$(url postgres)" -qc "CREATE DATABASE steward"
  fi
}

stop() {
  [ -f "$dir/data/PG_VERSION" ] || return 0
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url "${2:-steward}" ;;
  *) echo "usage: $0 start|stop|url [db]" >&2; exit 2 ;;
esac
