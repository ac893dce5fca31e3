# The official MCP conformance suite, server mode, at the stateless 2026-07-28 revision, against
# `mcpp serve --fixture conformance` (the same fixture, and the same handlers, as 2025-11-25).
# Every scenario must pass with no failed check: the scored ones, and also those the suite runs
# without scoring (the tasks extension, the pending ones).
source "$(dirname "$0")/lib.bash"
need_node
start_server --fixture conformance
set +e
"$NODE" "$CONFORMANCE" server --url "$URL" --requirements 2026-07-28 -o "$WORK/results" >"$WORK/out.txt" 2>&1
rc=$?
set -e
sed -n '/=== SUMMARY ===/,$p' "$WORK/out.txt"
# The scored scenarios, from the suite's own listing.
"$NODE" "$CONFORMANCE" list --requirements 2026-07-28 |
  sed -n '/^Server scenarios/,/^$/s|^  - \([^ ]*\)$|\1|p' >"$WORK/scenarios.txt"
if [ ! -s "$WORK/scenarios.txt" ]; then
  echo "FAIL: could not list the scored 2026-07-28 server scenarios"
  exit 1
fi
for scenario in $(cat "$WORK/scenarios.txt"); do
  if ! grep -qE "✓ $scenario: [1-9][0-9]* passed, 0 failed" "$WORK/out.txt"; then
    echo "FAIL: scenario $scenario did not pass"
    rc=1
  fi
done
if ! grep -qE "^Total: [1-9][0-9]* passed, 0 failed" "$WORK/out.txt"; then
  echo "FAIL: some checks failed (the tasks extension or a pending scenario)"
  rc=1
fi
if [ "$rc" != 0 ]; then
  echo "--- failed checks ---"
  grep -h -B3 -A6 '"FAILURE"' "$WORK"/results/*/checks.json | head -300 || true
  echo "--- server log ---"
  tail -50 "$WORK/server.log"
fi
exit "$rc"
