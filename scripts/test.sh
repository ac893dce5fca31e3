#!/usr/bin/env bash
# Runs every test of mcpp on a fresh Debian 12: installs what is missing, then builds and runs
# the whole suite three times: a normal (release) build, an ASan+UBSan build, and the libFuzzer
# targets (clang; each run for a short fixed number of executions). Exit code 0 = all passed and
# none skipped.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/install-deps.sh"

JOBS="${MCPP_JOBS:-$(nproc)}"
PRESETS=("${@:-release asan-ubsan fuzz}")
# shellcheck disable=SC2206
PRESETS=(${PRESETS[*]})

for preset in "${PRESETS[@]}"; do
  echo "=== mcpp: $preset build ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$JOBS"
  echo "=== mcpp: $preset tests ==="
  log="$(mktemp)"
  ctest --preset "$preset" -j "$JOBS" | tee "$log"
  # A skipped test (a missing tool or data set: an integration script's exit 77, a GTEST_SKIP)
  # proves nothing: CI fails on it too, naming the skipped tests.
  if grep -q '(Skipped)' "$log"; then
    echo "=== mcpp: $preset: these tests were skipped (install what they need, see above) ==="
    grep '(Skipped)' "$log"
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
done
echo "=== mcpp: all tests passed, none skipped (${PRESETS[*]}) ==="
