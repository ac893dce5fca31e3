// The stateless revision (2026-07-28) over a real socket: no session, statuses per error, the
// mirrored headers checked against the body, GET/DELETE refused, SSE only when messages precede
// the answer, and a closed response stream cancelling the request.
#include <gtest/gtest.h>

#include <atomic>

#include "http_test_client.hpp"

namespace mcpp {
namespace {

using testing::Headers;
using testing::HttpClient;
using testing::Response;
using testing::RunningHttpServer;
namespace http = testing::http;
using namespace std::chrono_literals;

json::object meta(json::object caps = {}) {
  return {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
          {"io.modelcontextprotocol/clientCapabilities", std::move(caps)}};
}

json::value call(int id, std::string_view tool, json::object args = {}) {
  return HttpClient::request_body(
      id, "tools/call", {{"name", tool}, {"arguments", std::move(args)}, {"_meta", meta()}});
}

Headers modern(std::string_view method, std::string_view name = {}) {
  Headers h{{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", std::string(method)}};
  if (!name.empty()) h.emplace_back("Mcp-Name", std::string(name));
  return h;
}

int code_of(const Response& r) {
  return static_cast<int>(json::parse(r.body()).at("error").at("code").as_int64());
}

class StatelessHttp : public ::testing::Test {
 protected:
  StatelessHttp() {
    server_.add_tool({.name = "hi"}, [](const json::object&, Context&) -> Task<ToolResult> {
      co_return ToolResult::text("hi");
    });
    server_.add_tool(
        {.name = "where",
         .input_schema =
             json::parse(
                 R"({"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"},"n":{"type":"integer","x-mcp-header":"N"}}})")
                 .as_object()},
        [](const json::object& a, Context&) -> Task<ToolResult> {
          co_return ToolResult::text(std::string(find_string(a, "region")));
        });
    server_.add_tool({.name = "progress"},
                     [](const json::object&, Context& ctx) -> Task<ToolResult> {
                       ctx.progress(1, 2);
                       co_return ToolResult::text("done");
                     });
    server_.add_tool(
        {.name = "quiet"}, [this](const json::object&, Context& ctx) -> Task<ToolResult> {
          while (!ctx.cancelled()) {
            boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 10ms);
            co_await t.async_wait(boost::asio::use_awaitable);
          }
          quiet_cancelled_ = true;
          co_return ToolResult::text("stopped");
        });
    server_.add_tool(
        {.name = "wait"}, [this](const json::object&, Context& ctx) -> Task<ToolResult> {
          ctx.progress(0, 1);  // makes the answer a stream
          while (!ctx.cancelled()) {
            boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 10ms);
            co_await t.async_wait(boost::asio::use_awaitable);
          }
          cancelled_ = true;
          co_return ToolResult::text("stopped");
        });
  }
  Server server_;
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> quiet_cancelled_{false};
};

TEST_F(StatelessHttp, AnsweredAsJsonWithoutASession) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  Response r = c.post(call(1, "hi"), modern("tools/call", "hi"));
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  EXPECT_EQ(r[http::field::content_type], "application/json");
  EXPECT_TRUE(r["Mcp-Session-Id"].empty());
  json::value body = json::parse(r.body());
  EXPECT_EQ(body.at("result").at("resultType"), "complete");
  EXPECT_EQ(body.at("result").at("content").as_array()[0].at("text"), "hi");
}

TEST_F(StatelessHttp, RelatedMessagesMakeItAStreamWithoutEventIds) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  json::value body = call(1, "progress");
  body.at("params").at("_meta").as_object()["progressToken"] = "p";
  Response head = c.open_post(body, modern("tools/call", "progress"));
  ASSERT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head[http::field::content_type], "text/event-stream");
  auto first = c.next_event();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->id.empty());  // not resumable in 2026-07-28
  EXPECT_EQ(first->json().at("method"), "notifications/progress");
  auto second = c.next_event();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->json().at("result").at("resultType"), "complete");
}

TEST_F(StatelessHttp, StatusesOfRefusals) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  // Unknown and removed methods: 404, -32601.
  for (std::string_view m : {"ping", "initialize", "no/such"}) {
    Response r = c.post(HttpClient::request_body(2, m, {{"_meta", meta()}}), modern(m));
    EXPECT_EQ(r.result(), http::status::not_found) << m;
    EXPECT_EQ(code_of(r), -32601) << m;
  }
  // Missing _meta field: 400, -32602, the request's id.
  Response r = c.post(HttpClient::request_body(3, "tools/list", {{"_meta", json::object{}}}),
                      modern("tools/list"));
  EXPECT_EQ(r.result(), http::status::bad_request);
  EXPECT_EQ(code_of(r), -32602);
  EXPECT_EQ(json::parse(r.body()).at("id"), 3);
  // A version nobody speaks: 400, -32022 with the supported list.
  json::object old = meta();
  old["io.modelcontextprotocol/protocolVersion"] = "2030-01-01";
  r = c.post(HttpClient::request_body(4, "tools/list", {{"_meta", old}}),
             {{"MCP-Protocol-Version", "2030-01-01"}, {"Mcp-Method", "tools/list"}});
  EXPECT_EQ(r.result(), http::status::bad_request);
  EXPECT_EQ(code_of(r), -32022);
  // A capability the call needs but the client did not declare: 400, -32021.
  server_.add_tool({.name = "asks"}, [](const json::object&, Context& ctx) -> Task<ToolResult> {
    co_await ctx.list_roots();
    co_return ToolResult::text("x");
  });
  r = c.post(call(5, "asks"), modern("tools/call", "asks"));
  EXPECT_EQ(r.result(), http::status::bad_request);
  EXPECT_EQ(code_of(r), -32021);
}

TEST_F(StatelessHttp, HeadersMustMatchTheBody) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  auto expect_mismatch = [&](const json::value& body, const Headers& h, std::string_view why) {
    Response r = c.post(body, h);
    EXPECT_EQ(r.result(), http::status::bad_request) << why << ": " << r.body();
    EXPECT_EQ(code_of(r), -32020) << why;
  };
  expect_mismatch(call(1, "hi"), {{"MCP-Protocol-Version", "2026-07-28"}}, "no Mcp-Method");
  expect_mismatch(call(1, "hi"), modern("tools/list"), "other method");
  expect_mismatch(call(1, "hi"), modern("tools/call"), "no Mcp-Name");
  expect_mismatch(call(1, "hi"), modern("tools/call", "where"), "other name");
  json::object args{{"region", "eu west"}, {"n", 7}};
  Headers h = modern("tools/call", "where");
  expect_mismatch(call(1, "where", args), h, "no Mcp-Param-Region");
  h.emplace_back("Mcp-Param-Region", "eu west");
  h.emplace_back("Mcp-Param-N", "7.0");  // compared as a number
  Response ok = c.post(call(1, "where", args), h);
  EXPECT_EQ(ok.result(), http::status::ok) << ok.body();
  h.back().second = "8";
  expect_mismatch(call(1, "where", args), h, "Mcp-Param-N disagrees");
  // Base64-wrapped values are decoded; a non-canonical encoding is refused.
  Headers b64 = modern("tools/call", "where");
  b64.emplace_back("Mcp-Param-Region", "=?base64?ZXUgd2VzdA==?=");
  b64.emplace_back("Mcp-Param-N", "7");
  EXPECT_EQ(c.post(call(1, "where", args), b64).result(), http::status::ok);
  b64[2].second = "=?base64?ZXUgd2VzdA?=";
  expect_mismatch(call(1, "where", args), b64, "unpadded base64");
}

TEST_F(StatelessHttp, ASessionIdDoesNotSkipTheHeaderChecks) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  c.initialize();  // a 2025 session; its id is sent with the next request
  c.protocol_version.clear();
  Response r = c.post(call(1, "hi"), modern("tools/call", "where"));
  EXPECT_EQ(r.result(), http::status::bad_request) << r.body();
  EXPECT_EQ(code_of(r), -32020);
  r = c.post(call(2, "hi"), modern("tools/call", "hi"));
  EXPECT_EQ(r.result(), http::status::ok) << r.body();
}

TEST_F(StatelessHttp, GetAndDeleteAreNotAllowed) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  Response r = c.request(http::verb::get, "/mcp", "",
                         {{"Accept", "text/event-stream"}, {"MCP-Protocol-Version", "2026-07-28"}});
  EXPECT_EQ(r.result(), http::status::method_not_allowed);
  EXPECT_EQ(r[http::field::allow], "POST");
  HttpClient d(http.port());
  r = d.request(http::verb::delete_, "/mcp", "", {{"MCP-Protocol-Version", "2026-07-28"}});
  EXPECT_EQ(r.result(), http::status::method_not_allowed);
}

TEST_F(StatelessHttp, ClosingTheStreamCancelsTheRequest) {
  RunningHttpServer http(server_);
  {
    HttpClient c(http.port());
    json::value body = call(1, "wait");
    body.at("params").at("_meta").as_object()["progressToken"] = 1;
    Response head = c.open_post(body, modern("tools/call", "wait"));
    ASSERT_EQ(head.result(), http::status::ok);
    ASSERT_TRUE(c.next_event());  // the progress notification
    c.close();
  }
  for (int i = 0; i < 300 && !cancelled_; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(cancelled_);
}

TEST_F(StatelessHttp, ASlowAnswerBecomesAStreamWhoseClosingCancels) {
  HttpOptions o;
  o.stream_after = 100ms;
  RunningHttpServer http(server_, o);
  {
    HttpClient c(http.port());
    Response head = c.open_post(call(1, "quiet"), modern("tools/call", "quiet"));
    ASSERT_EQ(head.result(), http::status::ok);
    EXPECT_EQ(head[http::field::content_type], "text/event-stream");
    c.close();
  }
  for (int i = 0; i < 300 && !quiet_cancelled_; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(quiet_cancelled_);
}

}  // namespace
}  // namespace mcpp
