# Shared helpers of the host tests (sourced after lib.bash): the scripted model and `mcpp chat`
# against it, with a host store of the test's own.
export MCPP_HOST_DB="$WORK/host.sqlite"
MODEL_LOG="$WORK/model.log"

# Starts tests/host/scripted_model.mjs on a free port; sets LLM (its base URL).
start_model() {
  : >"$WORK/model.out"  # exists before the loop below reads it
  "$NODE" "$ROOT/tests/host/scripted_model.mjs" --port 0 --model test-model --log "$MODEL_LOG" \
    >"$WORK/model.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    local port
    port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$WORK/model.out" | head -1)
    if [ -n "$port" ]; then
      LLM="http://127.0.0.1:$port/v1"
      return 0
    fi
    sleep 0.1
  done
  echo "FAIL: the scripted model did not start"; cat "$WORK/model.out"; exit 1
}

# mcpp chat against the scripted model; stdin answers the questions.
chat() {
  "$MCPP" chat --llm-url "$LLM" --model test-model "$@"
}

# The conversation id printed by mcpp chat.
conversation_of() {
  sed -n 's/^conversation: //p' <<<"$1" | head -1
}

# What the model was last sent: "tools" (the names offered) or "messages" (role: content lines).
last_request() {
  "$NODE" -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
    const body = JSON.parse(lines[lines.length - 1]).body;
    if (process.argv[2] === "tools") {
      for (const t of body.tools ?? []) console.log(t.function.name);
    } else {
      for (const m of body.messages) console.log(m.role + ": " + (m.content ?? ""));
    }' "$MODEL_LOG" "$1"
}

expect_in() {  # expect_in WHAT TEXT NEEDLE
  if ! grep -qF -- "$3" <<<"$2"; then
    echo "FAIL: $1: expected to find: $3"; echo "---- in:"; echo "$2"; exit 1
  fi
}
expect_not_in() {  # expect_not_in WHAT TEXT NEEDLE
  if grep -qF -- "$3" <<<"$2"; then
    echo "FAIL: $1: did not expect: $3"; echo "---- in:"; echo "$2"; exit 1
  fi
}
