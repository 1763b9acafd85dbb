#!/usr/bin/env bash
# `make run`: install what is missing, build, start a private database unless
# DATABASE_URL is set, load demo data once, serve on http://127.0.0.1:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/ensure-tools.sh
scripts/build.sh
if [ -z "${DATABASE_URL:-}" ]; then
  scripts/dev-db.sh start
  export DATABASE_URL=$(scripts/dev-db.sh url)
fi
bin=${CARGO_TARGET_DIR:-$PWD/target}/debug/steward
export STEWARD_SITE_ROOT=${STEWARD_SITE_ROOT:-$PWD/target/site}
"$bin" demo-data --if-empty --accounts "${STEWARD_DEMO_ACCOUNTS:-200}"
echo
exec "$bin" serve
