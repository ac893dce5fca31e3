// The soak driver (bench/soak/run.sh starts the server and calls it): mixed traffic against a
// running `mcpp serve` at a fixed rate for a fixed time, the server's RSS sampled each minute.
// Node 22 built-ins only.
//
//   node soak.mjs --url http://127.0.0.1:PORT/mcp --pid PID --rate OPS_PER_S [--minutes 30]
//                 [--warmup 2] [--sample 60] [--tool add --args '{"a":2,"b":3}']
//
// Operations, picked at random by weight (each one a few HTTP requests):
//   call        tools/call on one of a pool of long-lived sessions             (weight 70)
//   session     initialize, initialized, tools/call, DELETE                    (8)
//   abandon     initialize only; never used again (the server expires it)      (0.2)
//   stream      a session's Streamable HTTP GET stream, held 1-8 s, then dropped (4)
//   legacy      GET /sse, POST /messages on it, answer read from the stream, held 1-5 s, dropped (3)
//   bad_json    malformed JSON                     expect 400                  (5)
//   bad_session a made-up Mcp-Session-Id           expect 404                  (5)
//   oversize    Content-Length over the body cap   expect 413                  (1)
//   bad_method  an unknown JSON-RPC method         expect a -32601 error       (3)
// An outcome other than the expected one is an error of kind "<op>: <what>"; any error fails the
// soak. The verdict: RSS flat within 10 % (the mean of the last 3 samples against the first
// sample after the warm-up) and no error.
import http from 'node:http';
import fs from 'node:fs';

function parseArgs(argv) {
  const o = { minutes: 30, warmup: 2, sample: 60, tool: 'add', args: '{"a":2,"b":3}', pool: 16,
              maxInFlight: 2048, bodyLimit: 4 * 1024 * 1024 };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in o) && !['url', 'pid', 'rate'].includes(key)) throw new Error(`unknown option ${argv[i]}`);
    o[key] = argv[i + 1];
  }
  for (const k of ['minutes', 'warmup', 'sample', 'pool', 'maxInFlight', 'bodyLimit', 'rate', 'pid']) {
    if (o[k] !== undefined) o[k] = Number(o[k]);
  }
  if (!o.url || !o.rate || !o.pid) throw new Error('needs --url, --rate and --pid');
  o.args = JSON.parse(o.args);
  return o;
}

const opt = parseArgs(process.argv);
const endpoint = new URL(opt.url);
const origin = `${endpoint.protocol}//${endpoint.host}`;
const VERSION = '2025-11-25';
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

const counts = {};    // op -> completed
const errors = {};    // kind -> count
const errorSamples = {};
let inFlight = 0;
let skipped = 0;      // operations not started because maxInFlight were still running
let nextId = 1;

function count(map, key) { map[key] = (map[key] || 0) + 1; }
function fail(kind, detail) {
  count(errors, kind);
  if (!errorSamples[kind]) errorSamples[kind] = String(detail).slice(0, 300);
}

// One request; resolves {status, headers, body}. `timeoutMs` guards against a server that stops
// answering (a hang is an error too).
function request(method, path, { headers = {}, body, timeoutMs = 15000, ownSocket = false } = {}) {
  return new Promise((resolve, reject) => {
    const h = { Accept: 'application/json, text/event-stream', ...headers };
    if (body !== undefined) {
      h['Content-Type'] = h['Content-Type'] || 'application/json';
      h['Content-Length'] = h['Content-Length'] || Buffer.byteLength(body);
    }
    const req = http.request(origin + path, { method, headers: h, agent: ownSocket ? false : agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

const rpc = (method, params, id = nextId++) => JSON.stringify({ jsonrpc: '2.0', id, method, params });
const sessionHeaders = (sid) => ({ 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': VERSION });

async function openSession() {
  const init = await request('POST', endpoint.pathname, {
    body: rpc('initialize', { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'mcpp-soak', version: '1' } }),
  });
  const sid = init.headers['mcp-session-id'];
  if (init.status !== 200 || !sid) throw new Error(`initialize: ${init.status} ${init.body.slice(0, 200)}`);
  const ack = await request('POST', endpoint.pathname, {
    headers: sessionHeaders(sid), body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  if (ack.status !== 202) throw new Error(`initialized: ${ack.status}`);
  return sid;
}

// The JSON-RPC reply in a response body: JSON, or the first SSE "data:" event carrying an id.
function replyOf(res) {
  const type = res.headers['content-type'] || '';
  if (type.startsWith('application/json')) return JSON.parse(res.body);
  for (const line of res.body.split('\n')) {
    if (line.startsWith('data:')) {
      const m = JSON.parse(line.slice(5));
      if (m.id !== undefined) return m;
    }
  }
  throw new Error(`no reply in: ${res.body.slice(0, 200)}`);
}

async function callTool(sid) {
  const res = await request('POST', endpoint.pathname, {
    headers: sessionHeaders(sid), body: rpc('tools/call', { name: opt.tool, arguments: opt.args }),
  });
  if (res.status !== 200) throw new Error(`tools/call: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  const reply = replyOf(res);
  if (!reply.result || reply.result.isError) throw new Error(`tools/call: ${JSON.stringify(reply).slice(0, 200)}`);
}

async function deleteSession(sid) {
  const res = await request('DELETE', endpoint.pathname, { headers: sessionHeaders(sid) });
  if (res.status !== 200 && res.status !== 204) throw new Error(`DELETE: ${res.status}`);
}

// Opens a GET request as a stream, calls onData with its text, and drops it (destroys the
// socket) holdMs after `ready` settles (at once by default). Resolves when dropped; rejects on an
// unexpected status, an early end, or when `ready` rejects.
function holdStream(path, headers, holdMs, onData = () => {}, ready = Promise.resolve()) {
  return new Promise((resolve, reject) => {
    const req = http.request(origin + path, { method: 'GET', agent: false, headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`GET ${path}: ${res.statusCode}`));
      }
      let ended = false;
      res.setEncoding('utf8');
      res.on('data', (t) => onData(t));
      res.on('end', () => { ended = true; });
      res.on('error', () => {});
      ready.then(() => setTimeout(() => {
        req.destroy();
        if (ended) reject(new Error(`GET ${path}: the server ended the stream early`)); else resolve();
      }, holdMs), (e) => { req.destroy(); reject(e); });
    });
    req.on('error', (e) => { if (!req.destroyed) reject(e); });
    req.end();
  });
}

const rand = (lo, hi) => lo + Math.random() * (hi - lo);
let pool = [];

const ops = {
  async call() {
    await callTool(pool[Math.floor(Math.random() * pool.length)]);
  },
  async session() {
    const sid = await openSession();
    await callTool(sid);
    await deleteSession(sid);
  },
  async abandon() {
    await openSession();
  },
  async stream() {
    const sid = await openSession();
    await holdStream(endpoint.pathname, sessionHeaders(sid), rand(1000, 8000));
    await deleteSession(sid);
  },
  async legacy() {
    // GET /sse; on its endpoint event, POST initialize there (own socket: not queued behind the
    // other traffic); the answer must come on the stream; then the stream is held 1-5 s more.
    let text = '';
    let posted = false;
    let answered;
    let failed;
    const ready = new Promise((resolve, reject) => { answered = resolve; failed = reject; });
    const timer = setTimeout(() => failed(new Error('legacy: no answer on the stream in 15 s')), 15000);
    ready.finally(() => clearTimeout(timer)).catch(() => {});
    await holdStream('/sse', {}, rand(1000, 5000), (t) => {
      text += t;
      const m = /event: endpoint\r?\ndata: ([^\r\n]+)\r?\n/.exec(text);
      if (m && !posted) {
        posted = true;
        request('POST', m[1], {
          ownSocket: true,
          body: rpc('initialize', { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'mcpp-soak', version: '1' } }),
        }).then((res) => { if (res.status !== 202) failed(new Error(`legacy POST: ${res.status}`)); }, failed);
      }
      const message = text.indexOf('event: message');
      if (message >= 0 && text.indexOf('"protocolVersion"', message) >= 0) answered();
    }, ready);
  },
  async bad_json() {
    const res = await request('POST', endpoint.pathname, { body: '{"jsonrpc":"2.0","id":1,"method":' });
    if (res.status !== 400) throw new Error(`malformed JSON answered ${res.status}`);
  },
  async bad_session() {
    const res = await request('POST', endpoint.pathname, {
      headers: sessionHeaders('not-a-session-' + nextId), body: rpc('tools/list', {}),
    });
    if (res.status !== 404) throw new Error(`unknown session answered ${res.status}`);
  },
  async oversize() {
    // Announce a body over the cap, send a little of it: the server refuses on the head.
    const res = await new Promise((resolve, reject) => {
      const req = http.request(origin + endpoint.pathname, {
        method: 'POST', agent: false,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
                   'Content-Length': opt.bodyLimit + 1 },
      }, (r) => { r.resume(); r.on('end', () => resolve(r.statusCode)); });
      req.on('error', reject);
      req.setTimeout(15000, () => req.destroy(new Error('no answer to an oversize body')));
      req.write('{"jsonrpc":"2.0","padding":"' + 'x'.repeat(1000));
    });
    if (res !== 413) throw new Error(`oversize body answered ${res}`);
  },
  async bad_method() {
    const res = await request('POST', endpoint.pathname, {
      headers: sessionHeaders(pool[0]), body: rpc('no/such/method', {}),
    });
    const reply = replyOf(res);
    if (!reply.error || reply.error.code !== -32601) throw new Error(`unknown method: ${res.status} ${res.body.slice(0, 200)}`);
  },
};
const weights = { call: 70, session: 8, abandon: 0.2, stream: 4, legacy: 3, bad_json: 5, bad_session: 5, oversize: 1, bad_method: 3 };
const deliberatelyBad = new Set(['bad_json', 'bad_session', 'oversize', 'bad_method']);
const table = Object.entries(weights);
const totalWeight = table.reduce((s, [, w]) => s + w, 0);
function pick() {
  let r = Math.random() * totalWeight;
  for (const [name, w] of table) {
    if ((r -= w) < 0) return name;
  }
  return 'call';
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function main() {
  for (let i = 0; i < opt.pool; i++) pool.push(await openSession());
  const t0 = Date.now();
  const end = t0 + opt.minutes * 60000;
  const samples = [{ minute: 0, rss: rssKiB(opt.pid), ops: 0 }];
  let totalOps = 0;
  console.log(`soak: ${opt.rate} ops/s for ${opt.minutes} min against ${opt.url} (pid ${opt.pid}); RSS at start ${samples[0].rss} KiB`);

  const sampler = setInterval(() => {
    const minute = (Date.now() - t0) / 60000;
    let rss;
    try { rss = rssKiB(opt.pid); } catch { fail('server', 'the server process is gone'); return; }
    const done = Object.values(counts).reduce((a, b) => a + b, 0);
    samples.push({ minute, rss, ops: done });
    const errs = Object.values(errors).reduce((a, b) => a + b, 0);
    console.log(`soak: ${minute.toFixed(1)} min  RSS ${(rss / 1024).toFixed(1)} MiB  ops ${done}  in flight ${inFlight}  skipped ${skipped}  errors ${errs}`);
  }, opt.sample * 1000);

  // Open loop: every 10 ms start the operations due by now.
  const tickMs = 10;
  let started = 0;
  await new Promise((resolve) => {
    const ticker = setInterval(() => {
      const now = Date.now();
      if (now >= end) { clearInterval(ticker); resolve(); return; }
      const due = Math.floor(((now - t0) / 1000) * opt.rate);
      for (; started < due; started++) {
        if (inFlight >= opt.maxInFlight) { skipped++; continue; }
        const name = pick();
        inFlight++;
        ops[name]().then(() => count(counts, name), (e) => fail(`${name}: ${e.message.replace(/[0-9a-f-]{16,}/g, '…')}`, e.stack))
          .finally(() => { inFlight--; totalOps++; });
      }
    }, tickMs);
  });
  // Let what is running finish (streams hold up to 8 s).
  const drainUntil = Date.now() + 30000;
  while (inFlight > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 200));
  clearInterval(sampler);
  samples.push({ minute: (Date.now() - t0) / 60000, rss: rssKiB(opt.pid), ops: totalOps });
  for (const sid of pool) await deleteSession(sid).catch(() => {});

  // Report.
  const secs = (Date.now() - t0) / 1000;
  console.log('\nsoak: RSS curve (minute, MiB)');
  for (const s of samples) console.log(`  ${s.minute.toFixed(1).padStart(5)}  ${(s.rss / 1024).toFixed(1)}`);
  const afterWarmup = samples.filter((s) => s.minute >= opt.warmup);
  const base = afterWarmup[0];
  const tail = afterWarmup.slice(-3);
  const last = tail.reduce((a, s) => a + s.rss, 0) / Math.max(tail.length, 1);
  const drift = base ? (last - base.rss) / base.rss : NaN;
  const flat = base !== undefined && tail.length > 0 && Math.abs(drift) <= 0.10;
  console.log('\nsoak: operations completed');
  for (const [k, v] of Object.entries(counts).sort()) console.log(`  ${k.padEnd(12)} ${v}${deliberatelyBad.has(k) ? '  (deliberately bad, answered as expected)' : ''}`);
  console.log(`  achieved ${(totalOps / secs).toFixed(1)} ops/s of ${opt.rate} asked; skipped (driver at ${opt.maxInFlight} in flight) ${skipped}`);
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  console.log(`\nsoak: errors ${errorCount}`);
  for (const [k, v] of Object.entries(errors)) console.log(`  ${v}  ${k}\n      e.g. ${errorSamples[k].split('\n')[0]}`);
  console.log(`\nsoak: RSS after warm-up ${base ? (base.rss / 1024).toFixed(1) : '?'} MiB (minute ${base ? base.minute.toFixed(1) : '?'}), ` +
              `last ${(last / 1024).toFixed(1)} MiB: ${(drift * 100).toFixed(1)} % (limit 10 %)`);
  const ok = flat && errorCount === 0 && skipped === 0;
  console.log(`soak: verdict ${ok ? 'PASS' : 'FAIL'}${flat ? '' : ' (RSS not flat)'}${errorCount ? ' (errors)' : ''}${skipped ? ' (driver could not keep the rate)' : ''}`);
  agent.destroy();
  process.exit(ok ? 0 : 1);
}

main().catch((e) => { console.error(`soak: ${e.stack}`); process.exit(2); });
