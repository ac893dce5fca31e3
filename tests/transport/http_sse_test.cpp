// SSE over Streamable HTTP: the standalone GET stream, Last-Event-ID resumption of GET and POST
// streams, keep-alive comments, and a server->client request (elicitation) round trip.
#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "http_test_client.hpp"

namespace mcpp {
namespace {

using testing::HttpClient;
using testing::parse_body;
using testing::Response;
using testing::RunningHttpServer;
using testing::SseEvent;
namespace http = testing::http;
namespace asio = boost::asio;
using namespace std::chrono_literals;

Tool tool(std::string name) {
  return Tool{.name = std::move(name), .input_schema = {{"type", "object"}}};
}

Task<ToolResult> hi(const json::object&, Context&) {
  co_return ToolResult::text("hi");
}

json::value call(int id, std::string_view name, json::object meta = {}) {
  json::object params{{"name", name}, {"arguments", json::object{}}};
  if (!meta.empty()) params["_meta"] = std::move(meta);
  return HttpClient::request_body(id, "tools/call", std::move(params));
}

TEST(HttpSse, GetStreamCarriesListChanged) {
  Server server;
  server.add_tool(tool("hi"), hi);
  RunningHttpServer http(server);
  HttpClient c(http.port());
  c.initialize();
  HttpClient listener(http.port());
  listener.session_id = c.session_id;
  listener.protocol_version = c.protocol_version;
  Response head = listener.open_get();
  ASSERT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head[http::field::content_type], "text/event-stream");
  auto priming = listener.next_event();
  ASSERT_TRUE(priming);
  EXPECT_FALSE(priming->id.empty());
  EXPECT_TRUE(priming->retry.has_value());

  server.add_tool(tool("second"), hi);
  auto e = listener.next_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->json().at("method"), "notifications/tools/list_changed");
  EXPECT_FALSE(e->id.empty());
}

TEST(HttpSse, SecondGetStreamIs409) {
  Server server;
  RunningHttpServer http(server);
  HttpClient c(http.port());
  c.initialize();
  HttpClient first(http.port()), second(http.port());
  first.session_id = second.session_id = c.session_id;
  ASSERT_EQ(first.open_get().result(), http::status::ok);
  ASSERT_TRUE(first.next_event());
  Response r = second.open_get();
  EXPECT_EQ(r.result(), http::status::conflict);
  // Once the first goes away, a new GET is welcome.
  first.close();
  bool reopened = false;
  for (int i = 0; i < 50 && !reopened; ++i) {
    HttpClient third(http.port());
    third.session_id = c.session_id;
    reopened = third.open_get().result() == http::status::ok;
    if (!reopened) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(reopened);
}

TEST(HttpSse, KeepAliveCommentsOnIdleStreams) {
  Server server;
  HttpOptions o;
  o.keepalive_interval = 50ms;
  RunningHttpServer http(server, o);
  HttpClient c(http.port());
  c.initialize();
  HttpClient listener(http.port());
  listener.session_id = c.session_id;
  ASSERT_EQ(listener.open_get().result(), http::status::ok);
  ASSERT_TRUE(listener.next_event());
  EXPECT_FALSE(listener.next_event(300ms));  // comments only: no event
  EXPECT_NE(listener.raw_body().find(": keepalive\n\n"), std::string::npos);
}

TEST(HttpSse, GetStreamResumesWithLastEventId) {
  Server server;
  RunningHttpServer http(server);
  HttpClient c(http.port());
  c.initialize();
  std::string seen_id;
  {
    HttpClient listener(http.port());
    listener.session_id = c.session_id;
    ASSERT_EQ(listener.open_get().result(), http::status::ok);
    ASSERT_TRUE(listener.next_event());
    server.add_tool(tool("a"), hi);
    server.add_tool(tool("b"), hi);
    auto first = listener.next_event();
    auto second = listener.next_event();
    ASSERT_TRUE(first && second);
    seen_id = first->id;  // pretend the second one was lost
  }
  HttpClient resumed(http.port());
  resumed.session_id = c.session_id;
  // The old connection may not have been noticed as gone yet: resumption takes the stream over.
  ASSERT_EQ(resumed.open_get({{"Last-Event-ID", seen_id}}).result(), http::status::ok);
  auto replayed = resumed.next_event();
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->json().at("method"), "notifications/tools/list_changed");
  EXPECT_NE(replayed->id, seen_id);
  auto priming = resumed.next_event();
  ASSERT_TRUE(priming);
  EXPECT_EQ(priming->data, "");
  // Then live.
  server.add_tool(tool("c"), hi);
  auto live = resumed.next_event();
  ASSERT_TRUE(live);
  EXPECT_EQ(live->json().at("method"), "notifications/tools/list_changed");
}

TEST(HttpSse, UnknownLastEventIdOpensTheStandaloneStream) {
  Server server;
  RunningHttpServer http(server);
  HttpClient c(http.port());
  c.initialize();
  HttpClient listener(http.port());
  listener.session_id = c.session_id;
  ASSERT_EQ(listener.open_get({{"Last-Event-ID", "999.1_5"}}).result(), http::status::ok);
  auto priming = listener.next_event();
  ASSERT_TRUE(priming);
  EXPECT_EQ(priming->data, "");
}

TEST(HttpSse, ForeignLastEventIdReplaysNothing) {
  Server server;
  server.add_tool(tool("hi"), hi);
  RunningHttpServer http(server);
  HttpClient a(http.port()), b(http.port());
  a.initialize();
  b.initialize();
  HttpClient listener(http.port());
  listener.session_id = a.session_id;
  ASSERT_EQ(listener.open_get().result(), http::status::ok);
  auto a_priming = listener.next_event();
  ASSERT_TRUE(a_priming);
  server.add_tool(tool("x"), hi);
  ASSERT_TRUE(listener.next_event());
  // b presents a's event id: it gets its own fresh stream, none of a's events.
  HttpClient thief(http.port());
  thief.session_id = b.session_id;
  ASSERT_EQ(thief.open_get({{"Last-Event-ID", a_priming->id}}).result(), http::status::ok);
  auto first = thief.next_event();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->data, "");
}

// A tool that reports progress, then waits `delay` before answering.
void add_slow_tool(Server& server, std::chrono::milliseconds delay) {
  server.add_tool(tool("slow"), [delay](const json::object&, Context& ctx) -> Task<ToolResult> {
    ctx.progress(0.1, 1.0, "started");
    asio::steady_timer t(co_await asio::this_coro::executor, delay);
    co_await t.async_wait(asio::use_awaitable);
    co_return ToolResult::text("slow done");
  });
}

TEST(HttpSse, PostStreamResumesWhileTheRequestRuns) {
  Server server;
  add_slow_tool(server, 400ms);
  RunningHttpServer http(server);
  HttpClient c(http.port());
  c.initialize();
  std::string last_id;
  {
    HttpClient poster(http.port());
    poster.session_id = c.session_id;
    ASSERT_EQ(poster.open_post(call(9, "slow", {{"progressToken", 1}})).result(), http::status::ok);
    ASSERT_TRUE(poster.next_event());  // priming
    auto progress = poster.next_event();
    ASSERT_TRUE(progress);
    EXPECT_EQ(progress->json().at("method"), "notifications/progress");
    last_id = progress->id;
    poster.close();  // the network drops; the request goes on
  }
  HttpClient resumed(http.port());
  resumed.session_id = c.session_id;
  ASSERT_EQ(resumed.open_get({{"Last-Event-ID", last_id}}).result(), http::status::ok);
  std::optional<SseEvent> result;
  while (auto e = resumed.next_event()) {
    if (!e->data.empty()) result = e;
  }
  ASSERT_TRUE(result);
  EXPECT_EQ(result->json().at("id"), 9);
  EXPECT_EQ(result->json().at("result").at("content").at(0).at("text"), "slow done");
  EXPECT_TRUE(resumed.response_done());
}

TEST(HttpSse, PostStreamReplaysAfterTheRequestEnded) {
  Server server;
  add_slow_tool(server, 100ms);
  RunningHttpServer http(server);
  HttpClient c(http.port());
  c.initialize();
  std::string last_id;
  {
    HttpClient poster(http.port());
    poster.session_id = c.session_id;
    ASSERT_EQ(poster.open_post(call(10, "slow", {{"progressToken", 1}})).result(),
              http::status::ok);
    ASSERT_TRUE(poster.next_event());
    auto progress = poster.next_event();
    ASSERT_TRUE(progress);
    last_id = progress->id;
    poster.close();
  }
  std::this_thread::sleep_for(400ms);  // the tool has answered into the EventStore
  HttpClient resumed(http.port());
  resumed.session_id = c.session_id;
  ASSERT_EQ(resumed.open_get({{"Last-Event-ID", last_id}}).result(), http::status::ok);
  auto result = resumed.next_event();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->json().at("id"), 10);
  EXPECT_FALSE(resumed.next_event());
}

TEST(HttpSse, ElicitationRoundTrip) {
  Server server;
  server.add_tool(tool("greet"), [](const json::object&, Context& ctx) -> Task<ToolResult> {
    json::object schema{{"type", "object"},
                        {"properties", json::object{{"name", json::object{{"type", "string"}}}}}};
    ElicitResult r = co_await ctx.elicit("Your name?", std::move(schema));
    if (!r.accepted()) co_return ToolResult::error("declined");
    co_return ToolResult::text("hello " + std::string(r.content.at("name").as_string()));
  });
  RunningHttpServer http(server);
  HttpClient c(http.port());
  c.initialize("2025-11-25", {{"elicitation", json::object{}}});

  HttpClient caller(http.port());
  caller.session_id = c.session_id;
  caller.protocol_version = c.protocol_version;
  ASSERT_EQ(caller.open_post(call(21, "greet")).result(), http::status::ok);
  ASSERT_TRUE(caller.next_event());  // priming
  auto ask = caller.next_event();
  ASSERT_TRUE(ask);
  json::value request = ask->json();
  ASSERT_EQ(request.at("method"), "elicitation/create") << ask->data;
  EXPECT_EQ(request.at("params").at("message"), "Your name?");

  Response answered =
      c.post(json::value{{"jsonrpc", "2.0"},
                         {"id", request.at("id")},
                         {"result", {{"action", "accept"}, {"content", {{"name", "Ada"}}}}}});
  EXPECT_EQ(answered.result(), http::status::accepted) << answered.body();

  auto result = caller.next_event();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->json().at("id"), 21);
  EXPECT_EQ(result->json().at("result").at("content").at(0).at("text"), "hello Ada");
  EXPECT_FALSE(caller.next_event());
}

TEST(HttpSse, DeleteEndsAnOpenGetStream) {
  Server server;
  RunningHttpServer http(server);
  HttpClient c(http.port());
  c.initialize();
  HttpClient listener(http.port());
  listener.session_id = c.session_id;
  ASSERT_EQ(listener.open_get().result(), http::status::ok);
  ASSERT_TRUE(listener.next_event());
  EXPECT_EQ(c.request(http::verb::delete_, "/mcp", "", {}).result(), http::status::ok);
  EXPECT_FALSE(listener.next_event(2s));
  EXPECT_TRUE(listener.response_done());
}

}  // namespace
}  // namespace mcpp
