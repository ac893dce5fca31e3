// The client commands of the mcpp CLI (tools, resources, prompts, ping): an inspector for any
// MCP server given as a URL, a command after `--`, or a server of a Claude Desktop config file.
#pragma once

#include <CLI/CLI.hpp>

// Registers the subcommands on `app`. Each one runs its command inside the parse and ends it with
// CLI::RuntimeError carrying the exit code (0 ok, 1 tool error or protocol error, 2 usage,
// 3 server unreachable or transport error), so main() returns it without doing anything else.
void add_client_commands(CLI::App& app);
