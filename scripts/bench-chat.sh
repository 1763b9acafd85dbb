#!/usr/bin/env bash
# Live-chat benchmarks for docs/BENCHMARKS.md: the release server on a private PostgreSQL
# with persistence as shipped (fsync and synchronous_commit on), driven over loopback by the
# chat load tool (server/src/bin/chat-load.rs), which writes its own fixture (clients with
# their own contacts, agents online, conversations already active) and signs everyone in.
#   1. idle: 10,000 authenticated client connections held; server RSS before and while holding
#   2. active: 1,000 conversations, each client sending one message a second to its agent
#   3. peak: the total rate raised in steps until acknowledgements fall behind
#   4, 5. the same two with two instances: clients on one, agents on the other
# Each run gets a fresh server. The summary at the end is ready to paste.
# Usage: scripts/bench-chat.sh
#   BENCH_SECONDS=20               measured seconds per run (per step for peak)
#   BENCH_IDLE=10000               idle connections
#   BENCH_CONVERSATIONS=1000       conversations of the active runs
#   BENCH_PEAK_CONVERSATIONS=2000  conversations of the peak runs (a connection may send 5/s)
#   BENCH_STEPS=500,1000,2000,3000,4000,6000,8000   peak: total messages a second to try
#   BENCH_DB_CONNECTIONS           the servers' pool (STEWARD_DB_MAX_CONNECTIONS; unset: as shipped)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
secs=${BENCH_SECONDS:-20}
idle=${BENCH_IDLE:-10000}
conversations=${BENCH_CONVERSATIONS:-1000}
peak_conversations=${BENCH_PEAK_CONVERSATIONS:-2000}
steps=${BENCH_STEPS:-500,1000,2000,3000,4000,6000,8000}
scripts/ensure-tools.sh >/dev/null
echo "==> cargo build --release -p server --bins"
cargo build --release -p server --bins --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release

export STEWARD_PG_DIR=$PWD/.data/pg-bench-chat STEWARD_PG_PORT=${BENCH_PG_PORT:-5436}
# Durability as shipped; only more connections than the default 100, for two instances.
export STEWARD_PG_OPTS="-c max_connections=200"
scripts/dev-db.sh start >/dev/null
work=$(mktemp -d) # server logs; also the site root: websockets need no pages
pids=()
stop_servers() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop_servers; rm -rf "$work"; scripts/dev-db.sh stop' EXIT
trap 'exit 130' INT TERM
admin=$(scripts/dev-db.sh url postgres)
psql "$admin" -qc "DROP DATABASE IF EXISTS steward_bench_chat WITH (FORCE)" -c "CREATE DATABASE steward_bench_chat"
export DATABASE_URL=$(scripts/dev-db.sh url steward_bench_chat)
# Ten thousand sockets on each side of loopback (servers inherit this; the tool raises its own).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

start() { # port: a server with the database migrated, ready; its pid appended to pids
  local port=$1 log=$work/server-$1.log i=0
  env STEWARD_ADDR="127.0.0.1:$port" STEWARD_PUBLIC_URL="http://127.0.0.1:$port" \
    STEWARD_SITE_ROOT="$work" STEWARD_WORKER=false RUST_LOG=warn \
    ${BENCH_DB_CONNECTIONS:+STEWARD_DB_MAX_CONNECTIONS=$BENCH_DB_CONNECTIONS} \
    "$bin/steward" serve >>"$log" 2>&1 &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
    if ! kill -0 "${pids[-1]}" 2>/dev/null || [ $((i += 1)) -gt 600 ]; then
      echo "the server on :$port did not start:" >&2
      tail -20 "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
}
load() { "$bin/chat-load" --seconds "$secs" "$@"; }
a=http://127.0.0.1:3301
b=http://127.0.0.1:3302

echo "==> 1/5 one instance: $idle idle connections, held ${secs}s"
start 3301
idle_out=$(load idle --connections "$idle" --url "$a" --server-pid "${pids[0]}")
echo "$idle_out"
stop_servers

echo "==> 2/5 one instance: $conversations conversations at 1 message/s"
start 3301
active1_out=$(load active --conversations "$conversations" --rate 1 --url "$a" --server-pid "${pids[0]}")
echo "$active1_out"
stop_servers

echo "==> 3/5 one instance: peak over $peak_conversations conversations, steps $steps"
start 3301
peak1_out=$(load peak --conversations "$peak_conversations" --steps "$steps" --url "$a" --server-pid "${pids[0]}")
echo "$peak1_out"
stop_servers

echo "==> 4/5 two instances (clients on :3301, agents on :3302): $conversations conversations at 1 message/s"
start 3301
start 3302
active2_out=$(load active --conversations "$conversations" --rate 1 --url "$a" --agent-url "$b" \
  --server-pid "${pids[0]}" --server-pid "${pids[1]}")
echo "$active2_out"
stop_servers

echo "==> 5/5 two instances: peak over $peak_conversations conversations"
start 3301
start 3302
peak2_out=$(load peak --conversations "$peak_conversations" --steps "$steps" --url "$a" --agent-url "$b" \
  --server-pid "${pids[0]}" --server-pid "${pids[1]}")
echo "$peak2_out"
stop_servers

pg=$(psql "$DATABASE_URL" -tAc "SELECT 'PostgreSQL ' || current_setting('server_version') || ', fsync ' || current_setting('fsync') || ', synchronous_commit ' || current_setting('synchronous_commit')")
rows=$(psql "$DATABASE_URL" -tAc "SELECT (SELECT count(*) FROM chat_message) || ' messages stored in ' || (SELECT count(*) FROM chat_conversation) || ' conversations'")

cat <<REPORT

Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; the load tool runs beside the servers.
$pg; server pool ${BENCH_DB_CONNECTIONS:-as shipped (10)} connections per instance.
${secs} s measured per run (per step for peak), after 3 s of warm-up. $rows by the end.

### Idle connections, one instance

$idle_out

### ${conversations} conversations at 1 message/s, one instance

$active1_out

### Peak, one instance

$peak1_out

### ${conversations} conversations at 1 message/s, two instances (clients on one, agents on the other)

$active2_out

### Peak, two instances

$peak2_out
REPORT
