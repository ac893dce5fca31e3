# The official MCP conformance suite in authorization-server mode against `mcpp serve --auth
# builtin`: its metadata scenario, and its authorization-code-grant scenario, which prints an
# authorization URL and waits for a browser to come back to its callback. curl plays that user:
# it opens the URL, signs in on the HTML form (a users-file user) and follows the redirect.
# Both scenarios must pass with no failed check.
source "$(dirname "$0")/lib.bash"
need_node
command -v curl >/dev/null || { echo "FAIL: curl is required (scripts/install-deps.sh)"; exit 1; }

free_port() {
  "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
PORT=$(free_port)
CALLBACK_PORT=$(free_port)
ISSUER="http://127.0.0.1:$PORT"
PASSWORD="conformance-$RANDOM-$RANDOM"
printf '%s\n' "$PASSWORD" | "$MCPP" hash-password tester >"$WORK/users.txt"

"$MCPP" serve --http "127.0.0.1:$PORT" --fixture conformance --auth builtin \
  --auth-db "$WORK/auth.sqlite" --auth-users "$WORK/users.txt" \
  --auth-client "conformance-client=http://127.0.0.1:$CALLBACK_PORT/callback" \
  2>"$WORK/server.log" &
PIDS+=($!)
for _ in $(seq 100); do
  grep -q "authorization server" "$WORK/server.log" && break
  sleep 0.1
done
grep -q "authorization server" "$WORK/server.log" || { echo "FAIL: server did not start"; cat "$WORK/server.log"; exit 1; }

"$NODE" "$CONFORMANCE" authorization --url "$ISSUER" --client-id conformance-client \
  --port "$CALLBACK_PORT" --resource "$ISSUER/mcp" -o "$WORK/results" >"$WORK/out.txt" 2>&1 &
SUITE=$!
PIDS+=($SUITE)

# The user: wait for the authorization URL, sign in and approve, follow the redirect.
AUTH_URL=""
for _ in $(seq 600); do
  AUTH_URL=$(grep -m1 "^$ISSUER/authorize?" "$WORK/out.txt" || true)
  [ -n "$AUTH_URL" ] && grep -q "Callback server started" "$WORK/out.txt" && break
  kill -0 "$SUITE" 2>/dev/null || break
  sleep 0.1
done
rc=0
if [ -z "$AUTH_URL" ]; then
  echo "FAIL: the suite printed no authorization URL"
  rc=1
else
  JAR="$WORK/cookies.txt"
  curl -sS --max-time 10 -c "$JAR" -b "$JAR" -o "$WORK/login.html" "$AUTH_URL" || true
  REQUEST_ID=$(sed -n 's/.*name="request_id" value="\([^"]*\)".*/\1/p' "$WORK/login.html")
  CSRF=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/login.html")
  if [ -z "$REQUEST_ID" ] || [ -z "$CSRF" ]; then
    echo "FAIL: no login form at the authorization URL"
    head -c 2000 "$WORK/login.html"
    rc=1
  else
    REDIRECT=$(curl -sS --max-time 30 -c "$JAR" -b "$JAR" -o "$WORK/decision.html" \
      -w '%{redirect_url}' \
      --data-urlencode "request_id=$REQUEST_ID" --data-urlencode "csrf=$CSRF" \
      --data-urlencode "username=tester" --data-urlencode "password=$PASSWORD" \
      --data-urlencode "decision=approve" "$ISSUER/authorize/decision" || true)
    case "$REDIRECT" in
      "http://127.0.0.1:$CALLBACK_PORT/callback?"*)
        curl -sS --max-time 10 -o /dev/null "$REDIRECT" || echo "FAIL: the callback did not answer" ;;
      *)
        echo "FAIL: the login form did not redirect to the callback (got '$REDIRECT')"
        head -c 2000 "$WORK/decision.html"
        rc=1 ;;
    esac
  fi
fi

# The suite ends once the callback came (or on its own timeout: end it sooner on failure).
[ "$rc" != 0 ] && kill "$SUITE" 2>/dev/null
set +e
wait "$SUITE"
suite_rc=$?
set -e
sed -n '/=== SUMMARY ===/,$p' "$WORK/out.txt"
[ "$suite_rc" != 0 ] && rc=1
for scenario in authorization-server-metadata-endpoint authorization-code-grant; do
  if ! grep -qE "✓ $scenario: [1-9][0-9]* passed, 0 failed" "$WORK/out.txt"; then
    echo "FAIL: scenario $scenario did not pass"
    rc=1
  fi
done
if ! grep -qE "^Total: [1-9][0-9]* passed, 0 failed" "$WORK/out.txt"; then
  echo "FAIL: some checks failed"
  rc=1
fi
if grep -qh '"WARNING"' "$WORK"/results/*/checks.json 2>/dev/null; then
  echo "FAIL: the suite warned"
  grep -h -B3 -A6 '"WARNING"' "$WORK"/results/*/checks.json | head -50
  rc=1
fi
if [ "$rc" != 0 ]; then
  echo "--- suite output ---"
  tail -40 "$WORK/out.txt"
  echo "--- failed checks ---"
  grep -h -B3 -A6 '"FAILURE"' "$WORK"/results/*/checks.json 2>/dev/null | head -100 || true
  echo "--- server log ---"
  tail -30 "$WORK/server.log"
fi
exit "$rc"
