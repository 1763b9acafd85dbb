#!/usr/bin/env bash
# Ticket benchmarks for docs/BENCHMARKS.md: a release build against generated tickets and
# replies (default 1,000,000 and 5,000,000) on a private PostgreSQL, beside pgbench's
# single-row insert rate on the same server in the same run.
# Usage: scripts/bench-tickets.sh   (BENCH_TICKETS, BENCH_REPLIES, BENCH_SECONDS=20,
#   BENCH_WARMUP=5: seconds of each load run first and not counted;
#   BENCH_ROUNDS=3: creation runs, each between two pgbench runs;
#   BENCH_REUSE=1: measure the data the last run generated instead of generating it again)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
tickets=${BENCH_TICKETS:-1000000}
replies=${BENCH_REPLIES:-5000000}
secs=${BENCH_SECONDS:-20}
warmup=${BENCH_WARMUP:-5}
reuse=${BENCH_REUSE:-0}
rounds=${BENCH_ROUNDS:-3}
port=${BENCH_PORT:-3101}
scripts/ensure-tools.sh >/dev/null
scripts/build.sh --release >/dev/null

export STEWARD_PG_DIR=$PWD/.data/pg-bench STEWARD_PG_PORT=${BENCH_PG_PORT:-5435}
scripts/dev-db.sh start >/dev/null
pid=
work=$(mktemp -d)
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"; scripts/dev-db.sh stop' EXIT
admin=$(scripts/dev-db.sh url postgres)
export DATABASE_URL=$(scripts/dev-db.sh url steward_bench_tickets)
if [ "$reuse" = 1 ] && psql "$DATABASE_URL" -tAc "SELECT 1 FROM ticket LIMIT 1" >/dev/null 2>&1; then
  echo "==> reusing the generated data (BENCH_REUSE=1); migrations are applied by the server"
else
  reuse=0
  psql "$admin" -qc "DROP DATABASE IF EXISTS steward_bench_tickets WITH (FORCE)" -c "CREATE DATABASE steward_bench_tickets"
fi
export STEWARD_ADDR=127.0.0.1:$port STEWARD_SITE_ROOT=$PWD/target/site RUST_LOG=warn STEWARD_WORKER=false
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/steward
base=http://127.0.0.1:$port

t0=$(date +%s)
if [ "$reuse" = 0 ]; then
echo "==> demo data, then $tickets tickets and $replies replies (indexes rebuilt after the load)"
"$bin" demo-data --accounts 2000 >/dev/null
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -v tickets="$tickets" -v replies="$replies" <<'SQL'
INSERT INTO team (id, name, auto_assign) VALUES ('00000000-0000-0000-0000-0000000000a1', 'Hardware', false),
  ('00000000-0000-0000-0000-0000000000a2', 'Software', false);
DROP INDEX ticket_search_entry_search_idx, ticket_search_entry_ticket_idx, ticket_search_entry_message_idx,
  ticket_search_entry_created_idx,
  ticket_open_due_idx, ticket_assignee_idx, ticket_account_idx, ticket_updated_idx, ticket_status_idx,
  ticket_tags_idx, ticket_message_ticket_idx;
-- The search's weeks for the generated history (the worker makes the weeks ahead).
SELECT ticket_search_add_weeks(now() - interval '401 days', now() + interval '8 weeks');
CREATE TEMP TABLE accts AS SELECT row_number() OVER () AS n, id FROM account;
SELECT count(*) AS naccts FROM accts \gset
CREATE TEMP TABLE words AS SELECT ARRAY['printer','kiosk','scanner','network','invoice','login','screen',
  'terminal','router','label','card','reader','badge','camera','update','license','backup','email','vpn','tablet'] AS a,
  ARRAY['jams','offline','slow','broken','error','missing','frozen','flickers','rejected','fails','beeps','restarts'] AS b;
INSERT INTO ticket (id, number, subject, description, ticket_type, priority, status, channel, account_id, team_id,
    tags, first_response_due, resolution_due, first_responded_at, created_at, updated_at)
SELECT gen_random_uuid(), 100000 + g,
       w.a[1 + (g * 7) % 20] || ' ' || w.b[1 + (g * 13) % 12] || ' at site ' || (g % 977),
       'The ' || w.a[1 + (g * 11) % 20] || ' ' || w.b[1 + (g * 5) % 12] || ' since ' || (g % 28 + 1) || ' days; '
         || w.a[1 + (g * 3) % 20] || ' checked.',
       (ARRAY['hardware','software','question','billing'])[1 + g % 4],
       (ARRAY['low','medium','medium','high','urgent'])[1 + g % 5],
       (ARRAY['new','open','open','pending_client','on_hold','resolved','closed','closed','closed','closed'])[1 + g % 10],
       (ARRAY['portal','email','web_form','phone','api'])[1 + g % 5],
       a.id,
       CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN '00000000-0000-0000-0000-0000000000a1'::uuid
            ELSE '00000000-0000-0000-0000-0000000000a2'::uuid END,
       CASE WHEN g % 11 = 0 THEN ARRAY['vip'] ELSE '{}' END,
       now() - (g % 400) * interval '1 day' + interval '8 hours',
       now() - (g % 400) * interval '1 day' + interval '3 days',
       CASE WHEN g % 4 = 0 THEN NULL ELSE now() - (g % 400) * interval '1 day' + interval '1 hour' END,
       now() - (g % 400) * interval '1 day', now() - (g % 400) * interval '1 day' + interval '2 hours'
FROM generate_series(1, :tickets) g JOIN accts a ON a.n = 1 + g % :naccts, words w;
SELECT setval('ticket_number_seq', 100000 + :tickets + 1);
-- Their own search entries, as the worker writes them for new tickets (tickets::arrivals).
INSERT INTO ticket_search_entry (ticket_id, message_id, internal, created_at, search)
SELECT id, NULL, false, created_at, ticket_search_text(subject, description) FROM ticket;
CREATE TEMP TABLE tids AS SELECT row_number() OVER () AS n, id FROM ticket;
INSERT INTO ticket_message (id, ticket_id, internal, author_name, body, via, created_at)
SELECT gen_random_uuid(), t.id, g % 6 = 0, CASE WHEN g % 2 = 0 THEN 'Ada Agent' ELSE 'Client' END,
       'Tried the ' || w.a[1 + (g * 17) % 20] || ' again; it ' || w.b[1 + (g * 19) % 12] || '. Ref ' || g,
       (ARRAY['portal','console','email'])[1 + g % 3], now() - (g % 400) * interval '1 day'
FROM generate_series(1, :replies) g
JOIN tids t ON t.n = 1 + g % :tickets, words w;
CREATE INDEX ticket_open_due_idx ON ticket (team_id, resolution_due) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX ticket_assignee_idx ON ticket (assignee_id, updated_at DESC) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX ticket_account_idx ON ticket (account_id, updated_at DESC);
CREATE INDEX ticket_updated_idx ON ticket (updated_at DESC, id DESC);
CREATE INDEX ticket_status_idx ON ticket (status);
CREATE INDEX ticket_tags_idx ON ticket USING gin (tags);
CREATE INDEX ticket_message_ticket_idx ON ticket_message (ticket_id, created_at);
CREATE INDEX ticket_search_entry_search_idx ON ticket_search_entry USING gin (search);
CREATE INDEX ticket_search_entry_ticket_idx ON ticket_search_entry (ticket_id);
CREATE INDEX ticket_search_entry_message_idx ON ticket_search_entry (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX ticket_search_entry_created_idx ON ticket_search_entry USING brin (created_at);
-- Frozen, so that autovacuum has no reason to come back to the loaded weeks mid-run.
VACUUM (FREEZE, ANALYZE);
CHECKPOINT;
SQL
fi
load_secs=$(( $(date +%s) - t0 ))
# Measure a settled server: a vacuum or analyze of any week invalidates every connection's
# cached search plan, and right after a bulk load that is a wave over all the weeks (seen:
# search p99 58 ms in the run where it overlapped, 38 ms without; it came a minute after the
# load's own VACUUM FREEZE). So wait for 70 quiet seconds, more than autovacuum's one-minute
# round, at most five minutes.
quiet=0
for _ in $(seq 1 300); do
  if [ "$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ]; then
    quiet=$((quiet + 1))
  else
    quiet=0
  fi
  [ "$quiet" -ge 70 ] && break
  sleep 1
done
counts=$(psql "$DATABASE_URL" -tAc "SELECT (SELECT count(*) FROM ticket) || ' tickets, ' || (SELECT count(*) FROM ticket_message) || ' replies, ' || pg_size_pretty(pg_database_size(current_database()))")

"$bin" serve >/dev/null 2>&1 &
pid=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done
key=$("$bin" api-key --name bench --role support_agent)
account=$(psql "$DATABASE_URL" -tAc "SELECT id FROM account WHERE name = 'Acme Corporation'")

cat > "$work/create.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"subject":"Printer jams at the desk","description":"It jams on every second receipt.","account_id":"$account","priority":"high","ticket_type":"hardware"}'
LUA

run() { # name, concurrency, url, args...
  local name=$1 c=$2 url=$3; shift 3
  local threads=$(( c < 2 ? c : 2 ))
  local out
  # Warm-up, not counted: each pooled connection plans the statement once (see BENCHMARKS.md).
  wrk -t"$threads" -c"$c" -d"${warmup}s" -H "Authorization: Bearer $key" "$@" "$url" >/dev/null
  out=$(wrk -t"$threads" -c"$c" -d"${secs}s" --latency -H "Authorization: Bearer $key" "$@" "$url")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$c" \
    "$(echo "$out" | awk '$1 == "50%" {print $2}')" "$(echo "$out" | awk '$1 == "99%" {print $2}')" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" "$(echo "$out" | awk '/Non-2xx/ {print $4}')"
}

echo "==> load (wrk, ${secs}s each)"
results=$(
  echo "| request | concurrency | p50 | p99 | req/s | non-2xx |"
  echo "| --- | --- | --- | --- | --- | --- |"
  run "open tickets of a team by SLA due" 1 "$base/api/v1/tickets?view=open&team_id=00000000-0000-0000-0000-0000000000a1&sort=due"
  run "open tickets of a team by SLA due" 16 "$base/api/v1/tickets?view=open&team_id=00000000-0000-0000-0000-0000000000a1&sort=due"
  run "full-text search \"kiosk frozen\"" 1 "$base/api/v1/tickets?view=all&q=kiosk%20frozen"
  run "full-text search \"kiosk frozen\"" 16 "$base/api/v1/tickets?view=all&q=kiosk%20frozen"
  # Two words that often meet: about 99,000 matching tickets to rank.
  run "full-text search \"printer jams\"" 1 "$base/api/v1/tickets?view=all&q=printer%20jams"
)

# Creation beside pgbench, side by side: the machine's speed moves by half within an hour
# (docs/BENCHMARKS.md), so one creation run and one pgbench run minutes apart compare
# nothing. Instead pgbench and creation alternate, P C P C ... P, each for the run's seconds;
# a round's ratio is its creation against the mean of the pgbench runs on either side.
# The CPU that creation costs (server, and all PostgreSQL processes, from /proc in clock
# ticks) is summed over the creation runs and divided by the tickets they created.
ticks() { { cat "$@" 2>/dev/null || true; } | awk '{s += $14 + $15} END {print s + 0}'; }
pg_stats() { # this cluster's postmaster, its live children, and the children it has reaped
  local pm; pm=$(head -1 "$STEWARD_PG_DIR/data/postmaster.pid")
  echo $(( $(ticks $(for p in "$pm" $(pgrep -P "$pm"); do echo "/proc/$p/stat"; done)) \
    + $(awk '{print $16 + $17}' "/proc/$pm/stat") ))
}
hz=$(getconf CLK_TCK)
psql "$DATABASE_URL" -qc "SET client_min_messages = warning; CREATE TABLE IF NOT EXISTS bench_insert (id uuid PRIMARY KEY, subject text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
echo "INSERT INTO bench_insert (id, subject) VALUES (gen_random_uuid(), 'Printer jams at the desk');" > "$work/insert.sql"
pgbench_insert() { pgbench -n -c 16 -j 2 -T "$secs" -f "$work/insert.sql" "$DATABASE_URL" 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}'; }
echo "==> creation beside pgbench's one-row insert, $rounds rounds of ${secs}s each"
# Warm-up, not counted: each pooled connection plans the statement once (see BENCHMARKS.md).
wrk -t2 -c16 -d"${warmup}s" -H "Authorization: Bearer $key" -s "$work/create.lua" "$base/api/v1/tickets" >/dev/null
tps_before=$(pgbench_insert)
cpu_server=0; cpu_pg=0; made=0
rows=""; ratios=""
for r in $(seq 1 "$rounds"); do
  n0=$(psql "$DATABASE_URL" -tAc "SELECT last_value FROM ticket_number_seq")
  s0=$(ticks "/proc/$pid/stat"); p0=$(pg_stats)
  out=$(wrk -t2 -c16 -d"${secs}s" --latency -H "Authorization: Bearer $key" -s "$work/create.lua" "$base/api/v1/tickets")
  s1=$(ticks "/proc/$pid/stat"); p1=$(pg_stats)
  n1=$(psql "$DATABASE_URL" -tAc "SELECT last_value FROM ticket_number_seq")
  cpu_server=$((cpu_server + s1 - s0)); cpu_pg=$((cpu_pg + p1 - p0)); made=$((made + n1 - n0))
  tps_after=$(pgbench_insert)
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  ratio=$(awk -v c="$rps" -v a="$tps_before" -v b="$tps_after" 'BEGIN {printf "%.1f", 200 * c / (a + b)}')
  rows+="| $r | $tps_before | $rps | $(echo "$out" | awk '$1 == "50%" {print $2}') | $(echo "$out" | awk '$1 == "99%" {print $2}') | $tps_after | $ratio % | $(echo "$out" | awk '/Non-2xx/ {print $4}') |"$'\n'
  ratios+="$ratio"$'\n'
  tps_before=$tps_after
done
median=$(printf '%s' "$ratios" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
split=$(awk -v s="$cpu_server" -v p="$cpu_pg" -v n="$made" -v hz="$hz" \
  'BEGIN {printf "PostgreSQL %.2f ms, server %.2f ms (%d tickets)", p * 1000 / hz / n, s * 1000 / hz / n, n}')
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
sleep 2 # its PostgreSQL backends end after it, and their CPU must not count below

# What follows the tickets just created: the worker tells the desk, makes their text
# searchable and marks their accounts' health stale after the ticket (tickets::arrivals), so
# the server above ran without it; here the same job catches up on all of the run's tickets
# at once. Its CPU per ticket adds to creation's.
p0=$(pg_stats)
follow_out=$(/usr/bin/time -f "cpu %U %S" "$bin" follow-new-tickets 2>&1)
p1=$(pg_stats)
followed=$(echo "$follow_out" | awk '/^followed / {print $2}')
follow_secs=$(echo "$follow_out" | awk '/^followed / {sub("s", "", $6); print $6}')
follow=$(echo "$follow_out" | awk -v p=$((p1 - p0)) -v n="$followed" -v hz="$hz" -v secs="$follow_secs" \
  '/^cpu / {printf "%d tickets in %.1f s (%.0f a second): PostgreSQL %.3f ms, steward %.3f ms a ticket", n, secs, n / secs, p * 1000 / hz / n, ($2 + $3) * 1000 / n}')

# A second reference: the ticket row by itself, as the API writes it (its indexes, foreign keys
# and triggers), without its history, event, HTTP or JSON.
cat > "$work/ticket.sql" <<SQL
INSERT INTO ticket (id, subject, description, ticket_type, priority, status, channel, account_id, first_response_due, resolution_due)
VALUES (gen_random_uuid(), 'Printer jams at the desk', 'It jams on every second receipt.', 'hardware', 'high', 'new', 'api', '$account', now() + interval '2 hours', now() + interval '16 hours');
SQL
ticket_tps=$(pgbench -n -c 16 -j 2 -T "$secs" -f "$work/ticket.sql" "$DATABASE_URL" 2>/dev/null | awk '/^tps/ {print $3}')

cat <<REPORT

Data: $counts ($( [ "$reuse" = 1 ] && echo "from an earlier run" || echo "generated in ${load_secs}s")). Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB.
Durability as shipped: fsync on, synchronous_commit on.

Creation through the REST API beside pgbench's one-row insert, both at concurrency 16, each
creation run between two pgbench runs (a round's ratio: creation against their mean). Target:
creation at least 40 % of pgbench; median of the rounds: **${median} %**.

| round | pgbench before (tx/s) | \`POST /api/v1/tickets\` (req/s) | p50 | p99 | pgbench after (tx/s) | ratio | non-2xx |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows}
$results

| measure | value |
| --- | --- |
| pgbench inserting the ticket row alone, 16 clients | ${ticket_tps} tx/s |
| CPU per created ticket, over the creation rounds | ${split} |
| followed afterwards: the history line and the acknowledgement written, the desk told, the text made searchable, the account's health marked stale (worker's job, \`steward follow-new-tickets\`) | ${follow} |
REPORT
