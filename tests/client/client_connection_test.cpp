// mcpp::Client and mcpp::Server in one process over an in-memory Connection pair, in both eras:
// the handshake, lists, calls with progress, elicitation and sampling round trips, cancellation,
// list_changed; and the per-request handlers of RequestOptions (which server request belongs to
// which client request), over the pair, over a hand-played server, and over Streamable HTTP.
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>

#include "client_test_support.hpp"
#include "mcpp/connection.hpp"

namespace mcpp::testing {
namespace {

json::object form_schema() {
  return json::parse(R"({"type":"object","properties":{"name":{"type":"string"}}})").as_object();
}

// A server whose tools ask the client things, report progress and wait for cancellation.
void add_fixture_tools(Server& server, std::atomic<bool>& saw_cancel) {
  server.add_tool({.name = "echo", .description = "Echoes its text"},
                  [](const json::object& args, Context&) -> Task<ToolResult> {
                    co_return ToolResult::text(std::string(find_string(args, "text")));
                  });
  server.add_tool({.name = "progress", .description = "Reports progress"},
                  [](const json::object&, Context& ctx) -> Task<ToolResult> {
                    ctx.progress(1, 2, "one");
                    ctx.progress(2, 2, "two");
                    co_return ToolResult::text("done");
                  });
  server.add_tool({.name = "wait_for_cancel", .description = "Runs until cancelled"},
                  [&saw_cancel](const json::object&, Context& ctx) -> Task<ToolResult> {
                    for (int i = 0; i < 500 && !ctx.cancelled(); ++i) co_await sleep_for(10ms);
                    if (ctx.cancelled()) saw_cancel = true;
                    co_return ToolResult::text("stopped");
                  });
  server.add_tool(
      {.name = "ask", .description = "Elicits a name"},
      [](const json::object&, Context& ctx) -> Task<ToolResult> {
        ElicitResult r = co_await ctx.elicit("Who are you?", form_schema());
        co_return ToolResult::text(r.action + ":" + std::string(find_string(r.content, "name")));
      });
  server.add_tool({.name = "sample", .description = "Samples the client's model"},
                  [](const json::object&, Context& ctx) -> Task<ToolResult> {
                    json::object params{{"messages", json::array{}}, {"maxTokens", 10}};
                    json::object r = co_await ctx.sample(std::move(params));
                    co_return ToolResult::text(std::string(find_string(r, "model")));
                  });
  server.add_tool({.name = "roots", .description = "Lists the client's roots"},
                  [](const json::object&, Context& ctx) -> Task<ToolResult> {
                    json::array roots = co_await ctx.list_roots();
                    std::string uris;
                    for (const auto& r : roots) uris += std::string(find_string(r, "uri")) + " ";
                    co_return ToolResult::text(uris);
                  });
}

// Serves `server` on one end of a fresh pair (in the background, on `ex`); returns the other.
std::shared_ptr<Connection> serve_in_memory(const asio::any_io_executor& ex, Server& server) {
  auto [client_end, server_end] = make_memory_connection_pair(ex);
  asio::co_spawn(
      ex, [&server, end = server_end]() -> Task<void> { co_await serve(server, *end); },
      asio::detached);
  return client_end;
}

// The text of a tool call's result. (A helper, not an expression: GCC 12 mishandles member
// access on a co_await expression.)
Task<std::string> call_text(Client& client, std::string name, RequestOptions opt = {}) {
  CallToolResult r = co_await client.call_tool(std::move(name), {}, std::move(opt));
  co_return r.text();
}

ClientOptions options_for(ProtocolEra era) {
  ClientOptions o;
  o.era = era;
  return o;
}

class ClientOverConnection : public ::testing::TestWithParam<ProtocolEra> {
 protected:
  ClientOverConnection() { add_fixture_tools(server_, saw_cancel_); }
  bool stateless() const { return GetParam() == ProtocolEra::kStateless; }
  Server server_{{.info = {.name = "in-memory", .version = "1.2.3"}}};
  std::atomic<bool> saw_cancel_{false};
};

TEST_P(ClientOverConnection, HandshakeListsAndCalls) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, options_for(GetParam()));
    co_await client.connect(serve_in_memory(ex, server_));
    EXPECT_EQ(client.transport_name(), "connection");
    EXPECT_EQ(client.stateless(), stateless());
    EXPECT_EQ(find_string(client.server().server_info, "name"), "in-memory");
    auto tools = co_await client.list_tools();
    EXPECT_EQ(tools.size(), 6u);
    json::object args{{"text", "hi"}};
    CallToolResult r = co_await client.call_tool("echo", std::move(args));
    EXPECT_EQ(r.text(), "hi");
    co_await client.ping();
    co_await client.close();
  });
}

TEST_P(ClientOverConnection, ProgressArrivesBeforeTheResult) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, options_for(GetParam()));
    co_await client.connect(serve_in_memory(ex, server_));
    std::vector<std::string> seen;
    RequestOptions opt;
    opt.on_progress = [&](const Progress& p) { seen.push_back(p.message); };
    CallToolResult r = co_await client.call_tool("progress", {}, opt);
    EXPECT_EQ(r.text(), "done");
    EXPECT_EQ(seen, (std::vector<std::string>{"one", "two"}));
  });
}

TEST_P(ClientOverConnection, ElicitationSamplingAndRootsRoundTrips) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, options_for(GetParam()));
    client.on_elicitation([](const ElicitationRequest& r) -> Task<ElicitationResponse> {
      EXPECT_EQ(r.message, "Who are you?");
      co_return ElicitationResponse::accept({{"name", "Ada"}});
    });
    client.on_sampling([](const json::object&) -> Task<json::object> {
      co_return json::object{{"role", "assistant"},
                             {"content", json::object{{"type", "text"}, {"text", "ok"}}},
                             {"model", "test-model"}};
    });
    client.set_roots({{"file:///tmp/a", "a"}});
    co_await client.connect(serve_in_memory(ex, server_));
    EXPECT_EQ(co_await call_text(client, "ask"), "accept:Ada");
    EXPECT_EQ(co_await call_text(client, "sample"), "test-model");
    EXPECT_EQ(co_await call_text(client, "roots"), "file:///tmp/a ");
  });
}

TEST_P(ClientOverConnection, CancellingACallStopsTheHandler) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, options_for(GetParam()));
    co_await client.connect(serve_in_memory(ex, server_));
    std::stop_source stop;
    RequestOptions opt;
    opt.stop = stop.get_token();
    asio::steady_timer later(ex, 50ms);
    later.async_wait([&](boost::system::error_code) { stop.request_stop(); });
    try {
      co_await client.call_tool("wait_for_cancel", {}, opt);
      ADD_FAILURE() << "the call was not cancelled";
    } catch (const RpcError& e) {
      EXPECT_EQ(e.error().code, jsonrpc::kRequestCancelled);
    }
    EXPECT_TRUE(co_await eventually([&] { return saw_cancel_.load(); }));
  });
}

TEST_P(ClientOverConnection, ListChangedReachesTheClient) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, options_for(GetParam()));
    std::vector<std::string> changed;
    client.on_list_changed([&](std::string_view what) { changed.emplace_back(what); });
    co_await client.connect(serve_in_memory(ex, server_));
    // Stateful era: a round trip makes sure the server has seen notifications/initialized
    // (before it, a session hears of no change). Stateless era: the subscriptions/listen stream
    // has to be open before the change.
    co_await client.ping();
    if (stateless()) co_await sleep_for(100ms);
    server_.add_tool({.name = "late", .description = "Added while connected"},
                     [](const json::object&, Context&) -> Task<ToolResult> {
                       co_return ToolResult::text("late");
                     });
    EXPECT_TRUE(co_await eventually([&] { return !changed.empty(); }));
    if (!changed.empty()) {
      EXPECT_EQ(changed[0], "tools");
    }
    co_await client.close();
  });
}

TEST_P(ClientOverConnection, TheServerGoingAwayFailsTheCallAndIsReported) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, options_for(GetParam()));
    std::string why;
    client.on_disconnect([&](std::string_view w) { why = std::string(w); });
    auto [client_end, server_end] = make_memory_connection_pair(ex);
    asio::co_spawn(
        ex, [this, end = server_end]() -> Task<void> { co_await serve(server_, *end); },
        asio::detached);
    co_await client.connect(client_end);
    asio::steady_timer later(ex, 50ms);
    later.async_wait([end = server_end](boost::system::error_code) { end->close(); });
    EXPECT_THROW(co_await client.call_tool("wait_for_cancel"), TransportError);
    EXPECT_FALSE(client.connected());
    EXPECT_NE(why.find("closed"), std::string::npos) << why;
  });
}

TEST_P(ClientOverConnection, PerRequestHandlersTakePrecedence) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, options_for(GetParam()));
    client.on_elicitation([](const ElicitationRequest&) -> Task<ElicitationResponse> {
      co_return ElicitationResponse::accept({{"name", "client-wide"}});
    });
    client.set_roots({{"file:///client-wide", ""}});
    co_await client.connect(serve_in_memory(ex, server_));
    RequestOptions opt;
    opt.on_elicitation = [](const ElicitationRequest&) -> Task<ElicitationResponse> {
      co_return ElicitationResponse::accept({{"name", "per-request"}});
    };
    opt.roots = std::vector<Root>{{"file:///per-request", ""}};
    EXPECT_EQ(co_await call_text(client, "ask", opt), "accept:per-request");
    EXPECT_EQ(co_await call_text(client, "roots", opt), "file:///per-request ");
    // Other requests keep the client-wide ones.
    EXPECT_EQ(co_await call_text(client, "ask"), "accept:client-wide");
  });
}

// Two calls at once, each with its own handler: each question reaches its own caller (the
// stateless era by construction; the stateful era through the progress token mcpp's server
// copies into its requests).
TEST_P(ClientOverConnection, ConcurrentCallsEachGetTheirOwnHandler) {
  run([&](auto ex) -> Task<void> {
    ClientOptions o = options_for(GetParam());
    // No client-wide handler: the capability is declared by hand.
    o.capabilities["elicitation"] = json::object{{"form", json::object()}};
    Client client(ex, o);
    co_await client.connect(serve_in_memory(ex, server_));
    auto call_as = [&client](std::string name) -> Task<std::string> {
      RequestOptions opt;
      opt.on_elicitation = [name](const ElicitationRequest&) -> Task<ElicitationResponse> {
        co_await sleep_for(name == "first" ? 30ms : 1ms);  // answer out of order
        co_return ElicitationResponse::accept({{"name", name}});
      };
      co_return co_await call_text(client, "ask", opt);
    };
    std::string first, second;
    int done = 0;
    asio::co_spawn(
        ex, [&]() -> Task<void> { first = co_await call_as("first"); }, [&](auto) { ++done; });
    asio::co_spawn(
        ex, [&]() -> Task<void> { second = co_await call_as("second"); }, [&](auto) { ++done; });
    EXPECT_TRUE(co_await eventually([&] { return done == 2; }));
    EXPECT_EQ(first, "accept:first");
    EXPECT_EQ(second, "accept:second");
  });
}

INSTANTIATE_TEST_SUITE_P(Eras, ClientOverConnection,
                         ::testing::Values(ProtocolEra::kStateful, ProtocolEra::kStateless),
                         [](const auto& era) {
                           return era.param == ProtocolEra::kStateful ? "Stateful" : "Stateless";
                         });

// ---- the stateful routing rule, against a server played by hand --------------------------------

// Plays a stateful server on `end`: answers initialize, then for each tools/call sends
// elicitation/create with `meta` as its _meta (none when null) and answers the call with the
// elicitation's answer once it comes.
Task<void> play_server(std::shared_ptr<Connection> end, json::value meta) {
  int next = 100;
  std::map<std::string, json::value> call_of;  // elicitation id -> call id
  for (;;) {
    auto text = co_await end->read();
    if (!text) co_return;
    json::value m = json::parse(*text);
    std::string_view method = find_string(m, "method");
    if (method == "initialize") {
      json::object r{{"protocolVersion", "2025-11-25"},
                     {"capabilities", json::object{{"tools", json::object()}}},
                     {"serverInfo", json::object{{"name", "by-hand"}, {"version", "1"}}}};
      std::string answer = json_result(m.at("id"), std::move(r));
      co_await end->write(std::move(answer));
    } else if (method == "tools/call") {
      json::object params{{"message", "?"}, {"requestedSchema", form_schema()}};
      if (!meta.is_null()) params["_meta"] = meta;
      std::string id = std::to_string(next++);
      call_of[id] = m.at("id");
      json::object ask{
          {"jsonrpc", "2.0"}, {"id", id}, {"method", "elicitation/create"}, {"params", params}};
      std::string text_out = json::serialize(ask);
      co_await end->write(std::move(text_out));
    } else if (m.as_object().contains("result")) {
      std::string id(m.at("id").as_string());
      std::string name(find_string(m.at("result").at("content"), "name"));
      json::object result{{"content", json::array{json::object{{"type", "text"}, {"text", name}}}}};
      co_await end->write(json_result(call_of.at(id), std::move(result)));
    }
  }
}

Task<std::vector<std::string>> two_calls_by_hand(asio::any_io_executor ex, json::value meta,
                                                 bool second_has_handler) {
  auto [client_end, server_end] = make_memory_connection_pair(ex);
  asio::co_spawn(ex, play_server(server_end, std::move(meta)), asio::detached);
  Client client(ex, stateful_options());
  client.on_elicitation([](const ElicitationRequest&) -> Task<ElicitationResponse> {
    co_return ElicitationResponse::accept({{"name", "client-wide"}});
  });
  co_await client.connect(client_end);
  std::vector<std::string> out(2);
  int done = 0;
  for (int i = 0; i < 2; ++i) {
    RequestOptions opt;
    if (i == 0 || second_has_handler) {
      opt.on_elicitation = [i](const ElicitationRequest&) -> Task<ElicitationResponse> {
        if (i == 0) co_await sleep_for(80ms);  // keeps the first call outstanding
        co_return ElicitationResponse::accept({{"name", "request-" + std::to_string(i)}});
      };
    }
    asio::co_spawn(
        ex,
        [&client, &out, i, opt]() -> Task<void> {
          out[static_cast<std::size_t>(i)] = co_await call_text(client, "ask", opt);
        },
        [&done](auto) { ++done; });
    co_await sleep_for(20ms);  // the first is outstanding when the second starts
  }
  EXPECT_TRUE(co_await eventually([&] { return done == 2; }));
  co_await client.close();
  co_return out;
}

TEST(PerRequestHandlers, WithoutAWordFromTheWireTheOnlyCandidateGetsIt) {
  // The second call has no handler of its own: the one request with handlers is the first.
  auto out = run([](auto ex) { return two_calls_by_hand(ex, nullptr, false); });
  EXPECT_EQ(out[0], "request-0");
  EXPECT_EQ(out[1], "request-0");  // the rule's known limit: it cannot tell them apart
}

TEST(PerRequestHandlers, WithTwoCandidatesAndNoTokenTheClientWideHandlerAnswers) {
  // The first question comes while only the first call is outstanding: it is the one. The second
  // comes while both are: the client-wide handler answers it.
  auto out = run([](auto ex) { return two_calls_by_hand(ex, nullptr, true); });
  EXPECT_EQ(out[0], "request-0");
  EXPECT_EQ(out[1], "client-wide");
}

TEST(PerRequestHandlers, AProgressTokenThatMatchesNoRequestFallsBackToTheRule) {
  json::value meta = json::object{{"progressToken", "not-ours"}};
  auto out = run([&](auto ex) { return two_calls_by_hand(ex, meta, true); });
  EXPECT_EQ(out[0], "request-0");
  EXPECT_EQ(out[1], "client-wide");
}

// ---- Streamable HTTP: the request's response stream says which request it belongs to ---------

TEST(PerRequestHandlers, OverStreamableHttpTheResponseStreamDecides) {
  Server server({.info = {.name = "http", .version = "1"}});
  // The question carries a progress token that matches nothing, so only the stream can tell.
  server.add_tool({.name = "ask", .description = "Elicits"},
                  [](const json::object&, Context& ctx) -> Task<ToolResult> {
                    json::object params{{"message", "?"},
                                        {"requestedSchema", form_schema()},
                                        {"_meta", json::object{{"progressToken", "not-ours"}}}};
                    json::value r = co_await ctx.request("elicitation/create", params);
                    co_return ToolResult::text(std::string(find_string(r.at("content"), "name")));
                  });
  ServedOverHttp http(server);
  auto out = run([&](auto ex) -> Task<std::vector<std::string>> {
    Client client(ex, stateful_options());
    client.on_elicitation([](const ElicitationRequest&) -> Task<ElicitationResponse> {
      co_return ElicitationResponse::accept({{"name", "client-wide"}});
    });
    HttpTarget t;
    t.url = http.url();
    co_await client.connect(t);
    std::vector<std::string> results(2);
    int done = 0;
    for (int i = 0; i < 2; ++i) {
      RequestOptions opt;
      opt.on_elicitation = [i](const ElicitationRequest&) -> Task<ElicitationResponse> {
        co_await sleep_for(i == 0 ? 30ms : 1ms);
        co_return ElicitationResponse::accept({{"name", "request-" + std::to_string(i)}});
      };
      asio::co_spawn(
          ex,
          [&client, &results, i, opt]() -> Task<void> {
            results[static_cast<std::size_t>(i)] = co_await call_text(client, "ask", opt);
          },
          [&done](auto) { ++done; });
    }
    EXPECT_TRUE(co_await eventually([&] { return done == 2; }));
    co_await client.close();
    co_return results;
  });
  EXPECT_EQ(out[0], "request-0");
  EXPECT_EQ(out[1], "request-1");
}

}  // namespace
}  // namespace mcpp::testing
