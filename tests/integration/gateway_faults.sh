# `mcpp gateway` with misbehaving children (tests/integration/fixtures/odd_server.mjs): session
# isolation against a shared child, a child killed mid-call (error within a second, restarted on
# the next call), one that never answers (timeout), garbage on stdout (skipped), a message over
# the size cap, one that exits at start; the confirm policy; metrics; and no child left after
# the gateway stops.
source "$(dirname "$0")/lib.bash"
need_node
ODD="$ROOT/tests/integration/fixtures/odd_server.mjs"
MARK="odd-marker-$$"
cat >"$WORK/servers.json" <<JSON
{"mcpServers": {
  "iso": {"command": "$NODE", "args": ["$ODD", "normal", "$MARK"]},
  "shared": {"command": "$NODE", "args": ["$ODD", "normal", "$MARK"], "isolation": "shared",
             "timeout": 1.5, "restart": {"max": 3, "window": 60}},
  "dead": {"command": "$NODE", "args": ["$ODD", "exit-at-start", "$MARK"]}
}}
JSON
export GATEWAY_SECRET=do-not-pass
start_gateway --config "$WORK/servers.json"
call() { "$MCPP" tools call "$@" --timeout 20; }
fail() { echo "FAIL: $*"; echo "--- gateway log ---"; tail -40 "$WORK/gateway.log"; exit 1; }

# Isolation: each stateful CLI run is one session. Per-session children forget; a shared child
# remembers. (A 2026-07-28 client has no session: its calls share the child of its token's
# subject, or the anonymous one: see docs/gateway.md.)
call remember --arg value=alpha --era stateful --url "http://localhost:$PORT/servers/iso/mcp" >/dev/null
out=$(call recall --era stateful --url "http://localhost:$PORT/servers/iso/mcp")
[ "$out" = "nothing" ] || fail "a new session saw another session's state: $out"
call shared__remember --arg value=beta --url "http://localhost:$PORT/mcp" >/dev/null
out=$(call shared__recall --era stateful --url "http://localhost:$PORT/mcp")
[ "$out" = "beta" ] || fail "the shared child lost its state: $out"
echo "ok: isolation (session: fresh child; shared: one child)"

# The aggregate lists every reachable server's tools, prefixed; the dead one is left out.
tools=$("$MCPP" tools list --url "http://localhost:$PORT/mcp" --json)
echo "$tools" | grep -q '"iso__recall"' || fail "aggregate lacks iso__recall"
echo "$tools" | grep -q '"shared__pid"' || fail "aggregate lacks shared__pid"
if echo "$tools" | grep -q '"dead__'; then fail "a server that exits at start is listed"; fi
grep -q "\[dead\] not available" "$WORK/gateway.log" || fail "the dead server is not reported"
echo "ok: aggregate listing"

# A child killed mid-call: the call fails within a second, the next call restarts it.
start=$(date +%s%N)
set +e
err=$(call shared__crash --url "http://localhost:$PORT/mcp" 2>&1)
rc=$?
set -e
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" != 0 ] || fail "a crashed child's call succeeded"
echo "$err" | grep -qi "shared" || fail "the error does not name the server: $err"
# Detected by the child's exit, not by the 1.5 s timeout:
echo "$err" | grep -q "exited with status 9" || fail "the crash was not detected as an exit: $err"
echo "ok: crash mid-call answered in $ms ms: $err"
out=$(call shared__pid --url "http://localhost:$PORT/mcp") || fail "no restart after the crash"
echo "ok: restarted (pid $out)"

# A child that never answers: the server's timeout (1.5 s).
set +e
err=$(call shared__hang --url "http://localhost:$PORT/mcp" 2>&1)
rc=$?
set -e
[ "$rc" != 0 ] || fail "a hanging call succeeded"
echo "$err" | grep -qi "time" || fail "not a timeout: $err"
echo "ok: hang -> $err"

# Garbage on stdout is skipped; the call still answers.
out=$(call shared__garbage --url "http://localhost:$PORT/mcp") || fail "garbage broke the call"
[ "$out" = "after garbage" ] || fail "garbage: $out"
echo "ok: garbage skipped"

# A message over the client's size cap: refused, the session goes on.
set +e
err=$(call shared__huge --url "http://localhost:$PORT/mcp" 2>&1)
set -e
out=$(call shared__pid --url "http://localhost:$PORT/mcp") || fail "the gateway did not survive a huge message: $err"
echo "ok: huge message -> ${err:0:160}"

# The child's environment holds none of the gateway's secrets.
pid=$(call pid --url "http://localhost:$PORT/servers/shared/mcp")
if tr '\0' '\n' <"/proc/$pid/environ" | grep -q GATEWAY_SECRET; then
  fail "the child inherited the gateway's secret"
fi
tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^PATH=' || fail "the child has no PATH"
echo "ok: clean child environment"

# Metrics.
curl -fsS "http://localhost:$PORT/metrics" >"$WORK/metrics.txt" || fail "no /metrics"
grep -q 'mcpp_gateway_tool_calls_total{server="shared",tool="pid"}' "$WORK/metrics.txt" ||
  fail "metrics lack the shared/pid counter"
grep -q 'mcpp_gateway_restarts_total 1' "$WORK/metrics.txt" || fail "metrics lack the restart"
echo "ok: metrics"

# No child left after the gateway stops.
[ -n "$(pgrep -f "$MARK")" ] || fail "no child running before the stop (test is wrong)"
kill -TERM "$GATEWAY_PID"
for _ in $(seq 50); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done
sleep 0.5
left=$(pgrep -f "$MARK" || true)
[ -z "$left" ] || { ps -o pid,ppid,pgid,args -p $left; fail "children left after the gateway stopped"; }
echo "ok: no child left"
