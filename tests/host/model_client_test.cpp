// The model client against the scripted OpenAI-compatible endpoint (a real child process):
// streaming, tool-call fragments, errors and retries, cancellation; and the request it sends.
#include "host/model_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <stop_token>
#include <string>
#include <vector>

#include "scripted_model_process.hpp"

namespace mcpp::host {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::run_coroutine;
using testing::ScriptedModelProcess;

ModelConfig config_for(const ScriptedModelProcess& endpoint) {
  ModelConfig c;
  c.base_url = endpoint.base_url();
  c.model = "test-model";
  c.timeout = 10s;
  c.max_retries = 3;
  return c;
}

ModelRequest user_says(std::string text, std::vector<ToolSpec> tools = {}) {
  ModelRequest r;
  r.messages.push_back({.role = "system", .content = "You are a test."});
  r.messages.push_back({.role = "user", .content = std::move(text)});
  r.tools = std::move(tools);
  return r;
}

std::vector<ToolSpec> payment_tools() {
  json::object schema{{"type", "object"}, {"properties", json::object{}}};
  return {{.name = "payments__list_charges", .description = "List charges", .parameters = schema},
          {.name = "payments__refund", .description = "Refund a charge", .parameters = schema},
          {.name = "chat__post_message", .description = "Post", .parameters = schema}};
}

// What one complete() call gave: the reply or the error, the text pieces, the retries.
struct Outcome {
  std::optional<ModelReply> reply;
  std::optional<ModelError> error;
  std::vector<std::string> pieces;
  std::vector<std::chrono::milliseconds> retry_waits;
  std::chrono::milliseconds took{0};
};

Outcome complete(const ModelConfig& config, ModelRequest request, std::stop_source* stop = nullptr,
                 std::function<void(std::stop_source*)> after_first_text = nullptr) {
  Outcome out;
  auto started = std::chrono::steady_clock::now();
  run_coroutine([&](asio::any_io_executor ex) -> Task<bool> {
    ModelClient client(ex, config);
    // Not a conditional inside the co_await expression: GCC 12 evaluates both arms there.
    std::stop_token token;
    if (stop) token = stop->get_token();
    try {
      out.reply = co_await client.complete(
          std::move(request),
          [&](std::string_view text) {
            out.pieces.emplace_back(text);
            if (after_first_text && out.pieces.size() == 1) after_first_text(stop);
          },
          token,
          [&](const ModelError&, std::chrono::milliseconds wait) {
            out.retry_waits.push_back(wait);
            if (stop && !after_first_text) stop->request_stop();
          });
    } catch (const ModelError& e) {
      out.error = e;
    }
    co_return true;
  });
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return out;
}

std::string joined(const std::vector<std::string>& pieces) {
  std::string all;
  for (const auto& p : pieces) all += p;
  return all;
}

// ---- the request body, without the network ----

TEST(ChatCompletionsBody, ReplaysHistoryAndOffersToolsAsOpenAiExpects) {
  ModelConfig config;
  config.model = "gpt-test";
  ModelRequest r;
  r.messages = {
      {.role = "system", .content = "sys"},
      {.role = "user", .content = "refund ch_1"},
      {.role = "assistant",
       .tool_calls = {{.id = "call_a", .name = "payments__refund", .arguments = R"({"x":1})"},
                      {.id = "call_b", .name = "chat__post_message", .arguments = ""}}},
      {.role = "tool", .content = "refunded", .tool_call_id = "call_a"},
      {.role = "tool", .content = "declined by the person", .tool_call_id = "call_b"},
      {.role = "assistant", .content = "Done."},
  };
  r.tools = {{.name = "payments__refund", .description = "Refund", .parameters = {}}};
  r.temperature = 0.5;
  json::object body = chat_completions_body(config, r);
  EXPECT_EQ(body.at("model"), "gpt-test");
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("stream_options").at("include_usage"), true);
  EXPECT_FALSE(body.contains("tool_choice"));
  EXPECT_FALSE(body.contains("max_tokens"));
  EXPECT_EQ(body.at("temperature"), 0.5);
  const json::array& m = body.at("messages").as_array();
  ASSERT_EQ(m.size(), 6u);
  EXPECT_TRUE(m[2].at("content").is_null());
  EXPECT_EQ(m[2].at("tool_calls"),
            json::parse(R"([{"id":"call_a","type":"function","function":{"name":"payments__refund",
                "arguments":"{\"x\":1}"}},{"id":"call_b","type":"function","function":{
                "name":"chat__post_message","arguments":"{}"}}])"));
  EXPECT_EQ(m[3], json::parse(R"({"role":"tool","content":"refunded","tool_call_id":"call_a"})"));
  EXPECT_EQ(m[5], json::parse(R"({"role":"assistant","content":"Done."})"));
  EXPECT_EQ(body.at("tools"),
            json::parse(R"([{"type":"function","function":{"name":"payments__refund",
                "description":"Refund","parameters":{"type":"object"}}}])"));
}

// ---- assembling a reply from chunks, without the network ----

TEST(ChatReplyAssembler, MergesFragmentsByIndexAndIgnoresUnknownFields) {
  ChatReplyAssembler a;
  const char* chunks[] = {
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning_content":"hm"}}]})",
      R"({"choices":[{"index":0,"delta":{"content":"Refunding"},"logprobs":null}],"usage":null})",
      R"({"choices":[{"delta":{"tool_calls":[{"index":1,"id":"c2","type":"function","function":{"name":"b","arguments":""}}]}}]})",
      R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"a","arguments":"{\"k\""}}]}}]})",
      R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]})",
      R"({"choices":[{"delta":{},"finish_reason":"stop"}]})",
      R"({"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}})",
  };
  std::string text;
  for (const char* c : chunks) text += a.add_chunk(json::parse(c));
  ModelReply r = a.reply();
  EXPECT_EQ(text, "Refunding");
  EXPECT_EQ(r.content, "Refunding");
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0], (ChatToolCall{"c1", "a", R"({"k":1})"}));
  // Empty arguments mean an object without members.
  EXPECT_EQ(r.tool_calls[1], (ChatToolCall{"c2", "b", "{}"}));
  EXPECT_EQ(r.finish_reason, "stop") << "calls are decided by presence, not finish_reason";
  ASSERT_TRUE(r.usage);
  EXPECT_EQ(r.usage->total_tokens, 10);
}

TEST(ChatReplyAssembler, WholeCallsWithTheSameIndexStayApartAndMissingIdsAreFilled) {
  ChatReplyAssembler a;
  a.add_chunk(json::parse(
      R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"x1","function":{"name":"a","arguments":"{}"}}]}}]})"));
  a.add_chunk(json::parse(
      R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"x2","function":{"name":"b","arguments":{"n":2}}}]}}]})"));
  // A fragment with neither index nor id continues the last call.
  a.add_chunk(
      json::parse(R"({"choices":[{"delta":{"tool_calls":[{"function":{"arguments":""}}]}}]})"));
  a.add_chunk(json::parse(
      R"({"choices":[{"delta":{"tool_calls":[{"id":"x3","function":{"name":"c"}}]}}]})"));
  ModelReply r = a.reply();
  ASSERT_EQ(r.tool_calls.size(), 3u);
  EXPECT_EQ(r.tool_calls[0].name, "a");
  EXPECT_EQ(r.tool_calls[1].name, "b");
  EXPECT_EQ(r.tool_calls[1].id, "x2");
  EXPECT_EQ(r.tool_calls[1].arguments, R"({"n":2})");
  EXPECT_EQ(r.tool_calls[2], (ChatToolCall{"x3", "c", "{}"}));
  ChatReplyAssembler b;
  b.add_whole(json::parse(
      R"({"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[
          {"type":"function","function":{"name":"a","arguments":"{}"}},
          {"type":"function","function":{"name":"b","arguments":""}}]},"finish_reason":"tool_calls"}]})"));
  ModelReply w = b.reply();
  ASSERT_EQ(w.tool_calls.size(), 2u);
  EXPECT_NE(w.tool_calls[0].id, w.tool_calls[1].id);
  EXPECT_FALSE(w.tool_calls[0].id.empty());
  EXPECT_EQ(w.tool_calls[1].arguments, "{}");
}

TEST(ChatReplyAssembler, AnErrorObjectIsAnError) {
  ChatReplyAssembler a;
  try {
    a.add_chunk(json::parse(R"({"error":{"message":"overloaded","type":"server_error"}})"));
    FAIL() << "no error";
  } catch (const ModelError& e) {
    EXPECT_EQ(e.kind(), ModelError::Kind::kBadResponse);
    EXPECT_NE(std::string(e.what()).find("overloaded (type server_error)"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(a.add_whole(json::parse(R"({"error":"model 'x' not found"})")), ModelError);
  EXPECT_THROW(a.add_whole(json::parse(R"({"data":[]})")), ModelError);
}

// ---- against the scripted endpoint ----

TEST(ModelClient, StreamsTextInPiecesWithUsage) {
  ScriptedModelProcess endpoint;
  Outcome o = complete(config_for(endpoint), user_says("say The charge ch_1 was refunded today."));
  ASSERT_FALSE(o.error) << o.error->what();
  EXPECT_GT(o.pieces.size(), 2u) << "streamed, not at once";
  EXPECT_EQ(joined(o.pieces), "The charge ch_1 was refunded today.");
  EXPECT_EQ(o.reply->content, "The charge ch_1 was refunded today.");
  EXPECT_TRUE(o.reply->tool_calls.empty());
  EXPECT_EQ(o.reply->finish_reason, "stop");
  ASSERT_TRUE(o.reply->usage);
  EXPECT_GT(o.reply->usage->total_tokens, 0);
  auto requests = endpoint.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("body").at("stream"), true);
  EXPECT_EQ(requests[0].at("authorization"), false) << "no key, no Authorization header";
}

TEST(ModelClient, MergesSeveralCallsSplitIntoFragments) {
  ScriptedModelProcess endpoint;
  Outcome o = complete(
      config_for(endpoint),
      user_says("say Let me look.\ncall list_charges {\"limit\": 5, \"customer\": \"cus_42\"}\n"
                "call payments__refund {\"charge_id\":\"ch_1\",\"amount_cents\":1250}",
                payment_tools()));
  ASSERT_FALSE(o.error) << o.error->what();
  EXPECT_EQ(o.reply->content, "Let me look.");
  ASSERT_EQ(o.reply->tool_calls.size(), 2u);
  EXPECT_EQ(o.reply->tool_calls[0].name, "payments__list_charges");
  EXPECT_EQ(o.reply->tool_calls[0].arguments, R"({"limit": 5, "customer": "cus_42"})");
  EXPECT_EQ(o.reply->tool_calls[1].name, "payments__refund");
  EXPECT_EQ(o.reply->tool_calls[1].arguments, R"({"charge_id":"ch_1","amount_cents":1250})");
  EXPECT_NE(o.reply->tool_calls[0].id, o.reply->tool_calls[1].id);
  EXPECT_EQ(o.reply->finish_reason, "tool_calls");
  auto requests = endpoint.requests();
  const json::value& body = requests.at(0).at("body");
  EXPECT_EQ(body.at("tools").as_array().size(), 3u);
  EXPECT_EQ(body.at("tools").at(1).at("function").at("name"), "payments__refund");
}

TEST(ModelClient, TakesOllamaStyleWholeCallsAndIgnoresReasoning) {
  ScriptedModelProcess endpoint;
  Outcome o = complete(config_for(endpoint),
                       user_says("whole-calls\nreasoning I should refund first\n"
                                 "call refund {\"charge_id\":\"ch_2\"}\ncall list_charges",
                                 payment_tools()));
  ASSERT_FALSE(o.error) << o.error->what();
  EXPECT_TRUE(o.pieces.empty()) << "reasoning is not text: " << joined(o.pieces);
  ASSERT_EQ(o.reply->tool_calls.size(), 2u);
  EXPECT_EQ(o.reply->tool_calls[0].name, "payments__refund");
  EXPECT_EQ(o.reply->tool_calls[0].arguments, R"({"charge_id":"ch_2"})");
  EXPECT_EQ(o.reply->tool_calls[1].name, "payments__list_charges");
  EXPECT_EQ(o.reply->tool_calls[1].arguments, "{}");
}

TEST(ModelClient, ReplayedHistoryIsAcceptedAndToolResultsReachTheModel) {
  ScriptedModelProcess endpoint;
  ModelConfig config = config_for(endpoint);
  ModelRequest r = user_says("call refund {\"charge_id\":\"ch_1\"}", payment_tools());
  Outcome first = complete(config, r);
  ASSERT_FALSE(first.error) << first.error->what();
  ASSERT_EQ(first.reply->tool_calls.size(), 1u);
  r.messages.push_back({.role = "assistant", .tool_calls = first.reply->tool_calls});
  r.messages.push_back({.role = "tool",
                        .content = "The person declined this call.",
                        .tool_call_id = first.reply->tool_calls[0].id});
  Outcome second = complete(config, r);
  ASSERT_FALSE(second.error) << second.error->what();
  EXPECT_EQ(second.reply->content,
            "Tool results:\n[payments__refund] The person declined this call.");
}

TEST(ModelClient, ThenStartsTheNextStepOfATurn) {
  ScriptedModelProcess endpoint;
  ModelConfig config = config_for(endpoint);
  ModelRequest r = user_says(
      "call refund {\"charge_id\":\"ch_1\",\"amount_cents\":1250}\nthen\n"
      "say Refunded; telling the team.\ncall chat__post_message {\"channel\":\"billing\"}",
      payment_tools());
  std::vector<std::string> answered;
  for (int step = 0; step < 3; ++step) {
    Outcome o = complete(config, r);
    ASSERT_FALSE(o.error) << o.error->what();
    std::string calls;
    for (const auto& c : o.reply->tool_calls) calls += " " + c.name;
    answered.push_back(o.reply->content + calls);
    if (o.reply->tool_calls.empty()) break;
    r.messages.push_back(
        {.role = "assistant", .content = o.reply->content, .tool_calls = o.reply->tool_calls});
    for (const auto& c : o.reply->tool_calls) {
      r.messages.push_back({.role = "tool", .content = "ok " + c.name, .tool_call_id = c.id});
    }
  }
  EXPECT_EQ(answered, (std::vector<std::string>{
                          " payments__refund", "Refunded; telling the team. chat__post_message",
                          "Tool results:\n[chat__post_message] ok chat__post_message"}));
}

TEST(ModelClient, AnUnansweredToolCallIsRefusedByTheEndpoint) {
  ScriptedModelProcess endpoint;
  ModelRequest r = user_says("say hi");
  r.messages.push_back(
      {.role = "assistant", .tool_calls = {{.id = "call_1", .name = "x", .arguments = "{}"}}});
  r.messages.push_back({.role = "user", .content = "say again"});
  Outcome o = complete(config_for(endpoint), r);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kBadRequest);
  EXPECT_NE(std::string(o.error->what()).find("did not have response messages: call_1"),
            std::string::npos)
      << o.error->what();
}

TEST(ModelClient, AnOrphanToolMessageIsRefusedWithTheEndpointsMessage) {
  ScriptedModelProcess endpoint;
  ModelRequest r = user_says("say hi");
  r.messages.push_back({.role = "tool", .content = "x", .tool_call_id = "call_nowhere"});
  Outcome o = complete(config_for(endpoint), r);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kBadRequest);
  EXPECT_EQ(o.error->http_status(), 400);
  EXPECT_NE(std::string(o.error->what()).find("must be a response to a preceeding message"),
            std::string::npos)
      << o.error->what();
  EXPECT_EQ(endpoint.requests().size(), 1u) << "a 400 is not retried";
}

TEST(ModelClient, NonJsonArgumentsArePassedThroughAsText) {
  ScriptedModelProcess endpoint;
  Outcome o =
      complete(config_for(endpoint),
               user_says("args-not-json\ncall refund {\"charge_id\":\"ch_1\"}\nunknown-tool",
                         payment_tools()));
  ASSERT_FALSE(o.error) << o.error->what();
  ASSERT_EQ(o.reply->tool_calls.size(), 2u);
  EXPECT_EQ(o.reply->tool_calls[0].arguments, R"({"charge_id":"ch_1")");
  EXPECT_EQ(o.reply->tool_calls[1].name, "made_up_tool");
}

TEST(ModelClient, AcceptsAWholeJsonAnswerToAStreamedRequest) {
  ScriptedModelProcess endpoint;
  Outcome o = complete(config_for(endpoint),
                       user_says("json-body\nsay at once\ncall refund {}", payment_tools()));
  ASSERT_FALSE(o.error) << o.error->what();
  EXPECT_EQ(joined(o.pieces), "at once");
  EXPECT_EQ(o.reply->content, "at once");
  ASSERT_EQ(o.reply->tool_calls.size(), 1u);
  EXPECT_EQ(o.reply->tool_calls[0].name, "payments__refund");
  ASSERT_TRUE(o.reply->usage);
}

TEST(ModelClient, RetriesA429AfterItsRetryAfter) {
  ScriptedModelProcess endpoint;
  Outcome o = complete(config_for(endpoint), user_says("status 429 1\nsay finally"));
  ASSERT_FALSE(o.error) << o.error->what();
  EXPECT_EQ(o.reply->content, "finally");
  ASSERT_EQ(o.retry_waits.size(), 1u);
  EXPECT_EQ(o.retry_waits[0], 1000ms) << "Retry-After: 1";
  EXPECT_GE(o.took, 1000ms);
  EXPECT_EQ(endpoint.requests().size(), 2u);
}

TEST(ModelClient, GivesUpOnRateLimitsAfterTheAllowedRetries) {
  ScriptedModelProcess endpoint;
  ModelConfig config = config_for(endpoint);
  config.max_retries = 1;
  Outcome o = complete(config, user_says("status 429\nsay never"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kRateLimited);
  EXPECT_EQ(o.error->http_status(), 429);
  EXPECT_EQ(o.error->retry_after(), std::optional(1000ms));
  EXPECT_NE(std::string(o.error->what()).find("Rate limit reached"), std::string::npos);
  EXPECT_EQ(endpoint.requests().size(), 2u);
}

TEST(ModelClient, ARetryAfterLongerThanTheClientWaitsIsReportedAtOnce) {
  ScriptedModelProcess endpoint;
  ModelConfig config = config_for(endpoint);
  config.max_retry_wait = 500ms;
  Outcome o = complete(config, user_says("status 429\nsay never"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kRateLimited);
  EXPECT_NE(std::string(o.error->what()).find("asks to wait 1 s, longer than the 500 ms"),
            std::string::npos)
      << o.error->what();
  EXPECT_EQ(endpoint.requests().size(), 1u);
}

TEST(ModelClient, RetriesServerErrorsWithABackOff) {
  ScriptedModelProcess endpoint;
  Outcome o = complete(config_for(endpoint), user_says("status 500 2\nsay recovered"));
  ASSERT_FALSE(o.error) << o.error->what();
  EXPECT_EQ(o.reply->content, "recovered");
  ASSERT_EQ(o.retry_waits.size(), 2u);
  EXPECT_LT(o.retry_waits[0], o.retry_waits[1]);
  EXPECT_EQ(endpoint.requests().size(), 3u);
}

TEST(ModelClient, AWrongKeyNamesTheVariableButNeverTheKey) {
  ScriptedModelProcess endpoint("test-model", "sk-right");
  ModelConfig config = config_for(endpoint);
  config.api_key = "sk-wrong-secret";
  config.api_key_env = "MY_LLM_KEY";
  Outcome o = complete(config, user_says("say hi"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kAuth);
  EXPECT_EQ(o.error->http_status(), 401);
  std::string message = o.error->what();
  EXPECT_NE(message.find("MY_LLM_KEY"), std::string::npos) << message;
  EXPECT_EQ(message.find("sk-wrong-secret"), std::string::npos) << message;
  EXPECT_EQ(endpoint.requests().size(), 1u) << "a 401 is not retried";

  config.api_key = "sk-right";
  Outcome ok = complete(config, user_says("say hi"));
  ASSERT_FALSE(ok.error) << ok.error->what();
  EXPECT_EQ(endpoint.requests().back().at("authorization"), true);
}

TEST(ModelClient, AnUnknownModelIsNamed) {
  ScriptedModelProcess endpoint;
  ModelConfig config = config_for(endpoint);
  config.model = "gpt-nonexistent";
  Outcome o = complete(config, user_says("say hi"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kModelNotFound);
  EXPECT_NE(std::string(o.error->what()).find("\"gpt-nonexistent\""), std::string::npos)
      << o.error->what();
}

TEST(ModelClient, AStreamBrokenAfterTextIsAnErrorAndNotRetried) {
  ScriptedModelProcess endpoint;
  Outcome o = complete(config_for(endpoint),
                       user_says("break-after-chunks 3\nsay This answer will never be finished "
                                 "because the connection breaks."));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kStreamBroken);
  EXPECT_FALSE(o.pieces.empty());
  EXPECT_NE(std::string(o.error->what()).find("incomplete"), std::string::npos) << o.error->what();
  EXPECT_EQ(endpoint.requests().size(), 1u);
}

TEST(ModelClient, AnErrorObjectInTheStreamIsReported) {
  ScriptedModelProcess endpoint;
  Outcome o = complete(config_for(endpoint), user_says("error-object\nsay hi"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kBadResponse);
  EXPECT_NE(std::string(o.error->what()).find("The server had an error"), std::string::npos)
      << o.error->what();
}

TEST(ModelClient, CancellingClosesTheStreamAtOnce) {
  ScriptedModelProcess endpoint;
  std::stop_source stop;
  Outcome o = complete(config_for(endpoint),
                       user_says("slow-ms 400\nsay one two three four five six seven eight"), &stop,
                       [](std::stop_source* s) { s->request_stop(); });
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kCancelled);
  EXPECT_EQ(o.pieces.size(), 1u);
  EXPECT_LT(o.took, 2000ms) << "the whole answer takes about 3.6 s";
}

TEST(ModelClient, CancellingDuringARetryWaitStopsWaiting) {
  ScriptedModelProcess endpoint;
  ModelConfig config = config_for(endpoint);
  config.max_retries = 5;
  std::stop_source stop;
  Outcome o = complete(config, user_says("status 429\nsay never"), &stop);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kCancelled);
  ASSERT_EQ(o.retry_waits.size(), 1u);
  EXPECT_EQ(o.retry_waits[0], 1000ms);
  EXPECT_LT(o.took, 900ms) << "did not wait out the Retry-After";
  EXPECT_EQ(endpoint.requests().size(), 1u);
}

TEST(ModelClient, ATimeoutSaysSo) {
  ScriptedModelProcess endpoint;
  ModelConfig config = config_for(endpoint);
  config.timeout = 300ms;
  Outcome o = complete(config, user_says("slow-ms 1500\nsay late"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kTimeout);
  EXPECT_NE(std::string(o.error->what()).find("within 300 ms"), std::string::npos)
      << o.error->what();
  EXPECT_LT(o.took, 1500ms);
}

TEST(ModelClient, AnUnreachableEndpointIsRetriedThenReported) {
  int port = 0;
  {
    ScriptedModelProcess gone;  // a port that was just free
    port = gone.port();
  }
  ModelConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  config.model = "m";
  config.max_retries = 1;
  Outcome o = complete(config, user_says("say hi"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kUnreachable);
  EXPECT_EQ(o.retry_waits.size(), 1u);
  EXPECT_NE(std::string(o.error->what()).find("cannot reach the model endpoint"), std::string::npos)
      << o.error->what();
}

TEST(ModelClient, ReusesItsConnectionForTheNextRequest) {
  ScriptedModelProcess endpoint;
  ModelConfig config = config_for(endpoint);
  std::vector<std::string> answers =
      run_coroutine([&](asio::any_io_executor ex) -> Task<std::vector<std::string>> {
        ModelClient client(ex, config);
        std::vector<std::string> out;
        for (std::string text : {"say first", "say second\nslow-ms 10"}) {
          ModelReply r = co_await client.complete(user_says(text), nullptr);
          out.push_back(r.content);
        }
        co_return out;
      });
  EXPECT_EQ(answers, (std::vector<std::string>{"first", "second"}));
  auto requests = endpoint.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].at("connection"), requests[1].at("connection"))
      << "the stream was read to its end, so its connection went back to the pool";
}

TEST(ModelClient, ABaseUrlThatIsNotHttpIsReportedWithoutRetrying) {
  ModelConfig config;
  config.base_url = "localhost:11434/v1";
  config.model = "m";
  Outcome o = complete(config, user_says("say hi"));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kUnreachable);
  EXPECT_TRUE(o.retry_waits.empty());
  EXPECT_NE(std::string(o.error->what()).find("\"localhost:11434/v1\" is not an http://"),
            std::string::npos)
      << o.error->what();
}

TEST(ModelClient, AlreadyStoppedDoesNotSend) {
  ScriptedModelProcess endpoint;
  std::stop_source stop;
  stop.request_stop();
  Outcome o = complete(config_for(endpoint), user_says("say hi"), &stop);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kCancelled);
  EXPECT_TRUE(endpoint.requests().empty());
}

}  // namespace
}  // namespace mcpp::host
