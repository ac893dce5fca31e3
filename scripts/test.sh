#!/usr/bin/env bash
# Runs every test of mcpp on a fresh Debian 12: installs what is missing, then builds and runs
# the whole suite three times: a normal (release) build, an ASan+UBSan build, and the libFuzzer
# targets (clang; each run for a short fixed number of executions). Exit code 0 = all passed.
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
  ctest --preset "$preset" -j "$JOBS"
done
echo "=== mcpp: all tests passed (${PRESETS[*]}) ==="
