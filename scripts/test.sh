#!/usr/bin/env bash
# `make test`: the whole suite. Unit and integration tests (real PostgreSQL, real SMTP),
# then end-to-end journeys in headless Chromium against the real binary.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/ensure-tools.sh
# The server binary is built by `cargo test` below, with the same features as the tests: one compile.
scripts/build.sh --no-server

if [ -z "${DATABASE_URL:-}" ]; then
  export STEWARD_PG_DIR=$PWD/.data/pg-test STEWARD_PG_PORT=${STEWARD_TEST_PG_PORT:-5434}
  # Durability is irrelevant for throwaway test databases; speed is not.
  export STEWARD_PG_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
  scripts/dev-db.sh start
  export DATABASE_URL=$(scripts/dev-db.sh url postgres)
  trap 'scripts/dev-db.sh stop' EXIT
fi
# Databases left by earlier runs (each test makes its own) are dropped first.
for db in $(psql "$DATABASE_URL" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'steward\_test\_%' OR datname LIKE 'steward\_e2e\_%'"); do
  psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
done
target=${CARGO_TARGET_DIR:-$PWD/target}
export STEWARD_BIN=$target/debug/steward STEWARD_SITE_ROOT=$PWD/target/site
export CHROMEDRIVER=/usr/bin/chromedriver CHROMIUM=/usr/bin/chromium

echo "==> checking formatting"
cargo fmt --all --check
echo "==> unit, integration (PostgreSQL, SMTP) and end-to-end (Chromium) tests"
# One invocation, so dependencies compile once with one feature set; test binaries run in turn
# (app unit tests, server unit tests, server/tests/api, end2end/tests/journeys).
cargo test --no-fail-fast -p app -p server -p end2end --features app/ssr -- --test-threads="${STEWARD_TEST_THREADS:-2}"
echo "==> all tests passed"
