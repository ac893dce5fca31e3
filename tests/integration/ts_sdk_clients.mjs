// Interop test: the official TypeScript SDK clients (1.x `@modelcontextprotocol/sdk` and 2.x
// `@modelcontextprotocol/client`) against `mcpp serve --fixture conformance`, and JSON Schema
// validation of every message the server sends, against the schema of the negotiated revision.
//
// Run by ts_sdk_clients.sh (which copies this file next to a node_modules link to
// $ROOT/.deps/node_modules, so the bare imports below resolve):
//
//   node ts_sdk_clients.mjs --sdk v1|v2 --transport stdio|http|sse --revisions R1,R2,...
//        --mcpp PATH (stdio) --base http://127.0.0.1:PORT (http, sse) [--spec DIR]
//
// --spec DIR holds DIR/<revision>/schema.json; without it (or when DIR is absent) the schema
// validation is skipped with a note. Exits non-zero on the first failure.

import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';

import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport as SseV1 } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  CallToolResultSchema as CallToolResultSchemaV1,
  CreateMessageRequestSchema as CreateMessageRequestSchemaV1,
  ElicitRequestSchema as ElicitRequestSchemaV1,
} from '@modelcontextprotocol/sdk/types.js';
import * as v2 from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import Ajv07 from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// ---------------------------------------------------------------------------------------------
// Arguments and small helpers

const args = util.parseArgs({
  options: {
    sdk: { type: 'string' },
    transport: { type: 'string' },
    revisions: { type: 'string' },
    mcpp: { type: 'string' },
    base: { type: 'string' },
    spec: { type: 'string' },
  },
}).values;

const SDK = args.sdk;
const TRANSPORT = args.transport;
const REVISIONS = (args.revisions ?? '').split(',').filter(Boolean);
if (!['v1', 'v2'].includes(SDK) || !['stdio', 'http', 'sse'].includes(TRANSPORT) || REVISIONS.length === 0) {
  console.error('usage: ts_sdk_clients.mjs --sdk v1|v2 --transport stdio|http|sse --revisions R,... [--mcpp P] [--base URL] [--spec DIR]');
  process.exit(2);
}

class TestFailure extends Error {}

let label = `${SDK}/${TRANSPORT}`;
const fail = (msg) => {
  throw new TestFailure(`[${label}] ${msg}`);
};
const check = (cond, msg) => {
  if (!cond) fail(msg);
};
const show = (v) => JSON.stringify(v);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const STEP_TIMEOUT_MS = 15000;

async function step(name, fn) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TestFailure(`[${label}] ${name}: timed out after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
  });
  try {
    const r = await Promise.race([fn(), timeout]);
    validator?.throwIfViolations(name);
    console.log(`  ok   ${name}`);
    return r;
  } catch (e) {
    if (e instanceof TestFailure) throw e;
    throw new TestFailure(`[${label}] ${name}: ${e?.stack ?? e}`);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Schema validation of every message the server sends

const SCHEMA_DIR = args.spec && fs.existsSync(args.spec) ? args.spec : null;
const schemaCache = new Map();

function loadSchema(revision) {
  if (schemaCache.has(revision)) return schemaCache.get(revision);
  const file = path.join(SCHEMA_DIR, revision, 'schema.json');
  if (!fs.existsSync(file)) throw new TestFailure(`no schema for revision ${revision} at ${file}`);
  const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
  const draft = schema.$schema ?? '';
  let ajv;
  if (draft.includes('2020-12')) ajv = new Ajv2020({ strict: false, allErrors: true });
  else if (draft.includes('draft-07')) ajv = new Ajv07({ strict: false, allErrors: true });
  else throw new TestFailure(`${file}: unsupported $schema ${draft}`);
  addFormats(ajv);
  const defsKey = schema.$defs ? '$defs' : 'definitions';
  ajv.addSchema(schema, 'mcp');
  const compiled = new Map();
  const entry = {
    revision,
    has: (def) => Object.hasOwn(schema[defsKey], def),
    validator(def) {
      if (!compiled.has(def)) {
        if (!this.has(def)) throw new TestFailure(`schema ${revision} has no definition ${def}`);
        compiled.set(def, ajv.getSchema(`mcp#/${defsKey}/${def}`));
      }
      return compiled.get(def);
    },
  };
  schemaCache.set(revision, entry);
  return entry;
}

// Definitions of the results, keyed by the request method the client sent.
const RESULT_DEFS = {
  initialize: 'InitializeResult',
  ping: 'EmptyResult',
  'tools/list': 'ListToolsResult',
  'tools/call': 'CallToolResult',
  'resources/list': 'ListResourcesResult',
  'resources/templates/list': 'ListResourceTemplatesResult',
  'resources/read': 'ReadResourceResult',
  'resources/subscribe': 'EmptyResult',
  'resources/unsubscribe': 'EmptyResult',
  'prompts/list': 'ListPromptsResult',
  'prompts/get': 'GetPromptResult',
  'completion/complete': 'CompleteResult',
  'logging/setLevel': 'EmptyResult',
};
const NOTIFICATION_DEFS = {
  'notifications/progress': 'ProgressNotification',
  'notifications/message': 'LoggingMessageNotification',
  'notifications/cancelled': 'CancelledNotification',
  'notifications/resources/updated': 'ResourceUpdatedNotification',
  'notifications/resources/list_changed': 'ResourceListChangedNotification',
  'notifications/tools/list_changed': 'ToolListChangedNotification',
  'notifications/prompts/list_changed': 'PromptListChangedNotification',
  'notifications/elicitation/complete': 'ElicitationCompleteNotification',
  'notifications/tasks/status': 'TaskStatusNotification',
};
const REQUEST_DEFS = {
  'sampling/createMessage': 'CreateMessageRequest',
  'elicitation/create': 'ElicitRequest',
  'roots/list': 'ListRootsRequest',
  ping: 'PingRequest',
};

class Validator {
  constructor(requestedRevision) {
    this.schema = loadSchema(requestedRevision);
    this.pending = new Map(); // request id -> method, for the requests the client sent
    this.violations = [];
    this.count = 0;
  }

  // The definition names of this revision's envelopes.
  get errorDef() {
    return this.schema.has('JSONRPCErrorResponse') ? 'JSONRPCErrorResponse' : 'JSONRPCError';
  }
  get resultEnvelopeDef() {
    return this.schema.has('JSONRPCResultResponse') ? 'JSONRPCResultResponse' : 'JSONRPCResponse';
  }

  outgoing(msg) {
    if (msg && typeof msg === 'object' && 'method' in msg && 'id' in msg) this.pending.set(msg.id, msg.method);
  }

  validate(value, def, what, msg) {
    const v = this.schema.validator(def);
    if (!v(value)) {
      this.violations.push(
        `schema violation (revision ${this.schema.revision}, definition ${def}) in ${what}:\n` +
          `    message: ${show(msg)}\n` +
          `    ajv errors: ${show(v.errors)}`,
      );
    }
  }

  incoming(msg) {
    this.count++;
    if (Array.isArray(msg)) {
      this.violations.push(`server sent a JSON-RPC batch (not allowed from a server): ${show(msg)}`);
      return;
    }
    this.validate(msg, 'JSONRPCMessage', 'a server message', msg);
    if (msg === null || typeof msg !== 'object') return;
    if ('method' in msg && 'id' in msg) {
      const def = REQUEST_DEFS[msg.method];
      this.validate(msg, 'JSONRPCRequest', `request ${msg.method}`, msg);
      this.validate(msg, 'ServerRequest', `request ${msg.method}`, msg);
      if (def && this.schema.has(def)) this.validate(msg, def, `request ${msg.method}`, msg);
      else this.violations.push(`server sent request ${msg.method}, which revision ${this.schema.revision} does not define: ${show(msg)}`);
    } else if ('method' in msg) {
      const def = NOTIFICATION_DEFS[msg.method];
      this.validate(msg, 'JSONRPCNotification', `notification ${msg.method}`, msg);
      this.validate(msg, 'ServerNotification', `notification ${msg.method}`, msg);
      if (def && this.schema.has(def)) this.validate(msg, def, `notification ${msg.method}`, msg);
      else this.violations.push(`server sent notification ${msg.method}, which revision ${this.schema.revision} does not define: ${show(msg)}`);
    } else if ('error' in msg) {
      const method = this.pending.get(msg.id) ?? '(unknown request)';
      this.validate(msg, this.errorDef, `error response to ${method}`, msg);
    } else if ('result' in msg) {
      const method = this.pending.get(msg.id);
      if (method === undefined) {
        this.violations.push(`server sent a result for an id the client never used: ${show(msg)}`);
        return;
      }
      this.pending.delete(msg.id);
      if (method === 'initialize') {
        // Validate the rest of the session against the revision the server chose.
        const chosen = msg.result?.protocolVersion;
        if (typeof chosen === 'string' && chosen !== this.schema.revision && fs.existsSync(path.join(SCHEMA_DIR, chosen))) {
          this.schema = loadSchema(chosen);
        }
      }
      this.validate(msg, this.resultEnvelopeDef, `response to ${method}`, msg);
      const def = RESULT_DEFS[method] ?? 'Result';
      this.validate(msg.result, def, `result of ${method}`, msg);
    }
  }

  throwIfViolations(stepName) {
    if (this.violations.length) {
      const v = this.violations;
      this.violations = [];
      fail(`${stepName}: ${v.length} message(s) from the server violate the MCP schema:\n  ${v.join('\n  ')}`);
    }
  }
}

let validator = null;

// A transparent wrapper of an SDK transport: it sees every message in both directions, rewrites
// the offered protocolVersion of `initialize` when asked to (the 1.x client always offers its
// latest revision), and records/validates what the server sends.
//
// It also hands the incoming messages to the SDK one per macrotask, in arrival order. The SDKs
// dispatch a notification a microtask late but a response at once, so when a server writes its
// last progress notification right before the response and both arrive in one read, the
// response retires the progress handler first and the SDK drops that notification ("progress
// notification for an unknown token", typescript-sdk issue #2580). The wire order is right;
// this keeps the onprogress count deterministic. The wire order itself is asserted separately.
function tap(inner, { offerRevision, onIncoming, onOutgoing }) {
  let rawOnMessage;
  const queue = [];
  let pumping = false;
  const pump = () => {
    const [msg, extra] = queue.shift();
    try {
      rawOnMessage?.(msg, extra);
    } finally {
      if (queue.length) setImmediate(pump);
      else pumping = false;
    }
  };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'onmessage') return rawOnMessage;
      if (prop === 'send') {
        return (msg, opts) => {
          if (offerRevision && msg?.method === 'initialize') {
            msg = { ...msg, params: { ...msg.params, protocolVersion: offerRevision } };
          }
          onOutgoing(msg);
          return target.send(msg, opts);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
    set(target, prop, value) {
      if (prop === 'onmessage') {
        rawOnMessage = value;
        target.onmessage = value
          ? (msg, extra) => {
              onIncoming(msg);
              queue.push([msg, extra]);
              if (!pumping) {
                pumping = true;
                setImmediate(pump);
              }
            }
          : value;
        return true;
      }
      return Reflect.set(target, prop, value, target);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The SDK-specific parts

const SAMPLING_REPLY = 'Hello from the TS SDK sampling handler';
const FIXED_SAMPLING_PROMPT = 'What is the capital of France?';

function makeClient(revision, handlers) {
  const info = { name: `mcpp-interop-${SDK}`, version: '1.0.0' };
  const capabilities = { sampling: {}, elicitation: {} };
  if (SDK === 'v1') {
    const client = new ClientV1(info, { capabilities });
    client.setRequestHandler(CreateMessageRequestSchemaV1, (req) => handlers.sampling(req));
    client.setRequestHandler(ElicitRequestSchemaV1, (req) => handlers.elicitation(req));
    return {
      client,
      offerRevision: revision, // rewritten on the wire by tap()
      callTool: (params, opts) => client.callTool(params, CallToolResultSchemaV1, opts),
    };
  }
  // 2.x: the legacy handshake offers the first 2025-era entry of supportedProtocolVersions.
  const client = new v2.Client(info, { capabilities, supportedProtocolVersions: [revision] });
  client.setRequestHandler('sampling/createMessage', (req) => handlers.sampling(req));
  client.setRequestHandler('elicitation/create', (req) => handlers.elicitation(req));
  return { client, offerRevision: null, callTool: (params, opts) => client.callTool(params, opts) };
}

function makeTransport(stderrChunks) {
  const base = args.base;
  if (TRANSPORT === 'stdio') {
    const params = { command: args.mcpp, args: ['serve', '--stdio', '--fixture', 'conformance'], stderr: 'pipe' };
    const t = SDK === 'v1' ? new StdioV1(params) : new StdioV2(params);
    t.stderr?.on('data', (d) => stderrChunks.push(String(d)));
    return t;
  }
  if (TRANSPORT === 'http') {
    const url = new URL(`${base}/mcp`);
    return SDK === 'v1' ? new HttpV1(url) : new v2.StreamableHTTPClientTransport(url);
  }
  const url = new URL(`${base}/sse`);
  return SDK === 'v1' ? new SseV1(url) : new v2.SSEClientTransport(url);
}

// ---------------------------------------------------------------------------------------------
// One session: everything the brief asks for, at one protocol revision

async function runSession(revision) {
  label = `${SDK}/${TRANSPORT}/${revision}`;
  console.log(`--- ${label}: ${SDK === 'v1' ? '@modelcontextprotocol/sdk 1.x' : '@modelcontextprotocol/client 2.x'} over ${TRANSPORT}, offering ${revision}`);
  validator = SCHEMA_DIR ? new Validator(revision) : null;

  const incoming = [];
  const sent = [];
  const wire = []; // both directions, for the failure report
  const t0 = Date.now();
  const logWire = (dir, m) => wire.push(`${String(Date.now() - t0).padStart(5)} ms ${dir} ${show(m)}`);
  const samplingRequests = [];
  const elicitationRequests = [];
  const handlers = {
    sampling: async (req) => {
      samplingRequests.push(req);
      return { model: 'test-model', role: 'assistant', content: { type: 'text', text: SAMPLING_REPLY }, stopReason: 'endTurn' };
    },
    elicitation: async (req) => {
      elicitationRequests.push(req);
      return { action: 'accept', content: { username: 'testuser', email: 'test@example.com' } };
    },
  };
  const { client, offerRevision, callTool } = makeClient(revision, handlers);
  const stderrChunks = [];
  const inner = makeTransport(stderrChunks);
  const transport = tap(inner, {
    offerRevision,
    onOutgoing: (m) => {
      logWire("->", m);
      sent.push(m);
      validator?.outgoing(m);
    },
    onIncoming: (m) => {
      incoming.push(m);
      logWire("<-", m);
      try {
        validator?.incoming(m);
      } catch (e) {
        validator?.violations.push(`validator crashed on ${show(m)}: ${e?.stack ?? e}`);
      }
    },
  });

  try {
    await step(`initialize (offer ${revision})`, async () => {
      await client.connect(transport);
      const init = incoming.find((m) => m?.result?.protocolVersion);
      check(init, 'no initialize result seen on the wire');
      check(init.result.protocolVersion === revision, `the server answered protocolVersion ${show(init.result.protocolVersion)} to an initialize offering the supported ${revision}`);
      check(init.result.serverInfo?.name, `initialize result has no serverInfo.name: ${show(init.result)}`);
      const caps = client.getServerCapabilities();
      for (const c of ['tools', 'resources', 'prompts']) check(caps?.[c], `server capabilities lack ${c}: ${show(caps)}`);
    });

    await step('tools/list: has test_simple_text, every tool has a description', async () => {
      const { tools } = await client.listTools();
      check(Array.isArray(tools) && tools.length > 0, `no tools: ${show(tools)}`);
      const names = tools.map((t) => t.name);
      check(names.includes('test_simple_text'), `test_simple_text missing from ${show(names)}`);
      for (const t of tools) {
        check(typeof t.description === 'string' && t.description.length > 0, `tool ${t.name} has no description`);
        check(t.inputSchema?.type === 'object', `tool ${t.name}: inputSchema.type is not "object": ${show(t.inputSchema)}`);
      }
    });

    await step('tools/call test_simple_text', async () => {
      const r = await callTool({ name: 'test_simple_text', arguments: {} });
      check(r.content?.[0]?.type === 'text', `content[0] is not text: ${show(r)}`);
      check(r.content[0].text === 'This is a simple text response for testing.', `unexpected text: ${show(r.content[0].text)}`);
      check(r.isError !== true, `isError set: ${show(r)}`);
    });

    await step('tools/call test_tool_with_progress: 3 progress notifications via onprogress', async () => {
      const progress = [];
      const from = incoming.length;
      const r = await callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: (p) => progress.push(p) });
      // On the wire: 3 notifications/progress echoing the token, all before the response.
      const call = sent.findLast((m) => m?.method === 'tools/call' && m.params?.name === 'test_tool_with_progress');
      const token = call?.params?._meta?.progressToken;
      check(token !== undefined, `the SDK sent no progressToken: ${show(call)}`);
      const after = incoming.slice(from);
      const respAt = after.findIndex((m) => m?.id === call.id && ('result' in m || 'error' in m));
      const onWire = after.slice(0, respAt).filter((m) => m?.method === 'notifications/progress' && m.params?.progressToken === token);
      check(onWire.length === 3, `expected 3 notifications/progress with progressToken ${show(token)} before the response on the wire, got ${onWire.length}: ${show(after)}`);
      check(progress.length === 3, `expected 3 progress notifications before the result, got ${progress.length}: ${show(progress)}`);
      check(show(progress.map((p) => p.progress)) === show([0, 50, 100]), `progress values ${show(progress.map((p) => p.progress))}, expected [0,50,100]`);
      check(progress.every((p) => p.total === 100), `progress totals: ${show(progress)}`);
      check(Array.isArray(r.content) && r.content.length > 0, `empty result: ${show(r)}`);
    });

    await step('logging/setLevel debug + tools/call test_tool_with_logging: 3 log notifications', async () => {
      await client.setLoggingLevel('debug');
      const before = incoming.length;
      const r = await callTool({ name: 'test_tool_with_logging', arguments: {} });
      check(r.content?.[0]?.text === 'Tool with logging executed successfully', `unexpected result ${show(r)}`);
      const logs = () => incoming.slice(before).filter((m) => m?.method === 'notifications/message');
      for (let i = 0; i < 20 && logs().length < 3; i++) await sleep(50);
      const data = logs().map((m) => m.params?.data);
      check(show(data) === show(['Tool execution started', 'Tool processing data', 'Tool execution completed']), `log notifications: ${show(logs())}`);
    });

    await step('tools/call test_sampling: server sends sampling/createMessage, result echoes the reply', async () => {
      const r = await callTool({ name: 'test_sampling', arguments: { prompt: FIXED_SAMPLING_PROMPT } });
      check(samplingRequests.length === 1, `expected 1 sampling/createMessage request, got ${samplingRequests.length}`);
      const p = samplingRequests[0].params;
      check(p?.maxTokens === 100, `sampling maxTokens: ${show(p)}`);
      check(p?.messages?.[0]?.role === 'user' && p.messages[0].content?.text === FIXED_SAMPLING_PROMPT, `sampling messages: ${show(p?.messages)}`);
      check(r.content?.[0]?.text === `LLM response: ${SAMPLING_REPLY}`, `unexpected result: ${show(r)}`);
    });

    if (revision >= '2025-06-18') {
      await step('tools/call test_elicitation: server sends elicitation/create, result reports the answer', async () => {
        const r = await callTool({ name: 'test_elicitation', arguments: { message: 'Please provide your information' } });
        check(elicitationRequests.length === 1, `expected 1 elicitation/create request, got ${elicitationRequests.length}`);
        check(elicitationRequests[0].params?.message === 'Please provide your information', `elicitation params: ${show(elicitationRequests[0].params)}`);
        const text = r.content?.[0]?.text ?? '';
        check(text.startsWith('User response: action=accept') && text.includes('testuser'), `unexpected result: ${show(r)}`);
      });
    }

    await step('tools/call test_error_handling: isError true', async () => {
      const r = await callTool({ name: 'test_error_handling', arguments: {} });
      check(r.isError === true, `isError is not true: ${show(r)}`);
      check(r.content?.[0]?.text, `no error text: ${show(r)}`);
    });

    await step('resources/list, resources/templates/list', async () => {
      const { resources } = await client.listResources();
      const uris = resources.map((r) => r.uri);
      for (const u of ['test://static-text', 'test://static-binary']) check(uris.includes(u), `${u} missing from ${show(uris)}`);
      const { resourceTemplates } = await client.listResourceTemplates();
      check(resourceTemplates.some((t) => t.uriTemplate === 'test://template/{id}/data'), `template missing: ${show(resourceTemplates)}`);
    });

    await step('resources/read test://static-text', async () => {
      const r = await client.readResource({ uri: 'test://static-text' });
      check(r.contents?.length === 1, `contents: ${show(r)}`);
      check(r.contents[0].uri === 'test://static-text', `uri: ${show(r.contents[0])}`);
      check(r.contents[0].text === 'This is the content of the static text resource.', `text: ${show(r.contents[0].text)}`);
    });

    await step('resources/read test://template/123/data', async () => {
      const r = await client.readResource({ uri: 'test://template/123/data' });
      check(r.contents?.[0]?.uri === 'test://template/123/data', `contents: ${show(r)}`);
      check(typeof r.contents[0].text === 'string' && r.contents[0].text.includes('123'), `text lacks 123: ${show(r.contents[0])}`);
    });

    await step('prompts/list, prompts/get test_prompt_with_arguments', async () => {
      const { prompts } = await client.listPrompts();
      for (const p of prompts) check(typeof p.description === 'string' && p.description.length > 0, `prompt ${p.name} has no description`);
      const p = prompts.find((x) => x.name === 'test_prompt_with_arguments');
      check(p, `test_prompt_with_arguments missing from ${show(prompts.map((x) => x.name))}`);
      const argNames = (p.arguments ?? []).map((a) => a.name);
      check(show(argNames) === show(['arg1', 'arg2']), `arguments: ${show(p.arguments)}`);
      const r = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'alpha-value', arg2: 'beta-value' } });
      const text = r.messages?.[0]?.content?.text ?? '';
      check(text.includes('alpha-value') && text.includes('beta-value'), `prompt text lacks the arguments: ${show(r)}`);
      check(text === "Prompt with arguments: arg1='alpha-value', arg2='beta-value'", `prompt text: ${show(text)}`);
    });

    await step('completion/complete for test_prompt_with_arguments/arg1', async () => {
      const r = await client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'test' } });
      check(Array.isArray(r.completion?.values), `completion.values: ${show(r)}`);
      check(r.completion.values.every((v) => typeof v === 'string'), `completion values: ${show(r.completion.values)}`);
    });

    await step('ping', async () => {
      const r = await client.ping();
      check(r && typeof r === 'object' && Object.keys(r).length === 0, `ping result is not {}: ${show(r)}`);
    });

    await step('close', async () => {
      if (TRANSPORT === 'http') await inner.terminateSession();
      await client.close();
    });
    if (validator) console.log(`  ok   ${validator.count} server messages valid against the ${validator.schema.revision} schema`);
  } catch (e) {
    console.log(`--- last messages of the session (${label}), -> client to server, <- server to client ---\n${wire.slice(-40).join("\n")}`);
    if (stderrChunks.length) console.log(`--- server stderr (${label}) ---\n${stderrChunks.join('')}`);
    await client.close().catch(() => {});
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------

if (!SCHEMA_DIR) {
  console.log(`NOTE: ${args.spec ?? '(no --spec)'} is absent: the MCP schema files are not available, so the schema validation of server messages is SKIPPED`);
}
try {
  for (const revision of REVISIONS) await runSession(revision);
  console.log(`PASS ${SDK}/${TRANSPORT}: ${REVISIONS.join(', ')}`);
  process.exit(0);
} catch (e) {
  console.log(`FAIL ${e instanceof TestFailure ? e.message : e?.stack ?? e}`);
  process.exit(1);
}
