// The 2024-11-05 HTTP+SSE transport on the same server: GET /sse gives the endpoint event,
// POST /messages is answered 202 and the replies arrive on the stream.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "http_test_client.hpp"

namespace mcpp {
namespace {

using testing::HttpClient;
using testing::Response;
using testing::RunningHttpServer;
namespace http = testing::http;
using namespace std::chrono_literals;

class LegacySse : public ::testing::Test {
 protected:
  LegacySse() {
    server_.add_tool({.name = "hi", .input_schema = {{"type", "object"}}},
                     [](const json::object&, Context& ctx) -> Task<ToolResult> {
                       ctx.log(LogLevel::kInfo, "saying hi");
                       co_return ToolResult::text("hi");
                     });
  }
  Response post_message(HttpClient& c, const std::string& endpoint, const json::value& body) {
    return c.request(http::verb::post, endpoint, json::serialize(body),
                     {{"Content-Type", "application/json"}});
  }
  Server server_;
};

TEST_F(LegacySse, EndpointEventThenRepliesOnTheStream) {
  RunningHttpServer http(server_);
  HttpClient stream(http.port());
  Response head = stream.open_get({}, "/sse");
  ASSERT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head[http::field::content_type], "text/event-stream");
  auto endpoint = stream.next_event();
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->event, "endpoint");
  ASSERT_TRUE(endpoint->data.starts_with("/messages?session_id=")) << endpoint->data;

  HttpClient poster(http.port());
  Response r =
      post_message(poster, endpoint->data,
                   HttpClient::request_body(1, "initialize",
                                            {{"protocolVersion", "2024-11-05"},
                                             {"capabilities", json::object{}},
                                             {"clientInfo", {{"name", "old"}, {"version", "1"}}}}));
  EXPECT_EQ(r.result(), http::status::accepted);
  auto init = stream.next_event();
  ASSERT_TRUE(init);
  EXPECT_EQ(init->event, "message");
  EXPECT_EQ(init->json().at("id"), 1);
  EXPECT_EQ(init->json().at("result").at("protocolVersion"), "2024-11-05");

  EXPECT_EQ(post_message(poster, endpoint->data,
                         json::value{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}})
                .result(),
            http::status::accepted);
  EXPECT_EQ(post_message(poster, endpoint->data,
                         HttpClient::request_body(2, "tools/call",
                                                  {{"name", "hi"}, {"arguments", json::object{}}}))
                .result(),
            http::status::accepted);
  auto log = stream.next_event();
  ASSERT_TRUE(log);
  EXPECT_EQ(log->json().at("method"), "notifications/message");
  auto result = stream.next_event();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->json().at("id"), 2);
  EXPECT_EQ(result->json().at("result").at("content").at(0).at("text"), "hi");

  // Bad JSON is refused at once.
  Response bad = poster.request(http::verb::post, endpoint->data, "{oops",
                                {{"Content-Type", "application/json"}});
  EXPECT_EQ(bad.result(), http::status::bad_request);
  EXPECT_EQ(testing::parse_body(bad).at("error").at("code"), -32700);

  // Closing the stream ends the session.
  stream.close();
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = post_message(poster, endpoint->data,
                        json::value{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}})
               .result() == http::status::not_found;
    if (!gone) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(gone);
}

// A client that drops its /sse connection in the middle of a call: the session ends and the
// handler sees its cancellation (issue 17, "Faults").
TEST_F(LegacySse, DroppingTheStreamMidCallCancelsTheHandler) {
  std::atomic<bool> started{false};
  std::atomic<bool> cancelled{false};
  server_.add_tool({.name = "wait", .input_schema = {{"type", "object"}}},
                   [&](const json::object&, Context& ctx) -> Task<ToolResult> {
                     started = true;
                     for (int i = 0; i < 500 && !ctx.cancelled(); ++i) {
                       boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 10ms);
                       co_await t.async_wait(boost::asio::use_awaitable);
                     }
                     cancelled = ctx.cancelled();
                     co_return ToolResult::text("stopped");
                   });
  RunningHttpServer http(server_);
  HttpClient stream(http.port());
  ASSERT_EQ(stream.open_get({}, "/sse").result(), http::status::ok);
  auto endpoint = stream.next_event();
  ASSERT_TRUE(endpoint);
  HttpClient poster(http.port());
  post_message(poster, endpoint->data,
               HttpClient::request_body(1, "initialize",
                                        {{"protocolVersion", "2024-11-05"},
                                         {"capabilities", json::object{}},
                                         {"clientInfo", {{"name", "old"}, {"version", "1"}}}}));
  ASSERT_TRUE(stream.next_event());
  post_message(poster, endpoint->data,
               json::value{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  EXPECT_EQ(post_message(poster, endpoint->data,
                         HttpClient::request_body(
                             2, "tools/call", {{"name", "wait"}, {"arguments", json::object{}}}))
                .result(),
            http::status::accepted);
  for (int i = 0; i < 300 && !started; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(started);
  stream.close();
  for (int i = 0; i < 300 && !cancelled; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(cancelled) << "the handler did not see the client go";
}

TEST_F(LegacySse, MessagesNeedAKnownSessionId) {
  RunningHttpServer http(server_);
  HttpClient c(http.port());
  json::value ping = HttpClient::request_body(1, "ping", {});
  EXPECT_EQ(post_message(c, "/messages", ping).result(), http::status::bad_request);
  EXPECT_EQ(post_message(c, "/messages?session_id=nope", ping).result(), http::status::not_found);
  EXPECT_EQ(c.request(http::verb::get, "/messages", "", {}).result(),
            http::status::method_not_allowed);
}

TEST_F(LegacySse, StreamableSessionsAreNotLegacySessionsAndBackwards) {
  RunningHttpServer http(server_);
  HttpClient modern(http.port());
  modern.initialize();
  HttpClient c(http.port());
  EXPECT_EQ(post_message(c, "/messages?session_id=" + modern.session_id,
                         HttpClient::request_body(1, "ping", {}))
                .result(),
            http::status::not_found);
}

}  // namespace
}  // namespace mcpp
