# Interop through the gateway: the official TypeScript SDK clients, 1.x and 2.x, against
# /servers/fixture/sse and /servers/fixture/mcp of `mcpp gateway` (the conformance fixture as its
# child), over Streamable HTTP and legacy HTTP+SSE, at every stateful revision, every message
# validated against the schema of the negotiated revision (ts_sdk_clients.mjs does the work);
# then `mcpp tools` through the aggregate /mcp and /sse.
source "$(dirname "$0")/lib.bash"
need_node
for pkg in @modelcontextprotocol/sdk @modelcontextprotocol/client ajv ajv-formats; do
  if [ ! -d "$ROOT/.deps/node_modules/$pkg" ]; then
    skip_test "$pkg is not installed in $ROOT/.deps/node_modules (run scripts/install-deps.sh)"
  fi
done
SPEC="$ROOT/../shared/spec"
cp "$(dirname "$0")/ts_sdk_clients.mjs" "$WORK/ts_sdk_clients.mjs"
ln -s "$ROOT/.deps/node_modules" "$WORK/node_modules"
cat >"$WORK/servers.json" <<JSON
{"mcpServers": {"fixture": {"command": "$MCPP", "args": ["serve", "--stdio", "--fixture", "conformance"]}}}
JSON
start_gateway --config "$WORK/servers.json"
BASE="http://127.0.0.1:$PORT/servers/fixture"
REVISIONS=2024-11-05,2025-03-26,2025-06-18,2025-11-25
for sdk in v1 v2; do
  for transport in http sse; do
    echo "=== TS SDK $sdk over $transport through the gateway ==="
    rc=0
    timeout 180 "$NODE" "$WORK/ts_sdk_clients.mjs" --sdk "$sdk" --transport "$transport" \
      --revisions "$REVISIONS" --mcpp "$MCPP" --base "$BASE" --spec "$SPEC" || rc=$?
    if [ "$rc" != 0 ]; then
      echo "--- gateway log ---"; tail -40 "$WORK/gateway.log"
      echo "FAIL: TS SDK $sdk over $transport through the gateway (exit code $rc)"
      exit 1
    fi
  done
done
for t in http sse; do
  out=$("$MCPP" tools call fixture__test_simple_text --transport "$t" --url "http://127.0.0.1:$PORT/$([ $t = sse ] && echo sse || echo mcp)")
  [ -n "$out" ] || { echo "FAIL: mcpp tools call over $t through /mcp or /sse printed nothing"; exit 1; }
  echo "ok: mcpp tools call fixture__test_simple_text over $t: $out"
done
echo "PASS: TS SDK 1.x and 2.x clients and mcpp tools through the gateway"
