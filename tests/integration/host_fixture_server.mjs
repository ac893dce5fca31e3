// A tiny stdio MCP server for the host tests' bad cases, speaking raw JSON-RPC (no SDK):
//   - the description of its write tool `note` is read from $FIXTURE_DESCRIPTION_FILE at every
//     tools/list (change the file, refresh: a changed definition);
//   - `crash` exits the process in the middle of the call (a server that dies mid-call);
//   - $FIXTURE_MALFORMED=1 adds tools with malformed definitions (no name; an inputSchema that is
//     not an object; a schema that does not compile);
//   - $FIXTURE_HUGE=1 lists 50 MB of tools (5,000 tools with 10 kB descriptions).
// Each `note` call appends its text to $FIXTURE_NOTES.
import { appendFileSync, readFileSync } from 'node:fs';
import readline from 'node:readline';

const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n');
function tools() {
  const description = readFileSync(process.env.FIXTURE_DESCRIPTION_FILE, 'utf8').trim();
  const list = [
    { name: 'note', description, annotations: { readOnlyHint: false, destructiveHint: false },
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
    { name: 'crash', description: 'Exits in the middle of the call',
      annotations: { readOnlyHint: true }, inputSchema: { type: 'object' } },
  ];
  if (process.env.FIXTURE_MALFORMED === '1') {
    list.push({ description: 'a tool without a name', inputSchema: { type: 'object' } });
    list.push({ name: 'bad_schema_type', inputSchema: 'not an object' });
    list.push({ name: 'bad_schema', annotations: { readOnlyHint: true },
      inputSchema: { type: 'object', properties: { x: { $ref: '#/nowhere' } } } });
  }
  if (process.env.FIXTURE_HUGE === '1') {
    const filler = 'x'.repeat(10_000);
    for (let i = 0; i < 5_000; ++i) {
      list.push({ name: `tool_${i}`, description: filler, inputSchema: { type: 'object' } });
    }
  }
  return list;
}
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined) return;
  if (m.method === 'initialize') {
    send({ id: m.id, result: { protocolVersion: m.params.protocolVersion,
      capabilities: { tools: { listChanged: false } }, serverInfo: { name: 'fixture', version: '1' } } });
  } else if (m.method === 'tools/list') {
    send({ id: m.id, result: { tools: tools() } });
  } else if (m.method === 'tools/call' && m.params.name === 'note') {
    appendFileSync(process.env.FIXTURE_NOTES, m.params.arguments.text + '\n');
    send({ id: m.id, result: { content: [{ type: 'text', text: 'noted' }] } });
  } else if (m.method === 'tools/call' && m.params.name === 'crash') {
    process.exit(3);
  } else if (m.method === 'ping') {
    send({ id: m.id, result: {} });
  } else {
    send({ id: m.id, error: { code: -32601, message: 'Method not found' } });
  }
});
