# The official MCP conformance suite (server mode, 2025-11-25 and 2026-07-28) against
# /servers/fixture/mcp of `mcpp gateway`, where `fixture` is `mcpp serve --stdio --fixture
# conformance` run as the gateway's child: every scenario must pass through the gateway.
source "$(dirname "$0")/lib.bash"
need_node
cat >"$WORK/servers.json" <<JSON
{"mcpServers": {"fixture": {"command": "$MCPP", "args": ["serve", "--stdio", "--fixture", "conformance"]}}}
JSON
start_gateway --config "$WORK/servers.json"
rc=0
for req in 2025-11-25 2026-07-28; do
  set +e
  "$NODE" "$CONFORMANCE" server --url "http://localhost:$PORT/servers/fixture/mcp" \
    --requirements "$req" -o "$WORK/results-$req" >"$WORK/out-$req.txt" 2>&1
  r=$?
  set -e
  echo "=== $req ==="
  sed -n '/=== SUMMARY ===/,$p' "$WORK/out-$req.txt"
  if [ "$r" != 0 ]; then
    rc=1
    echo "--- failed checks ($req) ---"
    grep -h -B3 -A6 '"FAILURE"' "$WORK"/results-"$req"/*/checks.json | head -200 || true
  fi
done
if [ "$rc" != 0 ]; then echo "--- gateway log ---"; tail -60 "$WORK/gateway.log"; fi
exit "$rc"
