#!/usr/bin/env bash
# Account health and feedback analytics benchmarks for docs/BENCHMARKS.md: 100,000 customer
# accounts (a tenth of them parents of another), 1,000,000 tickets and 200,000 answered surveys
# over a year, on a private PostgreSQL. Measures `steward recompute-health` (every account, what
# the nightly job runs: wall time and the process's peak memory) and the feedback analytics page
# for a year of answers (server-rendered, signed in) with wrk.
# Usage: scripts/bench-health.sh   (BENCH_ACCOUNTS=100000, BENCH_TICKETS=1000000,
#                                   BENCH_RESPONSES=200000, BENCH_SECONDS=20)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
accounts=${BENCH_ACCOUNTS:-100000}
tickets=${BENCH_TICKETS:-1000000}
responses=${BENCH_RESPONSES:-200000}
secs=${BENCH_SECONDS:-20}
port=${BENCH_PORT:-3114}
scripts/ensure-tools.sh >/dev/null
echo "==> cargo build --release -p server --bins"
cargo build --release -p server --bins --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/steward

export STEWARD_PG_DIR=$PWD/.data/pg-bench-health STEWARD_PG_PORT=${BENCH_PG_PORT:-5439}
scripts/dev-db.sh start >/dev/null
pid=
work=$(mktemp -d) # also the site root: the pages render without the browser bundle
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"; scripts/dev-db.sh stop' EXIT
admin=$(scripts/dev-db.sh url postgres)
psql "$admin" -qc "DROP DATABASE IF EXISTS steward_bench_health WITH (FORCE)" -c "CREATE DATABASE steward_bench_health"
export DATABASE_URL=$(scripts/dev-db.sh url steward_bench_health)
export STEWARD_ADDR=127.0.0.1:$port STEWARD_SITE_ROOT=$work RUST_LOG=warn STEWARD_WORKER=false
base=http://127.0.0.1:$port

echo "==> demo data, then $accounts accounts, $tickets tickets, $responses answered surveys"
"$bin" demo-data --accounts 5 >/dev/null
t0=$(date +%s)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -v accounts="$accounts" -v tickets="$tickets" -v responses="$responses" <<'SQL'
-- The triggers would queue every account for recompute while loading; the benchmark
-- recomputes everything anyway.
ALTER TABLE ticket DISABLE TRIGGER ticket_health_insert;
CREATE TEMP TABLE b AS SELECT g, gen_random_uuid() AS id, gen_random_uuid() AS contact FROM generate_series(1, :accounts) g;
INSERT INTO account (id, name, account_type, status, created_at)
SELECT id, 'Bench account ' || g, 'customer', 'active', now() - interval '400 days' FROM b;
-- Every tenth account is a location of the account before it.
UPDATE account a SET parent_id = p.id FROM b c JOIN b p ON p.g = c.g - 1 WHERE a.id = c.id AND c.g % 10 = 0;
INSERT INTO contact (id, account_id, first_name, last_name, status) SELECT contact, id, 'Bench', 'Contact ' || g, 'active' FROM b;
INSERT INTO contact_email (contact_id, position, email) SELECT contact, 0, 'bench' || g || '@bench.example' FROM b;
INSERT INTO ticket (id, number, subject, description, ticket_type, priority, status, sla_state, channel, account_id,
    first_response_due, resolution_due, created_at, updated_at)
SELECT gen_random_uuid(), 200000 + t, 'Bench ticket ' || t, 'Generated.', 'hardware', 'medium',
       (ARRAY['new','open','resolved','closed','closed'])[1 + t % 5],
       CASE WHEN t % 17 = 0 THEN 'breached' ELSE 'ok' END,
       (ARRAY['portal','email','phone','api'])[1 + t % 4], b.id,
       now(), now() + interval '3 days', now() - (t % 365) * interval '1 day', now()
FROM generate_series(1, :tickets) t JOIN b ON b.g = 1 + t % :accounts;
SELECT setval('ticket_number_seq', 200000 + :tickets + 1);
INSERT INTO survey_request (id, kind, trigger_key, account_id, contact_id, to_address, agent_id, ticket_type, channel,
    subject, sent_at, expires_at, score, comment, answered_at)
SELECT gen_random_uuid(), CASE WHEN r % 5 = 0 THEN 'nps' ELSE 'csat' END, 'bench:' || r, b.id, b.contact,
       'bench@bench.example',
       (SELECT id FROM app_user WHERE role = 'support_agent' ORDER BY email LIMIT 1),
       (ARRAY['hardware','software','question','billing'])[1 + r % 4], (ARRAY['portal','email','phone','chat'])[1 + r % 4],
       'Bench ' || r, now() - (r % 365) * interval '1 day', now() - (r % 365) * interval '1 day' + interval '14 days',
       CASE WHEN r % 5 = 0 THEN r % 11 ELSE 1 + (r * 7) % 5 END,
       CASE WHEN r % 9 = 0 THEN 'the technician was ' || (ARRAY['quick','slow','friendly','late'])[1 + r % 4] END,
       now() - (r % 365) * interval '1 day' + interval '2 hours'
FROM generate_series(1, :responses) r JOIN b ON b.g = 1 + (r * 7) % :accounts;
ALTER TABLE ticket ENABLE TRIGGER ticket_health_insert;
VACUUM ANALYZE;
SQL
load_secs=$(( $(date +%s) - t0 ))
counts=$(psql "$DATABASE_URL" -tAc "SELECT (SELECT count(*) FROM account) || ' accounts, ' || (SELECT count(*) FROM ticket) || ' tickets, ' || (SELECT count(*) FROM survey_request WHERE answered_at IS NOT NULL) || ' answered surveys, ' || pg_size_pretty(pg_database_size(current_database()))")

echo "==> recompute health for every account (steward recompute-health)"
recompute=$( { /usr/bin/time -v "$bin" recompute-health; } 2>&1 )
line=$(echo "$recompute" | grep '^recomputed')
peak_kb=$(echo "$recompute" | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}')
bands=$(psql "$DATABASE_URL" -tAc "SELECT string_agg(coalesce(band, 'no data') || ' ' || n, ', ') FROM (SELECT band, count(*) n FROM account_health GROUP BY band ORDER BY band) x")

"$bin" serve >/dev/null 2>&1 &
pid=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done
jar="$work/jar"
curl -sf -c "$jar" -H "Origin: $base" -d "email=support.manager@steward.test&password=steward-demo" "$base/api/login" >/dev/null
cookie="steward_session=$(awk '/steward_session/ {print $7}' "$jar")"

run() { # name, concurrency, url, args...
  local name=$1 c=$2 url=$3; shift 3
  local threads=$(( c < 2 ? c : 2 ))
  local out
  out=$(wrk -t"$threads" -c"$c" -d"${secs}s" --latency "$@" "$url")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$c" \
    "$(echo "$out" | awk '$1 == "50%" {print $2}')" "$(echo "$out" | awk '$1 == "99%" {print $2}')" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" "$(echo "$out" | awk '/Non-2xx/ {print $4}')"
}

echo "==> load (wrk, ${secs}s each)"
results=$(
  echo "| request (support manager, signed in) | concurrency | p50 | p99 | req/s | non-2xx |"
  echo "| --- | --- | --- | --- | --- | --- |"
  run "GET /console/feedback (a year, by month)" 1 "$base/console/feedback" -H "Cookie: $cookie"
  run "GET /console/feedback?group=agent" 1 "$base/console/feedback?group=agent" -H "Cookie: $cookie"
  run "GET /console/feedback?q=slow (comment search)" 1 "$base/console/feedback?q=slow" -H "Cookie: $cookie"
  run "GET /console/feedback (a year, by month)" 8 "$base/console/feedback" -H "Cookie: $cookie"
  run "GET /console/health (dashboard)" 1 "$base/console/health" -H "Cookie: $cookie"
)

cat <<REPORT

Data: $counts (generated in ${load_secs}s). Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB.

| measure | value |
| --- | --- |
| recompute-health | $line |
| peak memory of the steward process | $(( peak_kb / 1024 )) MiB |
| bands after | $bands |

$results
REPORT
