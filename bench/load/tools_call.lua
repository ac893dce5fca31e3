-- wrk script for bench/load/run.sh: POST /mcp tools/call add {a: 2, b: 3}, the same request
-- on every connection, over and over.
--
--   MCP_SESSION_ID=<id> MCP_PROTOCOL_VERSION=2025-11-25 wrk -s tools_call.lua http://127.0.0.1:PORT/mcp
--
-- MCP_SESSION_ID        the session (Mcp-Session-Id header); empty or unset: no header
--                       (stateless servers, nginx)
-- MCP_PROTOCOL_VERSION  the MCP-Protocol-Version header; default 2025-11-25; "none": no header;
--                       2026-07-28: a stateless request (_meta, Mcp-Method, Mcp-Name)
-- WRK_CHECK=1           count responses whose status is not 200 or whose body lacks the sum
--                       and print them at the end (slows wrk down: off for the timed runs)

local session = os.getenv("MCP_SESSION_ID") or ""
local version = os.getenv("MCP_PROTOCOL_VERSION") or "2025-11-25"
local check = os.getenv("WRK_CHECK") == "1"

wrk.method = "POST"
if version == "2026-07-28" then
  -- The stateless revision: the request's metadata in params._meta, mirrored in headers.
  wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call",'
    .. '"params":{"name":"add","arguments":{"a":2,"b":3},"_meta":{'
    .. '"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
    .. '"io.modelcontextprotocol/clientCapabilities":{}}}}'
  wrk.headers["Mcp-Method"] = "tools/call"
  wrk.headers["Mcp-Name"] = "add"
else
  wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call",'
    .. '"params":{"name":"add","arguments":{"a":2,"b":3}}}'
end
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
if version ~= "none" and version ~= "" then
  wrk.headers["MCP-Protocol-Version"] = version
end
if session ~= "" then
  wrk.headers["Mcp-Session-Id"] = session
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  first_bad = ""
end

if check then
  function response(status, headers, body)
    if status ~= 200 or not string.find(body, '"text":"5"', 1, true) then
      bad = bad + 1
      if first_bad == "" then
        first_bad = status .. " " .. string.sub(body or "", 1, 200)
      end
    end
  end
end

function done(summary, latency, requests)
  -- Machine-readable lines for run.sh (wrk prints its own report above).
  io.write(string.format("BENCH requests=%d duration_us=%d errors_connect=%d errors_read=%d "
    .. "errors_write=%d errors_status=%d errors_timeout=%d\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
  io.write(string.format("BENCH rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  if check then
    local total = 0
    for _, t in ipairs(threads) do
      total = total + (t:get("bad") or 0)
      local fb = t:get("first_bad")
      if fb and fb ~= "" then io.write("BENCH first_bad=" .. fb .. "\n") end
    end
    io.write(string.format("BENCH bad_responses=%d\n", total))
  end
end
