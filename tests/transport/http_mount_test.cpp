// Several Servers on one HttpServer (HttpOptions::mounts): each under its own path prefix, with
// its own tools and sessions, over Streamable HTTP and legacy SSE; and the session-closed hook.
#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "http_test_client.hpp"

namespace mcpp {
namespace {

using testing::HttpClient;
using testing::Response;
using testing::RunningHttpServer;
namespace http = testing::http;

void add_named_tool(Server& s, std::string name) {
  s.add_tool({.name = name, .input_schema = {{"type", "object"}}},
             [name](const json::object&, Context&) -> Task<ToolResult> {
               co_return ToolResult::text("from " + name);
             });
}

json::value initialize_body() {
  return {{"jsonrpc", "2.0"},
          {"id", 0},
          {"method", "initialize"},
          {"params",
           {{"protocolVersion", "2025-11-25"},
            {"capabilities", json::object{}},
            {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}};
}

// Initializes a session at `endpoint` and returns the names of the tools listed there.
std::set<std::string> tools_at(HttpClient& c, const std::string& endpoint) {
  Response init = c.post(initialize_body(), {}, endpoint);
  EXPECT_EQ(init.result(), http::status::ok) << init.body();
  c.session_id = std::string(init["Mcp-Session-Id"]);
  c.protocol_version = "2025-11-25";
  c.post(json::value{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, {}, endpoint);
  Response list = c.post(HttpClient::request_body(1, "tools/list", {}), {}, endpoint);
  std::set<std::string> names;
  json::value body = json::parse(list.body());
  for (const auto& t : body.at("result").at("tools").as_array()) {
    names.insert(std::string(t.at("name").as_string()));
  }
  return names;
}

TEST(HttpMounts, EachPrefixServesItsOwnServer) {
  Server root, memory, files;
  add_named_tool(root, "root_tool");
  add_named_tool(memory, "memory_tool");
  add_named_tool(files, "files_tool");
  HttpOptions o;
  o.mounts = {{"/servers/memory", &memory}, {"/servers/files", &files}};
  RunningHttpServer server(root, o);

  HttpClient a(server.port()), b(server.port()), c(server.port());
  EXPECT_EQ(tools_at(a, "/mcp"), std::set<std::string>{"root_tool"});
  EXPECT_EQ(tools_at(b, "/servers/memory/mcp"), std::set<std::string>{"memory_tool"});
  EXPECT_EQ(tools_at(c, "/servers/files/mcp"), std::set<std::string>{"files_tool"});

  // A session belongs to the server that made it: the memory session is unknown at /mcp.
  Response foreign = b.post(HttpClient::request_body(2, "tools/list", {}), {}, "/mcp");
  EXPECT_EQ(foreign.result(), http::status::not_found) << foreign.body();

  // A path under no mount and no endpoint is still a 404.
  HttpClient d(server.port());
  Response none = d.post(initialize_body(), {}, "/servers/absent/mcp");
  EXPECT_EQ(none.result(), http::status::not_found);
}

TEST(HttpMounts, LegacySseUnderAPrefixPointsToItsOwnMessagesEndpoint) {
  Server root, memory;
  add_named_tool(memory, "memory_tool");
  HttpOptions o;
  o.mounts = {{"/servers/memory", &memory}};
  RunningHttpServer server(root, o);
  HttpClient stream(server.port());
  Response head = stream.open_get({}, "/servers/memory/sse");
  EXPECT_EQ(head.result(), http::status::ok);
  auto endpoint = stream.next_event();
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->event, "endpoint");
  EXPECT_TRUE(endpoint->data.starts_with("/servers/memory/messages?session_id=")) << endpoint->data;
}

TEST(HttpMounts, BadMountsAreRefused) {
  Server root, other;
  for (std::string prefix : {"", "servers/x", "/servers/x/"}) {
    HttpOptions o;
    o.port = 0;
    o.mounts = {{prefix, &other}};
    EXPECT_THROW(HttpServer(root, o), std::invalid_argument) << prefix;
  }
  HttpOptions o;
  o.mounts = {{"/x", nullptr}};
  EXPECT_THROW(HttpServer(root, o), std::invalid_argument);
}

TEST(SessionClosedHook, CalledOnceWithTheSessionIdOnDelete) {
  std::mutex mu;
  std::vector<std::string> closed;
  ServerOptions so;
  so.on_session_closed = [&](std::string_view id) {
    std::lock_guard lock(mu);
    closed.emplace_back(id);
  };
  Server s(so);
  add_named_tool(s, "t");
  RunningHttpServer server(s);
  HttpClient c(server.port());
  c.initialize();
  std::string id = c.session_id;
  Response del = c.request(http::verb::delete_, "/mcp", "", {});
  EXPECT_EQ(del.result(), http::status::ok) << del.body();
  std::lock_guard lock(mu);
  EXPECT_EQ(closed, std::vector<std::string>{id});
}

}  // namespace
}  // namespace mcpp
