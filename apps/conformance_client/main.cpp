// mcpp-conformance-client: what `conformance client --command ...` runs. The server URL is the
// last argument, the scenario is in MCP_CONFORMANCE_SCENARIO; it does what the scenario expects.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "mcpp/client.hpp"

namespace {

namespace asio = boost::asio;
using mcpp::json::object;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

const mcpp::ToolInfo* find_tool(const std::vector<mcpp::ToolInfo>& tools, std::string_view name) {
  for (const auto& t : tools) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

mcpp::Task<int> run(std::string url, std::string scenario) {
  mcpp::ClientOptions options;
  options.info = {.name = "mcpp-conformance-client", .version = "0.1.0"};
  std::string version = env("MCP_CONFORMANCE_PROTOCOL_VERSION");
  if (version == "2025-06-18" || version == "2025-11-25") options.protocol_version = version;
  mcpp::Client client(co_await asio::this_coro::executor, options);

  // Accept every form, leaving fields out so the SDK fills in the schema's defaults.
  client.on_elicitation(
      [](const mcpp::ElicitationRequest&) -> mcpp::Task<mcpp::ElicitationResponse> {
        co_return mcpp::ElicitationResponse::accept();
      });
  client.on_sampling([](const object&) -> mcpp::Task<object> {
    co_return object{{"role", "assistant"},
                     {"content", object{{"type", "text"}, {"text", "A sampled answer."}}},
                     {"model", "mcpp-conformance"},
                     {"stopReason", "endTurn"}};
  });
  client.set_roots({{.uri = "file:///tmp/mcpp-conformance", .name = "conformance"}});

  mcpp::HttpTarget target;
  target.url = url;
  co_await client.connect(std::move(target));
  std::cerr << "connected: " << mcpp::json::serialize(client.server().server_info) << " "
            << client.server().protocol_version << "\n";
  auto tools = co_await client.list_tools();
  int rc = 0;
  // (Arguments are built before co_await: GCC 12 miscompiles braced JSON inside it.)
  std::string tool;
  object args;
  if (scenario == "tools_call") {
    tool = "add_numbers";
    args = object{{"a", 5}, {"b", 3}};
  } else if (scenario == "elicitation-sep1034-client-defaults") {
    tool = "test_client_elicitation_defaults";
  } else if (scenario == "sse-retry") {
    tool = "test_reconnection";
  } else if (scenario == "json-schema-2020-12-preservation") {
    const mcpp::ToolInfo* focal = find_tool(tools, "json_schema_2020_12_tool");
    if (!focal) throw std::runtime_error("the server has no json_schema_2020_12_tool");
    tool = "json_schema_echo";
    args = object{{"schema", focal->input_schema}};
  }
  if (!tool.empty()) {
    auto r = co_await client.call_tool(tool, std::move(args));
    std::cout << tool << ": " << r.text() << "\n";
    if (r.is_error) rc = 1;
  } else {
    // initialize, and any scenario without more to do: the handshake and a listing.
    for (const auto& t : tools) std::cout << "tool: " << t.name << "\n";
  }
  co_await client.close();
  co_return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: mcpp-conformance-client [args...] SERVER_URL\n"
                 "(the scenario comes from MCP_CONFORMANCE_SCENARIO)\n";
    return 2;
  }
  std::string url = argv[argc - 1];
  std::string scenario = env("MCP_CONFORMANCE_SCENARIO");
  asio::io_context io;
  int rc = 1;
  asio::co_spawn(io, run(url, scenario), [&](std::exception_ptr e, int result) {
    if (!e) {
      rc = result;
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::cerr << "mcpp-conformance-client: " << ex.what() << "\n";
    }
    rc = 1;
  });
  io.run();
  return rc;
}
