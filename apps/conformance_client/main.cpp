// mcpp-conformance-client: what `conformance client --command ...` runs. The server URL is the
// last argument, the scenario is in MCP_CONFORMANCE_SCENARIO (its extra data, if any, in
// MCP_CONFORMANCE_CONTEXT) and the revision in MCP_CONFORMANCE_PROTOCOL_VERSION: 2026-07-28 lets
// the client choose the era as any application would (server/discover first); a stateful
// revision pins the stateful era at that revision. It does what the scenario expects; OAuth is
// always on (the auth/ scenarios' servers answer 401 and 403).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "mcpp/auth/oauth_client.hpp"
#include "mcpp/client.hpp"

namespace {

namespace asio = boost::asio;
using mcpp::json::object;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Arguments a tool's schema accepts: a plain value for each required property.
object sample_arguments(const mcpp::ToolInfo& tool) {
  object args;
  const mcpp::json::value* props = mcpp::find(tool.input_schema, "properties");
  const mcpp::json::value* required = mcpp::find(tool.input_schema, "required");
  if (!props || !props->is_object() || !required || !required->is_array()) return args;
  for (const auto& name : required->get_array()) {
    if (!name.is_string()) continue;
    const mcpp::json::value* p = mcpp::find(props->get_object(), name.get_string());
    std::string_view type = p ? mcpp::find_string(*p, "type") : std::string_view();
    if (type == "integer" || type == "number") {
      args[name.get_string()] = 1;
    } else if (type == "boolean") {
      args[name.get_string()] = true;
    } else if (type == "object") {
      args[name.get_string()] = object();
    } else if (type == "array") {
      args[name.get_string()] = mcpp::json::array();
    } else {
      args[name.get_string()] = "us-east1";
    }
  }
  return args;
}

mcpp::json::value context_json() {
  std::string text = env("MCP_CONFORMANCE_CONTEXT");
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  mcpp::json::value context = mcpp::json::parse(text, ec);
  if (ec) throw std::runtime_error("MCP_CONFORMANCE_CONTEXT is not JSON: " + ec.message());
  return context;
}

// The client ID metadata document URL the auth/ scenarios expect.
constexpr const char* kClientMetadataUrl = "https://conformance-test.local/client-metadata.json";

// OAuth as any app would configure it, with a user agent that follows the authorization
// server's redirect (the suite's authorization servers grant without a login page) and the
// pre-registered credentials of the scenario's context ({client_id, client_secret, issuer}).
std::shared_ptr<mcpp::auth::OAuthClient> make_oauth(const asio::any_io_executor& ex) {
  mcpp::auth::OAuthOptions o;
  o.redirect_uri = "http://localhost:3000/callback";
  o.user_agent = mcpp::auth::redirect_following_user_agent(ex);
  o.client_metadata_url = kClientMetadataUrl;
  o.client_name = "mcpp-conformance-client";
  mcpp::json::value context = context_json();
  if (std::string id(mcpp::find_string(context, "client_id")); !id.empty()) {
    o.clients.push_back(
        {.issuer = std::string(mcpp::find_string(context, "issuer")),
         .client_id = id,
         .client_secret = std::string(mcpp::find_string(context, "client_secret"))});
  }
  o.http_timeout = std::chrono::seconds(10);
  o.on_progress = [](std::string_view p) { std::cerr << "oauth: " << p << "\n"; };
  o.on_warning = [](std::string_view w) { std::cerr << "oauth: warning: " << w << "\n"; };
  return std::make_shared<mcpp::auth::OAuthClient>(ex, std::move(o));
}

// The tool calls a scenario's context asks for: {"toolCalls": [{"name", "arguments"}]}.
std::vector<std::pair<std::string, object>> context_tool_calls() {
  std::vector<std::pair<std::string, object>> calls;
  mcpp::json::value context = context_json();
  const mcpp::json::value* list = mcpp::find(context, "toolCalls");
  if (!list || !list->is_array()) return calls;
  for (const auto& c : list->get_array()) {
    std::string name(mcpp::find_string(c, "name"));
    const mcpp::json::value* a = mcpp::find(c, "arguments");
    if (!name.empty()) calls.emplace_back(name, a && a->is_object() ? a->get_object() : object());
  }
  return calls;
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
  if (version == "2025-06-18" || version == "2025-11-25") {
    options.protocol_version = version;
    options.era = mcpp::ProtocolEra::kStateful;
  }
  options.on_warning = [](std::string_view w) {
    std::cerr << "mcpp-conformance-client: warning: " << w << "\n";
  };
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
  target.auth = make_oauth(co_await asio::this_coro::executor);
  co_await client.connect(std::move(target));
  std::cerr << "connected: " << mcpp::json::serialize(client.server().server_info) << " "
            << client.server().protocol_version
            << (client.stateless() ? " (stateless)" : " (stateful)") << "\n";
  auto tools = co_await client.list_tools();
  int rc = 0;
  // Scenarios that make several calls.
  std::vector<std::pair<std::string, object>> calls;
  if (scenario == "sep-2322-client-request-state") {
    // An input_required round trip with state, an unrelated call in between, one without state,
    // and a result without resultType.
    for (const char* name : {"test_mrtr_echo_state", "test_mrtr_unrelated", "test_mrtr_no_state",
                             "test_mrtr_no_result_type"}) {
      calls.emplace_back(name, object());
    }
  } else if (scenario == "http-custom-headers") {
    calls = context_tool_calls();
  } else if (scenario == "http-invalid-tool-headers" || scenario == "http-standard-headers") {
    // Every tool the client kept (the invalid ones are left out of the listing).
    for (const auto& t : tools) calls.emplace_back(t.name, sample_arguments(t));
  }
  if (scenario == "http-standard-headers") {
    for (const auto& r : co_await client.list_resources()) {
      auto read = co_await client.read_resource(r.uri);
      std::cout << "read " << r.uri << ": " << read.contents.size() << " item(s)\n";
    }
    for (const auto& p : co_await client.list_prompts()) {
      auto got = co_await client.get_prompt(p.name);
      std::cout << "prompt " << p.name << ": " << got.messages.size() << " message(s)\n";
    }
  }
  if (!calls.empty()) {
    for (auto& [name, arguments] : calls) {
      auto r = co_await client.call_tool(name, std::move(arguments));
      std::cout << name << ": " << r.text() << "\n";
      if (r.is_error) rc = 1;
    }
    co_await client.close();
    co_return rc;
  }
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
  } else if (scenario.starts_with("auth/") && find_tool(tools, "test-tool")) {
    // The auth/ servers check the token on every request (a call may need more scopes).
    tool = "test-tool";
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
