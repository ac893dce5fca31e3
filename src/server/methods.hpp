// The MCP methods both protocol eras share (lists, calls, reads, prompts, completion), written
// once against the registries; the stateful session and the stateless dispatcher wrap them.
#pragma once

#include <string>
#include <string_view>

#include "mcpp/server.hpp"
#include "server/server_impl.hpp"

namespace mcpp::methods {

// params[key] as a string, or -32602 naming the method.
std::string require_string(const json::object& params, std::string_view key,
                           std::string_view method);

// The server's capabilities and identity as a revision shows them.
json::object capabilities(std::string_view version);
json::object server_info(const ServerOptions& options, std::string_view version);

json::object list_tools(const Server::Impl& server, std::string_view version,
                        const json::object& params);
json::object list_resources(const Server::Impl& server, std::string_view version,
                            const json::object& params);
json::object list_templates(const Server::Impl& server, std::string_view version,
                            const json::object& params);
json::object list_prompts(const Server::Impl& server, std::string_view version,
                          const json::object& params);

// The caching hints of a read: the resource's (or template's) own, else the server default.
struct ReadOutcome {
  json::object result;
  CacheHint cache;
};
Task<json::object> call_tool(const Server::Impl& server, const json::object& params, Context& ctx);
Task<ReadOutcome> read_resource(const Server::Impl& server, const json::object& params,
                                Context& ctx);
Task<json::object> get_prompt(const Server::Impl& server, const json::object& params, Context& ctx);
json::object complete(const Server::Impl& server, const json::object& params);

}  // namespace mcpp::methods
