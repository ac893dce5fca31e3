# mcpp chat end to end with @modelcontextprotocol/server-memory as a connector (stdio; its memory
# file shows which writes ran) and the scripted model: reads run without a question, a denied
# write never reaches the server and the model is told, "allow for this conversation", a new
# conversation asks again, policy allow/deny, a disabled tool is not offered, read-only mode, the
# model's bad calls (unknown tool, arguments not JSON, arguments failing the schema), a 429 then
# 200, and the conversation's export.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/host_lib.bash"
need_node
MEMORY_SERVER="$ROOT/.deps/node_modules/@modelcontextprotocol/server-memory/dist/index.js"
if [ ! -f "$MEMORY_SERVER" ]; then
  skip_test "@modelcontextprotocol/server-memory not installed (scripts/npm-package.json)"
fi
start_model
MEM="$WORK/memory.jsonl"
"$MCPP" connectors add memory --env MEMORY_FILE_PATH="$MEM" -- "$NODE" "$MEMORY_SERVER" >/dev/null
entity() { echo "{\"entities\":[{\"name\":\"$1\",\"entityType\":\"person\",\"observations\":[\"x\"]}]}"; }
memory_has() { [ -f "$MEM" ] && grep -q "\"name\":\"$1\"" "$MEM"; }

echo "== a read runs without a question"
out=$(chat --message 'call read_graph {}' </dev/null)
expect_in "read" "$out" "<- memory/read_graph"
expect_not_in "read" "$out" "Allow?"

echo "== a write asks; denied, it never reaches the server and the model is told"
out=$(echo n | chat --message "call create_entities $(entity Ada)")
expect_in "write" "$out" "The model wants to call create_entities"
expect_in "write" "$out" '"name": "Ada"'
expect_in "write" "$out" "not run (person deny_once)"
if memory_has Ada; then echo "FAIL: a denied write reached the server"; exit 1; fi
expect_in "model told" "$(last_request messages)" "tool: The person declined this call of memory/create_entities"

echo "== allowed once, it runs"
out=$(echo y | chat --message "call create_entities $(entity Ann)")
memory_has Ann || { echo "FAIL: an allowed write did not run"; echo "$out"; exit 1; }

echo "== allow for this conversation stops the questions for that tool in it"
out=$(echo a | chat --message "call create_entities $(entity Bob)")
conversation=$(conversation_of "$out")
memory_has Bob || { echo "FAIL: Bob"; exit 1; }
out=$(chat --conversation "$conversation" --message "call create_entities $(entity Cy)" </dev/null)
expect_not_in "remembered" "$out" "Allow?"
memory_has Cy || { echo "FAIL: the remembered allow did not apply"; echo "$out"; exit 1; }

echo "== a new conversation asks again (end of input denies)"
out=$(chat --message "call create_entities $(entity Dee)" </dev/null)
expect_in "new conversation" "$out" "Allow?"
expect_in "new conversation" "$out" "(end of input: denied)"
if memory_has Dee; then echo "FAIL: end of input must deny"; exit 1; fi

echo "== deny for this conversation"
out=$(echo never | chat --message "call create_entities $(entity Eve)")
conversation=$(conversation_of "$out")
out=$(echo y | chat --conversation "$conversation" --message "call create_entities $(entity Eve)")
expect_not_in "never" "$out" "Allow?"
expect_in "never" "$out" "remembered deny"
if memory_has Eve; then echo "FAIL: deny for the conversation"; exit 1; fi

echo "== policy: allow runs without asking, deny refuses even a yes"
echo "allow memory/create_*" >"$WORK/allow.policy"
out=$(chat --policy "$WORK/allow.policy" --message "call create_entities $(entity Fay)" </dev/null)
expect_not_in "policy allow" "$out" "Allow?"
memory_has Fay || { echo "FAIL: policy allow"; echo "$out"; exit 1; }
printf '# no creating\ndeny memory/create_entities\nallow memory/*\n' >"$WORK/deny.policy"
out=$(echo y | chat --policy "$WORK/deny.policy" --message "call create_entities $(entity Gus)")
expect_in "policy deny" "$out" "policy: deny memory/create_entities"
if memory_has Gus; then echo "FAIL: policy deny"; exit 1; fi
expect_in "policy deny told" "$(last_request messages)" "policy (deny memory/create_entities)"
"$MCPP" host policy add "deny memory/delete_*" >/dev/null
out=$(echo y | chat --message 'call delete_entities {"entityNames":["Ann"]}')
expect_in "stored policy" "$out" "not run (policy: deny memory/delete_*"
memory_has Ann || { echo "FAIL: a stored deny rule did not apply"; exit 1; }
"$MCPP" host policy remove "deny memory/delete_*" >/dev/null

echo "== a disabled tool is not offered to the model"
"$MCPP" connectors tools memory --disable delete_entities >/dev/null
out=$(chat --message 'say hello' </dev/null)
tools=$(last_request tools)
expect_not_in "disabled" "$tools" "memory__delete_entities"
expect_in "enabled" "$tools" "memory__create_entities"

echo "== read-only mode offers only reads"
out=$(chat --readonly --message 'say hello' </dev/null)
tools=$(last_request tools | sort | tr '\n' ' ')
[ "$tools" = "memory__open_nodes memory__read_graph memory__search_nodes " ] ||
  { echo "FAIL: read-only offered: $tools"; exit 1; }

echo "== the model's bad calls are reported to it and to the person"
out=$(chat --message $'call read_graph {}\nunknown-tool' </dev/null 2>&1)
expect_in "unknown tool" "$out" "not offered: made_up_tool"
expect_in "unknown tool told" "$(last_request messages)" 'there is no tool named "made_up_tool"'
out=$(chat --message $'call create_entities {"entities":[]}\nargs-not-json' </dev/null 2>&1)
expect_in "not JSON" "$out" "not a JSON object"
expect_not_in "not JSON" "$out" "Allow?"
out=$(chat --message 'call create_entities {"entities":"Hal"}' </dev/null 2>&1)
conversation=$(conversation_of "$out")
expect_in "schema" "$out" "do not fit the input schema"
expect_in "schema told" "$(last_request messages)" "/entities"

echo "== a 429 then 200 from the model"
out=$(chat --message $'status 429 1\nsay recovered' </dev/null 2>&1)
expect_in "429" "$out" "trying again"
expect_in "429" "$out" "recovered"

echo "== the model's errors end the turn with exit 1 and a message"
set +e
out=$(chat --message 'status 401' </dev/null 2>&1); rc=$?
set -e
[ "$rc" = 1 ] || { echo "FAIL: exit $rc after a 401"; echo "$out"; exit 1; }
expect_in "401" "$out" "OPENAI_API_KEY"

echo "== the store is intact: list and export"
"$MCPP" chat --list | grep -q "$conversation"
json=$("$MCPP" chat --export "$conversation" --format json)
"$NODE" -e '
  const c = JSON.parse(process.argv[1]);
  const call = c.tool_calls.find((t) => t.tool === "create_entities");
  if (!call || call.decision !== "invalid") throw new Error("no invalid call recorded: " + process.argv[1]);
  if (!c.messages.some((m) => m.role === "tool")) throw new Error("no tool message");' "$json"
md=$("$MCPP" chat --export "$conversation")
expect_in "markdown" "$md" "| memory/create_entities | invalid |"
echo "PASS"
