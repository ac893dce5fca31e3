// Interop at the stateless revision: the official TypeScript SDK 2.x client
// (@modelcontextprotocol/client) against `mcpp serve --fixture conformance`, negotiating
// 2026-07-28 (pinned, or `auto`: server/discover first), over Streamable HTTP or stdio.
// Multi round-trip calls are driven by the SDK's own input_required handling, answered by the
// same elicitation/sampling/roots handlers a 2025 client registers.
//
//   node ts_sdk_modern.mjs --mode pin|auto --transport http|stdio --mcpp PATH --url URL
//
// Exits non-zero on the first failure.
import util from 'node:util';

import * as v2 from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const args = util.parseArgs({
  options: {
    mode: { type: 'string' },
    transport: { type: 'string' },
    mcpp: { type: 'string' },
    url: { type: 'string' },
  },
}).values;
const label = `v2/${args.transport}/${args.mode}`;
const fail = (msg) => {
  console.error(`FAIL [${label}] ${msg}`);
  process.exit(1);
};
const check = (cond, msg) => cond || fail(msg);
const show = (v) => JSON.stringify(v);

async function step(name, fn) {
  try {
    const r = await fn();
    console.log(`  ok   ${name}`);
    return r;
  } catch (e) {
    fail(`${name}: ${e?.stack ?? e}`);
  }
}

const negotiation = args.mode === 'pin' ? { mode: { pin: '2026-07-28' } } : { mode: 'auto' };
const client = new v2.Client(
  { name: 'mcpp-interop', version: '1.0.0' },
  {
    capabilities: { elicitation: {}, sampling: {}, roots: {} },
    versionNegotiation: negotiation,
  },
);
const asked = [];
client.setRequestHandler('elicitation/create', (req) => {
  asked.push(req.params.message);
  const props = Object.keys(req.params.requestedSchema?.properties ?? {});
  const content = {};
  for (const p of props) content[p] = p === 'ok' ? true : `answer-${p}`;
  return { action: 'accept', content };
});
client.setRequestHandler('sampling/createMessage', () => ({
  role: 'assistant',
  content: { type: 'text', text: 'Paris' },
  model: 'test-model',
  stopReason: 'endTurn',
}));
client.setRequestHandler('roots/list', () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));

const transport =
  args.transport === 'stdio'
    ? new StdioClientTransport({ command: args.mcpp, args: ['serve', '--stdio', '--fixture', 'conformance'] })
    : new v2.StreamableHTTPClientTransport(new URL(args.url));

await step('connect negotiates 2026-07-28', async () => {
  await client.connect(transport);
  const v = client.getNegotiatedProtocolVersion();
  check(v === '2026-07-28', `negotiated ${show(v)}`);
});

await step('tools/list', async () => {
  const r = await client.listTools();
  const names = r.tools.map((t) => t.name);
  for (const n of ['test_simple_text', 'test_input_required_result_multi_round', 'test_header_params']) {
    check(names.includes(n), `tools/list lacks ${n}: ${show(names)}`);
  }
});

await step('tools/call test_simple_text', async () => {
  const r = await client.callTool({ name: 'test_simple_text', arguments: {} });
  check(r.content?.[0]?.text === 'This is a simple text response for testing.', show(r));
});

await step('tools/call with x-mcp-header parameters', async () => {
  const r = await client.callTool({
    name: 'test_header_params',
    arguments: { region: 'Zürich west', priority: 7, query: 'q' },
  });
  check(!r.isError && r.content?.[0]?.text?.includes('Zürich west'), show(r));
});

await step('tools/call through two input_required rounds (multi-round elicitation)', async () => {
  asked.length = 0;
  const r = await client.callTool({ name: 'test_input_required_result_multi_round', arguments: {} });
  check(r.content?.[0]?.text === 'name=answer-name, color=answer-color', show(r));
  check(asked.length === 2, `the elicitation handler ran ${asked.length} times: ${show(asked)}`);
});

await step('tools/call asking three things at once (elicitation, sampling, roots)', async () => {
  const r = await client.callTool({ name: 'test_input_required_result_multiple_inputs', arguments: {} });
  check(r.content?.[0]?.text === 'name=answer-name, greeting=Paris, roots=file:///work', show(r));
});

await step('prompts/get with an input_required round', async () => {
  const r = await client.getPrompt({ name: 'test_input_required_result_prompt', arguments: {} });
  check(r.messages?.[0]?.content?.text?.includes('answer-context'), show(r));
});

await step('tools/call test_tool_with_progress reports progress', async () => {
  const progress = [];
  const r = await client.callTool(
    { name: 'test_tool_with_progress', arguments: {} },
    { onprogress: (p) => progress.push(p) },
  );
  check(!r.isError, show(r));
  // The server writes 0, 50 and 100 before the result. When the last one and the result arrive
  // in one read, the SDK may retire the handler first and drop it (typescript-sdk issue #2580;
  // ts_sdk_clients.mjs pins the wire order with a tap), so the last one is not required here.
  const values = progress.map((p) => p.progress);
  check(values.length >= 2 && show(values) === show([0, 50, 100].slice(0, values.length)), `progress: ${show(progress)}`);
});

await step('resources/read and a missing resource (-32602)', async () => {
  const r = await client.readResource({ uri: 'test://static-text' });
  check(r.contents?.[0]?.text?.length > 0, show(r));
  try {
    await client.readResource({ uri: 'test://no-such-resource' });
    fail('reading a missing resource succeeded');
  } catch (e) {
    check(e?.code === -32602, `expected -32602, got ${e?.code}: ${e?.message}`);
  }
});

await step('completion/complete', async () => {
  const r = await client.complete({
    ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
    argument: { name: 'arg1', value: 'test' },
  });
  check(r.completion.values.includes('test-value-1'), show(r));
});

await client.close();
console.log(`PASS [${label}]`);
process.exit(0);
