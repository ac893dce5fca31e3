# mcpp chat end to end with more servers: @modelcontextprotocol/server-everything over stdio
# (progress, elicitation and sampling round trips, roots, cancelling a long-running tool with SIGINT)
# and over Streamable HTTP (progress, elicitation),
# the two example connectors chained in one turn (a refund, then a message), a tool whose
# definition changed behind a refresh (asked again, with the diff), malformed tool definitions, a
# server that dies mid-call, a 50 MB tool list and a URL that is not MCP.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/host_lib.bash"
need_node
EVERYTHING="$ROOT/.deps/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
EXAMPLES="$(dirname "$MCPP")/examples"
start_model

echo "== server-everything: progress, elicitation, sampling"
"$MCPP" connectors add everything -- "$NODE" "$EVERYTHING" stdio >/dev/null
out=$(chat --connector everything \
  --message 'call trigger-long-running-operation {"duration":0.3,"steps":3}' </dev/null)
expect_in "progress" "$out" "progress 3/3"
expect_in "progress" "$out" "Long running operation completed"
out=$(printf 'y\n{"name":"Ada Lovelace","check":true}\n' |
  chat --connector everything --message 'call trigger-elicitation-request {}')
expect_in "elicitation" "$out" "The connector everything asks: Please provide inputs"
expect_in "elicitation" "$out" '"name": "Ada Lovelace"'
out=$(printf 'y\nn\n' | chat --connector everything --message 'call trigger-elicitation-request {}')
expect_in "elicitation declined" "$out" "decline"
out=$(printf 'y\ny\n' | chat --connector everything \
  --message 'call trigger-sampling-request {"prompt":"Say hi","maxTokens":20}')
expect_in "sampling" "$out" "asks to use the model with:"
expect_in "sampling" "$out" '"text": "echo: '
out=$(printf 'y\nn\n' | chat --connector everything \
  --message 'call trigger-sampling-request {"prompt":"Say hi","maxTokens":20}' 2>&1)
expect_in "sampling declined" "$out" "declined the sampling request"

echo "== roots: the current directory by default, --root DIR"
out=$(cd "$WORK" && chat --connector everything --message 'call get-roots-list {}' </dev/null)
expect_in "default root" "$out" "URI: file://$WORK"
out=$(chat --connector everything --root "$ROOT/samples" --root /tmp --message 'call get-roots-list {}' </dev/null)
expect_in "--root" "$out" "URI: file://$ROOT/samples"
expect_in "--root" "$out" "URI: file:///tmp"

echo "== SIGINT while a tool runs cancels the call"
# (mcpp itself in the background, not the chat function, so that $! is its pid)
"$MCPP" chat --llm-url "$LLM" --model test-model --connector everything \
  --message 'call trigger-long-running-operation {"duration":30,"steps":30}' \
  </dev/null >"$WORK/cancel.out" 2>&1 &
chat_pid=$!
for _ in $(seq 100); do grep -q "progress 1/30" "$WORK/cancel.out" && break; sleep 0.1; done
kill -INT "$chat_pid"
# The turn ends at once (the stdio servers are then shut down, which may take a few seconds).
for _ in $(seq 50); do grep -q "the turn was cancelled" "$WORK/cancel.out" && break; sleep 0.1; done
grep -q "the turn was cancelled" "$WORK/cancel.out" ||
  { echo "FAIL: the turn was not cancelled within 5 s"; cat "$WORK/cancel.out"; exit 1; }
set +e
wait "$chat_pid"; rc=$?
set -e
out=$(cat "$WORK/cancel.out")
[ "$rc" = 1 ] || { echo "FAIL: exit $rc after a cancelled turn"; echo "$out"; exit 1; }
expect_in "cancel" "$out" "cancelling"
expect_in "cancel" "$out" "Error: the person cancelled the call of everything/trigger-long-running-operation"
expect_not_in "cancel" "$out" "Long running operation completed"

echo "== server-everything over Streamable HTTP: progress and elicitation"
EVERYTHING_PORT=$("$NODE" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
PORT=$EVERYTHING_PORT "$NODE" "$EVERYTHING" streamableHttp >"$WORK/everything-http.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q "listening on port" "$WORK/everything-http.log" && break; sleep 0.1; done
"$MCPP" connectors add everyhttp "http://127.0.0.1:$EVERYTHING_PORT/mcp" >/dev/null
out=$(printf 'y\n{"name":"Grace Hopper","check":true}\n' | chat --connector everyhttp --message \
  $'call trigger-long-running-operation {"duration":0.3,"steps":3}\ncall trigger-elicitation-request {}')
expect_in "http progress" "$out" "progress 3/3"
expect_in "http elicitation" "$out" '"name": "Grace Hopper"'

echo "== two connectors chained in one turn: a refund, then a message"
"$MCPP" connectors add payments --env PAYMENTS_LEDGER="$WORK/ledger" -- "$EXAMPLES/payments_server" >/dev/null
"$MCPP" connectors add chat --env CHAT_LOG="$WORK/chat.log" -- "$EXAMPLES/chat_server" >/dev/null
out=$(printf 'y\ny\n' | chat --connector payments --connector chat --message \
  $'call refund {"charge_id":"ch_1","amount_cents":1200}\nthen\ncall post_message {"channel":"billing","text":"Refunded 12.00 to Ada"}\nthen\nsay Done: refunded and announced.')
expect_in "chained" "$out" "The model wants to call refund"
expect_in "chained" "$out" "The model wants to call post_message"
expect_in "chained" "$out" "Done: refunded and announced."
grep -q "ch_1" "$WORK/ledger" || { echo "FAIL: no refund in the ledger"; exit 1; }
grep -q "#billing Refunded 12.00 to Ada" "$WORK/chat.log" || { echo "FAIL: no message"; exit 1; }

echo "== a tool changed behind a refresh asks again and shows the diff"
echo "Writes a note" >"$WORK/description"
export FIXTURE_DESCRIPTION_FILE="$WORK/description" FIXTURE_NOTES="$WORK/notes"
"$MCPP" connectors add fixture -- "$NODE" "$ROOT/tests/integration/host_fixture_server.mjs" >/dev/null
out=$(echo a | chat --connector fixture --message 'call note {"text":"one"}')
conversation=$(conversation_of "$out")
echo "Writes a note and sends it to everyone" >"$WORK/description"
refresh=$("$MCPP" connectors refresh fixture 2>&1)
expect_in "refresh diff" "$refresh" "~ note"
out=$(chat --conversation "$conversation" --connector fixture --message 'call note {"text":"two"}' </dev/null)
expect_in "changed" "$out" "its definition changed since you accepted it"
expect_in "changed" "$out" "+ Writes a note and sends it to everyone"
expect_in "changed" "$out" "(end of input: denied)"
[ "$(cat "$WORK/notes")" = "one" ] || { echo "FAIL: notes: $(cat "$WORK/notes")"; exit 1; }
"$MCPP" connectors accept fixture note >/dev/null
out=$(echo a | chat --conversation "$conversation" --connector fixture --message 'call note {"text":"three"}')
expect_in "accepted" "$out" "Allow?"
grep -q three "$WORK/notes" || { echo "FAIL: the accepted tool did not run"; exit 1; }

echo "== malformed tool definitions: reported, the rest works"
"$MCPP" connectors remove fixture >/dev/null
"$MCPP" connectors add fixture --env FIXTURE_MALFORMED=1 -- "$NODE" "$ROOT/tests/integration/host_fixture_server.mjs" >/dev/null
out=$(chat --connector fixture --message 'call bad_schema {"x":1}' </dev/null 2>&1)
expect_in "malformed schema" "$out" "malformed"
out=$(echo y | chat --connector fixture --message 'call note {"text":"four"}' 2>&1)
grep -q four "$WORK/notes" || { echo "FAIL: a good tool beside malformed ones"; echo "$out"; exit 1; }

echo "== a server that dies mid-call"
out=$(chat --connector fixture --message 'call crash {}' </dev/null 2>&1)
expect_in "crash" "$out" "the connector fixture failed during fixture/crash"
"$MCPP" chat --export "$(conversation_of "$out")" | grep -q "fixture/crash"

echo "== a 50 MB tool list: the connector fails with a reason, the chat goes on"
"$MCPP" connectors add huge --env FIXTURE_HUGE=1 -- "$NODE" "$ROOT/tests/integration/host_fixture_server.mjs" >/dev/null
out=$(timeout 120 "$MCPP" chat --llm-url "$LLM" --model test-model --connector huge --connector payments \
  --message 'call list_charges {}' </dev/null 2>&1)
expect_in "huge" "$out" "connector huge: error"
expect_in "huge: others work" "$out" "<- payments/list_charges"

echo "== a URL that is not MCP"
"$MCPP" connectors add notmcp "$LLM" >/dev/null
out=$(chat --connector notmcp --connector payments --message 'call list_charges {}' </dev/null 2>&1)
expect_in "not MCP" "$out" "connector notmcp: error"
expect_in "not MCP: others work" "$out" "<- payments/list_charges"
echo "PASS"
