#!/usr/bin/env bash
# The main job on a fresh Debian 12: installs what is missing, builds mcpp (release) and runs
# `mcpp serve` on 127.0.0.1:8080 (Streamable HTTP at /mcp, legacy SSE at /sse). Extra arguments
# go to `mcpp serve`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/install-deps.sh"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target mcpp_cli
exec "$ROOT/build/release/mcpp" serve --http 127.0.0.1:8080 "$@"
