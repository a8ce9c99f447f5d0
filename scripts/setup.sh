#!/usr/bin/env bash
# Installs everything Mizani needs to build and test on a fresh Debian/Ubuntu machine.
# Idempotent and quick when everything is already there. Usage: scripts/setup.sh [core|all|e2e|bench]
#   core:  the Rust toolchain and C toolchain (CLI, core tests)
#   all:   + WebKitGTK, WebDriver, Xvfb, Node (desktop app)
#   e2e:   all + tauri-driver and the node modules of ui/ and tests/e2e/ (end-to-end tests)
#   bench: core + Debian's chromium (`make bench` times headless Chromium printing the board
#          pack as HTML, for comparison with our PDF renderer), poppler (`make report-preview`)
#          and the sqlite3 shell (its .import is the yardstick of the spreadsheet import)
set -euo pipefail
cd "$(dirname "$0")/.."

want="${1:-all}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# System packages: the C toolchain for bundled SQLite, plus (for the desktop app, its
# end-to-end tests and PDF checks) WebKitGTK, its WebDriver, Xvfb and poppler.
core_pkgs=(build-essential pkg-config curl ca-certificates file)
app_pkgs=(libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  xvfb xauth webkit2gtk-driver poppler-utils fonts-noto-core imagemagick nodejs npm sqlite3)
bench_pkgs=(chromium poppler-utils fonts-noto-core sqlite3)
pkgs=("${core_pkgs[@]}")
if [ "$want" = all ] || [ "$want" = e2e ]; then pkgs+=("${app_pkgs[@]}"); fi
if [ "$want" = bench ]; then pkgs+=("${bench_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # npm may come with nodejs from another source: accept a working binary.
    if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
    if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Rust: the stable toolchain (Debian's own rustc is too old for our dependencies).
if ! command -v cargo >/dev/null; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing the Rust toolchain with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi
for c in clippy rustfmt; do
  if ! cargo "$c" --version >/dev/null 2>&1; then
    command -v rustup >/dev/null && rustup component add "$c"
  fi
done

if [ "$want" = e2e ]; then
  # tauri-driver bridges WebDriver to WebKitWebDriver (it has no --version; --help works).
  if ! { command -v tauri-driver >/dev/null && tauri-driver --help >/dev/null 2>&1; }; then
    echo "setup: installing tauri-driver"
    cargo install tauri-driver --locked --version ^2
  fi
  # Node modules: installed from the lock file when missing or older than it (npm ci; no
  # browser downloads: WebdriverIO talks to tauri-driver).
  for d in ui tests/e2e; do
    if [ ! -f "$d/node_modules/.package-lock.json" ] || [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ] \
      || [ "$d/package.json" -nt "$d/node_modules/.package-lock.json" ]; then
      echo "setup: npm ci in $d"
      (cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  done
fi
echo "setup: ok ($(cargo --version))"
