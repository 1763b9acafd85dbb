#!/usr/bin/env bash
# Knowledge-base benchmark for docs/BENCHMARKS.md: the release server over generated
# published articles (default 20,000) on a private PostgreSQL; wrk drives the public search
# page (server-rendered: categories, ranked search, snippets) with queries drawn at random
# from a word list, and the same page without a query for comparison, side by side.
# Usage: scripts/bench-kb.sh   (BENCH_ARTICLES=20000, BENCH_SECONDS=20)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
articles=${BENCH_ARTICLES:-20000}
secs=${BENCH_SECONDS:-20}
port=${BENCH_PORT:-3111}
scripts/ensure-tools.sh >/dev/null
echo "==> cargo build --release -p server --bins"
cargo build --release -p server --bins --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/steward

export STEWARD_PG_DIR=$PWD/.data/pg-bench-kb STEWARD_PG_PORT=${BENCH_PG_PORT:-5437}
scripts/dev-db.sh start >/dev/null
pid=
work=$(mktemp -d) # also the site root: the pages render without the browser bundle
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"; scripts/dev-db.sh stop' EXIT
admin=$(scripts/dev-db.sh url postgres)
psql "$admin" -qc "DROP DATABASE IF EXISTS steward_bench_kb WITH (FORCE)" -c "CREATE DATABASE steward_bench_kb"
export DATABASE_URL=$(scripts/dev-db.sh url steward_bench_kb)
export STEWARD_ADDR=127.0.0.1:$port STEWARD_SITE_ROOT=$work RUST_LOG=warn STEWARD_WORKER=false
base=http://127.0.0.1:$port

echo "==> demo data, then $articles published articles"
"$bin" demo-data --accounts 20 >/dev/null
t0=$(date +%s)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -v n="$articles" <<'SQL'
CREATE TEMP TABLE words AS SELECT
  ARRAY['printer','kiosk','scanner','network','invoice','login','screen','terminal','router','label',
        'card','reader','badge','camera','update','license','backup','email','vpn','tablet','till',
        'receipt','drawer','barcode','wifi','password','portal','report','payment','battery'] AS a,
  ARRAY['jams','offline','slow','broken','error','missing','frozen','flickers','rejected','fails',
        'beeps','restarts','setup','pairing','reset','install','replace','configure','clean','export'] AS b;
INSERT INTO kb_article (id, slug, title, category_id, tags, visibility, status, body_markdown,
                        body_html, body_text, published_at)
SELECT gen_random_uuid(), 'bench-' || g,
       initcap(w.a[1 + g % 30]) || ' ' || w.b[1 + (g * 7) % 20] || ' (' || g || ')',
       (SELECT id FROM kb_category ORDER BY name LIMIT 1 OFFSET g % 4),
       ARRAY[w.a[1 + (g * 3) % 30], w.b[1 + (g * 11) % 20]],
       (ARRAY['public','public','clients','staff'])[1 + g % 4], 'published', t.body,
       '<p>' || t.body || '</p>', t.body, now() - (g % 700) * interval '1 hour'
FROM generate_series(1, :n) g, words w,
LATERAL (SELECT string_agg(
           'When the ' || w.a[1 + (g * s + s) % 30] || ' ' || w.b[1 + (g + s * 5) % 20]
           || ', check the ' || w.a[1 + (g * 13 + s) % 30] || ' first and note the time.', ' ') AS body
         FROM generate_series(1, 25) s) t;
VACUUM ANALYZE kb_article;
SQL
load_secs=$(( $(date +%s) - t0 ))
counts=$(psql "$DATABASE_URL" -tAc "SELECT count(*) || ' articles (' || count(*) FILTER (WHERE visibility = 'public') || ' public), ' || pg_size_pretty(pg_total_relation_size('kb_article')) FROM kb_article")

"$bin" serve >/dev/null 2>&1 &
pid=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.05; done

cat > "$work/search.lua" <<'LUA'
local a = {"printer","kiosk","scanner","network","invoice","login","screen","terminal","router","label",
  "card","reader","badge","camera","update","license","backup","email","vpn","tablet","till",
  "receipt","drawer","barcode","wifi","password","portal","report","payment","battery"}
local b = {"jams","offline","slow","broken","error","missing","frozen","flickers","rejected","fails",
  "beeps","restarts","setup","pairing","reset","install","replace","configure","clean","export"}
math.randomseed(42)
request = function()
  local q
  if math.random() < 0.5 then q = a[math.random(#a)] else q = a[math.random(#a)] .. "%20" .. b[math.random(#b)] end
  return wrk.format("GET", "/kb?q=" .. q)
end
LUA

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
  echo "| request (anonymous reader) | concurrency | p50 | p99 | req/s | non-2xx |"
  echo "| --- | --- | --- | --- | --- | --- |"
  run "GET /kb?q=<one or two random words> (search page)" 1 "$base/kb" -s "$work/search.lua"
  run "GET /kb?q=<one or two random words> (search page)" 8 "$base/kb" -s "$work/search.lua"
  run "GET /kb (front page, no search)" 1 "$base/kb"
)
# The search alone, in the database (the query knowledge::repo::search runs), for the share
# the page adds.
cat > "$work/q.sql" <<'Q'
WITH cand AS (
  (SELECT a.id FROM kb_article a WHERE a.search_head @@ websearch_to_tsquery('english', 'printer offline')
     AND a.status = 'published' AND a.visibility = ANY('{public}')
   ORDER BY ts_rank(a.search_head, websearch_to_tsquery('english', 'printer offline')) DESC LIMIT 200)
  UNION
  (SELECT a.id FROM kb_article a WHERE a.search @@ websearch_to_tsquery('english', 'printer offline')
     AND a.status = 'published' AND a.visibility = ANY('{public}')
   ORDER BY a.published_at DESC NULLS LAST LIMIT 50))
SELECT a.id, ts_rank_cd(a.search, websearch_to_tsquery('english', 'printer offline'), 32) AS r
FROM cand JOIN kb_article a ON a.id = cand.id ORDER BY r DESC LIMIT 20;
Q
sql=$(pgbench -n -c 1 -T "$secs" -f "$work/q.sql" "$DATABASE_URL" 2>/dev/null | awk '/latency average/ {print $4 " " $5}')

cat <<REPORT

Data: $counts (generated in ${load_secs}s). Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB.

$results

| measure | value |
| --- | --- |
| the search query alone ("printer offline", top 20, no snippets), pgbench, 1 client | ${sql} average |
REPORT
