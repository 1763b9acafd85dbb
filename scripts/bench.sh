#!/usr/bin/env bash
# Benchmarks for docs/BENCHMARKS.md: a release build against 10,000 accounts and
# 50,000 contacts on a private PostgreSQL, load from wrk in a second process on loopback.
# Usage: scripts/bench.sh [accounts]   (default 10000; BENCH_SECONDS=20 per run)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
accounts=${1:-10000}
secs=${BENCH_SECONDS:-20}
port=${BENCH_PORT:-3100}
scripts/ensure-tools.sh >/dev/null
scripts/build.sh --release >/dev/null

export STEWARD_PG_DIR=$PWD/.data/pg-bench STEWARD_PG_PORT=${BENCH_PG_PORT:-5435}
scripts/dev-db.sh start >/dev/null
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; scripts/dev-db.sh stop' EXIT
admin=$(scripts/dev-db.sh url postgres)
psql "$admin" -qc "DROP DATABASE IF EXISTS steward_bench WITH (FORCE)" -c "CREATE DATABASE steward_bench"
export DATABASE_URL=$(scripts/dev-db.sh url steward_bench)
export STEWARD_ADDR=127.0.0.1:$port STEWARD_SITE_ROOT=$PWD/target/site RUST_LOG=warn
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/steward
base=http://127.0.0.1:$port

echo "==> loading demo data ($accounts accounts)"
"$bin" demo-data --accounts "$accounts" >/dev/null
counts=$(psql "$DATABASE_URL" -tAc "SELECT (SELECT count(*) FROM account) || ' accounts, ' || (SELECT count(*) FROM contact) || ' contacts'")

echo "==> cold start"
t0=$(date +%s%N)
"$bin" serve >/dev/null 2>&1 &
pid=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.005; done
cold_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
sleep 2
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

key=$("$bin" api-key --name bench --role admin)
jar=$(mktemp)
curl -sf -c "$jar" -H "Origin: $base" -d "email=admin@steward.test&password=steward-demo" "$base/api/login" >/dev/null
cookie="steward_session=$(awk '/steward_session/ {print $7}' "$jar")"

run() { # name, concurrency, url, headers...
  local name=$1 c=$2 url=$3; shift 3
  local out
  local threads=$(( c < 2 ? c : 2 ))
  out=$(wrk -t"$threads" -c"$c" -d"${secs}s" --latency "$@" "$url")
  local p50 p99 rps
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local non2xx
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$c" "$p50" "$p99" "$rps" "${non2xx:-0}"
}

echo "==> load (wrk, ${secs}s each)"
results=$(
  echo "| request | concurrency | p50 | p99 | req/s | non-2xx |"
  echo "| --- | --- | --- | --- | --- | --- |"
  run "account list page (SSR, signed in)" 1 "$base/console/accounts" -H "Cookie: $cookie" -H "Accept: text/html"
  run "account list page (SSR, signed in)" 16 "$base/console/accounts" -H "Cookie: $cookie" -H "Accept: text/html"
  run "account list page, search \"son\"" 16 "$base/console/accounts?q=son" -H "Cookie: $cookie" -H "Accept: text/html"
  run "REST GET /api/v1/accounts" 16 "$base/api/v1/accounts" -H "Authorization: Bearer $key"
  run "REST GET /api/v1/contacts?q=an" 16 "$base/api/v1/contacts?q=an" -H "Authorization: Bearer $key"
)
rss_loaded=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

wasm=target/site/pkg/steward_bg.wasm
raw=$(stat -c %s "$wasm")
br=$(brotli -c -q 11 "$wasm" | wc -c)

cat <<REPORT

Data: $counts. Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB.

$results

| measure | value |
| --- | --- |
| cold start (spawn to /readyz 200) | ${cold_ms} ms |
| idle RSS after start | $((rss_idle / 1024)) MiB |
| RSS after the load runs | $((rss_loaded / 1024)) MiB |
| wasm (release, wasm-opt -Oz) raw | $((raw / 1024)) KiB |
| wasm brotli -q 11 | $((br / 1024)) KiB |
REPORT
