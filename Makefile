# Mizani — every job a developer or CI runs. `make run` and `make test` install what is
# missing first (scripts/setup.sh), so a fresh Debian/Ubuntu machine needs nothing else.

SHELL := /bin/bash
CARGO ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

# Where `make run` keeps its database (the demo institution is created on first run).
RUN_DB ?= $(HOME)/.local/share/mizani/mizani.sqlite
DEMO_PERIOD ?= 2026-Q3

.PHONY: setup run build test lint fmt unit bench clean

setup:
	@scripts/setup.sh core

build: setup
	$(CARGO) build --release -p mizani-cli

run: build
	@if [ ! -f "$(RUN_DB)" ]; then \
	  echo "First run: creating the demo institution in $(RUN_DB)"; \
	  target/release/mizani --db "$(RUN_DB)" demo; \
	fi
	target/release/mizani --db "$(RUN_DB)" dashboard --period $(DEMO_PERIOD)

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit: setup
	@mkdir -p target
	@set -o pipefail; $(CARGO) test --workspace --locked 2>&1 | tee target/unit-tests.log
	@scripts/test-summary.sh target/unit-tests.log

test: lint unit

fmt:
	$(CARGO) fmt --all

bench: setup
	$(CARGO) run --release --locked -p mizani-bench

clean:
	$(CARGO) clean
