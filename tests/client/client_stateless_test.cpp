// mcpp::Client in the stateless era (2026-07-28) against a scripted HTTP server on a loopback
// socket: era detection and fallback to initialize, per-request _meta and headers, version
// retries, input_required rounds answered by the app's handlers, Mcp-Param-* headers and
// x-mcp-header validation, subscriptions/listen.
#include <atomic>

#include "client/request_headers.hpp"
#include "client_test_support.hpp"
#include "mcpp/content.hpp"

namespace mcpp {
namespace {

using testing::eventually;
using testing::Exchange;
using testing::http_response;
using testing::initialize_result;
using testing::json_result;
using testing::run;
using testing::ScriptedHttpServer;
using testing::sse_response;
using namespace std::chrono_literals;

constexpr std::string_view kVersion = "2026-07-28";

json::value id_of(const json::value& msg) {
  const json::value* id = find(msg, "id");
  return id ? *id : json::value(nullptr);
}

json::object discover_result(json::array supported = {"2026-07-28"}) {
  json::object caps{{"tools", json::object{{"listChanged", true}}},
                    {"resources", json::object()},
                    {"prompts", json::object()}};
  json::object meta{{"io.modelcontextprotocol/serverInfo",
                     json::object{{"name", "scripted-modern"}, {"version", "2.0.0"}}}};
  return {{"resultType", "complete"},        {"supportedVersions", std::move(supported)},
          {"capabilities", std::move(caps)}, {"_meta", std::move(meta)},
          {"instructions", "Be nice."},      {"ttlMs", 0},
          {"cacheScope", "private"}};
}

std::string error_response(int status, std::string_view reason, const json::value& id, int code,
                           std::string message, json::value data = nullptr) {
  json::object error{{"code", code}, {"message", std::move(message)}};
  if (!data.is_null()) error["data"] = std::move(data);
  return http_response(
      status, reason,
      json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}}));
}

json::object text_result(std::string text) {
  return {{"resultType", "complete"},
          {"content", json::array{json::object{{"type", "text"}, {"text", std::move(text)}}}}};
}

// A stateless server: server/discover, then `other` for the rest.
ScriptedHttpServer::Script modern(std::function<std::string(const Exchange&)> other) {
  return [other](const Exchange& x) -> std::string {
    if (x.method != "POST") return http_response(405, "Method Not Allowed");
    json::value msg = x.json();
    if (find_string(msg, "method") == "server/discover") {
      return http_response(200, "OK", json_result(id_of(msg), discover_result()));
    }
    return other(x);
  };
}

const json::object& params_of(const json::value& msg) {
  return find(msg, "params")->get_object();
}

const json::object& meta_of(const json::value& msg) {
  return find(params_of(msg), "_meta")->get_object();
}

HttpTarget target_of(const ScriptedHttpServer& server) {
  HttpTarget t;
  t.url = server.url();
  return t;
}

TEST(ClientStateless, DiscoversAndSendsMetaAndHeadersOnEveryRequest) {
  ScriptedHttpServer server(modern([](const Exchange& x) {
    json::value msg = x.json();
    json::value id = id_of(msg);
    std::string_view method = find_string(msg, "method");
    if (method == "tools/list") {
      json::object tool{{"name", "echo"}, {"inputSchema", json::object{{"type", "object"}}}};
      json::object r{{"resultType", "complete"}, {"tools", json::array{tool}}};
      return http_response(200, "OK", json_result(id, r));
    }
    if (method == "tools/call") return http_response(200, "OK", json_result(id, text_result("hi")));
    if (method == "resources/read") {
      json::object r{{"resultType", "complete"}, {"contents", json::array()}};
      return http_response(200, "OK", json_result(id, r));
    }
    return error_response(404, "Not Found", id, -32601, "Method not found");
  }));
  run([&](auto ex) -> Task<void> {
    Client client(ex, {.info = {.name = "stateless-test", .version = "3.1.4"}});
    client.on_elicitation(
        [](const ElicitationRequest&) -> Task<ElicitationResponse> {
          co_return ElicitationResponse::decline();
        },
        true);
    co_await client.connect(target_of(server));
    EXPECT_TRUE(client.stateless());
    EXPECT_TRUE(client.server().stateless);
    EXPECT_EQ(client.server().protocol_version, kVersion);
    EXPECT_EQ(client.server().supported_versions, std::vector<std::string>{"2026-07-28"});
    EXPECT_EQ(find_string(client.server().server_info, "name"), "scripted-modern");
    EXPECT_EQ(client.server().instructions, "Be nice.");
    EXPECT_TRUE(client.server().capabilities.contains("tools"));
    co_await client.set_logging_level("debug");  // no request: goes into _meta
    auto tools = co_await client.list_tools();
    EXPECT_EQ(tools.size(), 1u);
    auto r = co_await client.call_tool("echo");
    EXPECT_EQ(r.text(), "hi");
    co_await client.read_resource("file:///a b/ünï.txt");
    co_await client.ping();  // server/discover in this era
    co_await client.close();
  });
  auto xs = server.exchanges();
  std::vector<std::string> methods = server.methods();
  EXPECT_EQ(methods, (std::vector<std::string>{"server/discover", "tools/list", "tools/call",
                                               "resources/read", "server/discover"}));
  for (const auto& x : xs) {
    ASSERT_EQ(x.method, "POST");  // no GET stream, no DELETE
    json::value msg = x.json();
    const json::object& meta = meta_of(msg);
    EXPECT_EQ(find_string(meta, "io.modelcontextprotocol/protocolVersion"), kVersion);
    EXPECT_EQ(find_string(*find(meta, "io.modelcontextprotocol/clientInfo"), "name"),
              "stateless-test");
    const json::value* caps = find(meta, "io.modelcontextprotocol/clientCapabilities");
    ASSERT_TRUE(caps && caps->is_object());
    EXPECT_TRUE(find(*caps, "elicitation")) << x.body;
    EXPECT_EQ(x.header("mcp-protocol-version"), kVersion);
    EXPECT_EQ(x.header("mcp-method"), find_string(msg, "method"));
    EXPECT_EQ(x.header("mcp-session-id"), "");
    EXPECT_EQ(x.header("accept"), "application/json, text/event-stream");
  }
  // The log level asked for rides along from then on.
  EXPECT_FALSE(meta_of(xs[0].json()).contains("io.modelcontextprotocol/logLevel"));
  EXPECT_EQ(find_string(meta_of(xs[1].json()), "io.modelcontextprotocol/logLevel"), "debug");
  EXPECT_EQ(xs[2].header("mcp-name"), "echo");
  EXPECT_EQ(xs[3].header("mcp-name"),
            "=?base64?" + base64_encode("file:///a b/ünï.txt") + "?=");  // not plain ASCII
  EXPECT_EQ(xs[1].header("mcp-name"), "");                               // tools/list has no name
}

TEST(ClientStateless, RetriesWithAVersionTheServerSupports) {
  std::atomic<int> rejected{0};
  ScriptedHttpServer server([&](const Exchange& x) {
    json::value msg = x.json();
    json::value id = id_of(msg);
    if (rejected++ == 0) {
      json::object data{{"supported", json::array{"2026-07-28"}}, {"requested", "2026-07-28"}};
      return error_response(400, "Bad Request", id, -32022, "Unsupported protocol version",
                            std::move(data));
    }
    return http_response(200, "OK", json_result(id, discover_result()));
  });
  run([&](auto ex) -> Task<void> {
    Client client(ex);
    co_await client.connect(target_of(server));
    EXPECT_TRUE(client.stateless());
    co_await client.close();
  });
  EXPECT_EQ(server.methods(), (std::vector<std::string>{"server/discover", "server/discover"}));
  auto xs = server.exchanges();
  EXPECT_NE(*find(xs[0].json(), "id"), *find(xs[1].json(), "id"));
}

TEST(ClientStateless, ReportsAServerWithNoVersionInCommon) {
  ScriptedHttpServer server([](const Exchange& x) {
    json::object data{{"supported", json::array{"2027-01-01"}}, {"requested", "2026-07-28"}};
    return error_response(400, "Bad Request", id_of(x.json()), -32022,
                          "Unsupported protocol version", std::move(data));
  });
  std::string error;
  run([&](auto ex) -> Task<void> {
    Client client(ex);
    try {
      co_await client.connect(target_of(server));
    } catch (const RpcError& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find("2027-01-01"), std::string::npos) << error;
  // A modern server: no initialize was tried.
  EXPECT_EQ(server.methods(), std::vector<std::string>{"server/discover"});
}

// A stateful server that answers a request without a session with 400 (as the TypeScript SDK
// does) and speaks 2025-11-25 after initialize.
std::string stateful_server(const Exchange& x) {
  if (x.method == "GET") return http_response(405, "Method Not Allowed");
  if (x.method == "DELETE") return http_response(200, "OK");
  json::value msg = x.json();
  std::string_view method = find_string(msg, "method");
  if (method == "initialize") {
    return http_response(200, "OK", json_result(id_of(msg), initialize_result()),
                         "application/json", {"Mcp-Session-Id: s-1"});
  }
  if (x.header("mcp-session-id").empty()) {
    return http_response(400, "Bad Request",
                         R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,)"
                         R"("message":"Bad Request: No valid session ID provided"}})");
  }
  if (method.starts_with("notifications/")) return http_response(202, "Accepted");
  return http_response(200, "OK", json_result(id_of(msg), json::object{{"tools", json::array()}}));
}

TEST(ClientStateless, FallsBackToInitializeAndRemembersTheServerIsStateful) {
  ScriptedHttpServer server(stateful_server);
  run([&](auto ex) -> Task<void> {
    for (int i = 0; i < 2; ++i) {
      Client client(ex);
      co_await client.connect(target_of(server));
      EXPECT_FALSE(client.stateless());
      EXPECT_EQ(client.server().protocol_version, "2025-11-25");
      co_await client.list_tools();
      co_await client.close();
    }
  });
  // The second client knew: no probe.
  EXPECT_EQ(server.methods(),
            (std::vector<std::string>{"server/discover", "initialize", "notifications/initialized",
                                      "tools/list", "initialize", "notifications/initialized",
                                      "tools/list"}));
}

TEST(ClientStateless, PinnedStatelessRefusesAStatefulServer) {
  ScriptedHttpServer server(stateful_server);
  bool failed = false;
  run([&](auto ex) -> Task<void> {
    Client client(ex, {.era = ProtocolEra::kStateless});
    try {
      co_await client.connect(target_of(server));
    } catch (const RpcError&) {
      failed = true;
    }
  });
  EXPECT_TRUE(failed);
  EXPECT_EQ(server.methods(), std::vector<std::string>{"server/discover"});
}

TEST(ClientStateless, AnswersInputRequestsWithTheHandlersAndRetries) {
  // Round 1 asks for an elicitation and a sampling (with state "s1"); round 2 asks for roots
  // (with state "s2"); round 3 completes.
  ScriptedHttpServer server(modern([](const Exchange& x) {
    json::value msg = x.json();
    json::value id = id_of(msg);
    if (find_string(msg, "method") == "tools/list") {
      json::object r{{"resultType", "complete"}, {"tools", json::array()}};
      return http_response(200, "OK", json_result(id, r));
    }
    const json::object& p = params_of(msg);
    std::string_view state = find_string(p, "requestState");
    if (state.empty()) {
      json::object schema{
          {"type", "object"},
          {"properties", json::object{{"name", json::object{{"type", "string"}}},
                                      {"n", json::object{{"type", "integer"}, {"default", 7}}}}}};
      json::object elicit{
          {"method", "elicitation/create"},
          {"params", json::object{{"message", "Name?"}, {"requestedSchema", std::move(schema)}}}};
      json::object sample{{"method", "sampling/createMessage"},
                          {"params", json::object{{"messages", json::array()}, {"maxTokens", 10}}}};
      json::object r{{"resultType", "input_required"},
                     {"inputRequests", json::object{{"who", elicit}, {"llm", sample}}},
                     {"requestState", "s1"}};
      return http_response(200, "OK", json_result(id, r));
    }
    if (state == "s1") {
      json::object roots{{"method", "roots/list"}, {"params", json::object()}};
      json::object r{{"resultType", "input_required"},
                     {"inputRequests", json::object{{"roots", roots}}},
                     {"requestState", "s2"}};
      return http_response(200, "OK", json_result(id, r));
    }
    return http_response(200, "OK", json_result(id, text_result("done")));
  }));
  std::vector<std::string> asked;
  run([&](auto ex) -> Task<void> {
    Client client(ex);
    client.on_elicitation([&](const ElicitationRequest& r) -> Task<ElicitationResponse> {
      asked.push_back("elicit:" + r.message);
      co_return ElicitationResponse::accept({{"name", "Ada"}});
    });
    client.on_sampling([&](const json::object&) -> Task<json::object> {
      asked.emplace_back("sample");
      co_return json::object{{"role", "assistant"},
                             {"model", "m"},
                             {"content", json::object{{"type", "text"}, {"text", "4"}}}};
    });
    client.set_roots({{.uri = "file:///work", .name = "work"}});
    co_await client.connect(target_of(server));
    json::object args{{"x", 1}};
    auto r = co_await client.call_tool("book", std::move(args));
    EXPECT_EQ(r.text(), "done");
    co_await client.close();
  });
  EXPECT_EQ(asked, (std::vector<std::string>{"elicit:Name?", "sample"}));
  auto xs = server.exchanges();
  ASSERT_EQ(xs.size(), 5u);  // discover, tools/list (to learn x-mcp-header), three calls
  EXPECT_EQ(find_string(xs[1].json(), "method"), "tools/list");
  std::set<std::string> ids;
  for (std::size_t i = 2; i < 5; ++i) {
    json::value msg = xs[i].json();
    ids.insert(json::serialize(id_of(msg)));
    const json::object& p = params_of(msg);
    EXPECT_EQ(find_string(p, "name"), "book");
    EXPECT_EQ(*find(p, "arguments"), (json::object{{"x", 1}}));  // the original arguments
    EXPECT_EQ(xs[i].header("mcp-name"), "book");
  }
  EXPECT_EQ(ids.size(), 3u);  // a new id for each retry
  json::value message2 = xs[2].json();
  const json::object& first = params_of(message2);
  EXPECT_FALSE(first.contains("inputResponses"));
  EXPECT_FALSE(first.contains("requestState"));
  json::value message3 = xs[3].json();
  const json::object& second = params_of(message3);
  EXPECT_EQ(find_string(second, "requestState"), "s1");
  const json::object& responses = find(second, "inputResponses")->get_object();
  EXPECT_EQ(*find(responses, "who"),
            (json::object{{"action", "accept"},
                          {"content", json::object{{"name", "Ada"}, {"n", 7}}}}));  // default
  EXPECT_EQ(find_string(*find(responses, "llm"), "model"), "m");
  json::value message4 = xs[4].json();
  const json::object& third = params_of(message4);
  EXPECT_EQ(find_string(third, "requestState"), "s2");
  const json::object& roots = find(third, "inputResponses")->get_object();
  EXPECT_EQ(roots.size(), 1u);  // only this round's answers
  EXPECT_EQ(find_string(find(*find(roots, "roots"), "roots")->get_array()[0], "uri"),
            "file:///work");
}

TEST(ClientStateless, InputRequiredErrors) {
  // No state when the server sends none; a request the client has no handler for fails the
  // call; a server that never stops asking is given up on.
  ScriptedHttpServer server(modern([](const Exchange& x) {
    json::value msg = x.json();
    json::value id = id_of(msg);
    std::string_view tool = find_string(params_of(msg), "name");
    if (find_string(msg, "method") == "tools/list") {
      json::object r{{"resultType", "complete"}, {"tools", json::array()}};
      return http_response(200, "OK", json_result(id, r));
    }
    if (tool == "sampler") {
      json::object sample{{"method", "sampling/createMessage"}, {"params", json::object()}};
      json::object r{{"resultType", "input_required"},
                     {"inputRequests", json::object{{"s", sample}}}};
      return http_response(200, "OK", json_result(id, r));
    }
    if (tool == "forever") {
      json::object r{{"resultType", "input_required"}, {"requestState", "again"}};
      return http_response(200, "OK", json_result(id, r));
    }
    if (tool == "empty") {
      json::object r{{"resultType", "input_required"}};
      return http_response(200, "OK", json_result(id, r));
    }
    return http_response(200, "OK", json_result(id, text_result("?")));
  }));
  std::vector<std::string> errors;
  run([&](auto ex) -> Task<void> {
    ClientOptions o;
    o.max_input_rounds = 3;
    Client client(ex, o);
    co_await client.connect(target_of(server));
    for (const char* tool : {"sampler", "forever", "empty"}) {
      std::string error;
      try {
        co_await client.call_tool(tool);
      } catch (const RpcError& e) {
        error = e.what();
      }
      errors.push_back(error);
    }
    co_await client.close();
  });
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("sampling/createMessage"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("does not support sampling"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("after 3 rounds"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("neither inputRequests nor requestState"), std::string::npos)
      << errors[2];
  int forever_calls = 0;
  for (const auto& x : server.exchanges()) {
    if (find_string(params_of(x.json()), "name") == "forever") ++forever_calls;
  }
  EXPECT_EQ(forever_calls, 4);  // the first call and three retries
}

TEST(ClientStateless, MirrorsXMcpHeaderParametersAndLeavesOutInvalidTools) {
  json::object good_schema{
      {"type", "object"},
      {"properties",
       json::object{
           {"region", json::object{{"type", "string"}, {"x-mcp-header", "Region"}}},
           {"count", json::object{{"type", "integer"}, {"x-mcp-header", "Count"}}},
           {"dry", json::object{{"type", "boolean"}, {"x-mcp-header", "Dry"}}},
           {"note", json::object{{"type", "string"}, {"x-mcp-header", "Note"}}},
           {"opt", json::object{{"type", "string"}, {"x-mcp-header", "Opt"}}},
           {"where",
            json::object{
                {"type", "object"},
                {"properties", json::object{{"zone", json::object{{"type", "string"},
                                                                  {"x-mcp-header", "Zone"}}}}}}},
           {"query", json::object{{"type", "string"}}}}}};
  json::object bad_schema{
      {"type", "object"},
      {"properties",
       json::object{{"score", json::object{{"type", "number"}, {"x-mcp-header", "Score"}}}}}};
  json::array tools{json::object{{"name", "good"}, {"inputSchema", good_schema}},
                    json::object{{"name", "bad"}, {"inputSchema", bad_schema}}};
  ScriptedHttpServer server(modern([tools](const Exchange& x) {
    json::value msg = x.json();
    json::value id = id_of(msg);
    if (find_string(msg, "method") == "tools/list") {
      json::object r{{"resultType", "complete"}, {"tools", tools}};
      return http_response(200, "OK", json_result(id, r));
    }
    return http_response(200, "OK", json_result(id, text_result("ok")));
  }));
  std::vector<std::string> warnings;
  std::vector<std::string> names;
  run([&](auto ex) -> Task<void> {
    ClientOptions o;
    o.on_warning = [&](std::string_view w) { warnings.emplace_back(w); };
    Client client(ex, o);
    co_await client.connect(target_of(server));
    for (const auto& t : co_await client.list_tools()) names.push_back(t.name);
    json::object args{{"region", "us-west1"}, {"count", 42},
                      {"dry", false},         {"note", " padded\t"},
                      {"opt", nullptr},       {"where", json::object{{"zone", "b"}}},
                      {"query", "SELECT 1"}};
    co_await client.call_tool("good", std::move(args));
    co_await client.close();
  });
  EXPECT_EQ(names, std::vector<std::string>{"good"});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("'bad'"), std::string::npos) << warnings[0];
  const Exchange call = server.exchanges().back();
  EXPECT_EQ(call.header("mcp-name"), "good");
  EXPECT_EQ(call.header("mcp-param-region"), "us-west1");
  EXPECT_EQ(call.header("mcp-param-count"), "42");
  EXPECT_EQ(call.header("mcp-param-dry"), "false");
  EXPECT_EQ(call.header("mcp-param-note"), "=?base64?" + base64_encode(" padded\t") + "?=");
  EXPECT_EQ(call.header("mcp-param-zone"), "b");
  EXPECT_EQ(call.headers.count("mcp-param-opt"), 0u);  // null: no header
  EXPECT_EQ(call.headers.count("mcp-param-query"), 0u);
}

TEST(ClientStateless, ListensForListChangedNotifications) {
  std::atomic<int> listens{0};
  ScriptedHttpServer server(modern([&](const Exchange& x) {
    json::value msg = x.json();
    if (find_string(msg, "method") != "subscriptions/listen") {
      return http_response(200, "OK", json_result(id_of(msg), text_result("?")));
    }
    ++listens;
    json::value id = id_of(msg);
    json::object sub_meta{{"io.modelcontextprotocol/subscriptionId", id}};
    json::object ack{
        {"jsonrpc", "2.0"},
        {"method", "notifications/subscriptions/acknowledged"},
        {"params", json::object{{"_meta", sub_meta},
                                {"notifications", *find(params_of(msg), "notifications")}}}};
    json::object changed{{"jsonrpc", "2.0"},
                         {"method", "notifications/tools/list_changed"},
                         {"params", json::object{{"_meta", sub_meta}}}};
    json::object updated{{"jsonrpc", "2.0"},
                         {"method", "notifications/resources/updated"},
                         {"params", json::object{{"_meta", sub_meta}, {"uri", "file:///watched"}}}};
    // The server then ends the subscription gracefully.
    json::object done{{"resultType", "complete"}, {"_meta", sub_meta}};
    // Only what the client asked for: list changes, and updates of subscribed resources.
    bool watched = find(*find(params_of(msg), "notifications"), "resourceSubscriptions");
    std::string events = "data: " + json::serialize(ack) + "\n\n";
    events += "data: " + json::serialize(watched ? updated : changed) + "\n\n";
    events += "data: " + json_result(id, done) + "\n\n";
    return sse_response(events);
  }));
  std::atomic<int> changed{0};
  std::atomic<int> updated{0};
  std::atomic<int> acks{0};
  run([&](auto ex) -> Task<void> {
    Client client(ex);
    client.on_list_changed([&](std::string_view what) {
      if (what == "tools") ++changed;
    });
    client.on_resource_updated([&](std::string_view uri) {
      if (uri == "file:///watched") ++updated;
    });
    client.on_notification("notifications/subscriptions/acknowledged",
                           [&](const json::object&) { ++acks; });
    co_await client.connect(target_of(server));
    EXPECT_TRUE(co_await eventually([&] { return changed >= 1; }));
    co_await client.subscribe_resource("file:///watched");
    EXPECT_TRUE(co_await eventually([&] { return updated >= 1; }));
    co_await client.close();
  });
  EXPECT_GE(acks.load(), 2);
  // The first listen asked for the list changes of what the server has; the second added the
  // resource subscription. Neither sent resources/subscribe.
  std::vector<json::value> filters;
  for (const auto& x : server.exchanges()) {
    json::value msg = x.json();
    EXPECT_NE(find_string(msg, "method"), "resources/subscribe");
    if (find_string(msg, "method") == "subscriptions/listen") {
      filters.push_back(*find(params_of(msg), "notifications"));
      EXPECT_EQ(x.header("mcp-method"), "subscriptions/listen");
    }
  }
  ASSERT_EQ(filters.size(), 2u);
  EXPECT_EQ(filters[0], (json::object{{"toolsListChanged", true},
                                      {"promptsListChanged", true},
                                      {"resourcesListChanged", true}}));
  EXPECT_EQ(*find(filters[1], "resourceSubscriptions"), (json::array{"file:///watched"}));
}

// ---- the header rules on their own ----

TEST(RequestHeaders, RejectsInvalidXMcpHeaderAnnotations) {
  auto prop = [](std::string_view type, json::value header) {
    return json::object{{"type", type}, {"x-mcp-header", std::move(header)}};
  };
  auto schema = [](json::object properties) {
    return json::object{{"type", "object"}, {"properties", std::move(properties)}};
  };
  std::vector<std::pair<std::string, json::object>> bad = {
      {"empty", schema({{"a", prop("string", "")}})},
      {"object", schema({{"a", prop("object", "A")}})},
      {"array", schema({{"a", prop("array", "A")}})},
      {"null", schema({{"a", prop("null", "A")}})},
      {"number", schema({{"a", prop("number", "A")}})},
      {"untyped", schema({{"a", json::object{{"x-mcp-header", "A"}}}})},
      {"not a string", schema({{"a", prop("string", 5)}})},
      {"space", schema({{"a", prop("string", "My Region")}})},
      {"colon", schema({{"a", prop("string", "Region:1")}})},
      {"non-ascii", schema({{"a", prop("string", "Région")}})},
      {"tab", schema({{"a", prop("string", "Region\t1")}})},
      {"duplicate", schema({{"a", prop("string", "Region")}, {"b", prop("string", "region")}})},
      {"in items",
       schema(
           {{"a",
             json::object{{"type", "array"},
                          {"items", json::object{{"type", "object"},
                                                 {"properties",
                                                  json::object{{"b", prop("string", "B")}}}}}}}})},
      {"in anyOf", json::object{{"anyOf", json::array{schema({{"a", prop("string", "A")}})}}}},
      {"in $defs", json::object{{"$defs", json::object{{"d", prop("string", "D")}}}}},
      {"at the root", prop("string", "Root")},
  };
  for (const auto& [why, s] : bad) {
    EXPECT_THROW(param_headers_of(s), std::invalid_argument) << why;
  }
  auto ok = param_headers_of(
      schema({{"a", prop("string", "Tenant-ID")},
              {"n", json::object{{"type", "object"},
                                 {"properties", json::object{{"m", prop("integer", "M")}}}}},
              {"plain",
               json::object{{"type", "string"}, {"default", json::object{{"x-mcp-header", 1}}}}}}));
  ASSERT_EQ(ok.size(), 2u);
  EXPECT_EQ(ok[0].name, "Tenant-ID");
  EXPECT_EQ(ok[1].path, (std::vector<std::string>{"n", "m"}));
  EXPECT_TRUE(param_headers_of(json::object{{"type", "object"}}).empty());
}

TEST(RequestHeaders, EncodesValuesAsTheSpecSays) {
  EXPECT_EQ(encode_header_value("us-west1"), "us-west1");
  EXPECT_EQ(encode_header_value("us west 1"), "us west 1");
  EXPECT_EQ(encode_header_value(""), "");
  EXPECT_EQ(encode_header_value("Hello, 世界"), "=?base64?SGVsbG8sIOS4lueVjA==?=");
  EXPECT_EQ(encode_header_value(" padded "), "=?base64?IHBhZGRlZCA=?=");
  EXPECT_EQ(encode_header_value("line1\nline2"), "=?base64?bGluZTEKbGluZTI=?=");
  EXPECT_EQ(encode_header_value("\tindented"), "=?base64?CWluZGVudGVk?=");
  EXPECT_EQ(encode_header_value("=?base64?literal?="), "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
  EXPECT_EQ(encode_header_value(42), "42");
  EXPECT_EQ(encode_header_value(-7), "-7");
  EXPECT_EQ(encode_header_value(42.0), "42");
  EXPECT_EQ(encode_header_value(true), "true");
  EXPECT_EQ(encode_header_value(false), "false");
  EXPECT_EQ(encode_header_value(3.5), std::nullopt);
  EXPECT_EQ(encode_header_value(nullptr), std::nullopt);
  EXPECT_EQ(encode_header_value(json::object()), std::nullopt);
}

}  // namespace
}  // namespace mcpp
