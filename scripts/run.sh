#!/usr/bin/env bash
# The main job on a fresh Debian 12: installs what is missing, builds mcpp (release), indexes the
# sample documents in samples/docs into a knowledge store and serves it with `mcpp serve` on
# 127.0.0.1:8080 (Streamable HTTP at /mcp, legacy SSE at /sse): search, fetch, the write tools,
# a resource per document and a research prompt. Extra arguments go to `mcpp serve`; the store
# is $MCPP_STORE (default build/release/samples.sqlite).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/install-deps.sh"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target mcpp_cli
STORE="${MCPP_STORE:-$ROOT/build/release/samples.sqlite}"
"$ROOT/build/release/mcpp" index "$ROOT/samples/docs" --store "$STORE"
exec "$ROOT/build/release/mcpp" serve --http 127.0.0.1:8080 --store "$STORE" "$@"
