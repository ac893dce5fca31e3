// The client's Streamable HTTP wire behaviour against a scripted server: headers, session ids,
// 401 with resource metadata, re-initialize after a 404, SSE resumption honouring `retry`,
// version negotiation and DELETE on close.
#include "client_test_support.hpp"

namespace mcpp {
namespace {

using testing::Exchange;
using testing::http_response;
using testing::initialize_result;
using testing::json_result;
using testing::run;
using testing::ScriptedHttpServer;
using testing::sse_response;
using namespace std::chrono_literals;

// Answers the handshake (with session `sid`), 405 to GET, 200 to DELETE, and `other` for the rest.
ScriptedHttpServer::Script handshake_then(std::string sid,
                                          std::function<std::string(const Exchange&)> other,
                                          std::string version = "2025-11-25") {
  return [sid, other, version](const Exchange& x) -> std::string {
    if (x.method == "GET") return http_response(405, "Method Not Allowed");
    if (x.method == "DELETE") return http_response(200, "OK");
    json::value msg = x.json();
    std::string_view method = find_string(msg, "method");
    if (method == "initialize") {
      return http_response(200, "OK", json_result(*find(msg, "id"), initialize_result(version)),
                           "application/json", {"Mcp-Session-Id: " + sid});
    }
    if (method.starts_with("notifications/")) return http_response(202, "Accepted");
    return other(x);
  };
}

TEST(ClientWire, SendsTheHeadersTheSpecAsksFor) {
  ScriptedHttpServer server(handshake_then("session-1", [](const Exchange& x) {
    return http_response(
        200, "OK", json_result(*find(x.json(), "id"), json::object{{"tools", json::array{}}}));
  }));
  run([&](auto ex) -> Task<void> {
    Client client(
        ex, {.info = {.name = "wire-test", .version = "1.2.3"}, .era = ProtocolEra::kStateful});
    HttpTarget t;
    t.url = server.url();
    t.bearer_token = "sekret";
    t.headers = {{"X-Tenant", "blue"}};
    co_await client.connect(t);
    co_await client.list_tools();
    co_await client.close();
  });
  auto xs = server.exchanges();
  ASSERT_GE(xs.size(), 4u);
  const Exchange& init = xs[0];
  EXPECT_EQ(init.method, "POST");
  EXPECT_EQ(init.header("accept"), "application/json, text/event-stream");
  EXPECT_EQ(init.header("content-type"), "application/json");
  EXPECT_EQ(init.header("authorization"), "Bearer sekret");
  EXPECT_EQ(init.header("x-tenant"), "blue");
  EXPECT_EQ(init.header("mcp-session-id"), "");
  EXPECT_EQ(init.header("mcp-protocol-version"), "");
  json::value params = *find(init.json(), "params");
  EXPECT_EQ(find_string(params, "protocolVersion"), "2025-11-25");
  EXPECT_EQ(find_string(*find(params, "clientInfo"), "name"), "wire-test");
  EXPECT_EQ(find_string(*find(params, "clientInfo"), "version"), "1.2.3");
  for (std::size_t i = 1; i < xs.size(); ++i) {
    EXPECT_EQ(xs[i].header("mcp-session-id"), "session-1") << xs[i].method << " " << xs[i].body;
    EXPECT_EQ(xs[i].header("mcp-protocol-version"), "2025-11-25");
    EXPECT_EQ(xs[i].header("authorization"), "Bearer sekret");
  }
  EXPECT_EQ(find_string(xs[1].json(), "method"), "notifications/initialized");
  EXPECT_EQ(xs.back().method, "DELETE");
}

TEST(ClientWire, Reports401WithWhereToAuthorize) {
  ScriptedHttpServer server([](const Exchange&) {
    return http_response(
        401, "Unauthorized", R"({"error":"invalid_token","error_description":"No token"})",
        "application/json",
        {"WWW-Authenticate: Bearer realm=\"mcp\", "
         "resource_metadata=\"http://127.0.0.1/.well-known/oauth-protected-resource/mcp\""});
  });
  try {
    run([&](auto ex) -> Task<void> {
      Client client(ex, testing::stateful_options());
      HttpTarget t;
      t.url = server.url();
      co_await client.connect(t);
    });
    FAIL() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind(), TransportError::Kind::kHttpStatus);
    EXPECT_EQ(e.http_status(), 401);
    EXPECT_EQ(e.resource_metadata(), "http://127.0.0.1/.well-known/oauth-protected-resource/mcp");
    EXPECT_NE(std::string(e.what()).find("HTTP 401"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No token"), std::string::npos) << e.what();
  }
  // 401 is not a reason to try the legacy transport.
  for (const auto& x : server.exchanges()) EXPECT_EQ(x.method, "POST");
}

TEST(ClientWire, ReinitializesWhenTheSessionExpired) {
  std::atomic<int> sessions{0};
  ScriptedHttpServer server([&](const Exchange& x) -> std::string {
    if (x.method == "GET") return http_response(405, "Method Not Allowed");
    if (x.method == "DELETE") return http_response(200, "OK");
    json::value msg = x.json();
    std::string_view method = find_string(msg, "method");
    if (method == "initialize") {
      int n = ++sessions;
      return http_response(200, "OK", json_result(*find(msg, "id"), initialize_result()),
                           "application/json", {"Mcp-Session-Id: s" + std::to_string(n)});
    }
    if (method.starts_with("notifications/")) return http_response(202, "Accepted");
    if (x.header("mcp-session-id") == "s1") return http_response(404, "Not Found");
    return http_response(200, "OK",
                         json_result(*find(msg, "id"), json::object{{"tools", json::array{}}}));
  });
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    HttpTarget t;
    t.url = server.url();
    co_await client.connect(t);
    auto tools = co_await client.list_tools();
    EXPECT_TRUE(tools.empty());
    co_await client.close();
  });
  EXPECT_EQ(sessions.load(), 2);
  std::vector<std::string> expected{"initialize", "notifications/initialized", "tools/list",
                                    "initialize", "notifications/initialized", "tools/list"};
  EXPECT_EQ(server.methods(), expected);
}

TEST(ClientWire, ResumesAStreamWithLastEventIdAfterRetry) {
  std::atomic<std::int64_t> closed_at{0};
  std::atomic<std::int64_t> resumed_at{0};
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  json::value call_id;
  std::vector<std::string> logs;
  std::string text;
  // The tool call's stream ends after two events; GET with Last-Event-ID resumes it.
  ScriptedHttpServer both([&](const Exchange& x) -> std::string {
    if (x.method == "GET" && !x.header("last-event-id").empty()) {
      EXPECT_EQ(x.header("last-event-id"), "e2");
      EXPECT_EQ(x.header("accept"), "text/event-stream");
      EXPECT_EQ(x.header("mcp-session-id"), "s");
      resumed_at = now_ms();
      json::object result{
          {"content", json::array{json::object{{"type", "text"}, {"text", "resumed"}}}}};
      return sse_response("id: e3\ndata: " + json_result(call_id, std::move(result)) + "\n\n");
    }
    json::value msg = x.json();
    if (x.method == "POST" && find_string(msg, "method") == "tools/call") {
      call_id = *find(msg, "id");
      closed_at = now_ms();
      return sse_response(
          "id: e1\nretry: 300\ndata: \n\n"
          "id: e2\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
          "\"params\":{\"level\":\"info\",\"data\":\"working\"}}\n\n");
    }
    return handshake_then("s",
                          [](const Exchange&) { return http_response(400, "Bad Request"); })(x);
  });
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    client.on_log_message([&](const LogMessage& m) { logs.push_back(m.data.as_string().c_str()); });
    HttpTarget t;
    t.url = both.url();
    co_await client.connect(t);
    CallToolResult r = co_await client.call_tool("slow");
    text = r.text();
    co_await client.close();
  });
  EXPECT_EQ(text, "resumed");
  EXPECT_EQ(logs, std::vector<std::string>{"working"});
  EXPECT_GE(resumed_at - closed_at, 280);  // waited for `retry` (300 ms), give or take a tick
}

TEST(ClientWire, GivesUpOnAStreamWithoutEventIds) {
  ScriptedHttpServer server(
      handshake_then("s", [](const Exchange&) { return sse_response(": just a comment\n\n"); }));
  try {
    run([&](auto ex) -> Task<void> {
      Client client(ex, testing::stateful_options());
      HttpTarget t;
      t.url = server.url();
      co_await client.connect(t);
      co_await client.call_tool("x");
    });
    FAIL() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind(), TransportError::Kind::kClosed);
    EXPECT_NE(std::string(e.what()).find("before answering"), std::string::npos) << e.what();
  }
}

TEST(ClientWire, SpeaksAnOlderVersionTheServerChose) {
  ScriptedHttpServer server(handshake_then(
      "s",
      [](const Exchange& x) {
        return http_response(200, "OK", json_result(*find(x.json(), "id"), json::object()));
      },
      "2025-06-18"));
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    HttpTarget t;
    t.url = server.url();
    co_await client.connect(t);
    EXPECT_EQ(client.server().protocol_version, "2025-06-18");
    co_await client.ping();
    co_await client.close();
  });
  auto xs = server.exchanges();
  EXPECT_EQ(xs.at(2).header("mcp-protocol-version"), "2025-06-18");
}

TEST(ClientWire, RefusesAVersionItDoesNotSpeak) {
  ScriptedHttpServer server(handshake_then(
      "s", [](const Exchange&) { return http_response(400, "Bad Request"); }, "1999-01-01"));
  try {
    run([&](auto ex) -> Task<void> {
      Client client(ex, testing::stateful_options());
      HttpTarget t;
      t.url = server.url();
      co_await client.connect(t);
    });
    FAIL() << "expected an RpcError";
  } catch (const RpcError& e) {
    EXPECT_NE(std::string(e.what()).find("1999-01-01"), std::string::npos) << e.what();
  }
}

TEST(ClientWire, AnswersServerRequestsAndPingsOverTheEventStream) {
  // The standalone GET stream carries a ping from the server; the client answers with a POST.
  std::atomic<bool> answered{false};
  ScriptedHttpServer server([&](const Exchange& x) -> std::string {
    if (x.method == "GET") {
      return sse_response("data: {\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"ping\"}\n\n");
    }
    if (x.method == "DELETE") return http_response(200, "OK");
    json::value msg = x.json();
    std::string_view method = find_string(msg, "method");
    if (method == "initialize") {
      return http_response(200, "OK", json_result(*find(msg, "id"), initialize_result()));
    }
    if (method.empty() && find(msg, "result") && find_string(msg, "id") == "srv-1") {
      answered = true;
    }
    return http_response(202, "Accepted");
  });
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    HttpTarget t;
    t.url = server.url();
    co_await client.connect(t);
    EXPECT_TRUE(co_await testing::eventually([&] { return answered.load(); }));
    co_await client.close();
  });
}

}  // namespace
}  // namespace mcpp
