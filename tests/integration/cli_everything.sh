# The mcpp client CLI as a new user would try it: against mcpp's own fixture over stdio, Streamable
# HTTP and legacy SSE, against the official @modelcontextprotocol/server-everything over stdio,
# Streamable HTTP and SSE, from a Claude Desktop config file; exit codes and error messages.
source "$(dirname "$0")/lib.bash"
export XDG_CONFIG_HOME="$WORK/config"  # OAuth token store of the CLI: not the real one
need_node
FAILS=0

# expect RC PATTERN COMMAND...: COMMAND must exit with RC and print PATTERN (grep -E) on stdout
# or stderr.
expect() {
  local rc="$1" pattern="$2"
  shift 2
  local out got
  set +e
  out="$("$@" 2>&1)"
  got=$?
  set -e
  if [ "$got" != "$rc" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL: mcpp ${*:2} -> exit $got (expected $rc and /$pattern/); output:"
    head -20 <<<"$out" | sed 's/^/    /'
    FAILS=$((FAILS + 1))
  else
    echo "ok: ${*:2}"
  fi
}

# expect_json COMMAND...: COMMAND must exit 0 and print valid JSON.
expect_json() {
  local out
  if ! out="$("$@" 2>&1)" || ! "$NODE" -e 'JSON.parse(require("fs").readFileSync(0, "utf8"))' <<<"$out"; then
    echo "FAIL: mcpp ${*:2} did not print JSON:"
    head -10 <<<"$out" | sed 's/^/    /'
    FAILS=$((FAILS + 1))
  else
    echo "ok: ${*:2}"
  fi
}

# A free TCP port (Node asks the kernel).
free_port() { "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# Waits until `log` contains `pattern`.
wait_for_log() {
  for _ in $(seq 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "FAIL: server did not start:"
  cat "$1"
  exit 1
}

# ---- mcpp's own fixture ------------------------------------------------------------------------
FIXTURE=(-- "$MCPP" serve --stdio --fixture conformance)
expect 0 'test_simple_text +Returns a simple text response' "$MCPP" tools list "${FIXTURE[@]}"
expect_json "$MCPP" tools list --json "${FIXTURE[@]}"
expect 0 '^This is a simple text response for testing\.$' "$MCPP" tools call test_simple_text "${FIXTURE[@]}"
expect 0 '\[image: image/png' "$MCPP" tools call test_image_content "${FIXTURE[@]}"
expect 1 'intentionally returns an error' "$MCPP" tools call test_error_handling "${FIXTURE[@]}"
expect 1 'reported an error \(isError\)' "$MCPP" tools call test_error_handling "${FIXTURE[@]}"
expect 1 'Unknown tool.*JSON-RPC error -32602' "$MCPP" tools call no_such_tool "${FIXTURE[@]}"
expect 0 'Received: \{"contactMethod":"email","email":"a@b.c"\}' \
  "$MCPP" tools call json_schema_2020_12_tool --args '{"contactMethod":"email","email":"a@b.c"}' "${FIXTURE[@]}"
expect 0 'test://static-text +Static text +text/plain' "$MCPP" resources list "${FIXTURE[@]}"
expect 0 'This is the content of the static text resource' "$MCPP" resources read test://static-text "${FIXTURE[@]}"
expect 0 'test://template/\{id\}/data' "$MCPP" resources templates "${FIXTURE[@]}"
expect 0 'test_prompt_with_arguments +arg1, arg2' "$MCPP" prompts list "${FIXTURE[@]}"
expect 0 "arg1='x', arg2='y'" "$MCPP" prompts get test_prompt_with_arguments --arg arg1=x --arg arg2=y "${FIXTURE[@]}"
# mcpp's server speaks both eras: the client takes the stateless one unless told otherwise.
expect 0 'ok: mcpp-conformance-fixture .* \(protocol 2026-07-28, stdio\)' "$MCPP" ping "${FIXTURE[@]}"
expect 0 'ok: mcpp-conformance-fixture .* \(protocol 2025-11-25, stdio\)' \
  "$MCPP" ping --era stateful "${FIXTURE[@]}"
expect 0 'Era +stateless \(server/discover\)' "$MCPP" discover "${FIXTURE[@]}"
expect 0 'Supported +2026-07-28, 2025-11-25' "$MCPP" discover "${FIXTURE[@]}"
expect 0 'Era +stateful \(initialize' "$MCPP" discover --era stateful "${FIXTURE[@]}"
expect_json "$MCPP" discover --json "${FIXTURE[@]}"
expect 0 '"era": "stateless"' "$MCPP" discover --json "${FIXTURE[@]}"
expect 2 '--era must be auto, stateless or stateful' "$MCPP" discover --era sometimes "${FIXTURE[@]}"

start_server --fixture conformance
BASE="http://localhost:$PORT"
expect 0 'test_tool_with_progress' "$MCPP" tools list "$URL"
expect 0 'test_tool_with_progress' "$MCPP" tools list --url "$URL"
expect 0 '^no progress token$' "$MCPP" tools call test_tool_with_progress "$URL"
expect 0 '\[progress\] 50/100' "$MCPP" tools call test_tool_with_progress -v "$URL"
expect 0 'Reconnection test completed' "$MCPP" tools call test_reconnection "$URL"
expect 0 'This is the content of the static text resource' "$MCPP" resources read test://static-text "$URL"
expect 0 'ok: .*streamable-http' "$MCPP" ping "$URL"
expect 0 'ok: .*, sse\)' "$MCPP" ping --transport sse "$BASE/sse"
expect 0 'ok: .*, sse\)' "$MCPP" ping "$BASE/sse"  # POST /sse fails with 4xx: falls back to SSE
expect 0 'Transport +streamable-http' "$MCPP" discover "$URL"
expect 0 'Transport +sse' "$MCPP" discover "$BASE/sse"
expect 0 'Static binary' "$MCPP" resources list --transport sse "$BASE/sse"
expect_json "$MCPP" ping --json "$URL"

# ---- a Claude Desktop config -------------------------------------------------------------------
cat >"$WORK/claude_desktop_config.json" <<JSON
{"mcpServers": {
  "fixture": {"command": "$MCPP", "args": ["serve", "--stdio", "--fixture", "conformance"], "env": {"UNUSED": "1"}},
  "remote": {"url": "$URL"}
}}
JSON
expect 0 'test_simple_text' "$MCPP" tools list --config "$WORK/claude_desktop_config.json" --server fixture
expect 0 'streamable-http' "$MCPP" ping --config "$WORK/claude_desktop_config.json" --server remote
expect 2 '--server NAME is needed.*fixture, remote' "$MCPP" ping --config "$WORK/claude_desktop_config.json"
expect 2 "has no server 'nope'" "$MCPP" ping --config "$WORK/claude_desktop_config.json" --server nope
expect 2 'cannot read the config file' "$MCPP" ping --config "$WORK/missing.json"

# ---- usage and connection errors -----------------------------------------------------------------
expect 2 'which server\?' "$MCPP" tools list
expect 2 'which tool\?' "$MCPP" tools call --url "$URL"
expect 2 'expected one of: list, call' "$MCPP" tools
expect 2 'KEY=VALUE' "$MCPP" tools call test_simple_text --arg novalue "$URL"
expect 2 'unknown option --bogus' "$MCPP" tools list --bogus "$URL"
expect 2 'expects NAME:VALUE' "$MCPP" ping -H nocolon "$URL"
expect 2 'unknown transport' "$MCPP" ping --transport carrier-pigeon "$URL"
expect 2 "--timeout expects seconds > 0, got '0'" "$MCPP" ping --timeout 0 "$URL"
expect 2 "--auth-timeout expects seconds > 0, got 'soon'" "$MCPP" ping --auth-timeout soon "$URL"
expect 3 'cannot connect to 127.0.0.1:1' "$MCPP" ping http://127.0.0.1:1/mcp
expect 3 'cannot start `/nonexistent/server`' "$MCPP" ping -- /nonexistent/server
expect 3 'exited with status 7' "$MCPP" ping -- sh -c 'echo boom >&2; exit 7'
expect 3 'boom' "$MCPP" ping -- sh -c 'echo boom >&2; exit 7'
AUTH_PORT=$(free_port)
"$NODE" -e '
  require("http").createServer((q, s) => {
    s.writeHead(401, {"WWW-Authenticate": `Bearer realm="mcp", resource_metadata="http://127.0.0.1:${process.argv[1]}/.well-known/oauth-protected-resource/mcp"`,
                      "Content-Type": "application/json"});
    s.end(JSON.stringify({error: "invalid_token", error_description: "Missing Authorization header"}));
  }).listen(+process.argv[1], "127.0.0.1", () => console.log("listening"));' "$AUTH_PORT" >"$WORK/auth.log" 2>&1 &
PIDS+=($!)
wait_for_log "$WORK/auth.log" listening
expect 3 'HTTP 401 .*Missing Authorization header' "$MCPP" ping --no-oauth "http://127.0.0.1:$AUTH_PORT/mcp"
expect 3 "described at http://127.0.0.1:$AUTH_PORT/.well-known/oauth-protected-resource/mcp" \
  "$MCPP" ping --no-oauth "http://127.0.0.1:$AUTH_PORT/mcp"
# With OAuth (the default), the metadata the 401 names cannot be read: said so.
expect 3 "authorizing failed: cannot read the protected resource metadata .*http://127.0.0.1:$AUTH_PORT/.well-known/oauth-protected-resource/mcp: HTTP 401" \
  "$MCPP" ping --no-browser "http://127.0.0.1:$AUTH_PORT/mcp"

# ---- @modelcontextprotocol/server-everything -----------------------------------------------------
EVERYTHING="$ROOT/.deps/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
if [ ! -f "$EVERYTHING" ]; then
  skip_part "@modelcontextprotocol/server-everything is not installed (scripts/install-deps.sh)"
else
  EV=(-- "$NODE" "$EVERYTHING" stdio)
  expect 0 'get-sum +a, b +Returns the sum of two numbers' "$MCPP" tools list "${EV[@]}"
  expect_json "$MCPP" tools list --json "${EV[@]}"
  expect 0 '^The sum of 2 and 3 is 5\.$' "$MCPP" tools call get-sum --arg a=2 --arg b=3 "${EV[@]}"
  expect 0 '^Echo: hello world$' "$MCPP" tools call echo --arg 'message=hello world' "${EV[@]}"
  expect 0 '\[image: image/png' "$MCPP" tools call get-tiny-image "${EV[@]}"
  expect 0 'Long running operation completed' \
    "$MCPP" tools call trigger-long-running-operation --arg duration=1 --arg steps=2 "${EV[@]}"
  expect 2 '--arg a: expected a number' "$MCPP" tools call get-sum --arg a=two --arg b=3 "${EV[@]}"
  expect 0 'demo://resource/static/document/features.md' "$MCPP" resources list "${EV[@]}"
  expect 0 '^Resource 1: This is a plaintext resource' \
    "$MCPP" resources read demo://resource/dynamic/text/1 "${EV[@]}"
  expect 0 'demo://resource/dynamic/text/\{resourceId\}' "$MCPP" resources templates "${EV[@]}"
  expect 0 'args-prompt +city, \[state\]' "$MCPP" prompts list "${EV[@]}"
  expect 0 "What's weather in Paris\?" "$MCPP" prompts get args-prompt --arg city=Paris "${EV[@]}"
  expect 0 'ok: mcp-servers/everything' "$MCPP" ping "${EV[@]}"
  # A stateful-only server: server/discover fails, the client falls back to initialize.
  expect 0 'Era +stateful \(initialize' "$MCPP" discover "${EV[@]}"

  EV_PORT=$(free_port)
  PORT="$EV_PORT" "$NODE" "$EVERYTHING" streamableHttp >"$WORK/everything-http.log" 2>&1 &
  PIDS+=($!)
  wait_for_log "$WORK/everything-http.log" "listening on port"
  EV_URL="http://localhost:$EV_PORT/mcp"
  expect 0 'get-sum' "$MCPP" tools list "$EV_URL"
  expect 0 '^The sum of 2 and 3 is 5\.$' "$MCPP" tools call get-sum --arg a=2 --arg b=3 "$EV_URL"
  expect 0 'Long running operation completed' \
    "$MCPP" tools call trigger-long-running-operation --arg duration=1 --arg steps=2 "$EV_URL"
  expect 0 '^Resource 2: This is a plaintext resource' \
    "$MCPP" resources read demo://resource/dynamic/text/2 "$EV_URL"
  expect 0 "What's weather in Lyon\?" "$MCPP" prompts get args-prompt --arg city=Lyon "$EV_URL"
  expect 0 'ok: mcp-servers/everything .*streamable-http' "$MCPP" ping "$EV_URL"

  EV_SSE_PORT=$(free_port)
  PORT="$EV_SSE_PORT" "$NODE" "$EVERYTHING" sse >"$WORK/everything-sse.log" 2>&1 &
  PIDS+=($!)
  wait_for_log "$WORK/everything-sse.log" "running on port"
  EV_SSE="http://localhost:$EV_SSE_PORT/sse"
  expect 0 'get-sum' "$MCPP" tools list --transport sse "$EV_SSE"
  expect 0 '^The sum of 2 and 3 is 5\.$' "$MCPP" tools call get-sum --arg a=2 --arg b=3 "$EV_SSE"
  expect 0 'ok: mcp-servers/everything .*, sse\)' "$MCPP" ping "$EV_SSE"
fi

if [ "$FAILS" != 0 ]; then
  echo "$FAILS check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
