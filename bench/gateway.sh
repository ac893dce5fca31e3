#!/usr/bin/env bash
# What `mcpp gateway` adds: tools/call latency (median, p99) and throughput through the gateway's
# per-server endpoint against the same child used directly over stdio, and the memory of idle
# sessions (each with its own child). Prints figures; times nothing in CI but a short run.
#   bench/gateway.sh BUILD_DIR [CALLS] [SESSIONS]
set -euo pipefail
BUILD="${1:?usage: bench/gateway.sh BUILD_DIR [CALLS] [SESSIONS]}"
CALLS="${2:-3000}"
SESSIONS="${3:-20}"
MCPP="$BUILD/mcpp"
LAT="$BUILD/bench/call_latency"
WORK="$(mktemp -d)"
# The logs exist before the loops that read them start (the servers open them a little later).
: >"$WORK/gw.log"
: >"$WORK/gw2.log"
: >"$WORK/serve.log"
GW=""
cleanup() { [ -n "$GW" ] && kill "$GW" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== direct: mcpp::Client -> stdio child (mcpp serve --stdio --fixture bench)"
start=$(date +%s%N)
"$LAT" --calls "$CALLS" -- "$MCPP" serve --stdio --fixture bench
direct_ms=$(( ($(date +%s%N) - start) / 1000000 ))

cat >"$WORK/servers.json" <<JSON
{"mcpServers": {"bench": {"command": "$MCPP", "args": ["serve", "--stdio", "--fixture", "bench"],
                          "isolation": "shared"}}}
JSON
"$MCPP" gateway --config "$WORK/servers.json" --http 127.0.0.1:0 --state "$WORK/gw.sqlite" \
  --idle-timeout 3600 2>"$WORK/gw.log" &
GW=$!
for _ in $(seq 100); do
  PORT=$(sed -n 's|.*serving http://[^:]*:\([0-9]*\)/.*|\1|p' "$WORK/gw.log" | head -1)
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { cat "$WORK/gw.log"; exit 1; }
echo "== through the gateway: mcpp::Client -> HTTP /servers/bench/mcp -> gateway -> stdio child"
start=$(date +%s%N)
"$LAT" --calls "$CALLS" --url "http://127.0.0.1:$PORT/servers/bench/mcp"
gw_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "== the same client over HTTP to mcpp serve directly (the HTTP hop alone, no gateway)"
"$MCPP" serve --fixture bench --http 127.0.0.1:0 2>"$WORK/serve.log" &
SERVE=$!
for _ in $(seq 100); do
  SPORT=$(sed -n 's|.*serving http://[^:]*:\([0-9]*\)/.*|\1|p' "$WORK/serve.log" | head -1)
  [ -n "$SPORT" ] && break
  sleep 0.1
done
"$LAT" --calls "$CALLS" --url "http://127.0.0.1:$SPORT/mcp"
kill "$SERVE"
echo "wall time for $CALLS calls (incl. start): direct ${direct_ms} ms, through the gateway ${gw_ms} ms"

echo "== memory of idle sessions (isolation: session; each session's child started by one call)"
cat >"$WORK/iso.json" <<JSON
{"mcpServers": {"bench": {"command": "$MCPP", "args": ["serve", "--stdio", "--fixture", "bench"]}}}
JSON
kill "$GW"; wait "$GW" 2>/dev/null || true
"$MCPP" gateway --config "$WORK/iso.json" --http 127.0.0.1:0 --state "$WORK/gw2.sqlite" \
  --idle-timeout 3600 2>"$WORK/gw2.log" &
GW=$!
PORT=""
for _ in $(seq 100); do
  PORT=$(sed -n 's|.*serving http://[^:]*:\([0-9]*\)/.*|\1|p' "$WORK/gw2.log" | head -1)
  [ -n "$PORT" ] && break
  sleep 0.1
done
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
before=$(rss "$GW")
for i in $(seq "$SESSIONS"); do
  # A stateful session that stays open: initialize, one call, no DELETE.
  sid=$(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/servers/bench/mcp" \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}' |
    tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
  for body in '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}'; do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/servers/bench/mcp" -H "Mcp-Session-Id: $sid" \
      -H 'MCP-Protocol-Version: 2025-11-25' -H 'Content-Type: application/json' \
      -H 'Accept: application/json, text/event-stream' -d "$body"
  done
done
sleep 0.5
after=$(rss "$GW")
kids=$(pgrep -P "$GW" || true)
children=$(echo "$kids" | grep -c . || true)
child_kb=0
for c in $kids; do child_kb=$(( child_kb + $(rss "$c") )); done
echo "sessions $SESSIONS, children $children"
echo "gateway RSS ${before} -> ${after} KiB: $(( (after - before) / SESSIONS )) KiB per idle session in the gateway"
echo "children RSS total ${child_kb} KiB: $(( child_kb / (children > 0 ? children : 1) )) KiB per child"
