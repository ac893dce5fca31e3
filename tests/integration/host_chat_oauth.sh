# mcpp chat with `mcpp serve` over samples/docs as a connector over HTTP with `--auth builtin`:
# the first chat signs in through the browser (played by cli_oauth_browser.mjs), the model's
# search runs as a read and its result reaches the model; a later chat reuses the stored token
# without asking.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/host_lib.bash"
need_node
BROWSER="$(dirname "$0")/cli_oauth_browser.mjs"
start_model
"$MCPP" index "$ROOT/samples/docs" --store "$WORK/kb.sqlite" >/dev/null
echo "correct horse" | "$MCPP" hash-password alice >"$WORK/users.txt"
# --auth needs a fixed port (tokens name the URL): pick a free one.
PORT=$("$NODE" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
"$MCPP" serve --store "$WORK/kb.sqlite" --http "127.0.0.1:$PORT" --auth builtin \
  --auth-users "$WORK/users.txt" --auth-db "$WORK/auth.sqlite" 2>"$WORK/server.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q "serving" "$WORK/server.log" && break; sleep 0.1; done
grep -q "serving" "$WORK/server.log" || { echo "FAIL: server did not start"; cat "$WORK/server.log"; exit 1; }
"$MCPP" connectors add kb "http://127.0.0.1:$PORT/mcp" --auth oauth >/dev/null

echo "== the first chat signs in, then the search runs as a read"
chat --connector kb --no-browser --auth-timeout 60 \
  --message 'call search {"query":"refund policy"}' </dev/null >"$WORK/chat1.out" 2>"$WORK/chat1.err" &
chat_pid=$!
url=""
for _ in $(seq 300); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*/authorize?[^ ]*' "$WORK/chat1.err" || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "FAIL: no sign-in URL"; cat "$WORK/chat1.err"; exit 1; }
"$NODE" "$BROWSER" "$url" alice "correct horse" approve >"$WORK/browser.out" 2>&1 ||
  { echo "FAIL: the browser could not sign in"; cat "$WORK/browser.out"; exit 1; }
set +e
wait "$chat_pid"; rc=$?
set -e
out=$(cat "$WORK/chat1.out")
[ "$rc" = 0 ] || { echo "FAIL: exit $rc"; echo "$out"; cat "$WORK/chat1.err"; exit 1; }
expect_in "search" "$out" "<- kb/search"
expect_not_in "search" "$out" "Allow?"
expect_in "model got the result" "$(last_request messages)" "refund-policy"

echo "== a later chat reuses the stored token"
out=$(chat --connector kb --no-browser --auth-timeout 3 \
  --message 'call search {"query":"tyre pressure"}' </dev/null 2>"$WORK/chat2.err")
expect_not_in "token reused" "$(cat "$WORK/chat2.err")" "/authorize?"
expect_in "token reused" "$out" "<- kb/search"
echo "PASS"
