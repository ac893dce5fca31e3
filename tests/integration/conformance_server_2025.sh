# The official MCP conformance suite, server mode, every scenario 2025-11-25 requires, against
# `mcpp serve --fixture conformance`.
source "$(dirname "$0")/lib.bash"
need_node
start_server --fixture conformance
set +e
"$NODE" "$CONFORMANCE" server --url "$URL" --requirements 2025-11-25 -o "$WORK/results" >"$WORK/out.txt" 2>&1
rc=$?
set -e
sed -n '/=== SUMMARY ===/,$p' "$WORK/out.txt"
if [ "$rc" != 0 ]; then
  echo "--- failed checks ---"
  grep -h -B3 -A6 '"FAILURE"' "$WORK"/results/*/checks.json | head -300 || true
  echo "--- server log ---"
  tail -50 "$WORK/server.log"
fi
exit "$rc"
