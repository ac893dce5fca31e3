// What ChatGPT does with a remote MCP server that uses OAuth, against `mcpp serve --auth builtin`:
// a request without a token gets 401 and the metadata URL; the client reads the protected
// resource metadata and the authorization server metadata, registers itself (RFC 7591), sends
// the user to the authorization page with PKCE (this script fills in the login and consent form
// like a person would), takes the code back (checking state and iss), exchanges it for tokens
// bound to the resource, initializes and calls a tool with the bearer token. Then: a token for
// another resource gets 401, an expired token gets 401, refresh works and rotates, and after a
// server restart the refresh token still works; `mcpp auth revoke` reaches the running server.
//
// Usage: node oauth_e2e.mjs --mcpp <binary> --work <dir>
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { mcpp: { type: 'string' }, work: { type: 'string' } } });
const TOKEN_TTL = 4; // seconds: short, so that the test can watch a token expire
const REDIRECT = 'https://chatgpt.com/connector_platform_oauth_redirect';

let failures = 0;
function check(cond, what, detail = '') {
  if (cond) {
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what}${detail ? `: ${detail}` : ''}`);
  }
}
function must(cond, what, detail = '') {
  check(cond, what, detail);
  if (!cond) throw new Error(`cannot go on after: ${what}`);
}

const b64url = (buf) => buf.toString('base64url');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// One `mcpp serve --auth builtin` process.
class Server {
  constructor(name, port, users) {
    this.name = name;
    this.port = port;
    this.users = users;
    this.db = path.join(args.work, `${name}.sqlite`);
    this.origin = `http://127.0.0.1:${port}`;
    this.url = `${this.origin}/mcp`;
    this.log = '';
  }
  async start() {
    this.log = '';
    this.proc = spawn(args.mcpp, ['serve', '--fixture', 'conformance', '--http', `127.0.0.1:${this.port}`,
      '--auth', 'builtin', '--auth-db', this.db, '--auth-users', this.users,
      '--auth-token-ttl', String(TOKEN_TTL)], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr.on('data', (d) => { this.log += d; });
    for (let i = 0; i < 100; i++) {
      if (this.log.includes('serving')) return;
      if (this.proc.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error(`${this.name} did not start:\n${this.log}`);
  }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.on('exit', r));
    this.proc.kill('SIGTERM');
    await done;
  }
}

// A browser's cookie jar for one origin, and a fetch that never follows redirects.
class Browser {
  constructor() { this.cookies = new Map(); }
  async fetch(url, init = {}) {
    const headers = { ...(init.headers || {}) };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return r;
  }
}

// The one form of an HTML page: its action and every named field, as a person submitting it
// would send them (text fields filled from `fill`, the button named `button`).
function formOf(html, base, fill, button) {
  const form = html.match(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) throw new Error(`no form in the page:\n${html.slice(0, 500)}`);
  const unescape = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/<input([^>]*)>/gi)) {
    const attr = (n) => { const m = input[1].match(new RegExp(`${n}="([^"]*)"`, 'i')); return m ? unescape(m[1]) : undefined; };
    const name = attr('name');
    if (!name) continue;
    fields.set(name, name in fill ? fill[name] : (attr('value') ?? ''));
  }
  for (const b of form[2].matchAll(/<button([^>]*)>/gi)) {
    const name = b[1].match(/name="([^"]*)"/i);
    const value = b[1].match(/value="([^"]*)"/i);
    if (name && value && value[1] === button) fields.set(name[1], value[1]);
  }
  return { action: new URL(unescape(form[1]), base).toString(), body: fields };
}

async function postJson(url, body, headers = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

async function postForm(url, form) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  let json = null;
  try { json = await r.json(); } catch { /* not JSON */ }
  return { status: r.status, json, headers: r.headers };
}

// Discovery, registration and the authorization code flow, as ChatGPT does it. Returns the
// token response and what was learnt on the way.
async function connect(server, user, password, { replayCode = false } = {}) {
  const first = await postJson(server.url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'openai-mcp', version: '1.0.0' } } });
  must(first.status === 401, `${server.name}: a request without a token gets 401`, `got ${first.status}`);
  const challenge = first.headers.get('www-authenticate') || '';
  const prmUrl = challenge.match(/resource_metadata="([^"]+)"/)?.[1];
  must(prmUrl === `${server.origin}/.well-known/oauth-protected-resource/mcp`, `${server.name}: WWW-Authenticate names the metadata URL`, challenge);

  const prm = await (await fetch(prmUrl)).json();
  must(prm.resource === server.url, `${server.name}: the metadata names this resource`, JSON.stringify(prm));
  const issuer = prm.authorization_servers?.[0];
  must(issuer === server.origin, `${server.name}: the metadata names the authorization server`);
  const asMeta = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json();
  must(asMeta.issuer === issuer, `${server.name}: the AS metadata has its issuer`);
  check(asMeta.code_challenge_methods_supported?.includes('S256'), `${server.name}: the AS supports PKCE S256`);
  check(asMeta.authorization_response_iss_parameter_supported === true, `${server.name}: the AS says it sends iss (RFC 9207)`);
  const oidc = await fetch(`${issuer}/.well-known/openid-configuration`);
  check(oidc.status === 200, `${server.name}: the OpenID discovery document is there too`);

  const reg = await postJson(asMeta.registration_endpoint, {
    client_name: 'ChatGPT', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'], token_endpoint_auth_method: 'none', application_type: 'web',
  });
  const client = await reg.json();
  must(reg.status === 201 && client.client_id, `${server.name}: dynamic client registration`, JSON.stringify(client));

  const verifier = b64url(randomBytes(32));
  const challengeS256 = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(16));
  const authUrl = new URL(asMeta.authorization_endpoint);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT,
    code_challenge: challengeS256, code_challenge_method: 'S256', state, scope: (prm.scopes_supported || []).join(' '), resource: server.url })) {
    authUrl.searchParams.set(k, v);
  }
  const browser = new Browser();
  const page = await browser.fetch(authUrl);
  must(page.status === 200, `${server.name}: the authorization page opens`, `status ${page.status}`);
  const html = await page.text();
  check(!/<script/i.test(html), `${server.name}: the page needs no JavaScript`);
  check(html.includes('ChatGPT'), `${server.name}: the page names the client`);
  const form = formOf(html, authUrl, { username: user, password }, 'approve');
  const approved = await browser.fetch(form.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.origin }, body: form.body });
  must(approved.status === 302 || approved.status === 303, `${server.name}: approving redirects back`, `status ${approved.status}: ${(await approved.text()).slice(0, 300)}`);
  const back = new URL(approved.headers.get('location'));
  must(`${back.origin}${back.pathname}` === REDIRECT, `${server.name}: to the registered redirect URI exactly`);
  must(back.searchParams.get('state') === state, `${server.name}: state comes back`);
  must(back.searchParams.get('iss') === issuer, `${server.name}: iss comes back (RFC 9207)`);
  const code = back.searchParams.get('code');
  must(code, `${server.name}: with a code`);

  const tokens = await postForm(asMeta.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT,
    client_id: client.client_id, code_verifier: verifier, resource: server.url });
  must(tokens.status === 200 && tokens.json?.access_token, `${server.name}: the code is exchanged for tokens`, JSON.stringify(tokens.json));
  check(tokens.headers.get('cache-control')?.includes('no-store'), `${server.name}: the token response is not cached`);
  check(tokens.json.token_type?.toLowerCase() === 'bearer', `${server.name}: bearer tokens`);
  check(typeof tokens.json.refresh_token === 'string', `${server.name}: with a refresh token`);
  const payload = JSON.parse(Buffer.from(tokens.json.access_token.split('.')[1], 'base64url'));
  check(payload.aud === server.url || payload.aud?.includes?.(server.url), `${server.name}: the token is bound to the resource (aud)`, JSON.stringify(payload));
  if (replayCode) {
    // OAuth 2.1 §4.1.2: a code used twice is refused, and what it gave is revoked.
    const reuse = await postForm(asMeta.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT,
      client_id: client.client_id, code_verifier: verifier, resource: server.url });
    check(reuse.status === 400 && reuse.json?.error === 'invalid_grant', `${server.name}: a code works once`);
    const revoked = await useTool(server, tokens.json.access_token);
    check(revoked.status === 401, `${server.name}: replaying a code revokes the tokens it gave`, `${revoked.status}`);
  }
  return { tokens: tokens.json, client, asMeta };
}

// initialize + notifications/initialized + tools/call with a bearer token; returns the statuses.
async function useTool(server, accessToken) {
  const auth = { authorization: `Bearer ${accessToken}` };
  const init = await postJson(server.url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'openai-mcp', version: '1.0.0' } } }, auth);
  if (init.status !== 200) return { status: init.status, challenge: init.headers.get('www-authenticate'), body: await init.text() };
  const session = init.headers.get('mcp-session-id');
  const h = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  await postJson(server.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h);
  const call = await postJson(server.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'test_simple_text', arguments: {} } }, h);
  const text = await call.text();
  return { status: call.status, body: text, challenge: call.headers.get('www-authenticate') };
}

async function main() {
  const users = path.join(args.work, 'users');
  const line = execFileSync(args.mcpp, ['hash-password', 'alice'], { input: 'correct horse\n' }).toString().trim();
  await import('node:fs').then((fs) => fs.writeFileSync(users, `# test users\n${line}\n`));
  check(line.startsWith('alice:pbkdf2-sha256$'), 'mcpp hash-password prints a users-file line');

  const a = new Server('server-a', await freePort(), users);
  const b = new Server('server-b', await freePort(), users);
  await a.start();
  await b.start();
  try {
    const { tokens, client, asMeta } = await connect(a, 'alice', 'correct horse');
    const used = await useTool(a, tokens.access_token);
    check(used.status === 200 && used.body.includes('This is a simple text response'), 'server-a: initialize and tools/call with the bearer token', `${used.status} ${used.body.slice(0, 200)}`);

    // A wrong password does not sign in.
    const browser = new Browser();
    const u = new URL(asMeta.authorization_endpoint);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: b64url(randomBytes(32)), code_challenge_method: 'S256', state: 'x', resource: a.url })) u.searchParams.set(k, v);
    const page = await browser.fetch(u);
    const form = formOf(await page.text(), u, { username: 'alice', password: 'wrong' }, 'approve');
    const refused = await browser.fetch(form.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: a.origin }, body: form.body });
    check(refused.status !== 302 && refused.status !== 303, 'a wrong password gets no code', `status ${refused.status}`);

    // A token another server's authorization server issued for its own resource.
    const other = await connect(b, 'alice', 'correct horse');
    const foreign = await useTool(a, other.tokens.access_token);
    check(foreign.status === 401 && /invalid_token/.test(foreign.challenge || ''), 'a token for another resource gets 401 invalid_token', `${foreign.status} ${foreign.challenge}`);

    // Refresh rotates the refresh token.
    const refreshed = await postForm(asMeta.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id, resource: a.url });
    must(refreshed.status === 200 && refreshed.json?.access_token, 'refresh works', JSON.stringify(refreshed.json));
    check(refreshed.json.refresh_token && refreshed.json.refresh_token !== tokens.refresh_token, 'the refresh token rotates');
    check((await useTool(a, refreshed.json.access_token)).status === 200, 'the refreshed access token works');

    // Expiry: wait out the access token's lifetime.
    await sleep((TOKEN_TTL + 1.5) * 1000);
    const expired = await useTool(a, refreshed.json.access_token);
    check(expired.status === 401 && /expired/.test(expired.challenge || ''), 'an expired token gets 401', `${expired.status} ${expired.challenge}`);

    // A restart loses nothing: the refresh token still works, and the new token is accepted.
    await a.stop();
    await a.start();
    const afterRestart = await postForm(asMeta.token_endpoint, { grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token, client_id: client.client_id, resource: a.url });
    must(afterRestart.status === 200 && afterRestart.json?.access_token, 'after a restart the refresh token still works', JSON.stringify(afterRestart.json));
    const again = await useTool(a, afterRestart.json.access_token);
    check(again.status === 200 && again.body.includes('This is a simple text response'), 'and its access token calls the tool', `${again.status} ${again.body.slice(0, 200)}`);

    // Reusing a rotated refresh token is refused (and revokes the family).
    const replay = await postForm(asMeta.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id });
    check(replay.status === 400 && replay.json?.error === 'invalid_grant', 'a rotated refresh token cannot be reused', JSON.stringify(replay.json));
    const revokedFamily = await useTool(a, afterRestart.json.access_token);
    check(revokedFamily.status === 401, 'and reuse revokes the tokens issued from it', `${revokedFamily.status}`);

    await connect(a, 'alice', 'correct horse', { replayCode: true });

    // The operator lists the grants and revokes alice's while server-a runs: her access token
    // (not yet seen by the server, which caches a token's verdict up to 5 s) gets 401 at once,
    // her refresh token nothing.
    const live = await connect(a, 'alice', 'correct horse');
    const listed = execFileSync(args.mcpp, ['auth', 'tokens', '--auth-db', a.db]).toString();
    check(listed.includes('alice') && listed.includes(live.client.client_id), 'mcpp auth tokens lists the grant', listed);
    const revokedOut = execFileSync(args.mcpp, ['auth', 'revoke', '--auth-db', a.db, '--user', 'alice']).toString();
    check(/^revoked [1-9][0-9]* grants?/.test(revokedOut), 'mcpp auth revoke --user revokes', revokedOut);
    const afterRevoke = await useTool(a, live.tokens.access_token);
    check(afterRevoke.status === 401 && /revoked/.test(afterRevoke.challenge || ''), 'the running server refuses the revoked access token', `${afterRevoke.status} ${afterRevoke.challenge}`);
    const refreshRevoked = await postForm(asMeta.token_endpoint, { grant_type: 'refresh_token', refresh_token: live.tokens.refresh_token, client_id: live.client.client_id });
    check(refreshRevoked.status === 400 && refreshRevoked.json?.error === 'invalid_grant', 'and its refresh token', JSON.stringify(refreshRevoked.json));
  } finally {
    await a.stop();
    await b.stop();
    if (failures) {
      console.log('--- server-a log ---');
      console.log(a.log.slice(-3000));
    }
  }
  console.log(failures ? `FAIL: ${failures} check(s) failed` : 'PASS: the ChatGPT-style OAuth flow end to end');
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.log(`FAIL: ${e.stack || e}`); process.exit(1); });
