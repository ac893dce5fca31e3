# The official MCP conformance suite (server mode, 2025-11-25 and 2026-07-28) against
# /servers/fixture/mcp of `mcpp gateway`, where `fixture` is `mcpp serve --stdio --fixture
# conformance` run as the gateway's child. 2025-11-25: every scenario must pass through the
# gateway. 2026-07-28: every scenario but the gaps listed below (docs/gateway.md, "What is not
# forwarded yet"); a gap that starts passing must be taken off the list, so it fails too.
source "$(dirname "$0")/lib.bash"
need_node
KNOWN_GAPS_2026=(
  server-stateless                                  # -32021 data of a child's refusal
  input-required-result-basic-elicitation           # the child's input request keys
  input-required-result-basic-list-roots            # roots are not forwarded
  input-required-result-multiple-input-requests     # roots, keys
  input-required-result-capability-check            # the child's -32021 data
  tasks-lifecycle tasks-capability-negotiation tasks-wire-fields tasks-request-state-removal
  tasks-mrtr-input tasks-request-headers tasks-dispatch-and-envelope tasks-mrtr-composition
)
cat >"$WORK/servers.json" <<JSON
{"mcpServers": {"fixture": {"command": "$MCPP", "args": ["serve", "--stdio", "--fixture", "conformance"]}}}
JSON
start_gateway --config "$WORK/servers.json"
rc=0
for req in 2025-11-25 2026-07-28; do
  set +e
  "$NODE" "$CONFORMANCE" server --url "http://localhost:$PORT/servers/fixture/mcp" \
    --requirements "$req" -o "$WORK/results-$req" >"$WORK/out-$req.txt" 2>&1
  set -e
  echo "=== $req ==="
  sed -n '/=== SUMMARY ===/,/^Total/p' "$WORK/out-$req.txt"
  failing=$(sed -n '/=== SUMMARY ===/,/^Total/p' "$WORK/out-$req.txt" | sed -n 's/^✗ \([^:]*\):.*/\1/p')
  allowed=()
  if [ "$req" = 2026-07-28 ]; then allowed=("${KNOWN_GAPS_2026[@]}"); fi
  for s in $failing; do
    if [[ " ${allowed[*]} " != *" $s "* ]]; then
      echo "FAIL ($req): $s fails through the gateway"
      rc=1
    fi
  done
  for s in "${allowed[@]}"; do
    if ! grep -qx "$s" <<<"$failing"; then
      echo "FAIL ($req): $s now passes: take it off KNOWN_GAPS_2026 and docs/gateway.md"
      rc=1
    fi
  done
  if ! grep -q '^Total: [0-9]* passed' "$WORK/out-$req.txt"; then
    echo "FAIL ($req): the suite did not run"
    tail -20 "$WORK/out-$req.txt"
    rc=1
  fi
done
if [ "$rc" != 0 ]; then echo "--- gateway log ---"; tail -60 "$WORK/gateway.log"; fi
exit "$rc"
