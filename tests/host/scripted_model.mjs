// A scripted OpenAI-compatible Chat Completions endpoint, for tests only (never a product
// default). Node 22, no npm packages.
//
//   node scripted_model.mjs --port 0 --model test-model [--log FILE] [--key KEY]
//
// prints "listening <port>" on stdout once it accepts connections. It answers
// POST <anything>/chat/completions (and GET <anything>/models). With --key, requests must carry
// "Authorization: Bearer KEY" (else 401). --log FILE appends one JSON line per request:
// {"path", "authorization": true|false, "connection": <the client's port: same port, same
// connection>, "body": <the request body as JSON, or the raw text>}.
//
// It checks requests the way OpenAI does, so a host bug shows as an error:
//   - model must equal --model, else 404 (code model_not_found);
//   - tools[i].function.name must match ^[a-zA-Z0-9_-]{1,64}$, else 400;
//   - a "tool" message must answer a tool_call_id of the assistant message just before its
//     block, and every assistant tool call must be answered, else 400;
//   - tool_choice is refused (400): the host must not rely on it.
// Errors have OpenAI's shape: {"error": {"message", "type", "param", "code"}}.
//
// What it answers is read from the LAST USER MESSAGE: one directive per line; lines that are not
// directives are ignored. A line "then" starts the next block: block 0 answers the first request
// after that user message, block k the request after k assistant answers (so "call A", "then",
// "call B" makes a two-step turn). Directives of a block:
//   say TEXT                 answer TEXT (several lines are joined with "\n")
//   call NAME JSON           call the tool NAME with JSON arguments (text as given; default {}).
//                            Several call lines make several calls in one answer. When NAME is
//                            not offered but exactly one offered tool ends in "__NAME", that one.
//   unknown-tool             also call "made_up_tool" with {}
//   args-not-json            the calls' arguments lose their last character (invalid JSON)
//   whole-calls              each call sent whole in one chunk, all with index 0 (as Ollama does)
//   reasoning TEXT           send TEXT as delta.reasoning_content first (must be ignored)
//   status CODE [N]          answer HTTP CODE (401, 404, 429 with Retry-After: 1, 500, ...) to the
//                            first N identical requests (N omitted: every one)
//   break-after-chunks K     close the connection after K stream chunks
//   error-object             stream a role chunk then {"error": {...}} in the stream
//   json-body                answer a whole JSON body even when stream:true was asked
//   slow-ms MS               wait MS milliseconds before each chunk
// A block with neither say nor call lines answers, when the request's last messages are tool
// results, "Tool results:" and one line "[tool name] content" per result; otherwise (e.g. a
// server's sampling request, which has no tools) "echo: <the last user message>".
// Streams look like OpenAI's: a role chunk, the content in small chunks, each tool call's id and
// name in its first fragment and its arguments split over several, a finish_reason chunk, a usage
// chunk with empty choices (when stream_options.include_usage), then "data: [DONE]".
// stream:false gets a whole "chat.completion" object.
import { appendFileSync } from 'node:fs';
import http from 'node:http';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const port = Number(option('port', '0'));
const modelName = option('model', 'test-model');
const logFile = option('log', '');
const apiKey = option('key', '');

const requestsSeen = new Map(); // identical conversations (retries) -> how many times seen
let nextId = 1;

function openAiError(res, status, message, type, code, param = null, extraHeaders = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...extraHeaders });
  res.end(JSON.stringify({ error: { message, type, param, code } }));
}

// OpenAI's checks on the request shape; returns an error message or ''.
function checkRequest(body) {
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return "'messages' must be a non-empty array";
  }
  if ('tool_choice' in body) return 'scripted model: the host must not send tool_choice';
  for (const [i, tool] of (body.tools ?? []).entries()) {
    const name = tool?.function?.name;
    if (tool?.type !== 'function' || typeof name !== 'string') {
      return `Invalid 'tools[${i}]': expected {type: "function", function: {name, ...}}`;
    }
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      return `Invalid 'tools[${i}].function.name': string does not match pattern. ` +
        "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.";
    }
  }
  let open = null; // tool_call_ids of the last assistant message not yet answered
  for (const [i, m] of body.messages.entries()) {
    if (m.role === 'tool') {
      if (!open || !open.has(m.tool_call_id)) {
        return `Invalid parameter: messages with role 'tool' must be a response to a preceeding ` +
          `message with 'tool_calls' (messages[${i}], tool_call_id ${m.tool_call_id}).`;
      }
      open.delete(m.tool_call_id);
      continue;
    }
    if (open && open.size > 0) {
      return "An assistant message with 'tool_calls' must be followed by tool messages " +
        "responding to each 'tool_call_id'. The following tool_call_ids did not have response " +
        `messages: ${[...open].join(', ')}`;
    }
    open = null;
    if (m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      open = new Set(m.tool_calls.map((c) => c.id));
    }
  }
  if (open && open.size > 0) {
    return "An assistant message with 'tool_calls' must be followed by tool messages " +
      `responding to each 'tool_call_id'. Missing: ${[...open].join(', ')}`;
  }
  return '';
}

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => p?.text ?? '').join('');
  return '';
}

// The directive block that answers this request, and what it says.
function plan(body) {
  const messages = body.messages;
  let lastUser = -1;
  messages.forEach((m, i) => { if (m.role === 'user') lastUser = i; });
  const userText = lastUser >= 0 ? textOf(messages[lastUser].content) : '';
  const blocks = [[]];
  for (const raw of userText.split('\n')) {
    const line = raw.trim();
    if (line === 'then') blocks.push([]);
    else if (line) blocks[blocks.length - 1].push(line);
  }
  const step = messages.slice(lastUser + 1).filter((m) => m.role === 'assistant').length;
  const lines = blocks[step] ?? [];
  const offered = (body.tools ?? []).map((t) => t.function.name);
  const p = { says: [], calls: [], reasoning: '', status: 0, statusCount: Infinity,
    breakAfter: -1, errorObject: false, jsonBody: false, slowMs: 0, wholeCalls: false };
  let argsNotJson = false;
  for (const line of lines) {
    const [word] = line.split(/\s+/, 1);
    const rest = line.slice(word.length).trim();
    if (word === 'say') p.says.push(rest);
    else if (word === 'call') {
      const space = rest.search(/\s/);
      let name = space < 0 ? rest : rest.slice(0, space);
      const args = space < 0 ? '{}' : rest.slice(space).trim();
      if (!offered.includes(name)) {
        const matches = offered.filter((o) => o.endsWith(`__${name}`));
        if (matches.length === 1) name = matches[0];
      }
      p.calls.push({ name, args });
    } else if (word === 'unknown-tool') p.calls.push({ name: 'made_up_tool', args: '{}' });
    else if (word === 'args-not-json') argsNotJson = true;
    else if (word === 'whole-calls') p.wholeCalls = true;
    else if (word === 'reasoning') p.reasoning = rest;
    else if (word === 'status') {
      const [code, n] = rest.split(/\s+/);
      p.status = Number(code);
      if (n !== undefined) p.statusCount = Number(n);
    } else if (word === 'break-after-chunks') p.breakAfter = Number(rest);
    else if (word === 'error-object') p.errorObject = true;
    else if (word === 'json-body') p.jsonBody = true;
    else if (word === 'slow-ms') p.slowMs = Number(rest);
  }
  if (argsNotJson) for (const c of p.calls) c.args = c.args.slice(0, -1);
  if (p.says.length === 0 && p.calls.length === 0) {
    // Results of tool calls since the last assistant message, quoted; or an echo.
    const results = [];
    for (let i = messages.length - 1; i >= 0 && messages[i].role === 'tool'; --i) {
      results.unshift(messages[i]);
    }
    if (results.length > 0) {
      const names = new Map();
      for (const m of messages) {
        for (const c of m.tool_calls ?? []) names.set(c.id, c.function?.name);
      }
      p.says.push('Tool results:');
      for (const r of results) {
        p.says.push(`[${names.get(r.tool_call_id) ?? r.tool_call_id}] ${textOf(r.content)}`);
      }
    } else {
      p.says.push(`echo: ${userText}`);
    }
  }
  p.text = p.says.join('\n');
  return p;
}

// Splits s into n pieces of about equal size (at least one character each when possible).
function pieces(s, n) {
  const out = [];
  const size = Math.max(1, Math.ceil(s.length / n));
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out.length ? out : [''];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function usageOf(body, text) {
  const prompt = Math.ceil(JSON.stringify(body.messages).length / 4);
  const completion = Math.ceil(text.length / 4) + 1;
  return { prompt_tokens: prompt, completion_tokens: completion,
    total_tokens: prompt + completion };
}

async function answer(req, res, body) {
  const p = plan(body);
  const key = JSON.stringify(body.messages);
  const seen = (requestsSeen.get(key) ?? 0) + 1;
  requestsSeen.set(key, seen);
  if (p.status && seen <= p.statusCount) {
    if (p.status === 401) {
      return openAiError(res, 401, 'Incorrect API key provided.', 'invalid_request_error',
        'invalid_api_key');
    }
    if (p.status === 404) {
      return openAiError(res, 404, `The model \`${body.model}\` does not exist or you do not ` +
        'have access to it.', 'invalid_request_error', 'model_not_found');
    }
    if (p.status === 429) {
      return openAiError(res, 429, 'Rate limit reached for requests. Please try again in 1s.',
        'requests', 'rate_limit_exceeded', null, { 'Retry-After': '1' });
    }
    return openAiError(res, p.status, 'The server had an error while processing your request.',
      'server_error', null);
  }
  const id = `chatcmpl-${nextId++}`;
  const created = Math.floor(Date.now() / 1000);
  const calls = p.calls.map((c, i) => ({ id: `call_${id.slice(9)}_${i}`, ...c }));
  const finish = calls.length ? 'tool_calls' : 'stop';
  const usage = usageOf(body, p.text + calls.map((c) => c.args).join(''));
  if (!body.stream || p.jsonBody) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const message = { role: 'assistant', content: p.text || null, refusal: null };
    if (calls.length) {
      message.tool_calls = calls.map((c) => ({ id: c.id, type: 'function',
        function: { name: c.name, arguments: c.args } }));
    }
    return res.end(JSON.stringify({ id, object: 'chat.completion', created, model: body.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage }));
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  const includeUsage = body.stream_options?.include_usage === true;
  let sent = 0;
  const send = async (choices, extra = {}) => {
    if (p.breakAfter >= 0 && sent >= p.breakAfter) {
      await sleep(100); // let what was written reach the client first
      res.socket.destroy();
      return false;
    }
    if (p.slowMs) await sleep(p.slowMs);
    const chunk = { id, object: 'chat.completion.chunk', created, model: body.model,
      system_fingerprint: 'fp_scripted', choices, ...extra };
    if (includeUsage && !('usage' in chunk)) chunk.usage = null;
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    sent++;
    return !res.destroyed;
  };
  const delta = (d, finishReason = null) =>
    [{ index: 0, delta: d, logprobs: null, finish_reason: finishReason }];
  if (!await send(delta({ role: 'assistant', content: '', refusal: null }))) return;
  if (p.errorObject) {
    res.write(`data: ${JSON.stringify({ error: { message: 'The server had an error while ' +
      'processing your request.', type: 'server_error', param: null, code: null } })}\n\n`);
    return res.end();
  }
  if (p.reasoning) {
    for (const r of pieces(p.reasoning, 2)) {
      if (!await send(delta({ reasoning_content: r }))) return;
    }
  }
  const spoken = p.text;
  if (spoken) {
    for (const t of pieces(spoken, Math.min(6, Math.max(2, Math.ceil(spoken.length / 5))))) {
      if (!await send(delta({ content: t }))) return;
    }
  }
  for (const [i, c] of calls.entries()) {
    if (p.wholeCalls) {
      if (!await send(delta({ tool_calls: [{ index: 0, id: c.id, type: 'function',
        function: { name: c.name, arguments: c.args } }] }))) return;
      continue;
    }
    if (!await send(delta({ tool_calls: [{ index: i, id: c.id, type: 'function',
      function: { name: c.name, arguments: '' } }] }))) return;
    for (const a of pieces(c.args, 3)) {
      if (!await send(delta({ tool_calls: [{ index: i, function: { arguments: a } }] }))) return;
    }
  }
  if (!await send(delta({}, finish))) return;
  if (includeUsage && !await send([], { usage })) return;
  res.write('data: [DONE]\n\n');
  res.end();
}

const server = http.createServer((req, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (d) => { raw += d; });
  req.on('end', () => {
    let body = null;
    try { body = JSON.parse(raw); } catch { body = null; }
    if (logFile) {
      appendFileSync(logFile, JSON.stringify({ path: req.url,
        authorization: Boolean(req.headers.authorization), connection: req.socket.remotePort,
        body: body ?? raw }) + '\n');
    }
    if (apiKey && req.headers.authorization !== `Bearer ${apiKey}`) {
      return openAiError(res, 401, 'Incorrect API key provided.', 'invalid_request_error',
        'invalid_api_key');
    }
    if (req.method === 'GET' && req.url.endsWith('/models')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ object: 'list',
        data: [{ id: modelName, object: 'model', created: 0, owned_by: 'scripted' }] }));
    }
    if (req.method !== 'POST' || !req.url.split('?')[0].endsWith('/chat/completions')) {
      return openAiError(res, 404, `Unknown request URL: ${req.method} ${req.url}.`,
        'invalid_request_error', 'unknown_url');
    }
    if (!body || typeof body !== 'object') {
      return openAiError(res, 400, 'We could not parse the JSON body of your request.',
        'invalid_request_error', null);
    }
    if (body.model !== modelName) {
      return openAiError(res, 404, `The model \`${body.model}\` does not exist or you do not ` +
        'have access to it.', 'invalid_request_error', 'model_not_found');
    }
    const invalid = checkRequest(body);
    if (invalid) return openAiError(res, 400, invalid, 'invalid_request_error', null);
    answer(req, res, body).catch((e) => {
      process.stderr.write(`scripted model: ${e.stack}\n`);
      res.destroy();
    });
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
