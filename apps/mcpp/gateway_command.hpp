// `mcpp gateway`: local and remote MCP servers of an mcpServers config behind one authenticated
// Streamable HTTP + legacy SSE endpoint (/mcp, /sse), and each alone at /servers/NAME/mcp.
#pragma once

#include <CLI/CLI.hpp>

// Registers `gateway` (and `gateway accept`) on the app.
void add_gateway_command(CLI::App& app);
