// A small stdio MCP server for the host's tests, whose tools come from outside so a test can
// change them between runs: FAKE_TOOLS_FILE (a JSON array of tool definitions, read at every
// tools/list), else FAKE_TOOL_COUNT generated tools. FAKE_DIE_ON_LIST=1 makes it exit when asked
// for its tools; FAKE_INSTRUCTIONS sets its instructions; FAKE_INIT_DELAY_MS delays its answer to initialize;
// FAKE_LINGER=1 makes it outlive its stdin and ignore SIGTERM (a busy server that must be killed). Speaks the stateful era only.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const send = (message) => process.stdout.write(JSON.stringify(message) + '\n');

function tools() {
  if (process.env.FAKE_TOOLS_FILE) return JSON.parse(readFileSync(process.env.FAKE_TOOLS_FILE, 'utf8'));
  const count = Number(process.env.FAKE_TOOL_COUNT || '1');
  const list = [];
  for (let i = 0; i < count; i++) {
    list.push({ name: `tool_${i}`, description: `Tool number ${i}`, inputSchema: { type: 'object' } });
  }
  return list;
}

if (process.env.FAKE_LINGER === '1') {
  process.on('SIGTERM', () => {});
  setInterval(() => {}, 1000);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return;
  }
  if (request.id === undefined) return;  // a notification
  const reply = (result) => send({ jsonrpc: '2.0', id: request.id, result });
  switch (request.method) {
    case 'initialize':
      return setTimeout(() => reply({
        protocolVersion: request.params.protocolVersion,
        capabilities: { tools: { listChanged: true } },
        serverInfo: { name: 'fake', version: '1.0.0' },
        instructions: process.env.FAKE_INSTRUCTIONS || '',
      }), Number(process.env.FAKE_INIT_DELAY_MS || '0'));
    case 'tools/list':
      if (process.env.FAKE_DIE_ON_LIST === '1') process.exit(3);
      return reply({ tools: tools() });
    case 'tools/call':
      return reply({ content: [{ type: 'text', text: `called ${request.params.name}` }] });
    case 'ping':
      return reply({});
    default:
      return send({ jsonrpc: '2.0', id: request.id, error: { code: -32601, message: `no ${request.method}` } });
  }
});
