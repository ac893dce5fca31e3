// The gateway's `confirm` policy seen from a real client (the TypeScript SDK 1.x): a call of a
// confirm tool first reaches the client as an elicitation showing the arguments; accepted, the
// call runs upstream; declined, it never does.
//   node gateway_confirm.mjs URL accept|decline
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const [url, answer] = process.argv.slice(2);
const asked = [];
const client = new Client({ name: 'confirm-test', version: '1' }, { capabilities: { elicitation: {} } });
client.setRequestHandler(ElicitRequestSchema, async (req) => {
  asked.push(req.params.message);
  return answer === 'accept' ? { action: 'accept', content: {} } : { action: 'decline' };
});
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const call = await client.callTool({ name: 'remember', arguments: { value: 'confirmed-value' } });
const recall = await client.callTool({ name: 'recall', arguments: {} });
await client.close();
const text = (r) => r.content.map((c) => c.text).join('\n');
console.log(JSON.stringify({ asked, isError: call.isError ?? false, call: text(call), recall: text(recall) }));
