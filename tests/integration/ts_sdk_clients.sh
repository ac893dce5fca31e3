# Interop: the official TypeScript SDK clients, 1.x (@modelcontextprotocol/sdk) and 2.x
# (@modelcontextprotocol/client), against `mcpp serve --fixture conformance` over stdio,
# Streamable HTTP and legacy HTTP+SSE, at every stateful protocol revision; every message the
# server sends is validated against the MCP JSON schema of the negotiated revision
# ($ROOT/../shared/spec/<revision>/schema.json; skipped with a note when that folder is absent).
# The work is done by ts_sdk_clients.mjs; see there for what each session checks.
source "$(dirname "$0")/lib.bash"
need_node

for pkg in @modelcontextprotocol/sdk @modelcontextprotocol/client ajv ajv-formats; do
  if [ ! -d "$ROOT/.deps/node_modules/$pkg" ]; then
    skip_test "$pkg is not installed in $ROOT/.deps/node_modules (run scripts/install-deps.sh)"
  fi
done

SPEC="$ROOT/../shared/spec"
if [ -d "$SPEC" ]; then
  echo "schema validation: against $SPEC/<revision>/schema.json"
else
  skip_part "$SPEC is absent (it lives beside the project, not in the repository): no schema validation of server messages"
fi

# The bare imports of the .mjs resolve through a node_modules next to it.
cp "$(dirname "$0")/ts_sdk_clients.mjs" "$WORK/ts_sdk_clients.mjs"
ln -s "$ROOT/.deps/node_modules" "$WORK/node_modules"

start_server --fixture conformance
BASE="http://127.0.0.1:$PORT"
echo "mcpp HTTP server: $BASE (Streamable HTTP at /mcp, legacy SSE at /sse)"

REVISIONS=2024-11-05,2025-03-26,2025-06-18,2025-11-25
for sdk in v1 v2; do
  for transport in stdio http sse; do
    echo "=== TS SDK $sdk over $transport ==="
    rc=0
    timeout 120 "$NODE" "$WORK/ts_sdk_clients.mjs" --sdk "$sdk" --transport "$transport" \
      --revisions "$REVISIONS" --mcpp "$MCPP" --base "$BASE" --spec "$SPEC" || rc=$?
    if [ "$rc" != 0 ]; then
      [ "$rc" = 124 ] && echo "FAIL: TS SDK $sdk over $transport timed out after 120 s"
      if [ "$transport" != stdio ]; then
        echo "--- HTTP server stderr ---"
        cat "$WORK/server.log"
      fi
      echo "FAIL: TS SDK $sdk over $transport (exit code $rc)"
      exit 1
    fi
  done
done
echo "PASS: TS SDK 1.x and 2.x clients over stdio, Streamable HTTP and legacy SSE at $REVISIONS"
