# `mcpp serve --http` stops on SIGINT/SIGTERM, even when they arrive in a burst while it is
# stopping (a signal handler that takes a lock can deadlock then). A lone SIGTERM ends it with
# status 0; during a burst, a signal after the stop has begun may end it at once (130/143).
# Uses bash only.
source "$(dirname "$0")/lib.bash"

for round in 1 2 3 4 5 6 7 8 9 10; do
  start_server --fixture conformance
  pid="${PIDS[-1]}"
  # Alternate the two signals as fast as bash can send them: SIGINT may arrive while the
  # handling of SIGTERM is under way, and the other way round.
  for _ in $(seq 200); do
    kill -TERM "$pid" 2>/dev/null || break
    kill -INT "$pid" 2>/dev/null || break
  done
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "FAIL: round $round: mcpp serve still running 5 s after SIGINT/SIGTERM (deadlocked?)"
    cat /proc/"$pid"/status 2>/dev/null | grep -E 'State|SigCgt'
    kill -KILL "$pid"
    exit 1
  fi
  status=0
  wait "$pid" || status=$?
  case "$status" in
    0 | 130 | 143) ;;
    *)
      echo "FAIL: round $round: mcpp serve exited with status $status after signals"
      cat "$WORK/server.log"
      exit 1
      ;;
  esac
done

start_server --fixture conformance
pid="${PIDS[-1]}"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
if [ "$status" -ne 0 ]; then
  echo "FAIL: mcpp serve exited with status $status after one SIGTERM (expected 0)"
  cat "$WORK/server.log"
  exit 1
fi
echo "PASS: mcpp serve stopped on SIGINT/SIGTERM bursts (10 rounds)"
