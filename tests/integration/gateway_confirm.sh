# `mcpp gateway`'s confirm policy through a real client (gateway_confirm.mjs, TypeScript SDK 1.x):
# the person is asked with the JSON arguments; accepted, the call runs (the child remembers the
# value); declined, it never reaches the child and the client gets a tool error saying so.
source "$(dirname "$0")/lib.bash"
need_node
[ -d "$ROOT/.deps/node_modules/@modelcontextprotocol/sdk" ] ||
  skip_test "@modelcontextprotocol/sdk is not installed (run scripts/install-deps.sh)"
cp "$(dirname "$0")/gateway_confirm.mjs" "$WORK/"
ln -s "$ROOT/.deps/node_modules" "$WORK/node_modules"
ODD="$ROOT/tests/integration/fixtures/odd_server.mjs"
cat >"$WORK/servers.json" <<JSON
{"mcpServers": {"odd": {"command": "$NODE", "args": ["$ODD", "normal"], "policy": {"remember": "confirm"}}}}
JSON
start_gateway --config "$WORK/servers.json"
URL="http://127.0.0.1:$PORT/servers/odd/mcp"
fail() { echo "FAIL: $*"; tail -30 "$WORK/gateway.log"; exit 1; }

out=$("$NODE" "$WORK/gateway_confirm.mjs" "$URL" accept) || fail "accept run: $out"
echo "accept: $out"
echo "$out" | grep -q '"isError":false' || fail "an accepted confirm call failed"
echo "$out" | grep -q '"recall":"confirmed-value"' || fail "the accepted call did not run upstream"
echo "$out" | grep -q 'confirmed-value\\"' || fail "the question did not show the arguments"

out=$("$NODE" "$WORK/gateway_confirm.mjs" "$URL" decline) || fail "decline run: $out"
echo "decline: $out"
echo "$out" | grep -q '"isError":true' || fail "a declined call did not fail"
echo "$out" | grep -qi 'declined' || fail "the tool error does not say it was declined"
echo "$out" | grep -q '"recall":"nothing"' || fail "a declined call reached the child"
echo "ok: confirm asks, runs when accepted, never runs when declined"
