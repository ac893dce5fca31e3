# `mcpp serve --stdio` fed bad input: it must answer each bad line with the right JSON-RPC
# error, keep serving afterwards, write nothing but JSON lines on stdout, and exit 0 on EOF.
# Uses bash and the bundled Node 22 only (for the JSON checks); no python, no jq.
source "$(dirname "$0")/lib.bash"
need_node

# jcheck LINE EXPR: LINE parses as JSON and the JavaScript EXPR (over `m`) is true.
cat >"$WORK/jcheck.js" <<'EOF'
let m;
try { m = JSON.parse(process.argv[2]); } catch (e) { console.log(`not JSON (${e.message})`); process.exit(1); }
if (!eval(process.argv[3])) { console.log(`does not satisfy: ${process.argv[3]}`); process.exit(1); }
EOF
jcheck() { "$NODE" "$WORK/jcheck.js" "$1" "$2"; }

STDOUT_LOG="$WORK/stdout.log"
STDERR_LOG="$WORK/stderr.log"
: >"$STDOUT_LOG"
mkfifo "$WORK/in.fifo" "$WORK/out.fifo"
"$MCPP" serve --stdio --fixture conformance <"$WORK/in.fifo" >"$WORK/out.fifo" 2>"$STDERR_LOG" &
SRV_PID=$!
PIDS+=("$SRV_PID")
exec {SRV_IN}>"$WORK/in.fifo"
exec {SRV_OUT}<"$WORK/out.fifo"

fail() {
  echo "FAIL: $*"
  echo "--- server stdout so far ---"; cat "$STDOUT_LOG"
  echo "--- server stderr ---"; cat "$STDERR_LOG"
  exit 1
}

send() {
  local shown="$1"
  [ "${#shown}" -gt 240 ] && shown="${shown:0:60}... (${#1} bytes)"
  echo "  -> $shown"
  printf '%s\n' "$1" >&"$SRV_IN" || fail "could not write to the server (did it exit?)"
}

# Reads the next line that is a response (skipping notifications) into REPLY_LINE.
next_response() {
  local line
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if ! IFS= read -r -t 10 -u "$SRV_OUT" line; then
      fail "no response within 10 s (server alive: $(kill -0 "$SRV_PID" 2>/dev/null && echo yes || echo no))"
    fi
    printf '%s\n' "$line" >>"$STDOUT_LOG"
    echo "  <- ${line:0:200}"
    jcheck "$line" 'true' >/dev/null || fail "stdout line is not JSON: $line"
    if jcheck "$line" '"id" in m' >/dev/null; then
      REPLY_LINE=$line
      return 0
    fi
  done
  fail "10 lines without a response"
}

# expect DESCRIPTION JS-EXPR: the next response satisfies EXPR.
expect() {
  next_response
  local why
  why=$(jcheck "$REPLY_LINE" "$2") || fail "$1: response $REPLY_LINE $why"
  echo "ok: $1"
}

echo "== garbage before initialize"
send '}{ not JSON at all'
expect "garbage before initialize gets -32700 with id null" 'm.jsonrpc === "2.0" && m.id === null && m.error && m.error.code === -32700'

echo "== handshake"
send '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"stdio-bad-input","version":"1"}}}'
expect "initialize is answered" 'm.jsonrpc === "2.0" && m.id === 0 && m.result && m.result.protocolVersion === "2025-11-25"'
send '{"jsonrpc":"2.0","method":"notifications/initialized"}'

echo "== a garbage line"
send 'this is not JSON {'
expect "garbage gets -32700 with id null" 'm.jsonrpc === "2.0" && m.id === null && m.error && m.error.code === -32700 && typeof m.error.message === "string"'
send '{"jsonrpc":"2.0","id":2,"method":"ping"}'
expect "a ping after the garbage is answered" 'm.id === 2 && m.result && Object.keys(m.result).length === 0'

echo "== an invalid request (method is a number)"
send '{"jsonrpc":"2.0","id":1,"method":5}'
expect "invalid request gets -32600" '(m.id === 1 || m.id === null) && m.error && m.error.code === -32600'

echo "== a deeply nested line (100000 '[')"
deep=$(printf '%*s' 100000 '' | tr ' ' '[')
send "$deep"
expect "deep nesting gets -32700 with id null" 'm.id === null && m.error && m.error.code === -32700'
send '{"jsonrpc":"2.0","id":3,"method":"ping"}'
expect "a ping after the deep nesting is answered" 'm.id === 3 && m.result && Object.keys(m.result).length === 0'

echo "== an unknown method"
send '{"jsonrpc":"2.0","id":4,"method":"no/such/method","params":{}}'
expect "unknown method gets -32601" 'm.id === 4 && m.error && m.error.code === -32601'
send '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}'
expect "a tool call still works at the end" 'm.id === 5 && m.result && m.result.content[0].text === "This is a simple text response for testing."'

echo "== EOF"
exec {SRV_IN}>&-
# Whatever the server still writes must be JSON lines too.
while IFS= read -r -t 10 -u "$SRV_OUT" line; do
  printf '%s\n' "$line" >>"$STDOUT_LOG"
done
for _ in $(seq 100); do
  kill -0 "$SRV_PID" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$SRV_PID" 2>/dev/null && fail "the server did not exit within 10 s of EOF on stdin"
rc=0
wait "$SRV_PID" || rc=$?
[ "$rc" = 0 ] || fail "exit code $rc on EOF, expected 0"
echo "ok: exit code 0 on EOF"

n=0
while IFS= read -r line; do
  n=$((n + 1))
  why=$(jcheck "$line" 'typeof m === "object" && m !== null && m.jsonrpc === "2.0"') || fail "stdout line $n is not a JSON-RPC message: $line ($why)"
done <"$STDOUT_LOG"
echo "ok: all $n stdout lines are JSON-RPC messages"

# A stateless subscriptions/listen and a task parked for input do not keep the server alive once
# its input ends.
META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{},"extensions":{"io.modelcontextprotocol/tasks":{}}}}'
start=$(date +%s)
out=$(printf '%s\n%s\n' \
  '{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true},'"$META"'}}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"confirm_delete","arguments":{"filename":"x"},'"$META"'}}' |
  timeout 10 "$MCPP" serve --stdio --fixture conformance 2>/dev/null) || fail "mcpp serve --stdio did not exit at EOF with a subscription and a parked task (rc $?)"
grep -q '"notifications/subscriptions/acknowledged"' <<<"$out" || fail "no subscription acknowledgement: $out"
grep -q '"resultType":"task"' <<<"$out" || fail "no task handle: $out"
echo "ok: exits at EOF with an open subscription and a parked task ($(($(date +%s) - start)) s)"
echo "PASS: stdio bad input"
