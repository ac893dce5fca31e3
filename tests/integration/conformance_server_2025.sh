# The official MCP conformance suite, server mode, every scenario 2025-11-25 requires, against
# `mcpp serve --fixture conformance`.
source "$(dirname "$0")/lib.bash"
need_node
start_server --fixture conformance
"$NODE" "$CONFORMANCE" server --url "$URL" --requirements 2025-11-25 -o "$WORK/results" | tee "$WORK/out.txt"
rc=${PIPESTATUS[0]}
if [ "$rc" != 0 ]; then
  echo "--- failed checks ---"
  grep -h -B2 -A8 '"FAILURE"' "$WORK"/results/*/checks.json | head -200 || true
fi
exit "$rc"
