# lib.bash itself: a test whose Node (or another need) is missing ends with exit code 77, which
# CTest reports as skipped; it must never pass. Also a skipped part of a test that otherwise
# passed ends it as skipped, and a failure still wins over skipped parts. Uses bash only.
source "$(dirname "$0")/lib.bash"

LIB="$(cd "$(dirname "$0")" && pwd)/lib.bash"
EMPTY_ROOT="$WORK/root-without-deps"
mkdir -p "$EMPTY_ROOT"

# expect_status WANT SNIPPET: a script that sources lib.bash (with a root lacking .deps) and runs
# SNIPPET must exit WANT.
expect_status() {
  local want="$1" snippet="$2" got=0
  printf 'source %q\n%s\n' "$LIB" "$snippet" >"$WORK/case.sh"
  bash "$WORK/case.sh" "$MCPP" "$EMPTY_ROOT" >"$WORK/case.log" 2>&1 || got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: [$snippet] exited $got, expected $want"
    cat "$WORK/case.log"
    exit 1
  fi
}

expect_status 77 'need_node; echo "ran without node"'
expect_status 77 'skip_test "no tool"; exit 0'
expect_status 77 'skip_part "one part"; echo "the rest passed"'
expect_status 1 'skip_part "one part"; exit 1'
expect_status 0 'echo "nothing skipped"'
echo "PASS: missing Node and skipped parts end as skipped (77), failures still fail"
