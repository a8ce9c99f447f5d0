# Mizani — every job a developer or CI runs. `make run` and `make test` install what is
# missing first (scripts/setup.sh), so a fresh Debian/Ubuntu machine needs nothing else.

SHELL := /bin/bash
CARGO ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: setup run build test lint fmt unit bench clean e2e e2e-build screenshots bench-app \
	bindings bundle demo-cli report-preview soak fuzz

# Everything: Rust, C toolchain, WebKitGTK, Xvfb, tauri-driver, node modules.
setup:
	@scripts/setup.sh e2e

# The desktop app with the built UI inside (and the CLI).
build: setup
	npm --prefix ui run build
	$(CARGO) build --locked --features custom-protocol -p mizani-app
	$(CARGO) build --locked -p mizani-cli

# Starts the app. On first launch it offers the demo institution (or creating your own);
# later launches reopen the last database.
run: build
	target/debug/mizani-app

# The CLI's view of the demo (no window needed).
demo-cli: setup
	$(CARGO) build --locked -p mizani-cli
	@d=$$(mktemp -d); target/debug/mizani --db $$d/demo.sqlite demo && \
	  target/debug/mizani --db $$d/demo.sqlite dashboard --period 2026-Q3; rm -rf $$d

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	npm --prefix ui run check

unit: setup
	@mkdir -p target
	@set -o pipefail; $(CARGO) test --workspace --locked 2>&1 | tee target/unit-tests.log
	@set -o pipefail; npm --prefix ui test 2>&1 | tee target/ui-tests.log

# Rewrites ui/src/lib/bindings/ from the Rust types (commit the result).
bindings:
	UPDATE_BINDINGS=1 $(CARGO) test --locked -p mizani-core --test bindings

# The .deb bundle (release build).
bundle: setup
	npm --prefix ui run build
	ui/node_modules/.bin/tauri build --bundles deb -- --locked
	@ls -l target/release/mizani-app target/release/bundle/deb/*.deb

# End-to-end tests: the real app (WebKitGTK) under Xvfb, driven through tauri-driver by
# WebdriverIO (tests/e2e/). E2E_ARGS=<name filter> runs some scenarios only.
XVFB := xvfb-run -a --server-args="-screen 0 1280x800x24"
E2E_TIMEOUT ?= 600
E2E_ARGS ?=

e2e-build:
	@scripts/setup.sh e2e
	npm --prefix ui run build
	$(CARGO) build --locked --features custom-protocol -p mizani-app
	$(CARGO) build --locked -p mizani-cli

# The runner starts one tauri-driver per scenario and ends it; the trap ends any left behind
# (by the process groups it recorded) if the runner itself is killed or times out.
define run_under_xvfb
	@mkdir -p target/e2e
	@set -o pipefail; pids=target/e2e/driver-pids; : > $$pids; \
	trap 'for p in $$(cat '"$$pids"' 2>/dev/null); do grep -qa tauri-driver /proc/$$p/cmdline 2>/dev/null && kill -9 -- -$$p 2>/dev/null; done; rm -f '"$$pids"'' EXIT; \
	$(3) E2E_PIDFILE=$$pids timeout -k 10 $(E2E_TIMEOUT) $(XVFB) node $(1) 2>&1 | tee $(2)
endef

e2e: e2e-build
	$(call run_under_xvfb,tests/e2e/run.mjs $(E2E_ARGS),target/e2e.log)

# Refreshes docs/screenshots/*.png (the main screens at 1280×800).
screenshots: e2e-build
	$(call run_under_xvfb,tests/e2e/run.mjs screenshots,target/e2e.log,UPDATE_SCREENSHOTS=1)

# Desktop app figures (not part of `make test`): cold start to the first dashboard with data
# (median of 5) and the app's resident memory, on the release build.
bench-app:
	@scripts/setup.sh e2e
	npm --prefix ui run build
	$(CARGO) build --release --locked --features custom-protocol -p mizani-app
	$(CARGO) build --release --locked -p mizani-cli
	$(call run_under_xvfb,tests/e2e/perf.mjs,target/bench-app.log,MIZANI_APP=target/release/mizani-app MIZANI_CLI=target/release/mizani)

test: lint unit e2e
	@scripts/test-summary.sh target/unit-tests.log target/ui-tests.log target/e2e.log

fmt:
	$(CARGO) fmt --all

# Data safety, longer than in `make test` (docs/RELIABILITY.md): the crash harness kills 200
# job chains (MIZANI_CRASH_RUNS; MIZANI_CRASH_SEED replays one), the sync property test runs
# 100 seeds and a sync import is killed 100 times.
SOAK_CRASH_RUNS ?= 200
soak:
	@scripts/setup.sh core
	MIZANI_SYNC_SEEDS=100 $(CARGO) test --locked -p mizani-core --test sync -- --nocapture
	MIZANI_CRASH_RUNS=$(SOAK_CRASH_RUNS) MIZANI_KILL_RUNS=100 \
	  $(CARGO) test --locked -p mizani-cli --test crash --test sync -- --nocapture

# Fuzzing with cargo-fuzz (nightly, libFuzzer, AddressSanitizer, debug assertions): a short
# campaign on every target in fuzz/ (`cargo +nightly fuzz list`), FUZZ_SECONDS each, from the
# committed seeds (fuzz/seeds/<target>/) and the corpus it grows (fuzz/corpus/, not committed).
# Prints each target's executions; a crash stops it with the input in fuzz/artifacts/<target>/.
FUZZ_SECONDS ?= 30
fuzz:
	@scripts/setup.sh core
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
	@mkdir -p target/fuzz
	@set -eo pipefail; for t in $$(cargo +nightly fuzz list); do \
	  mkdir -p fuzz/corpus/$$t; seeds=; [ -d fuzz/seeds/$$t ] && seeds=fuzz/seeds/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  cargo +nightly fuzz run -a $$t fuzz/corpus/$$t $$seeds -- -max_total_time=$(FUZZ_SECONDS) \
	    > target/fuzz/$$t.log 2>&1 || { tail -40 target/fuzz/$$t.log; exit 1; }; \
	  runs=$$(grep -o 'Done [0-9]* runs' target/fuzz/$$t.log | grep -o '[0-9]*'); \
	  echo "fuzz: $$t: $$runs executions in $(FUZZ_SECONDS) s, no crash ($$(ls fuzz/corpus/$$t | wc -l) inputs in the corpus)"; \
	done

# Core figures and the board-pack PDF against headless Chromium (installs Debian's chromium).
bench:
	@scripts/setup.sh bench
	$(CARGO) run --release --locked -p mizani-bench

# The demo board pack (en, fr, es) and the one-pager of branch N01 as PDF, and their pages as
# PNG (70 dpi), in target/report-preview/ (to review the layout). With UPDATE_SCREENSHOTS=1,
# also copies four pages of the English pack to docs/screenshots/report-*.png: the cover and
# the first page of the summary, of the objectives (charts) and of the branch comparison.
PREVIEW := target/report-preview
PREVIEW_PERIOD := 2026-Q3
report-preview:
	@scripts/setup.sh all
	$(CARGO) build --locked -p mizani-cli
	@set -e; d=$(PREVIEW); mkdir -p $$d; rm -f $$d/board-pack-* $$d/branch-page-*; \
	  cli="target/debug/mizani --db $$d/board-pack-demo.sqlite"; \
	  $$cli demo >/dev/null; \
	  for l in en fr es; do \
	    $$cli report --period $(PREVIEW_PERIOD) --lang $$l -o $$d/board-pack-$$l.pdf; \
	    pdftoppm -png -r 70 $$d/board-pack-$$l.pdf $$d/board-pack-$$l; \
	  done; \
	  $$cli report --period $(PREVIEW_PERIOD) --scope branch:N01 --branch-page -o $$d/branch-page-N01.pdf; \
	  pdftoppm -png -r 70 $$d/branch-page-N01.pdf $$d/branch-page-N01; \
	  rm -f $$d/board-pack-demo.sqlite*; \
	  echo "report-preview: $$(ls $$d/board-pack-*.png $$d/branch-page-*.png | wc -l) PNG pages in $$d"; \
	  if [ "$(UPDATE_SCREENSHOTS)" = 1 ]; then \
	    n=$$(ls $$d/board-pack-en-*.png | wc -l); w=$${#n}; \
	    for name in cover summary objective branches; do \
	      case $$name in cover) h=;; summary) h=Summary;; objective) h=Objectives;; branches) h="Branch comparison";; esac; \
	      p=1; if [ -n "$$h" ]; then p=2; \
	        while [ $$p -le $$n ] && ! pdftotext -f $$p -l $$p $$d/board-pack-en.pdf - | grep -qx "$$h"; do p=$$((p+1)); done; fi; \
	      cp $$d/board-pack-en-$$(printf "%0$${w}d" $$p).png docs/screenshots/report-$$name.png; \
	    done; \
	    ls -l docs/screenshots/report-*.png; \
	  fi

clean:
	$(CARGO) clean
