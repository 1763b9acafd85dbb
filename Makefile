# The two commands of the README, and a few for developers.
.PHONY: run test release bench fmt lint db-stop

run:            ## build and serve with demo data on http://127.0.0.1:3000
	scripts/run.sh

test:           ## the whole suite: unit, integration (PostgreSQL, SMTP), end-to-end (Chromium)
	scripts/test.sh

release:        ## optimised server and browser bundle
	scripts/ensure-tools.sh
	scripts/build.sh --release

bench:          ## benchmarks; figures go to docs/BENCHMARKS.md
	scripts/bench.sh
	scripts/bench-tickets.sh
	scripts/bench-chat.sh
	scripts/bench-kb.sh
	scripts/bench-onboarding.sh
	scripts/bench-health.sh

fmt:
	cargo fmt --all

lint:
	cargo fmt --all --check
	cargo clippy -p server -p app -p end2end --features app/ssr --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

db-stop:        ## stop the private PostgreSQL clusters
	scripts/dev-db.sh stop
	STEWARD_PG_DIR=$(CURDIR)/.data/pg-test STEWARD_PG_PORT=5434 scripts/dev-db.sh stop
