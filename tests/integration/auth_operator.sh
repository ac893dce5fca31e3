# The operator side of `--auth builtin`: `mcpp serve` treats only real loopback addresses as
# loopback (127.1 is not: no serving it without authorization), and `mcpp auth tokens|revoke`
# give clear errors for a missing database or a missing selector. (The revocation of a running
# server's grants is checked end to end in oauth_e2e.mjs.)
source "$(dirname "$0")/lib.bash"

expect_refusal() {  # HOST: serve without auth must refuse it as not loopback
  local out rc
  set +e
  out=$(timeout 10 "$MCPP" serve --fixture bench --http "$1:0" 2>&1)
  rc=$?
  set -e
  if [ "$rc" != 1 ] || ! grep -q "refusing to serve $1 without authorization" <<<"$out"; then
    echo "FAIL: mcpp serve --http $1:0 without --auth: rc=$rc, no clear refusal"; echo "$out"; exit 1
  fi
}
for host in 127.1 0x7f.0.0.1 0177.0.0.1 127.0.0.1.nip.io; do expect_refusal "$host"; done

# A real loopback address needs no --auth.
"$MCPP" serve --fixture bench --http 127.0.0.2:0 2>"$WORK/ok.log" &
PIDS+=($!)
for _ in $(seq 50); do grep -q serving "$WORK/ok.log" && break; sleep 0.1; done
grep -q "serving http://127.0.0.2:" "$WORK/ok.log" || { echo "FAIL: 127.0.0.2 refused"; cat "$WORK/ok.log"; exit 1; }

set +e
out=$("$MCPP" auth tokens --auth-db "$WORK/missing.sqlite" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && grep -q "no auth database at $WORK/missing.sqlite" <<<"$out" ||
  { echo "FAIL: auth tokens on a missing database: rc=$rc $out"; exit 1; }
[ ! -e "$WORK/missing.sqlite" ] || { echo "FAIL: auth tokens created a database"; exit 1; }

# An empty (new) database: no grants; revoke needs exactly one selector.
"$MCPP" serve --fixture bench --http 127.0.0.1:0 --auth builtin --auth-db "$WORK/auth.sqlite" \
  --public-url http://127.0.0.1:9 2>"$WORK/as.log" &
PIDS+=($!)
for _ in $(seq 50); do grep -q serving "$WORK/as.log" && break; sleep 0.1; done
out=$("$MCPP" auth tokens --auth-db "$WORK/auth.sqlite")
[ "$out" = "no active grants" ] || { echo "FAIL: auth tokens on an empty database: $out"; exit 1; }
set +e
out=$("$MCPP" auth revoke --auth-db "$WORK/auth.sqlite" 2>&1); rc=$?
out2=$("$MCPP" auth revoke --auth-db "$WORK/auth.sqlite" --user a --all 2>&1); rc2=$?
set -e
[ "$rc" = 2 ] && [ "$rc2" = 2 ] && grep -q "give one of --user NAME, --client ID or --all" <<<"$out" ||
  { echo "FAIL: revoke without one selector: rc=$rc/$rc2 $out"; exit 1; }
out=$("$MCPP" auth revoke --auth-db "$WORK/auth.sqlite" --all)
grep -q "^revoked 0 grants" <<<"$out" || { echo "FAIL: revoke --all: $out"; exit 1; }
echo "PASS: loopback is an address for serve; mcpp auth's errors are clear"
