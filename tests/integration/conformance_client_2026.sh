# The official MCP conformance suite in client mode: every scenario the stateless revision
# 2026-07-28 requires (per-request _meta, server/discover, input_required retries with
# requestState, Mcp-Method/Mcp-Name/Mcp-Param-* headers, x-mcp-header validation), run against
# mcpp-conformance-client (built next to the mcpp binary), the auth/ ones included (also the
# resource and issuer checks, RFC 9207 iss, offline_access, authorization server migration): each
# must pass with no failed check and no warning.
source "$(dirname "$0")/lib.bash"
need_node
CLIENT="$(dirname "$MCPP")/mcpp-conformance-client"
if [ ! -x "$CLIENT" ]; then
  echo "FAIL: $CLIENT is not built (target mcpp_conformance_client)"
  exit 1
fi
# The scored client scenarios (the listing has a server part too).
"$NODE" "$CONFORMANCE" list --client --requirements 2026-07-28 |
  sed -n '/^Client scenarios/,/^$/s|^  - \([^ ]*\)$|\1|p' >"$WORK/scenarios.txt"
if ! grep -q '^auth/' "$WORK/scenarios.txt"; then
  echo "FAIL: the suite lists no auth/ scenario (did the listing format change?)"
  exit 1
fi
set +e
"$NODE" "$CONFORMANCE" client --command "$CLIENT" --requirements 2026-07-28 \
  -o "$WORK/results" >"$WORK/out.txt" 2>&1
rc=$?
set -e
sed -n '/SUITE SUMMARY/,$p' "$WORK/out.txt"
# Every scored scenario must have passed checks, failed none and warned none (a client that dies
# at once leaves `initialize` with no checks at all, which the suite counts as a pass; a warning
# fails a scenario when it is run on its own).
for scenario in $(cat "$WORK/scenarios.txt"); do
  if ! grep -qE "✓ $scenario: [1-9][0-9]* passed, 0 failed$" "$WORK/out.txt"; then
    echo "FAIL: scenario $scenario did not pass"
    rc=1
  fi
done
if [ "$rc" != 0 ]; then
  echo "--- failed checks ---"
  "$NODE" -e '
    const fs = require("fs"), path = require("path");
    const root = process.argv[1];
    const dirs = fs.readdirSync(root).flatMap(d => d === "auth"
      ? fs.readdirSync(path.join(root, d)).map(x => path.join(d, x)) : [d]);
    for (const d of dirs) {
      const file = path.join(root, d, "checks.json");
      if (!fs.existsSync(file)) continue;
      let failed = false;
      for (const c of JSON.parse(fs.readFileSync(file, "utf8"))) {
        if (c.status === "FAILURE" || c.status === "WARNING") {
          failed = true;
          console.log(`${d}: ${c.status} ${c.id}: ${c.errorMessage || c.description}`);
        }
      }
      const stderr = path.join(root, d, "stderr.txt");
      if (failed && fs.existsSync(stderr) && fs.readFileSync(stderr, "utf8").trim()) {
        console.log(`${d} stderr:\n${fs.readFileSync(stderr, "utf8").trim()}`);
      }
    }' "$WORK/results"
  tail -40 "$WORK/out.txt"
fi
exit "$rc"
