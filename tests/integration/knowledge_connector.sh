# The knowledge connector end to end, on the real binary: `mcpp index` a folder, then `mcpp serve`
# the store and check search and fetch through the MCP client CLI in exactly the shapes ChatGPT's
# deep research expects; re-indexing after an edit and a deletion; the write tools' annotations;
# a write call with an OAuth token (embedded AS, PKCE played with curl) audited with its subject;
# the keyed audit chain: `mcpp audit verify` before and after altering a row with sqlite3, emptying
# the log, cutting it below a head recorded with `mcpp audit head`; no raw escape byte from a
# caller or a file name on the operator's terminal; HTTP 429 + Retry-After over the rate limit;
# clear errors for bad input.
source "$(dirname "$0")/lib.bash"
need_node
FAILS=0
ok() { echo "ok: $*"; }
fail() {
  echo "FAIL: $*"
  FAILS=$((FAILS + 1))
}

# jcheck FILE EXPR: FILE holds JSON and the JavaScript EXPR over `j` is true.
jcheck() {
  "$NODE" -e '
    const fs = require("fs");
    const j = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const ok = eval(process.argv[2]);
    if (!ok) { console.error(JSON.stringify(j, null, 1).slice(0, 3000)); process.exit(1); }' "$1" "$2"
}
check_json() {  # check_json WHAT FILE EXPR
  if jcheck "$2" "$3"; then ok "$1"; else fail "$1 ($3)"; fi
}
# expect RC PATTERN COMMAND...: exit code RC and PATTERN (grep -E) in stdout+stderr.
expect() {
  local rc="$1" pattern="$2" out got
  shift 2
  set +e
  out="$("$@" 2>&1)"
  got=$?
  set -e
  if [ "$got" != "$rc" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    fail "${*:2} -> exit $got (expected $rc and /$pattern/)"
    head -20 <<<"$out" | sed 's/^/    /'
  else
    ok "${*:2}"
  fi
}
free_port() { "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
doc_id() { printf '%s' "$1" | sha256sum | cut -c1-16; }

DOCS="$WORK/docs"
STORE="$WORK/knowledge.sqlite"
mkdir -p "$DOCS/guides"
printf '# Refund policy\n\nCustomers may return a bicycle within 30 days for a full refund.\n' >"$DOCS/refunds.md"
printf 'Workshop notes\nThe spoke tension gauge lives in drawer three.\n' >"$DOCS/notes.txt"
printf '<html><head><title>Safety rules</title><script>var x;</script></head><body><h1>Rules</h1><p>Always wear goggles &amp; gloves.</p></body></html>' >"$DOCS/guides/safety.html"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' >"$DOCS/photo.png"

# ---- mcpp index ------------------------------------------------------------------------------
expect 0 'indexed 4 files .*: 3 added, 0 updated, 0 unchanged, 0 removed, 1 skipped; 3 documents' \
  "$MCPP" index "$DOCS" --store "$STORE"
expect 0 "skipped $DOCS/photo.png: binary file \(not text\)" "$MCPP" index "$DOCS" --store "$STORE"
expect 0 '0 added, 0 updated, 3 unchanged' "$MCPP" index "$DOCS" --store "$STORE"
expect 1 'does not exist' "$MCPP" index "$WORK/nowhere" --store "$STORE"
expect 1 'cannot open the store' "$MCPP" index "$DOCS" --store "$WORK/no/such/dir/x.sqlite"
expect 1 'cannot open the store' "$MCPP" serve --stdio --store "$WORK/no/such/dir/x.sqlite"

REFUNDS_ID=$(doc_id "$DOCS/refunds.md")
NOTES_ID=$(doc_id "$DOCS/notes.txt")
SAFETY_ID=$(doc_id "$DOCS/guides/safety.html")

# ---- serve the store over HTTP; search and fetch in ChatGPT's shapes --------------------------
start_server --store "$STORE" --rate-limit 100000 --rate-burst 10000
"$MCPP" tools list --json "$URL" >"$WORK/tools.json"
check_json "tools/list: search and fetch are read-only with output schemas; writes are annotated" \
  "$WORK/tools.json" '
  const tools = Array.isArray(j) ? j : j.tools;
  const t = (n) => tools.find((x) => x.name === n);
  t("search").annotations.readOnlyHint === true && t("fetch").annotations.readOnlyHint === true &&
  JSON.stringify(t("search").inputSchema.required) === "[\"query\"]" &&
  JSON.stringify(t("fetch").inputSchema.required) === "[\"id\"]" &&
  JSON.stringify(t("search").outputSchema.properties.results.items.required) === "[\"id\",\"title\",\"url\"]" &&
  JSON.stringify(t("fetch").outputSchema.required) === "[\"id\",\"title\",\"text\",\"url\",\"metadata\"]" &&
  t("add_document").annotations.readOnlyHint === false &&
  t("update_document").annotations.destructiveHint === true &&
  t("delete_document").annotations.destructiveHint === true &&
  t("delete_document").annotations.readOnlyHint === false'

"$MCPP" tools call search --args '{"query":"refunds"}' --json "$URL" >"$WORK/search.json"
EXPECTED_SEARCH="{\"results\":[{\"id\":\"$REFUNDS_ID\",\"title\":\"Refund policy\",\"url\":\"file://$DOCS/refunds.md\",\"snippet\":\"# **Refund** policy Customers may return a bicycle within 30 days for a full **refund**.\"}]}"
EXPECTED="$EXPECTED_SEARCH" check_json "search: one text item holding exactly {results:[{id,title,url,snippet}]}" \
  "$WORK/search.json" "
  j.content.length === 1 && j.content[0].type === 'text' && !j.isError &&
  j.content[0].text === process.env.EXPECTED &&
  JSON.stringify(j.structuredContent) === process.env.EXPECTED"

"$MCPP" tools call search --args '{"query":"goggles"}' --json "$URL" >"$WORK/search2.json"
check_json "search: HTML indexed as text, title from <title>" "$WORK/search2.json" "
  const r = JSON.parse(j.content[0].text).results;
  r.length === 1 && r[0].id === '$SAFETY_ID' && r[0].title === 'Safety rules' &&
  r[0].snippet.includes('**goggles**') && !r[0].snippet.includes('var x')"

"$MCPP" tools call fetch --args "{\"id\":\"$NOTES_ID\"}" --json "$URL" >"$WORK/fetch.json"
check_json "fetch: one text item holding exactly {id,title,text,url,metadata}" "$WORK/fetch.json" "
  const f = JSON.parse(j.content[0].text);
  j.content.length === 1 && j.content[0].type === 'text' &&
  JSON.stringify(Object.keys(f)) === '[\"id\",\"title\",\"text\",\"url\",\"metadata\"]' &&
  f.id === '$NOTES_ID' && f.title === 'Workshop notes' &&
  f.text === 'Workshop notes\nThe spoke tension gauge lives in drawer three.\n' &&
  f.url === 'file://$DOCS/notes.txt' && f.metadata.path === 'notes.txt' &&
  f.metadata.mime_type === 'text/plain' && f.metadata.source === 'file' &&
  JSON.stringify(j.structuredContent) === j.content[0].text"

expect 0 'mcpp://doc/\{id\}' "$MCPP" resources templates "$URL"
expect 0 '^Customers may return' "$MCPP" resources read "mcpp://doc/$REFUNDS_ID" "$URL"
expect 1 'Resource not found' "$MCPP" resources read "mcpp://doc/nonexistent" "$URL"
expect 0 'cite its source as \[title\]\(url\)' "$MCPP" prompts get research --arg 'question=How do refunds work?' "$URL"

# ---- bad input: clear tool errors ---------------------------------------------------------------
expect 1 'search: the query has no words to search for' "$MCPP" tools call search --args '{"query":""}' "$URL"
expect 1 'search: the query has no words to search for' "$MCPP" tools call search --args '{"query":"?!"}' "$URL"
expect 1 'fetch: no document with id "nope"' "$MCPP" tools call fetch --args '{"id":"nope"}' "$URL"
expect 1 'Invalid arguments.*query' "$MCPP" tools call search --args '{}' "$URL"
expect 1 'delete_document: no document with id "nope"' "$MCPP" tools call delete_document --args '{"id":"nope"}' "$URL"

# ---- re-indexing: an edited file, a deleted one -----------------------------------------------
printf '# Refund policy\n\nStore credit instead of cash after 30 days.\n' >"$DOCS/refunds.md"
touch -d '+2 seconds' "$DOCS/refunds.md"
rm "$DOCS/notes.txt"
expect 0 '0 added, 1 updated, 1 unchanged, 1 removed, 1 skipped; 2 documents' \
  "$MCPP" index "$DOCS" --store "$STORE"
expect 0 "\"id\":\"$REFUNDS_ID\"" "$MCPP" tools call search --args '{"query":"store credit"}' "$URL"
expect 0 '^\{"results":\[\]\}$' "$MCPP" tools call search --args '{"query":"bicycle"}' "$URL"
expect 1 "fetch: no document with id \"$NOTES_ID\"" "$MCPP" tools call fetch --args "{\"id\":\"$NOTES_ID\"}" "$URL"
expect 0 '^\{"results":\[\]\}$' "$MCPP" tools call search --args '{"query":"spoke tension"}' "$URL"

# ---- stdio: the same tools, audited as "stdio" ------------------------------------------------
expect 0 "\"id\":\"$SAFETY_ID\"" "$MCPP" tools call search --args '{"query":"gloves"}' -- "$MCPP" serve --stdio --store "$STORE"

# ---- terminal escapes from outside are printed escaped ------------------------------------------
# A caller's fetch id with ESC[2J lands in the audit log's detail column; a file name with one in
# a skipped-file note of `mcpp index`.
ESC=$'\x1b'
"$MCPP" tools call fetch --args '{"id":"x\u001b[2Jy"}' -- "$MCPP" serve --stdio --store "$STORE" \
  >"$WORK/esc-call.txt" 2>&1 || true
"$MCPP" audit list --store "$STORE" -n 5 >"$WORK/esc-audit.txt" 2>&1
if grep -q "$ESC" "$WORK/esc-call.txt" "$WORK/esc-audit.txt"; then
  fail "a raw ESC byte reached the terminal (tools call or audit list)"
elif grep -qF 'x\x1b[2Jy' "$WORK/esc-audit.txt" && grep -qF 'x\x1b[2Jy' "$WORK/esc-call.txt"; then
  ok "audit list and tools call print ESC as \\x1b"
else
  fail "the escaped id is missing"; cat "$WORK/esc-call.txt" "$WORK/esc-audit.txt"
fi
mkdir -p "$WORK/evil"
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' >"$WORK/evil/clear${ESC}[2J.png"
"$MCPP" index "$WORK/evil" --store "$WORK/evil.sqlite" >"$WORK/esc-index.txt" 2>&1 || true
if grep -q "$ESC" "$WORK/esc-index.txt" || ! grep -qF 'clear\x1b[2J.png' "$WORK/esc-index.txt"; then
  fail "mcpp index printed a file name's ESC raw"; cat -v "$WORK/esc-index.txt"
else
  ok "mcpp index prints a file name's ESC as \\x1b"
fi

# ---- OAuth: write tools need a token, and the audit log names its subject ----------------------
AUTH_PORT=$(free_port)
ISSUER="http://127.0.0.1:$AUTH_PORT"
PASSWORD="kc-$RANDOM-$RANDOM"
printf '%s\n' "$PASSWORD" | "$MCPP" hash-password tester >"$WORK/users.txt"
REDIRECT="http://127.0.0.1:9/cb"
"$MCPP" serve --http "127.0.0.1:$AUTH_PORT" --store "$STORE" --auth builtin --auth-anonymous \
  --auth-db "$WORK/auth.sqlite" --auth-users "$WORK/users.txt" --auth-client "kc-test=$REDIRECT" \
  --write-scope docs:write 2>"$WORK/auth-server.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q "authorization server" "$WORK/auth-server.log" && break; sleep 0.1; done
MCP="$ISSUER/mcp"
POST=(curl -sS --max-time 10 -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
CALL_ADD='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add_document","arguments":{"title":"Opening hours","text":"Open on Saturdays from nine to noon.","id":"hours"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'
code=$("${POST[@]}" -o "$WORK/anon-add.json" -w '%{http_code}' -H 'MCP-Protocol-Version: 2026-07-28' \
  -H 'Mcp-Method: tools/call' -H 'Mcp-Name: add_document' -d "$CALL_ADD" "$MCP" || true)
if [ "$code" = 401 ]; then ok "add_document without a token: 401"; else fail "add_document without a token: HTTP $code"; fi
expect 0 "\"id\":\"$SAFETY_ID\"" "$MCPP" tools call search --args '{"query":"gloves"}' "$MCP"

ENC() { "$NODE" -e 'console.log(encodeURIComponent(process.argv[1]))' "$1"; }
# get_token SCOPE: the authorization code flow with PKCE, the user played by curl; prints the
# access token (empty on failure).
get_token() {
  local verifier challenge authorize jar request_id csrf back code
  verifier=$("$NODE" -e 'console.log(require("crypto").randomBytes(32).toString("base64url"))')
  challenge=$("$NODE" -e 'console.log(require("crypto").createHash("sha256").update(process.argv[1]).digest("base64url"))' "$verifier")
  authorize="$ISSUER/authorize?response_type=code&client_id=kc-test&redirect_uri=$(ENC "$REDIRECT")&code_challenge=$challenge&code_challenge_method=S256&state=s1&resource=$(ENC "$MCP")&scope=$(ENC "$1")"
  jar="$WORK/cookies-$RANDOM.txt"
  curl -sS --max-time 10 -c "$jar" -b "$jar" -o "$WORK/login.html" "$authorize" || true
  request_id=$(sed -n 's/.*name="request_id" value="\([^"]*\)".*/\1/p' "$WORK/login.html")
  csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$WORK/login.html")
  back=$(curl -sS --max-time 30 -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' \
    --data-urlencode "request_id=$request_id" --data-urlencode "csrf=$csrf" \
    --data-urlencode "username=tester" --data-urlencode "password=$PASSWORD" \
    --data-urlencode "decision=approve" "$ISSUER/authorize/decision" || true)
  code=$("$NODE" -e 'try { console.log(new URL(process.argv[1]).searchParams.get("code") || "") } catch { console.log("") }' "$back")
  [ -n "$code" ] || return 0
  curl -sS --max-time 10 -o "$WORK/token.json" --data-urlencode grant_type=authorization_code \
    --data-urlencode "code=$code" --data-urlencode "redirect_uri=$REDIRECT" \
    --data-urlencode client_id=kc-test --data-urlencode "code_verifier=$verifier" \
    --data-urlencode "resource=$MCP" "$ISSUER/token" || true
  "$NODE" -e 'try { console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).access_token || "") } catch { console.log("") }' "$WORK/token.json"
}
TOKEN=$(get_token 'mcp docs:write')
READ_TOKEN=$(get_token 'mcp')
if [ -z "$TOKEN" ]; then
  fail "no access token from the embedded authorization server"
  tail -20 "$WORK/auth-server.log"
else
  ok "signed in as tester (code flow with PKCE)"
  expect 0 '"id":"hours"' "$MCPP" tools call add_document --bearer "$TOKEN" \
    --args '{"title":"Opening hours","text":"Open on Saturdays from nine to noon.","id":"hours"}' "$MCP"
  expect 0 '"id":"hours"' "$MCPP" tools call search --bearer "$TOKEN" --args '{"query":"saturday"}' "$MCP"
  code=$("${POST[@]}" -D "$WORK/scope-headers.txt" -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $READ_TOKEN" -H 'MCP-Protocol-Version: 2026-07-28' \
    -H 'Mcp-Method: tools/call' -H 'Mcp-Name: add_document' -d "$CALL_ADD" "$MCP" || true)
  if [ "$code" = 403 ] && grep -qi 'insufficient_scope.*docs:write' "$WORK/scope-headers.txt"; then
    ok "add_document with a token without docs:write: 403 insufficient_scope"
  else
    fail "add_document with a token without docs:write: HTTP $code"
    cat "$WORK/scope-headers.txt"
  fi
  expect 0 "\"id\":\"$SAFETY_ID\"" "$MCPP" tools call search --bearer "$READ_TOKEN" --args '{"query":"gloves"}' "$MCP"
  expect 1 'exists; use update_document' "$MCPP" tools call add_document --bearer "$TOKEN" \
    --args '{"title":"x","text":"y","id":"hours"}' "$MCP"
  "$MCPP" audit list --store "$STORE" --json -n 50 >"$WORK/audit.json"
  check_json "audit: the write call names the token's subject and client" "$WORK/audit.json" "
    const adds = j.filter((r) => r.tool === 'add_document');
    adds.length === 2 && adds[0].subject === 'tester' && adds[0].client_id === 'kc-test' &&
    adds[0].outcome === 'ok' && adds[1].outcome === 'error' &&
    /^[0-9a-f]{64}\$/.test(adds[0].arguments_sha256) &&
    j.some((r) => r.subject === 'anonymous' && r.tool === 'search') &&
    j.some((r) => r.subject === 'stdio' && r.tool === 'search') &&
    j.some((r) => r.tool === 'fetch' && r.outcome === 'error')"
fi

# ---- the audit chain ----------------------------------------------------------------------------
KEY="$STORE.audit-key"
if [ "$(stat -c %a "$KEY" 2>/dev/null)" = 600 ]; then ok "audit key made next to the store, mode 600"; else fail "no audit key file $KEY with mode 600"; fi
expect 0 '^audit log intact: [0-9]+ rows' "$MCPP" audit verify --store "$STORE"
HEAD=$("$MCPP" audit head --store "$STORE")
expect 0 "reaches the recorded head $HEAD" "$MCPP" audit verify --store "$STORE" --head "$HEAD"
expect 2 'cannot read the audit key file' "$MCPP" audit verify --store "$STORE" --audit-key-file "$WORK/none"
expect 2 '--head takes SEQ:HASH' "$MCPP" audit verify --store "$STORE" --head 12
if command -v sqlite3 >/dev/null; then
  sqlite3 "$STORE" ".backup '$WORK/cut.sqlite'"  # (the server still runs: its WAL too)
  cp "$KEY" "$WORK/cut.sqlite.audit-key"
  SEQ=${HEAD%%:*}
  sqlite3 "$WORK/cut.sqlite" "DELETE FROM audit_log WHERE seq >= $SEQ; UPDATE audit_state SET value = '$((SEQ - 1))' WHERE name = 'head_seq'"
  expect 1 'BROKEN.*before the recorded head' "$MCPP" audit verify --store "$WORK/cut.sqlite" --head "$HEAD"
  sqlite3 "$WORK/cut.sqlite" "DELETE FROM audit_log"
  expect 1 'BROKEN.*the log is empty but' "$MCPP" audit verify --store "$WORK/cut.sqlite"
  sqlite3 "$STORE" "UPDATE audit_log SET subject = 'mallory' WHERE seq = 2"
  expect 1 'audit log BROKEN at row 2: its MAC does not match its contents' \
    "$MCPP" audit verify --store "$STORE"
else
  fail "sqlite3 is not installed (scripts/install-deps.sh installs it)"
fi
expect 2 'not an mcpp store|cannot open' "$MCPP" audit verify --store "$WORK/absent.sqlite"
mv "$KEY" "$WORK/key.bak"
expect 1 'audit key file .* is missing, but the audit log .* was written with a key' \
  "$MCPP" serve --stdio --store "$STORE"
if [ -e "$KEY" ]; then fail "a new audit key was made for a keyed log"; else ok "no new key made for a keyed log"; fi
mv "$WORK/key.bak" "$KEY"

# ---- rate limits: 429 with Retry-After ------------------------------------------------------------
RL_PORT=$(free_port)
"$MCPP" serve --http "127.0.0.1:$RL_PORT" --store "$STORE" --rate-limit 6 --rate-burst 2 \
  2>"$WORK/rl-server.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q "serving" "$WORK/rl-server.log" && break; sleep 0.1; done
DISCOVER='{"jsonrpc":"2.0","id":41,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'
codes=""
for i in 1 2 3; do
  c=$("${POST[@]}" -D "$WORK/rl-headers-$i.txt" -o "$WORK/rl-body-$i.json" -w '%{http_code}' \
    -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: server/discover' -d "$DISCOVER" "http://127.0.0.1:$RL_PORT/mcp" || true)
  codes="$codes $c"
done
if [ "$codes" = " 200 200 429" ]; then ok "rate limit: two requests pass, the third gets 429"; else fail "rate limit: HTTP codes$codes"; fi
RETRY=$(sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' "$WORK/rl-headers-3.txt")
if [ -n "$RETRY" ] && [ "$RETRY" -ge 1 ] && [ "$RETRY" -le 10 ]; then ok "Retry-After: $RETRY"; else fail "no Retry-After header"; cat "$WORK/rl-headers-3.txt"; fi
check_json "429 body: JSON-RPC error with the request id and data.retryAfter" "$WORK/rl-body-3.json" "
  j.id === 41 && j.error.code === -32029 && j.error.data.retryAfter === $RETRY &&
  /retry in $RETRY s/.test(j.error.message)"

if [ "$FAILS" != 0 ]; then
  echo "--- server log ---"
  tail -20 "$WORK/server.log"
  echo "$FAILS knowledge connector check(s) failed"
  exit 1
fi
echo "all knowledge connector checks passed"
