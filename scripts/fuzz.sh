#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ for long: builds the `fuzz` preset, then runs each
# target (or those named) over its seed corpus. New inputs go to tests/fuzz/corpus-found/<name>/
# (git-ignored; copy the good ones into tests/fuzz/corpus/<name>/), crashes to
# tests/fuzz/crashes/<name>-crash-<sha1> (reproduce: build/fuzz/tests/fuzz/<name>_fuzz <file>).
#
#   scripts/fuzz.sh [--runs N] [--jobs N] [--time SECONDS] [target...]
#     --runs N      executions per target (default 10000000; -1: until --time or a crash)
#     --jobs N      parallel fuzzing jobs per target (libFuzzer -jobs; default 1)
#     --time S      stop each target after S seconds (default: no limit)
#     target        jsonrpc, http_request, ... (default: every tests/fuzz/*_fuzz.cpp)
# Exit code: 0 when no target crashed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

runs=10000000
jobs=1
max_time=0
targets=()
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --time) max_time="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for src in tests/fuzz/*_fuzz.cpp; do
    name="$(basename "$src" .cpp)"
    targets+=("${name%_fuzz}")
  done
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${MCPP_JOBS:-$(nproc)}"

mkdir -p tests/fuzz/crashes
failed=()
for name in "${targets[@]}"; do
  bin="build/fuzz/tests/fuzz/${name}_fuzz"
  if [[ ! -x "$bin" ]]; then
    echo "fuzz.sh: no target $name ($bin)" >&2
    exit 2
  fi
  found="tests/fuzz/corpus-found/$name"
  logs="build/fuzz/fuzz-logs/$name"
  mkdir -p "$found" "$logs"
  echo "=== $name: $runs runs, $jobs job(s) ==="
  args=(-runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$ROOT/tests/fuzz/crashes/$name-")
  ((max_time > 0)) && args+=(-max_total_time="$max_time")
  if ((jobs > 1)); then
    # Each job runs -runs executions; its log goes to $logs/fuzz-<n>.log.
    args+=(-jobs="$jobs" -workers="$jobs")
  fi
  if (cd "$logs" && "$ROOT/$bin" "${args[@]}" "$ROOT/$found" "$ROOT/tests/fuzz/corpus/$name"); then
    echo "=== $name: no crash ==="
  else
    echo "=== $name: FAILED (see tests/fuzz/crashes/$name-*) ===" >&2
    failed+=("$name")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no crash in ${targets[*]}"
