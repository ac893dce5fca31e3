// The stateless revision (2026-07-28) through a connection's ServerSession, as stdio drives it:
// _meta validation, discovery, caching hints, multi round-trip requests with authenticated
// state, per-request logging, subscriptions/listen — with handlers that know nothing of eras.
#include "server/stateless.hpp"

#include <gtest/gtest.h>

#include "session_harness.hpp"

namespace mcpp {
namespace {
using testing::error_code;
using testing::error_message;
using testing::SessionHarness;

constexpr std::string_view kCaps = R"({"elicitation":{},"sampling":{},"roots":{}})";

// A request of the stateless revision: `params` without the braces, _meta added.
std::string modern(std::string_view id, std::string_view method, std::string_view params = "",
                   std::string_view caps = kCaps, std::string_view extra_meta = "") {
  std::string p = "{";
  if (!params.empty()) p += std::string(params) + ",";
  p += R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",)";
  p += R"("io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},)";
  p += R"("io.modelcontextprotocol/clientCapabilities":)" + std::string(caps);
  if (!extra_meta.empty()) p += "," + std::string(extra_meta);
  p += "}}";
  return R"({"jsonrpc":"2.0","id":)" + std::string(id) + R"(,"method":")" + std::string(method) +
         R"(","params":)" + p + "}";
}

// Retries `base_params` with the state and responses of an input_required result.
std::string retry(std::string_view id, std::string_view method, std::string_view base_params,
                  const json::value& state, const json::object& responses,
                  std::string_view caps = kCaps) {
  std::string p(base_params);
  if (!p.empty()) p += ",";
  p += R"("requestState":)" + json::serialize(state) + R"(,"inputResponses":)" +
       json::serialize(responses);
  return modern(id, method, p, caps);
}

class StatelessTest : public ::testing::Test {
 protected:
  StatelessTest()
      : server({.info = {.name = "srv", .version = "9"},
                .instructions = "be nice",
                .list_cache = {std::chrono::milliseconds(60'000), CacheScope::kPublic}}) {
    // One handler for both eras: two questions to the client, then an answer.
    server.add_tool(
        {.name = "interview",
         .input_schema =
             json::parse(R"({"type":"object","properties":{"topic":{"type":"string"}}})")
                 .as_object()},
        [this](const json::object& args, Context& ctx) -> Task<ToolResult> {
          ++runs;
          json::object schema =
              json::parse(R"({"type":"object","properties":{"name":{"type":"string"}}})")
                  .as_object();
          ElicitResult who = co_await ctx.elicit("Your name?", std::move(schema));
          json::object req =
              json::parse(
                  R"({"messages":[{"role":"user","content":{"type":"text","text":"hi"}}],"maxTokens":5})")
                  .as_object();
          json::object said = co_await ctx.sample(std::move(req));
          co_return ToolResult::text(std::string(find_string(args, "topic")) + "/" + who.action +
                                     ":" + std::string(find_string(who.content, "name")) + "/" +
                                     std::string(find_string(said.at("content"), "text")));
        });
    server.add_tool({.name = "chatty"}, [](const json::object&, Context& ctx) -> Task<ToolResult> {
      ctx.log(LogLevel::kInfo, "info line");
      ctx.log(LogLevel::kError, "error line");
      co_return ToolResult::text("done");
    });
    server.add_resource({.uri = "test://r", .name = "r"},
                        [](const std::string& uri, Context&) -> Task<std::vector<json::object>> {
                          co_return std::vector<json::object>{text_contents(uri, "", "x")};
                        });
  }
  Server server;
  int runs = 0;
};

TEST_F(StatelessTest, DiscoverDescribesTheServer) {
  SessionHarness h(server);
  json::value r = h.send(modern("1", "server/discover"));
  const json::object& result = r.at("result").as_object();
  EXPECT_EQ(result.at("resultType").as_string(), "complete");
  EXPECT_EQ(result.at("supportedVersions").as_array()[0].as_string(), "2026-07-28");
  EXPECT_TRUE(result.at("capabilities").as_object().contains("tools"));
  EXPECT_EQ(result.at("instructions").as_string(), "be nice");
  EXPECT_EQ(result.at("ttlMs").as_int64(), 60'000);
  EXPECT_EQ(result.at("cacheScope").as_string(), "public");
  EXPECT_EQ(result.at("_meta").at(stateless::kServerInfoKey).at("name").as_string(), "srv");
  EXPECT_FALSE(h.session->negotiated());  // no session was started
}

TEST_F(StatelessTest, MetaIsValidated) {
  SessionHarness h(server);
  // No clientCapabilities.
  json::value r = h.send(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})");
  EXPECT_EQ(error_code(r), jsonrpc::kInvalidParams);
  EXPECT_NE(error_message(r).find("clientCapabilities"), std::string::npos);
  // A version this server does not speak.
  r = h.send(
      R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}}})");
  EXPECT_EQ(error_code(r), kUnsupportedProtocolVersion);
  EXPECT_EQ(r.at("error").at("data").at("requested").as_string(), "2099-01-01");
  EXPECT_EQ(r.at("error").at("data").at("supported").as_array()[0].as_string(), "2026-07-28");
  // clientInfo is optional.
  r = h.send(
      R"({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})");
  EXPECT_TRUE(r.as_object().contains("result")) << json::serialize(r);
  // A bad log level.
  r = h.send(modern("4", "tools/list", "", "{}", R"("io.modelcontextprotocol/logLevel":"loud")"));
  EXPECT_EQ(error_code(r), jsonrpc::kInvalidParams);
}

TEST_F(StatelessTest, ListsCarryCachingHintsAndResultType) {
  SessionHarness h(server);
  for (std::string_view m :
       {"tools/list", "resources/list", "resources/templates/list", "prompts/list"}) {
    json::value r = h.send(modern("1", m));
    const json::object& result = r.at("result").as_object();
    EXPECT_EQ(result.at("resultType").as_string(), "complete") << m;
    EXPECT_EQ(result.at("ttlMs").as_int64(), 60'000) << m;
    EXPECT_EQ(result.at("cacheScope").as_string(), "public") << m;
  }
  json::value r = h.send(modern("2", "resources/read", R"("uri":"test://r")"));
  EXPECT_EQ(r.at("result").at("cacheScope").as_string(), "private");  // the read default
  EXPECT_EQ(r.at("result").at("ttlMs").as_int64(), 0);
}

TEST_F(StatelessTest, RemovedMethodsAndMissingResources) {
  SessionHarness h(server);
  for (std::string_view m : {"ping", "logging/setLevel", "resources/subscribe"}) {
    EXPECT_EQ(error_code(h.send(modern("1", m))), jsonrpc::kMethodNotFound) << m;
  }
  json::value r = h.send(modern("2", "resources/read", R"("uri":"test://missing")"));
  EXPECT_EQ(error_code(r), jsonrpc::kInvalidParams);
  EXPECT_EQ(r.at("error").at("data").at("uri").as_string(), "test://missing");
}

TEST_F(StatelessTest, MultiRoundTripRequestRunsTheSameHandler) {
  SessionHarness h(server);
  constexpr std::string_view params = R"("name":"interview","arguments":{"topic":"t"})";
  json::value r1 = h.send(modern("1", "tools/call", params));
  const json::object& ir1 = r1.at("result").as_object();
  ASSERT_EQ(ir1.at("resultType").as_string(), "input_required") << json::serialize(r1);
  const json::object& asks1 = ir1.at("inputRequests").as_object();
  ASSERT_EQ(asks1.size(), 1u);
  EXPECT_EQ(asks1.begin()->value().at("method").as_string(), "elicitation/create");
  EXPECT_TRUE(h.sink->take().empty());  // nothing was sent to the client as a request

  json::object answers1;
  answers1[asks1.begin()->key()] = json::parse(R"({"action":"accept","content":{"name":"Ada"}})");
  json::value r2 = h.send(retry("2", "tools/call", params, ir1.at("requestState"), answers1));
  const json::object& ir2 = r2.at("result").as_object();
  ASSERT_EQ(ir2.at("resultType").as_string(), "input_required") << json::serialize(r2);
  const json::object& asks2 = ir2.at("inputRequests").as_object();
  EXPECT_EQ(asks2.begin()->value().at("method").as_string(), "sampling/createMessage");

  json::object answers2;
  answers2[asks2.begin()->key()] =
      json::parse(R"({"role":"assistant","content":{"type":"text","text":"hello"},"model":"m"})");
  answers2["unrelated"] = 42;  // ignored
  json::value r3 = h.send(retry("3", "tools/call", params, ir2.at("requestState"), answers2));
  const json::object& done = r3.at("result").as_object();
  EXPECT_EQ(done.at("resultType").as_string(), "complete");
  EXPECT_EQ(done.at("content").as_array()[0].at("text").as_string(), "t/accept:Ada/hello");
  EXPECT_EQ(runs, 3);
}

TEST_F(StatelessTest, UnansweredInputIsAskedAgain) {
  SessionHarness h(server);
  constexpr std::string_view params = R"("name":"interview","arguments":{"topic":"t"})";
  json::value r1 = h.send(modern("1", "tools/call", params));
  json::value r2 =
      h.send(retry("2", "tools/call", params, r1.at("result").at("requestState"), json::object{}));
  EXPECT_EQ(r2.at("result").at("resultType").as_string(), "input_required");
  EXPECT_EQ(r2.at("result").at("inputRequests").as_object().begin()->value().at("method"),
            "elicitation/create");
}

TEST_F(StatelessTest, TamperedForeignOrMisusedStateIsRefused) {
  SessionHarness h(server);
  constexpr std::string_view params = R"("name":"interview","arguments":{"topic":"t"})";
  json::value r1 = h.send(modern("1", "tools/call", params));
  std::string state(r1.at("result").at("requestState").as_string());
  std::string key(r1.at("result").at("inputRequests").as_object().begin()->key());
  json::object answers;
  answers[key] = json::parse(R"({"action":"accept","content":{"name":"Ada"}})");

  std::string tampered = state;
  tampered[tampered.size() / 3] = tampered[tampered.size() / 3] == 'A' ? 'B' : 'A';
  json::value r = h.send(retry("2", "tools/call", params, json::value(tampered), answers));
  EXPECT_EQ(error_code(r), jsonrpc::kInvalidParams) << json::serialize(r);

  // The same state on a call with other arguments.
  r = h.send(retry("3", "tools/call", R"("name":"interview","arguments":{"topic":"other"})",
                   json::value(state), answers));
  EXPECT_EQ(error_code(r), jsonrpc::kInvalidParams);
  EXPECT_NE(error_message(r).find("another request"), std::string::npos);

  // Another server (another key) does not accept it.
  Server other;
  other.add_tool({.name = "interview"}, [](const json::object&, Context&) -> Task<ToolResult> {
    co_return ToolResult::text("x");
  });
  SessionHarness h2(other);
  r = h2.send(retry("4", "tools/call", params, json::value(state), answers));
  EXPECT_EQ(error_code(r), jsonrpc::kInvalidParams);

  // An input response of the wrong shape.
  answers[key] = json::parse(R"({"action":"maybe"})");
  r = h.send(retry("5", "tools/call", params, json::value(state), answers));
  EXPECT_EQ(error_code(r), jsonrpc::kInvalidParams);
  EXPECT_NE(error_message(r).find(key), std::string::npos);
}

TEST_F(StatelessTest, MissingClientCapabilityIsMinus32021) {
  SessionHarness h(server);
  json::value r = h.send(
      modern("1", "tools/call", R"("name":"interview","arguments":{})", R"({"sampling":{}})"));
  EXPECT_EQ(error_code(r), kMissingRequiredClientCapability) << json::serialize(r);
  EXPECT_TRUE(
      r.at("error").at("data").at("requiredCapabilities").as_object().contains("elicitation"));
}

TEST_F(StatelessTest, LogsOnlyWithALogLevel) {
  SessionHarness h(server);
  json::value r = h.send(modern("1", "tools/call", R"("name":"chatty")"));
  EXPECT_EQ(r.at("result").at("resultType").as_string(), "complete");
  EXPECT_TRUE(h.sink->take().empty());
  h.send(modern("2", "tools/call", R"("name":"chatty")", kCaps,
                R"("io.modelcontextprotocol/logLevel":"warning")"));
  auto sent = h.sink->take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("params").at("level").as_string(), "error");
}

TEST_F(StatelessTest, SubscriptionsListenDeliversTheOptedInNotifications) {
  SessionHarness h(server);
  json::value reply = "unset";
  h.start(
      modern("\"sub\"", "subscriptions/listen",
             R"("notifications":{"toolsListChanged":true,"resourceSubscriptions":["test://r"]})"),
      &reply);
  auto sent = h.sink->take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("method").as_string(), "notifications/subscriptions/acknowledged");
  EXPECT_EQ(sent[0].at("params").at("_meta").at(stateless::kSubscriptionIdKey).as_string(), "sub");
  EXPECT_TRUE(sent[0].at("params").at("notifications").at("toolsListChanged").as_bool());

  server.add_prompt({.name = "p"}, [](const Variables&, Context&) -> Task<PromptResult> {
    co_return PromptResult{};
  });  // not opted in
  server.add_tool({.name = "late"}, [](const json::object&, Context&) -> Task<ToolResult> {
    co_return ToolResult::text("x");
  });
  server.notify_resource_updated("test://r");
  server.notify_resource_updated("test://other");
  sent = h.sink->take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].at("method").as_string(), "notifications/tools/list_changed");
  EXPECT_EQ(sent[0].at("params").at("_meta").at(stateless::kSubscriptionIdKey).as_string(), "sub");
  EXPECT_EQ(sent[1].at("params").at("uri").as_string(), "test://r");
  EXPECT_EQ(reply.as_string(), "unset");  // still listening

  h.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"sub"}})");
  h.poll();
  EXPECT_TRUE(reply.is_null()) << json::serialize(reply);  // cancelled: no response
  server.remove_tool("late");
  EXPECT_TRUE(h.sink->take().empty());
}

// Runs a request without waiting for the io to be idle (tasks keep timers alive).
json::value run(SessionHarness& h, const std::string& text) {
  json::value reply;
  h.start(text, &reply);
  for (int i = 0; i < 100 && reply.is_null(); ++i) {
    h.io.restart();
    h.io.run_for(std::chrono::milliseconds(5));
  }
  return reply;
}

json::value settle(SessionHarness& h, const std::string& id, std::string_view caps) {
  json::value got;
  for (int i = 0; i < 100; ++i) {
    h.io.restart();
    h.io.run_for(std::chrono::milliseconds(5));
    got = run(h, modern("9", "tasks/get", R"("taskId":")" + id + R"(")", caps));
    std::string_view st = got.at("result").at("status").as_string();
    if (st != "working") break;
  }
  return got;
}

TEST_F(StatelessTest, ToolCallsBecomeTasksForClientsThatTakeThem) {
  constexpr std::string_view kTaskCaps =
      R"({"elicitation":{},"extensions":{"io.modelcontextprotocol/tasks":{}}})";
  server.add_tool({.name = "job", .task_support = TaskSupport::kOptional},
                  [](const json::object&, Context& ctx) -> Task<ToolResult> {
                    bool task = co_await ctx.as_task();
                    json::object schema{{"type", "object"}};
                    ElicitResult r = co_await ctx.elicit("Go?", std::move(schema));
                    co_return ToolResult::text(std::string(task ? "task:" : "call:") + r.action);
                  });
  server.add_tool({.name = "must_be_task", .task_support = TaskSupport::kRequired},
                  [](const json::object&, Context& ctx) -> Task<ToolResult> {
                    co_await ctx.as_task();
                    throw RpcError(-32603, "backend down");
                    co_return ToolResult{};
                  });
  SessionHarness h(server);
  // Without the extension: an ordinary call, questions by MRTR.
  json::value plain = run(h, modern("1", "tools/call", R"("name":"job")"));
  EXPECT_EQ(plain.at("result").at("resultType"), "input_required") << json::serialize(plain);
  EXPECT_FALSE(plain.at("result").as_object().contains("taskId"));
  EXPECT_EQ(error_code(run(h, modern("2", "tools/call", R"("name":"must_be_task")"))),
            kMissingRequiredClientCapability);
  EXPECT_EQ(error_code(run(h, modern("3", "tasks/get", R"("taskId":"x")"))),
            kMissingRequiredClientCapability);

  // With it: a task handle, then input_required on tasks/get, tasks/update, completed.
  json::value created = run(h, modern("4", "tools/call", R"("name":"job")", kTaskCaps));
  const json::object& handle = created.at("result").as_object();
  ASSERT_EQ(handle.at("resultType"), "task") << json::serialize(created);
  std::string id(handle.at("taskId").as_string());
  EXPECT_TRUE(handle.contains("createdAt") && handle.contains("ttlMs") &&
              handle.contains("pollIntervalMs"));
  json::value parked = settle(h, id, kTaskCaps);
  ASSERT_EQ(parked.at("result").at("status"), "input_required") << json::serialize(parked);
  std::string key(parked.at("result").at("inputRequests").as_object().begin()->key());
  json::value ack = run(h, modern("5", "tasks/update",
                                  R"("taskId":")" + id + R"(","inputResponses":{")" + key +
                                      R"(":{"action":"accept","content":{}}})",
                                  kTaskCaps));
  EXPECT_EQ(ack.at("result").at("resultType"), "complete");
  EXPECT_FALSE(ack.at("result").as_object().contains("status"));
  json::value done = settle(h, id, kTaskCaps);
  for (int i = 0; i < 50 && done.at("result").at("status") != "completed"; ++i) {
    done = settle(h, id, kTaskCaps);
  }
  ASSERT_EQ(done.at("result").at("status"), "completed") << json::serialize(done);
  EXPECT_EQ(done.at("result").at("result").at("content").as_array()[0].at("text"), "task:accept");

  // A protocol error fails the task; cancel is acknowledged and idempotent; unknown ids -32602.
  json::value failing = run(h, modern("6", "tools/call", R"("name":"must_be_task")", kTaskCaps));
  std::string fid(failing.at("result").at("taskId").as_string());
  json::value failed = settle(h, fid, kTaskCaps);
  EXPECT_EQ(failed.at("result").at("status"), "failed");
  EXPECT_EQ(failed.at("result").at("error").at("code"), -32603);
  json::value second = run(h, modern("7", "tools/call", R"("name":"job")", kTaskCaps));
  std::string sid(second.at("result").at("taskId").as_string());
  for (int i = 0; i < 2; ++i) {
    json::value c = run(h, modern("8", "tasks/cancel", R"("taskId":")" + sid + R"(")", kTaskCaps));
    EXPECT_EQ(c.at("result").at("resultType"), "complete");
  }
  EXPECT_EQ(settle(h, sid, kTaskCaps).at("result").at("status"), "cancelled");
  EXPECT_EQ(error_code(run(h, modern("9", "tasks/get", R"("taskId":"nope")", kTaskCaps))),
            jsonrpc::kInvalidParams);
}

TEST_F(StatelessTest, AnAnswerCountsOnlyForTheQuestionItAnswered) {
  // The question changes between rounds (the price moved): the earlier "accept" does not carry.
  int price = 10;
  server.add_tool({.name = "buy"}, [&price](const json::object&, Context& ctx) -> Task<ToolResult> {
    json::object schema{{"type", "object"}};
    ElicitResult r =
        co_await ctx.elicit("Pay " + std::to_string(price) + "?", std::move(schema), "confirm");
    co_return ToolResult::text("paid " + std::to_string(price) + ": " + r.action);
  });
  SessionHarness h(server);
  json::value r1 = h.send(modern("1", "tools/call", R"("name":"buy")"));
  json::object yes{{"confirm", json::parse(R"({"action":"accept"})")}};
  price = 900;
  json::value r2 =
      h.send(retry("2", "tools/call", R"("name":"buy")", r1.at("result").at("requestState"), yes));
  EXPECT_EQ(r2.at("result").at("resultType"), "input_required") << json::serialize(r2);
  json::value r3 =
      h.send(retry("3", "tools/call", R"("name":"buy")", r2.at("result").at("requestState"), yes));
  EXPECT_EQ(r3.at("result").at("content").as_array()[0].at("text"), "paid 900: accept");
}

TEST_F(StatelessTest, AnswersWithoutStateAreTakenForTheKeysAsked) {
  SessionHarness h(server);
  json::value r = h.send(modern(
      "1", "tools/call",
      R"("name":"interview","arguments":{"topic":"t"},"inputResponses":{"elicit-0":{"action":"decline"},"junk":1})"));
  // The elicitation was answered in the first request; the sampling question comes next.
  EXPECT_EQ(r.at("result").at("inputRequests").as_object().begin()->value().at("method"),
            "sampling/createMessage");
}

}  // namespace
}  // namespace mcpp
