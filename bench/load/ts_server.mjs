// The official TypeScript SDK 1.x server with the same `add` tool as `mcpp serve --fixture bench`,
// for the load harness (bench/load/run.sh). Set up the way the SDK's own examples do it
// (createMcpExpressApp + StreamableHTTPServerTransport, see
// @modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js and
// simpleStatelessStreamableHttp.js), minus their per-request console.log.
//
//   node ts_server.mjs PORT [stateful|stateless]
//
// stateful:  one transport + McpServer per session (Mcp-Session-Id).
// stateless: a fresh McpServer + transport per request (sessionIdGenerator: undefined), as in
//            the SDK's stateless example.
// Responses are the SDK's default, an SSE stream per POST. TS_JSON=1 answers application/json
// instead (enableJsonResponse, as mcpp does) -- but in SDK 1.32.2 that mode leaks: the
// transport never deletes a request's _streamMapping entry when it resolves the JSON response
// (webStandardStreamableHttp.js, send(): stream.cleanup() is only called in SSE mode), so a
// stateful server grows by ~10 KB per request and slows down as the heap grows.
// Prints "ts-sdk: serving http://127.0.0.1:PORT/mcp (MODE)" on stderr once listening.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The SDK lives in the repository's git-ignored .deps/node_modules (scripts/install-deps.sh);
// MCPP_NODE_MODULES overrides.
const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.MCPP_NODE_MODULES || path.resolve(here, '../../.deps/node_modules');
const require = createRequire(path.join(modules, 'noop.js'));
const resolveEsm = (spec) => import(require.resolve(spec));

const { McpServer } = await resolveEsm('@modelcontextprotocol/sdk/server/mcp.js');
const { StreamableHTTPServerTransport } = await resolveEsm(
  '@modelcontextprotocol/sdk/server/streamableHttp.js');
const { createMcpExpressApp } = await resolveEsm('@modelcontextprotocol/sdk/server/express.js');
const { isInitializeRequest } = await resolveEsm('@modelcontextprotocol/sdk/types.js');
const z = await resolveEsm('zod/v4');

const port = Number(process.argv[2] || 18090);
const mode = process.argv[3] || 'stateful';
const JSON_RESPONSES = process.env.TS_JSON === '1';
if (!['stateful', 'stateless'].includes(mode)) {
  console.error(`ts_server.mjs: mode must be stateful or stateless, got ${mode}`);
  process.exit(2);
}

function getServer() {
  const server = new McpServer({ name: 'ts-sdk-bench', version: '1.0.0' });
  server.registerTool(
    'add',
    {
      title: 'Add',
      description: 'Adds two numbers and returns the sum as text',
      inputSchema: { a: z.number(), b: z.number() },
      annotations: { readOnlyHint: true },
    },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  );
  return server;
}

const jsonError = (res, status, code, message) =>
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });

const app = createMcpExpressApp();

if (mode === 'stateful') {
  const transports = new Map();
  app.post('/mcp', async (req, res) => {
    try {
      const sid = req.headers['mcp-session-id'];
      let transport = sid ? transports.get(sid) : undefined;
      if (!transport) {
        if (sid) return jsonError(res, 404, -32001, 'Session not found');
        if (!isInitializeRequest(req.body)) {
          return jsonError(res, 400, -32000, 'Bad Request: No valid session ID provided');
        }
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          enableJsonResponse: JSON_RESPONSES,
          onsessioninitialized: (id) => transports.set(id, transport),
        });
        transport.onclose = () => {
          if (transport.sessionId) transports.delete(transport.sessionId);
        };
        await getServer().connect(transport);
      }
      await transport.handleRequest(req, res, req.body);
    } catch (e) {
      console.error('ts_server.mjs:', e);
      if (!res.headersSent) jsonError(res, 500, -32603, 'Internal server error');
    }
  });
  const streamRequest = async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    const transport = sid && transports.get(sid);
    if (!transport) return jsonError(res, 404, -32001, 'Session not found');
    await transport.handleRequest(req, res);
  };
  app.get('/mcp', streamRequest);
  app.delete('/mcp', streamRequest);
} else {
  app.post('/mcp', async (req, res) => {
    const server = getServer();
    try {
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: JSON_RESPONSES,
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
      res.on('close', () => {
        transport.close();
        server.close();
      });
    } catch (e) {
      console.error('ts_server.mjs:', e);
      if (!res.headersSent) jsonError(res, 500, -32603, 'Internal server error');
    }
  });
}

const listener = app.listen(port, '127.0.0.1', (err) => {
  if (err) {
    console.error(`ts_server.mjs: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  }
  console.error(`ts-sdk: serving http://127.0.0.1:${port}/mcp (${mode}, ${JSON_RESPONSES ? 'JSON' : 'SSE'} responses)`);
});
listener.on('error', (err) => {
  console.error(`ts_server.mjs: cannot listen on 127.0.0.1:${port}: ${err.message}`);
  process.exit(1);
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
