// `mcpp gateway`'s configuration: the `mcpServers` file people already have (read by the shared
// parser, src/client/server_config.hpp) plus per-server keys of the gateway: which tools to
// expose, their prefix, child isolation, timeout, environment passthrough, restarts and the
// per-tool policy (allow | deny | confirm).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "client/server_config.hpp"
#include "host/policy.hpp"

namespace mcpp::gateway {

// How children of a stdio server are shared between the gateway's clients.
enum class Isolation {
  kSession,  // one child per client session: one user's state never reaches another
  kShared,   // one child for every client (stateless servers)
};

struct UpstreamConfig {
  ServerConfigEntry server;  // where it is (command or URL), env, headers
  // Tool names (globs with * and ?) to expose; empty allow = all. Deny wins.
  std::vector<std::string> allow_tools;
  std::vector<std::string> deny_tools;
  // Prepended to its tool and prompt names on the aggregate endpoint (/mcp); default
  // "<name>__". The per-server endpoint (/servers/<name>/mcp) never prefixes.
  std::string prefix;
  Isolation isolation = Isolation::kSession;
  std::chrono::milliseconds timeout{60'000};  // per forwarded request
  // Names of the gateway's environment variables a stdio child may see, beside its `env`.
  std::vector<std::string> env_passthrough;
  // Restarts of a child that keeps dying: at most this many within restart_window, with a
  // backoff doubling from 250 ms; then calls fail until the window has passed.
  int max_restarts = 5;
  std::chrono::milliseconds restart_window{60'000};
  // Per-tool rules "allow|deny|confirm TOOL-GLOB" (confirm asks the person through an
  // elicitation before the call goes upstream); as host::PolicyRule with the server's name as
  // connector and kAsk for confirm.
  std::vector<host::PolicyRule> policy;

  const std::string& name() const { return server.name; }
  // The tool is exposed (allow/deny globs).
  bool exposes(std::string_view tool) const;
};

struct GatewayConfig {
  std::vector<UpstreamConfig> upstreams;
  std::vector<std::string> warnings;  // unknown keys and the like, for the log
  const UpstreamConfig* find(std::string_view name) const;
};

// Parses a gateway config file's text (`source` names it in messages). Throws
// ServerConfigError naming the file, server and key.
GatewayConfig parse_gateway_config(std::string_view text, std::string_view source);
GatewayConfig read_gateway_config(const std::string& path);

}  // namespace mcpp::gateway
