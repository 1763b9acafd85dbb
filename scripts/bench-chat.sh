#!/usr/bin/env bash
# Live-chat benchmarks for docs/BENCHMARKS.md: the release server on a private PostgreSQL
# with persistence as shipped (fsync, synchronous_commit on), driven by the chat load tool
# (server/src/bin/chat-load.rs) over loopback.
#   1. idle: 10,000 authenticated connections held; server RSS before and while holding
#   2. active: 1,000 conversations, each client sending one message a second to its agent
#   3. peak: the total rate raised in steps until acknowledgements fall behind
#   4. and 5. the same with two instances: clients on one, agents on the other
# Usage: scripts/bench-chat.sh   (BENCH_SECONDS=20, BENCH_IDLE=10000, BENCH_CONVERSATIONS=1000,
#                                 BENCH_STEPS=1000,2000,3000,4000,5000)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
secs=${BENCH_SECONDS:-20}
idle=${BENCH_IDLE:-10000}
conversations=${BENCH_CONVERSATIONS:-1000}
steps=${BENCH_STEPS:-1000,2000,3000,4000,5000}
scripts/ensure-tools.sh >/dev/null
cargo build --release -p server --bins >/dev/null
bin=${CARGO_TARGET_DIR:-$PWD/target}/release

export STEWARD_PG_DIR=$PWD/.data/pg-bench-chat STEWARD_PG_PORT=${BENCH_PG_PORT:-5436}
export STEWARD_PG_OPTS="-c max_connections=200"
scripts/dev-db.sh start >/dev/null
pids=()
stop_servers() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_servers; scripts/dev-db.sh stop' EXIT
admin=$(scripts/dev-db.sh url postgres)
psql "$admin" -qc "DROP DATABASE IF EXISTS steward_bench_chat WITH (FORCE)" -c "CREATE DATABASE steward_bench_chat"
export DATABASE_URL=$(scripts/dev-db.sh url steward_bench_chat)
# Ten thousand sockets on each side of loopback.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

start() { # port
  STEWARD_ADDR=127.0.0.1:$1 STEWARD_PUBLIC_URL=http://127.0.0.1:$1 STEWARD_SITE_ROOT=$PWD/target/site \
    RUST_LOG=warn STEWARD_WORKER=false STEWARD_DB_MAX_CONNECTIONS=${BENCH_DB_CONNECTIONS:-20} \
    "$bin/steward" serve >/dev/null 2>&1 &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$1/readyz" >/dev/null; do sleep 0.05; done
}
load() { "$bin/chat-load" --seconds "$secs" "$@"; }

echo "Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB. PostgreSQL: fsync on, synchronous_commit on."
echo
echo "==> one instance: $idle idle connections"
start 3301
echo "| measure | value |"
echo "| --- | --- |"
echo "| server RSS after start | $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/${pids[0]}/status) |"
load --mode idle --connections "$idle" --url http://127.0.0.1:3301 --server-pid "${pids[0]}"
stop_servers

echo
echo "==> one instance: $conversations conversations at 1 message/s each, then peak"
start 3301
load --mode active --conversations "$conversations" --rate 1 --url http://127.0.0.1:3301 --server-pid "${pids[0]}"
load --mode peak --conversations "$conversations" --steps "$steps" --url http://127.0.0.1:3301 --server-pid "${pids[0]}"
stop_servers

echo
echo "==> two instances (clients on :3301, agents on :3302): $conversations conversations, then peak"
start 3301
start 3302
load --mode active --conversations "$conversations" --rate 1 --url http://127.0.0.1:3301 \
  --agent-url http://127.0.0.1:3302 --server-pid "${pids[0]}" --server-pid "${pids[1]}"
load --mode peak --conversations "$conversations" --steps "$steps" --url http://127.0.0.1:3301 \
  --agent-url http://127.0.0.1:3302 --server-pid "${pids[0]}" --server-pid "${pids[1]}"
