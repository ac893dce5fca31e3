// Small MCP client for the load harness (bench/load/run.sh); node built-ins only.
//
//   node mcp_client.mjs session  URL                 initialize + initialized; prints the session id
//   node mcp_client.mjs sessions URL N [CONC]        N sessions (initialize + initialized), CONC at a time
//   node mcp_client.mjs sse      URL N HOLD_S [CONC] N sessions, then one GET stream each, held HOLD_S s
//   node mcp_client.mjs stdio    BIN N [FIXTURE]     N pipelined tools/call over `BIN serve --stdio`
//
// Machine-readable results are printed as lines starting with "BENCH " on stdout; failures go
// to stderr with a non-zero exit status.
import http from 'node:http';
import { spawn } from 'node:child_process';

const VERSION = process.env.MCP_PROTOCOL_VERSION || '2025-11-25';
const INIT = JSON.stringify({
  jsonrpc: '2.0', id: 0, method: 'initialize',
  params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'mcpp-bench', version: '1.0.0' } },
});
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
const CALL = (id) => JSON.stringify({
  jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } },
});

function die(msg) {
  console.error(`mcp_client.mjs: ${msg}`);
  process.exit(1);
}

function post(agent, url, body, sessionId) {
  return new Promise((resolve, reject) => {
    const headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Content-Length': Buffer.byteLength(body),
    };
    if (sessionId) {
      headers['Mcp-Session-Id'] = sessionId;
      headers['MCP-Protocol-Version'] = VERSION;
    }
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function openSession(agent, url) {
  const init = await post(agent, url, INIT);
  const id = init.headers['mcp-session-id'];
  if (init.status !== 200 || !id) {
    throw new Error(`initialize answered ${init.status} without a session: ${init.body.slice(0, 200)}`);
  }
  const ack = await post(agent, url, INITIALIZED, id);
  if (ack.status !== 202) throw new Error(`notifications/initialized answered ${ack.status}: ${ack.body.slice(0, 200)}`);
  return id;
}

async function createSessions(url, n, conc) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
  const ids = new Array(n);
  let next = 0;
  let failed = 0;
  let firstError = '';
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: conc }, async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      try {
        ids[i] = await openSession(agent, url);
      } catch (e) {
        failed++;
        if (!firstError) firstError = e.message;
      }
    }
  }));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  return { ids: ids.filter(Boolean), failed, firstError, secs };
}

async function cmdSession(url) {
  const agent = new http.Agent({ keepAlive: false });
  try {
    console.log(await openSession(agent, url));
  } catch (e) {
    die(e.message);
  }
}

async function cmdSessions(url, n, conc) {
  const r = await createSessions(url, n, conc);
  console.log(`BENCH sessions_created=${r.ids.length} sessions_failed=${r.failed} secs=${r.secs.toFixed(3)}`);
  if (r.failed) die(`${r.failed} of ${n} sessions failed; first error: ${r.firstError}`);
}

// Opens one GET stream per session and holds them all; reports how many opened and how many
// are still open after HOLD_S seconds.
async function cmdSse(url, n, holdS, conc) {
  const r = await createSessions(url, n, conc);
  console.log(`BENCH sessions_created=${r.ids.length} sessions_failed=${r.failed} secs=${r.secs.toFixed(3)}`);
  if (r.failed) die(`${r.failed} of ${n} sessions failed; first error: ${r.firstError}`);
  let open = 0;
  let closed = 0;
  let failed = 0;
  let firstError = '';
  let bytes = 0;
  const reqs = [];
  const openOne = (id) => new Promise((resolve) => {
    const req = http.request(url, {
      method: 'GET', agent: false,
      headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': id, 'MCP-Protocol-Version': VERSION },
    }, (res) => {
      const type = String(res.headers['content-type'] || '');
      if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
        failed++;
        if (!firstError) firstError = `GET answered ${res.statusCode} ${type}`;
        res.resume();
        return resolve();
      }
      open++;
      res.on('data', (c) => { bytes += c.length; });
      res.on('close', () => { closed++; });
      res.on('error', () => {});
      resolve();
    });
    req.on('error', (e) => {
      failed++;
      if (!firstError) firstError = e.message;
      resolve();
    });
    req.end();
    reqs.push(req);
  });
  const t0 = process.hrtime.bigint();
  const batch = Math.max(1, conc * 4);
  for (let i = 0; i < r.ids.length; i += batch) {
    await Promise.all(r.ids.slice(i, i + batch).map(openOne));
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`BENCH streams_open=${open} streams_failed=${failed} secs=${secs.toFixed(3)}`);
  if (failed) console.error(`mcp_client.mjs: ${failed} streams failed; first error: ${firstError}`);
  await new Promise((res) => setTimeout(res, holdS * 1000));
  console.log(`BENCH streams_still_open=${open - closed} streams_closed=${closed} bytes_received=${bytes}`);
  for (const req of reqs) req.destroy();
  process.exit(failed || closed ? 1 : 0);
}

// Pipelined stdio round trips: all N requests are written at once (after initialize), and the
// clock runs from the first tools/call written to the Nth response read.
async function cmdStdio(bin, n, fixture) {
  const child = spawn(bin, ['serve', '--stdio', '--fixture', fixture], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.on('error', (e) => die(`cannot start ${bin}: ${e.message}`));
  let lines = 0;
  let firstReply = '';
  let lastTail = Buffer.alloc(0);
  let t0 = 0n;
  let resolveDone;
  let resolveInit;
  const done = new Promise((r) => { resolveDone = r; });
  const initDone = new Promise((r) => { resolveInit = r; });
  let initLine = '';
  child.stdout.on('data', (chunk) => {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      lines++;
      if (lines === 1) {
        initLine = Buffer.concat([lastTail, chunk.subarray(from, nl)]).toString();
        resolveInit();
      } else if (lines === 2) {
        firstReply = Buffer.concat([lastTail, chunk.subarray(from, nl)]).toString();
      }
      lastTail = Buffer.alloc(0);
      from = nl + 1;
    }
    if (from < chunk.length && lines < 2) lastTail = Buffer.concat([lastTail, chunk.subarray(from)]);
    if (lines === n + 1) resolveDone(process.hrtime.bigint());
  });
  child.on('exit', (code) => {
    if (lines < n + 1) die(`${bin} exited (${code}) after ${lines - 1} of ${n} responses`);
  });
  child.stdin.write(INIT + '\n');
  await initDone;
  if (!initLine.includes('"result"')) die(`initialize failed: ${initLine.slice(0, 200)}`);
  const parts = [INITIALIZED];
  for (let i = 1; i <= n; i++) parts.push(CALL(i));
  const payload = Buffer.from(parts.join('\n') + '\n');
  t0 = process.hrtime.bigint();
  child.stdin.write(payload);
  const t1 = await done;
  const secs = Number(t1 - t0) / 1e9;
  if (!firstReply.includes('"text":"5"')) die(`tools/call answered ${firstReply.slice(0, 200)}`);
  child.stdin.end();
  console.log(`BENCH stdio_requests=${n} secs=${secs.toFixed(4)} round_trips_per_s=${(n / secs).toFixed(0)}`);
  await new Promise((r) => child.on('close', r));
}

const [cmd, a1, a2, a3, a4] = process.argv.slice(2);
switch (cmd) {
  case 'session': await cmdSession(a1); break;
  case 'sessions': await cmdSessions(a1, Number(a2), Number(a3 || 32)); break;
  case 'sse': await cmdSse(a1, Number(a2), Number(a3 || 5), Number(a4 || 32)); break;
  case 'stdio': await cmdStdio(a1, Number(a2), a3 || 'bench'); break;
  default: die('usage: mcp_client.mjs session|sessions|sse|stdio ...');
}
