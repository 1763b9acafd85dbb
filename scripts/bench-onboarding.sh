#!/usr/bin/env bash
# Onboarding board benchmark for docs/BENCHMARKS.md: the release server with 5,000 running
# onboardings (six steps each, spread over the stages) on a private PostgreSQL; wrk drives the
# staff board (server-rendered, signed in) unfiltered and filtered, side by side.
# Usage: scripts/bench-onboarding.sh   (BENCH_ONBOARDINGS=5000, BENCH_SECONDS=20)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
onboardings=${BENCH_ONBOARDINGS:-5000}
secs=${BENCH_SECONDS:-20}
port=${BENCH_PORT:-3112}
scripts/ensure-tools.sh >/dev/null
echo "==> cargo build --release -p server --bins"
cargo build --release -p server --bins --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/steward

export STEWARD_PG_DIR=$PWD/.data/pg-bench-onboarding STEWARD_PG_PORT=${BENCH_PG_PORT:-5438}
scripts/dev-db.sh start >/dev/null
pid=
work=$(mktemp -d) # also the site root: the pages render without the browser bundle
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"; scripts/dev-db.sh stop' EXIT
admin=$(scripts/dev-db.sh url postgres)
psql "$admin" -qc "DROP DATABASE IF EXISTS steward_bench_onboarding WITH (FORCE)" -c "CREATE DATABASE steward_bench_onboarding"
export DATABASE_URL=$(scripts/dev-db.sh url steward_bench_onboarding)
export STEWARD_ADDR=127.0.0.1:$port STEWARD_SITE_ROOT=$work RUST_LOG=warn STEWARD_WORKER=false
base=http://127.0.0.1:$port

echo "==> demo data, then $onboardings running onboardings"
"$bin" demo-data --accounts 20 >/dev/null
t0=$(date +%s)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -v n="$onboardings" <<'SQL'
-- Customers of their own, each running the demo's template (the demo's own onboardings end first).
UPDATE onboarding SET status = 'completed', completed_at = now() WHERE status = 'running';
CREATE TEMP TABLE bench_account AS
SELECT gen_random_uuid() AS id, g,
       (SELECT id FROM app_user WHERE kind = 'staff' ORDER BY email LIMIT 1 OFFSET g % 5) AS owner
FROM generate_series(1, :n) g;
INSERT INTO account (id, name, account_type, status, owner_id)
SELECT id, 'Bench customer ' || g, 'customer', 'active', owner FROM bench_account;
INSERT INTO onboarding (id, account_id, template_id, template_version, template_name, started_by,
                        owner_id, started_at)
SELECT gen_random_uuid(), b.id, t.id, t.current_version, t.name, 'became_customer', b.owner,
       now() - (b.g % 30) * interval '1 day'
FROM bench_account b, (SELECT * FROM onboarding_template WHERE is_default) t;
INSERT INTO onboarding_step (id, onboarding_id, position, title, description, owner_side,
    owner_role, depends_on, checklist, required_documents, action, due_on, status, action_done_at)
SELECT gen_random_uuid(), o.id, s.position, s.title, s.description, s.owner_side, s.owner_role,
       s.depends_on, s.checklist, s.required_documents, s.action,
       o.started_at::date + s.due_offset_days,
       CASE WHEN s.position <= (hashtext(o.id::text) & 7) % 6 THEN 'done' ELSE 'open' END, now()
FROM onboarding o JOIN onboarding_template_step s
  ON s.template_id = o.template_id AND s.version = o.template_version
WHERE o.status = 'running';
-- The counters the board reads, as the service keeps them.
UPDATE onboarding o SET step_count = c.total, steps_done = c.done, stage = c.stage,
       stage_position = c.stage_position, next_due_on = c.next_due
FROM (SELECT onboarding_id, count(*)::int AS total, count(*) FILTER (WHERE status <> 'open')::int AS done,
             (array_agg(title ORDER BY position) FILTER (WHERE status = 'open'))[1] AS stage,
             min(position) FILTER (WHERE status = 'open') AS stage_position,
             min(due_on) FILTER (WHERE status = 'open') AS next_due
      FROM onboarding_step GROUP BY onboarding_id) c
WHERE c.onboarding_id = o.id AND o.status = 'running';
VACUUM ANALYZE;
SQL
load_secs=$(( $(date +%s) - t0 ))
counts=$(psql "$DATABASE_URL" -tAc "SELECT count(*) || ' running onboardings, ' || count(*) FILTER (WHERE next_due_on < current_date) || ' overdue, ' || count(DISTINCT stage) || ' stages' FROM onboarding WHERE status = 'running'")

"$bin" serve >/dev/null 2>&1 &
pid=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done
jar="$work/jar"
curl -sf -c "$jar" -H "Origin: $base" -d "email=support.manager@steward.test&password=steward-demo" "$base/api/login" >/dev/null
cookie="steward_session=$(awk '/steward_session/ {print $7}' "$jar")"
owner=$(psql "$DATABASE_URL" -tAc "SELECT id FROM app_user WHERE email = 'sales.rep@steward.test'")

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
  run "GET /console/onboarding (the board)" 1 "$base/console/onboarding" -H "Cookie: $cookie"
  run "GET /console/onboarding (the board)" 8 "$base/console/onboarding" -H "Cookie: $cookie"
  run "GET /console/onboarding?overdue=on&owner=<a rep>" 1 "$base/console/onboarding?overdue=on&owner=$owner" -H "Cookie: $cookie"
  run "GET /console/onboarding/templates (small page, for scale)" 1 "$base/console/onboarding/templates" -H "Cookie: $cookie"
)

cat <<REPORT

Data: $counts (generated in ${load_secs}s). Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB.

$results
REPORT
