// Streamable HTTP over a real socket: sessions, POST answered as JSON or SSE, status codes for
// every refusal, and limits on bodies and JSON.
#include <gtest/gtest.h>

#include "http_test_client.hpp"

namespace mcpp {
namespace {

using testing::HttpClient;
using testing::parse_body;
using testing::Response;
using testing::RunningHttpServer;
using testing::SseEvent;
namespace http = testing::http;
using namespace std::chrono_literals;

json::value call(int id, std::string_view tool, json::object args = {}, json::object meta = {}) {
  json::object params{{"name", tool}, {"arguments", std::move(args)}};
  if (!meta.empty()) params["_meta"] = std::move(meta);
  return HttpClient::request_body(id, "tools/call", std::move(params));
}

void add_tools(Server& s) {
  s.add_tool(
      {.name = "hi", .input_schema = {{"type", "object"}}},
      [](const json::object&, Context&) -> Task<ToolResult> { co_return ToolResult::text("hi"); });
  s.add_tool({.name = "chatty", .input_schema = {{"type", "object"}}},
             [](const json::object&, Context& ctx) -> Task<ToolResult> {
               ctx.progress(0.5, 1.0, "half way");
               ctx.log(LogLevel::kInfo, "a log line");
               co_return ToolResult::text("done");
             });
}

class StreamableHttp : public ::testing::Test {
 protected:
  StreamableHttp() { add_tools(server_); }
  Server server_;
};

TEST_F(StreamableHttp, InitializeGivesASessionId) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  json::value init = c.initialize();
  EXPECT_EQ(c.session_id.size(), 32u);
  EXPECT_EQ(c.session_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(init.at("result").at("protocolVersion"), "2025-11-25");
  // Two sessions never share an id.
  HttpClient other(http.port());
  other.initialize();
  EXPECT_NE(other.session_id, c.session_id);
}

TEST_F(StreamableHttp, NotificationsGet202WithEmptyBody) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.initialize();
  Response r =
      c.post(json::value{{"jsonrpc", "2.0"}, {"method", "notifications/roots/list_changed"}});
  EXPECT_EQ(r.result(), http::status::accepted);
  EXPECT_TRUE(r.body().empty());
}

TEST_F(StreamableHttp, ToolsCallAnswersJson) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.initialize();
  Response r = c.post(call(7, "hi"));
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  EXPECT_EQ(r[http::field::content_type], "application/json");
  json::value v = parse_body(r);
  EXPECT_EQ(v.at("id"), 7);
  EXPECT_EQ(v.at("result").at("content").at(0).at("text"), "hi");
  // Keep-alive: the same connection serves many requests.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(c.post(call(100 + i, "hi")).result(), http::status::ok);
}

TEST_F(StreamableHttp, RelatedMessagesTurnTheAnswerIntoAnSseStream) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.initialize();
  Response head = c.open_post(call(3, "chatty", {}, {{"progressToken", "p1"}}));
  ASSERT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head[http::field::content_type], "text/event-stream");
  EXPECT_EQ(head[http::field::cache_control], "no-cache");

  auto priming = c.next_event();
  ASSERT_TRUE(priming);
  EXPECT_FALSE(priming->id.empty());
  EXPECT_EQ(priming->data, "");
  EXPECT_EQ(priming->retry, 1000);

  auto progress = c.next_event();
  ASSERT_TRUE(progress);
  EXPECT_FALSE(progress->id.empty());
  EXPECT_EQ(progress->json().at("method"), "notifications/progress");
  EXPECT_EQ(progress->json().at("params").at("progressToken"), "p1");

  auto log = c.next_event();
  ASSERT_TRUE(log);
  EXPECT_EQ(log->json().at("method"), "notifications/message");

  auto result = c.next_event();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->json().at("id"), 3);
  EXPECT_EQ(result->json().at("result").at("content").at(0).at("text"), "done");
  EXPECT_FALSE(c.next_event());
  EXPECT_TRUE(c.response_done());
  // Event ids are distinct.
  EXPECT_NE(priming->id, progress->id);
  EXPECT_NE(progress->id, log->id);
  EXPECT_NE(log->id, result->id);
  // The connection is reusable after the stream.
  EXPECT_EQ(c.post(call(4, "hi")).result(), http::status::ok);
}

TEST_F(StreamableHttp, JsonResponseOffAnswersEveryRequestWithSse) {
  HttpOptions o;
  o.json_response = false;
  RunningHttpServer http(server_, o);
  HttpClient c(http.port());
  c.initialize();  // initialize itself is still answered as JSON
  Response head = c.open_post(call(5, "hi"));
  EXPECT_EQ(head[http::field::content_type], "text/event-stream");
  auto priming = c.next_event();
  ASSERT_TRUE(priming);
  EXPECT_EQ(priming->data, "");
  auto result = c.next_event();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->json().at("id"), 5);
  EXPECT_FALSE(c.next_event());
}

TEST_F(StreamableHttp, MissingSessionIdIs400) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  Response r = c.post(call(1, "hi"));
  EXPECT_EQ(r.result(), http::status::bad_request);
  json::value v = parse_body(r);
  EXPECT_EQ(v.at("error").at("code"), -32600);
  EXPECT_NE(std::string(v.at("error").at("message").as_string()).find("Mcp-Session-Id"),
            std::string::npos);
  EXPECT_TRUE(v.at("id").is_null());
  // GET and DELETE too.
  EXPECT_EQ(c.open_get().result(), http::status::bad_request);
}

TEST_F(StreamableHttp, UnknownSessionIs404) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.session_id = "0123456789abcdef0123456789abcdef";
  Response r = c.post(call(1, "hi"));
  EXPECT_EQ(r.result(), http::status::not_found);
  EXPECT_EQ(parse_body(r).at("error").at("code"), -32001);
}

TEST_F(StreamableHttp, DeleteEndsTheSession) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.initialize();
  Response d = c.request(http::verb::delete_, "/mcp", "", {});
  EXPECT_EQ(d.result(), http::status::ok);
  EXPECT_EQ(c.post(call(2, "hi")).result(), http::status::not_found);
  EXPECT_EQ(c.request(http::verb::delete_, "/mcp", "", {}).result(), http::status::not_found);
}

TEST_F(StreamableHttp, ProtocolVersionHeaderIsChecked) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.initialize();
  for (std::string bad : {"2026-07-28", "1999-01-01", "garbage"}) {
    Response r = c.post(call(1, "hi"), {{"MCP-Protocol-Version", bad}});
    EXPECT_EQ(r.result(), http::status::bad_request) << bad;
    std::string msg(parse_body(r).at("error").at("message").as_string());
    EXPECT_NE(msg.find("2025-11-25"), std::string::npos) << msg;
  }
  // Absent: 2025-03-26 is assumed, which is fine; other known versions are fine.
  EXPECT_EQ(c.post(call(2, "hi"), {{"MCP-Protocol-Version", ""}}).result(), http::status::ok);
  EXPECT_EQ(c.post(call(3, "hi"), {{"MCP-Protocol-Version", "2025-03-26"}}).result(),
            http::status::ok);
}

TEST_F(StreamableHttp, BadJsonIs400ParseErrorAndTheServerGoesOn) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.initialize();
  Response r = c.post(std::string("{\"jsonrpc\": \"2.0\", \"id\": 1, "));
  EXPECT_EQ(r.result(), http::status::bad_request);
  json::value v = parse_body(r);
  EXPECT_EQ(v.at("error").at("code"), -32700);
  EXPECT_TRUE(v.at("id").is_null());
  EXPECT_EQ(c.post(call(2, "hi")).result(), http::status::ok);
  // Parse errors also come before the session check.
  HttpClient fresh(http.port());
  EXPECT_EQ(fresh.post(std::string("not json")).result(), http::status::bad_request);
}

TEST_F(StreamableHttp, TooDeepJsonIs400) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.initialize();
  std::string deep(100'000, '[');
  Response r = c.post(deep);
  EXPECT_EQ(r.result(), http::status::bad_request);
  EXPECT_EQ(parse_body(r).at("error").at("code"), -32700);
  EXPECT_EQ(c.post(call(2, "hi")).result(), http::status::ok);
}

TEST_F(StreamableHttp, BodyOverTheLimitIs413) {
  HttpOptions o;
  o.max_body_bytes = 1024;
  RunningHttpServer http(server_, o);
  HttpClient c(http.port());
  c.initialize();
  json::value big = call(1, "hi", {{"pad", std::string(4096, 'x')}});
  Response r = c.post(big);
  EXPECT_EQ(r.result(), http::status::payload_too_large);
  EXPECT_NE(r.body().find("1024"), std::string::npos);
  // A new connection works.
  HttpClient again(http.port());
  again.session_id = c.session_id;
  EXPECT_EQ(again.post(call(2, "hi")).result(), http::status::ok);
}

TEST_F(StreamableHttp, WrongContentTypeIs415) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.initialize();
  Response r = c.post(call(1, "hi"), {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.result(), http::status::unsupported_media_type);
  // Parameters are fine.
  EXPECT_EQ(c.post(call(2, "hi"), {{"Content-Type", "application/json; charset=utf-8"}}).result(),
            http::status::ok);
}

TEST_F(StreamableHttp, AcceptMustListJsonAndEventStream) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.initialize();
  EXPECT_EQ(c.post(call(1, "hi"), {{"Accept", "application/json"}}).result(),
            http::status::not_acceptable);
  EXPECT_EQ(c.post(call(1, "hi"), {{"Accept", "text/html"}}).result(),
            http::status::not_acceptable);
  EXPECT_EQ(c.post(call(1, "hi"), {{"Accept", ""}}).result(), http::status::not_acceptable);
  EXPECT_EQ(c.post(call(1, "hi"), {{"Accept", "*/*"}}).result(), http::status::ok);
  EXPECT_EQ(
      c.post(call(1, "hi"), {{"Accept", "text/event-stream;q=0.9, application/json"}}).result(),
      http::status::ok);
  EXPECT_EQ(c.open_get({{"Accept", "application/json"}}).result(), http::status::not_acceptable);
}

TEST_F(StreamableHttp, OtherMethodsAre405AndOtherPaths404) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  Response r = c.request(http::verb::put, "/mcp", "{}", {});
  EXPECT_EQ(r.result(), http::status::method_not_allowed);
  EXPECT_EQ(r[http::field::allow], "GET, POST, DELETE");
  EXPECT_EQ(c.request(http::verb::get, "/nope", "", {}).result(), http::status::not_found);
}

TEST_F(StreamableHttp, FailedInitializeGivesNoSession) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  Response r = c.post(HttpClient::request_body(1, "initialize", {}));  // no protocolVersion
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_TRUE(parse_body(r).as_object().contains("error"));
  EXPECT_EQ(r.count("Mcp-Session-Id"), 0u);
}

TEST_F(StreamableHttp, TooManySessionsIs503) {
  HttpOptions o;
  o.max_sessions = 2;
  RunningHttpServer http(server_, o);
  HttpClient a(http.port()), b(http.port()), c(http.port());
  a.initialize();
  b.initialize();
  Response r = c.post(HttpClient::request_body(
      0, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object{}}}));
  EXPECT_EQ(r.result(), http::status::service_unavailable);
  // Ending one makes room.
  a.request(http::verb::delete_, "/mcp", "", {});
  c.initialize();
}

TEST_F(StreamableHttp, IdleSessionsExpire) {
  HttpOptions o;
  o.session_idle_expiry = 200ms;
  RunningHttpServer http(server_, o);
  HttpClient c(http.port());
  c.initialize();
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(c.post(call(1, "hi")).result(), http::status::not_found);
}

TEST_F(StreamableHttp, ManyClientsOnSeveralThreads) {
  HttpOptions o;
  o.threads = 4;
  RunningHttpServer http(server_, o);
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      HttpClient c(http.port());
      c.initialize();
      for (int i = 0; i < 50; ++i) {
        if (c.post(call(i, i % 2 ? "hi" : "chatty")).result() == http::status::ok) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 8 * 50);
}

TEST_F(StreamableHttp, ListenOnATakenPortSaysWhere) {
  RunningHttpServer http(server_);
  HttpOptions o;
  o.port = http.port();
  HttpServer second(server_, o);
  try {
    second.listen();
    FAIL() << "listen() should have thrown";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(http.port())),
              std::string::npos)
        << e.what();
  }
}

TEST_F(StreamableHttp, StopMakesRunReturn) {
  HttpOptions o;
  o.port = 0;
  o.threads = 2;
  HttpServer http(server_, o);
  http.listen();
  EXPECT_NE(http.port(), 0);
  std::thread runner([&] { http.run(); });
  HttpClient c(http.port());
  c.initialize();
  auto start = std::chrono::steady_clock::now();
  http.stop();
  runner.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

}  // namespace
}  // namespace mcpp
