// The `mcpServers` config files other MCP hosts write, read into one list of servers: Claude
// Desktop and Cursor (`command`, `args`, `env`, `cwd`; `url`), VS Code and the Inspector (`type`
// stdio|http|sse, `url`, `headers`; VS Code's top-level key is `servers`), Cherry Studio (`type`
// streamableHttp, `baseUrl`) and Windsurf (`serverUrl`). One parser for the CLI's --config, the
// host's `connectors import` and the gateway.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpp {

// One server of a config file: a command (stdio) or a URL (HTTP).
struct ServerConfigEntry {
  std::string name;  // its key in the file
  // stdio
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string cwd;
  // HTTP
  std::string url;
  std::string transport = "auto";  // "auto", "streamable-http" or "sse"
  std::vector<std::pair<std::string, std::string>> headers;

  bool is_stdio() const { return !command.empty(); }
};

// Every server of a file, in the file's order, and what the parser did not understand.
struct ServerConfig {
  std::vector<ServerConfigEntry> servers;
  // Unknown keys and ignored entries ("fileName: server 'x': unknown key \"foo\" ignored").
  std::vector<std::string> warnings;
  // The names, comma-separated, for messages.
  std::string names() const;
  const ServerConfigEntry* find(std::string_view name) const;
};

// The file is not JSON, has no servers, or a server has a bad shape. The message names the file,
// the server and the key.
class ServerConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses the text of a config file; `source` (its path) prefixes every message. Throws
// ServerConfigError.
ServerConfig parse_server_config(std::string_view text, std::string_view source);

// Reads and parses a config file. Throws ServerConfigError (also when it cannot be read).
ServerConfig read_server_config(const std::string& path);

}  // namespace mcpp
