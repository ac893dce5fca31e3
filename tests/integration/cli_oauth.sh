# The mcpp client commands signing in with OAuth against mcpp serve --auth builtin: the first
# command prints the authorization URL and waits on its loopback listener while a scripted browser
# (cli_oauth_browser.mjs) signs in; later commands reuse the stored token, refresh it when it has
# expired or is refused, and never prompt; --no-oauth, a denied consent and a broken token store
# give clear outcomes.
source "$(dirname "$0")/lib.bash"
need_node
BROWSER="$(dirname "$0")/cli_oauth_browser.mjs"
PORT=$("$NODE" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
URL="http://127.0.0.1:$PORT/mcp"
STORE="$WORK/config/mcpp/tokens.json"
export XDG_CONFIG_HOME="$WORK/config"  # the default token store lives here
echo "correct horse" | "$MCPP" hash-password alice >"$WORK/users.txt"
"$MCPP" serve --fixture conformance --http "127.0.0.1:$PORT" --auth builtin \
  --auth-users "$WORK/users.txt" --auth-db "$WORK/auth.sqlite" 2>"$WORK/server.log" &
PIDS+=($!)
for _ in $(seq 100); do
  grep -q "serving" "$WORK/server.log" && break
  sleep 0.1
done
grep -q "serving" "$WORK/server.log" || { echo "FAIL: server did not start"; cat "$WORK/server.log"; exit 1; }

fail() {
  echo "FAIL: $1"
  for f in "$WORK"/cli*.err "$WORK"/cli*.out; do
    [ -f "$f" ] && { echo "--- $f"; cat "$f"; }
  done
  exit 1
}

# Runs the CLI ("$@" after the URL) in the background as cli$N, plays the browser when the CLI
# prints the authorization URL ($BROWSER_CHOICE: approve or deny), and waits; sets RC.
N=0
with_browser() {
  N=$((N + 1))
  "$MCPP" "$@" --no-browser --auth-timeout 30 >"$WORK/cli$N.out" 2>"$WORK/cli$N.err" &
  local pid=$!
  local url=""
  for _ in $(seq 200); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*/authorize?[^ ]*' "$WORK/cli$N.err" || true)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] || fail "cli$N printed no authorization URL"
  "$NODE" "$BROWSER" "$url" alice "correct horse" "${BROWSER_CHOICE:-approve}" \
    >"$WORK/browser$N.out" 2>&1 || fail "the browser could not sign in: $(cat "$WORK/browser$N.out")"
  set +e
  wait "$pid"
  RC=$?
  set -e
}

# Runs the CLI without a browser: it must not ask for one.
without_browser() {
  N=$((N + 1))
  set +e
  timeout 60 "$MCPP" "$@" --no-browser --auth-timeout 3 >"$WORK/cli$N.out" 2>"$WORK/cli$N.err"
  RC=$?
  set -e
  if grep -q "/authorize?" "$WORK/cli$N.err"; then fail "cli$N asked the user to sign in again"; fi
}

# 1. First use: sign in through the browser, then the call goes through.
with_browser tools call test_simple_text "$URL"
[ "$RC" = 0 ] || fail "the first signed-in call exited with $RC"
grep -q "This is a simple text response" "$WORK/cli$N.out" || fail "no tool output after signing in"
[ -f "$STORE" ] || fail "no token store at $STORE"
[ "$(stat -c %a "$STORE")" = 600 ] || fail "the token store has mode $(stat -c %a "$STORE"), not 600"
[ "$(stat -c %a "$(dirname "$STORE")")" = 700 ] || fail "the token store's directory is not 700"
echo "ok: signed in through the loopback redirect; tokens stored with mode 0600"

# 2. A later run reuses the stored token.
without_browser tools list "$URL"
[ "$RC" = 0 ] || fail "the second run exited with $RC"
grep -q "test_simple_text" "$WORK/cli$N.out" || fail "the second run listed no tools"
echo "ok: the stored token is reused"

# Edits the stored token of $URL with a JavaScript expression on `t`.
edit_token() {
  "$NODE" -e '
    const fs = require("fs"), [file, url, code] = process.argv.slice(1);
    const d = JSON.parse(fs.readFileSync(file, "utf8"));
    const s = d.servers[url];
    const t = d.issuers[s.issuer].tokens[s.resource];
    eval(code);
    fs.writeFileSync(file, JSON.stringify(d));
    fs.chmodSync(file, 0o600);' "$STORE" "$URL" "$1"
}
access_token() {
  "$NODE" -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const s = d.servers[process.argv[2]];
    console.log(d.issuers[s.issuer].tokens[s.resource].access_token);' "$STORE" "$URL"
}

# 3. An expired token is refreshed before use.
before=$(access_token)
edit_token 't.expires_at = Math.floor(Date.now() / 1000) - 60'
without_browser tools list "$URL"
[ "$RC" = 0 ] || fail "the run with an expired token exited with $RC"
[ "$(access_token)" != "$before" ] || fail "the expired token was not refreshed"
echo "ok: an expired token is refreshed"

# 4. A token the server refuses (401) is refreshed too.
edit_token 't.access_token = "garbage"'
without_browser ping "$URL"
[ "$RC" = 0 ] || fail "the run with a refused token exited with $RC"
[ "$(access_token)" != garbage ] || fail "the refused token was not replaced"
echo "ok: a refused token is refreshed"

# 5. --no-oauth: the 401 is reported with what to do.
without_browser ping "$URL" --no-oauth --no-token-store
[ "$RC" = 3 ] || fail "--no-oauth exited with $RC, not 3"
grep -q "401" "$WORK/cli$N.err" || fail "--no-oauth: the 401 is not reported"
grep -q -- "--bearer" "$WORK/cli$N.err" || fail "--no-oauth: no hint"
echo "ok: --no-oauth reports the 401"

# 6. The user denies: a clear error, exit code 3.
BROWSER_CHOICE=deny with_browser ping "$URL" --no-token-store
[ "$RC" = 3 ] || fail "a denied sign-in exited with $RC, not 3"
grep -q "access_denied" "$WORK/cli$N.err" || fail "a denied sign-in does not say access_denied"
echo "ok: a denied sign-in is a clear error"

# 7. A token store that is not ours is left alone; signing in still works (in memory).
echo "not json" >"$WORK/broken.json"
with_browser ping "$URL" --token-store "$WORK/broken.json"
[ "$RC" = 0 ] || fail "the run with a broken token store exited with $RC"
grep -q "warning:.*broken.json" "$WORK/cli$N.err" || fail "no warning about the broken token store"
[ "$(cat "$WORK/broken.json")" = "not json" ] || fail "the broken token store was overwritten"
echo "ok: a broken token store is reported and left alone"
