#!/usr/bin/env bash
# Builds Steward without cargo-leptos (see docs/ARCHITECTURE.md, "Build"):
#   1. the browser bundle: frontend -> wasm32, wasm-bindgen, wasm-opt (release)
#   2. the stylesheet into the site folder
#   3. the server binary
# Usage: scripts/build.sh [--release] [--no-server]
#   --no-server: only the browser bundle (the test run builds the server with its test features)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
site=$root/target/site
release=false
server=true
for arg in "$@"; do
  case $arg in
    --release) release=true ;;
    --no-server) server=false ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

if $release; then
  echo "==> frontend (wasm, release)"
  cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
  wasm=$target/wasm32-unknown-unknown/wasm-release/frontend.wasm
else
  echo "==> frontend (wasm, dev)"
  cargo build -p frontend --lib --target wasm32-unknown-unknown
  wasm=$target/wasm32-unknown-unknown/debug/frontend.wasm
fi
mkdir -p "$site/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$site/pkg" --out-name steward "$wasm"
if $release; then
  echo "==> wasm-opt"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types \
    -o "$site/pkg/steward_bg.opt.wasm" "$site/pkg/steward_bg.wasm" \
    || wasm-opt -Oz --all-features -o "$site/pkg/steward_bg.opt.wasm" "$site/pkg/steward_bg.wasm"
  mv "$site/pkg/steward_bg.opt.wasm" "$site/pkg/steward_bg.wasm"
fi
cp style/main.css "$site/pkg/steward.css"
if $release && command -v brotli >/dev/null; then
  # Served precompressed (tower-http ServeDir::precompressed_br).
  for f in "$site/pkg/steward_bg.wasm" "$site/pkg/steward.js" "$site/pkg/steward.css"; do
    brotli -f -q 11 -o "$f.br" "$f"
  done
else
  rm -f "$site"/pkg/*.br
fi

$server || exit 0
echo "==> server"
if $release; then
  cargo build -p server --bin steward --release
else
  cargo build -p server --bin steward
fi
