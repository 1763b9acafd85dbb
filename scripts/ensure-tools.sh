#!/usr/bin/env bash
# Installs what building, running and testing Steward needs, when it is missing.
# Idempotent: on a prepared machine it only checks. Versions are pinned where the
# build depends on them (wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v wasm-opt >/dev/null || missing+=(binaryen)
command -v brotli >/dev/null || missing+=(brotli)
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/bin/time ] || missing+=(time)
command -v cc >/dev/null || missing+=(build-essential)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v psql >/dev/null || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "==> system packages present"
fi

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  echo "==> rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
else
  echo "==> wasm32 target present"
fi

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "==> cargo install wasm-bindgen-cli $want (have: ${have:-none})"
  # Its own lockfile pins a crate version the registry no longer serves, so resolve anew
  # when the locked install fails. LTO off: this is a build tool, compile time matters more.
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
  cargo install wasm-bindgen-cli --version "$want" --locked --quiet \
    || cargo install wasm-bindgen-cli --version "$want" --quiet
else
  echo "==> wasm-bindgen $want present"
fi
