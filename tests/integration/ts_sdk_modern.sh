# Interop at the stateless 2026-07-28 revision: the official TypeScript SDK 2.x client, pinned to
# 2026-07-28 and in `auto` negotiation (server/discover first), against
# `mcpp serve --fixture conformance` over Streamable HTTP and stdio. The work is done by
# ts_sdk_modern.mjs; see there for what each session checks.
source "$(dirname "$0")/lib.bash"
need_node
if [ ! -d "$ROOT/.deps/node_modules/@modelcontextprotocol/client" ]; then
  skip_test "@modelcontextprotocol/client is not installed (run scripts/install-deps.sh)"
fi
cp "$(dirname "$0")/ts_sdk_modern.mjs" "$WORK/ts_sdk_modern.mjs"
ln -s "$ROOT/.deps/node_modules" "$WORK/node_modules"
start_server --fixture conformance
for transport in http stdio; do
  for mode in pin auto; do
    echo "=== TS SDK v2 over $transport, negotiation $mode ==="
    rc=0
    timeout 120 "$NODE" "$WORK/ts_sdk_modern.mjs" --mode "$mode" --transport "$transport" \
      --mcpp "$MCPP" --url "$URL" || rc=$?
    if [ "$rc" != 0 ]; then
      echo "--- HTTP server stderr ---"
      tail -30 "$WORK/server.log"
      echo "FAIL: TS SDK v2 over $transport ($mode), exit code $rc"
      exit 1
    fi
  done
done
echo "PASS: TS SDK v2 at 2026-07-28 (pinned and auto) over Streamable HTTP and stdio"
