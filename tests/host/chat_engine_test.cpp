// The chat engine against a real mcpp::Server over HTTP on 127.0.0.1 and a model scripted in the
// test (a function from the request to the reply): the approval paths, the checks of the model's
// calls, read-only mode, policy, the step limit, cancellation, elicitation, sampling, prompts,
// resources and the server's instructions.
#include "host/chat_engine.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "../client/client_test_support.hpp"
#include "host/conversation_log.hpp"
#include "host/tool_pins.hpp"

namespace mcpp::host {
namespace {

using testing::run;
using testing::ServedOverHttp;
using testing::sleep_for;
namespace asio = boost::asio;
using namespace std::chrono_literals;

json::object text_schema() {
  return {{"type", "object"},
          {"properties", {{"text", {{"type", "string"}}}}},
          {"required", json::array{"text"}}};
}

// One reply of the scripted model: the calls it makes (name, arguments) or its text.
struct Step {
  std::vector<std::pair<std::string, std::string>> calls;
  std::string text;
};

class ChatEngineTest : public ::testing::Test {
 protected:
  ChatEngineTest()
      : server_({.info = {.name = "test", .version = "1"},
                 .instructions = "Always look things up first."}) {
    server_.add_tool({.name = "lookup",
                      .description = "Looks up a word",
                      .input_schema = text_schema(),
                      .annotations = {.read_only_hint = true}},
                     [this](const json::object& a, Context&) -> Task<ToolResult> {
                       ++lookups_;
                       co_return ToolResult::text("found " + std::string(find_string(a, "text")));
                     });
    server_.add_tool({.name = "write",
                      .description = "Writes a word",
                      .input_schema = text_schema(),
                      .annotations = {.read_only_hint = false, .destructive_hint = true}},
                     [this](const json::object& a, Context&) -> Task<ToolResult> {
                       writes_.push_back(std::string(find_string(a, "text")));
                       co_return ToolResult::text("written");
                     });
    server_.add_tool({.name = "slow", .annotations = {.read_only_hint = true}},
                     [this](const json::object&, Context& ctx) -> Task<ToolResult> {
                       ctx.progress(1, 2, "half way");
                       for (int i = 0; i < 500 && !ctx.cancelled(); ++i) co_await sleep_for(10ms);
                       if (ctx.cancelled()) saw_cancel_ = true;
                       co_return ToolResult::text("finished");
                     });
    server_.add_tool(
        {.name = "ask", .annotations = {.read_only_hint = true}},
        [](const json::object&, Context& ctx) -> Task<ToolResult> {
          json::object schema{{"type", "object"}};
          schema["properties"] = json::object{{"name", json::object{{"type", "string"}}}};
          ElicitResult r = co_await ctx.elicit("Your name?", schema);
          co_return ToolResult::text(r.action + " " + json::serialize(r.content));
        });
    server_.add_tool(
        {.name = "sample", .annotations = {.read_only_hint = true}},
        [](const json::object&, Context& ctx) -> Task<ToolResult> {
          json::object params{
              {"messages",
               json::array{{{"role", "user"}, {"content", {{"type", "text"}, {"text", "hi"}}}}}},
              {"maxTokens", 10}};
          json::object r = co_await ctx.sample(std::move(params));
          co_return ToolResult::text(json::serialize(r.at("content")));
        });
    server_.add_prompt({.name = "greet", .arguments = {{.name = "who", .required = true}}},
                       [](const Variables& v, Context&) -> Task<PromptResult> {
                         PromptResult r;
                         r.add("user", text_content("Say hello to " + v.at("who")));
                         co_return r;
                       });
    server_.add_resource(
        {.uri = "mem://note", .name = "note", .mime_type = "text/plain"},
        [](const std::string& uri, Context&) -> Task<std::vector<json::object>> {
          co_return std::vector<json::object>{text_contents(uri, "text/plain", "the note's text")};
        });
    http_ = std::make_unique<ServedOverHttp>(server_);
  }

  // Runs `body` with an engine whose model replies with `steps` in order (then "done").
  // `answer` decides each approval (default: deny once).
  template <class Body>
  void with_engine(std::vector<Step> steps, Body body, ChatEngineOptions options = {}) {
    run([&](asio::any_io_executor ex) -> Task<void> {
      Client client(ex);
      engine_ptr_ = nullptr;
      client.on_elicitation(
          [this](const ElicitationRequest& r) { return engine_ptr_->elicitation_handler("t")(r); });
      client.on_sampling([this](const json::object& params) {
        return engine_ptr_->sampling_handler("t")(params);
      });
      HttpTarget target;  // a named target: GCC 12 mishandles aggregate temporaries in co_await
      target.url = http_->url();
      co_await client.connect(std::move(target));
      std::vector<ToolInfo> tools = co_await client.list_tools();
      ChatServices services;
      std::size_t next = 0;
      services.model = [&, steps](ModelRequest request, ModelTextHandler on_text, std::stop_token,
                                  ModelRetryHandler) -> Task<ModelReply> {
        requests_.push_back(request);
        ModelReply reply;
        bool sampling = request.tools.empty() && !request.messages.empty() &&
                        request.messages.front().role != "system";
        if (sampling) {
          reply.content = "sampled: " + request.messages.back().content;
        } else if (next < steps.size()) {
          const Step& s = steps[next++];
          for (std::size_t i = 0; i < s.calls.size(); ++i) {
            reply.tool_calls.push_back({"call_" + std::to_string(next) + "_" + std::to_string(i),
                                        s.calls[i].first, s.calls[i].second});
          }
          reply.content = s.text;
        } else {
          reply.content = "done";
        }
        if (on_text && !reply.content.empty()) on_text(reply.content);
        co_return reply;
      };
      services.connectors = [&] {
        if (connectors_fail_) throw std::runtime_error("the store is gone");
        ChatConnector c;
        c.name = "t";
        c.client = &client;
        for (const auto& info : tools) {
          ConnectorTool t;
          t.info = info;
          t.enabled = disabled_ != info.name;
          t.definition_hash = definition_hash(tool_definition(info));
          c.tools.push_back(std::move(t));
        }
        return std::vector<ChatConnector>{c};
      };
      services.policy = [this](const QualifiedTool& tool) {
        return decide(rules_, tool.connector, tool.tool);
      };
      services.log = log_;
      ChatEngine engine(ex, std::move(services), options, [this](const ChatEvent& e) {
        events_.push_back(e);
        if (e.type == event_type::kApprovalNeeded) {
          ++questions_;
          engine_ptr_->answer_approval(e.conversation, std::string(find_string(e.data, "call_id")),
                                       answer_);
        } else if (e.type == event_type::kElicitationRequest) {
          engine_ptr_->answer_elicitation(e.conversation,
                                          std::string(find_string(e.data, "request_id")),
                                          ElicitationResponse::accept({{"name", "Ada"}}));
        } else if (e.type == event_type::kSamplingRequest) {
          engine_ptr_->answer_sampling(e.conversation,
                                       std::string(find_string(e.data, "request_id")), true);
        } else if (on_event_) {
          on_event_(e);
        }
      });
      engine_ptr_ = &engine;
      co_await body(engine);
      co_await client.close();
    });
  }

  // The tool messages the model was given in its last request.
  std::vector<std::string> tool_messages() const {
    std::vector<std::string> out;
    for (const auto& m : requests_.back().messages) {
      if (m.role == "tool") out.push_back(m.content);
    }
    return out;
  }
  int count(std::string_view type) const {
    int n = 0;
    for (const auto& e : events_) n += e.type == type;
    return n;
  }

  Server server_;
  std::unique_ptr<ServedOverHttp> http_;
  std::atomic<int> lookups_{0};
  std::vector<std::string> writes_;
  std::atomic<bool> saw_cancel_{false};
  ChatEngine* engine_ptr_ = nullptr;
  std::vector<ModelRequest> requests_;
  std::vector<ChatEvent> events_;
  std::function<void(const ChatEvent&)> on_event_;
  int questions_ = 0;
  ApprovalChoice answer_ = ApprovalChoice::kDenyOnce;
  std::vector<PolicyRule> rules_;
  std::string disabled_;
  bool connectors_fail_ = false;
  std::shared_ptr<MemoryConversationLog> log_ = std::make_shared<MemoryConversationLog>();
};

TEST_F(ChatEngineTest, AReadRunsWithoutAQuestionAndADeniedWriteNeverReachesTheServer) {
  with_engine({{{{"t__lookup", R"({"text":"cat"})"}, {"t__write", R"({"text":"dog"})"}}}},
              [&](ChatEngine& engine) -> Task<void> {
                std::string id = engine.start({});
                TurnOutcome outcome = co_await engine.run_turn(id, "go");
                EXPECT_EQ(outcome.outcome, "done");
                EXPECT_EQ(outcome.steps, 2);
              });
  EXPECT_EQ(lookups_, 1);
  EXPECT_TRUE(writes_.empty());
  EXPECT_EQ(questions_, 1);
  auto tools = tool_messages();
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(tools[0], "found cat");
  EXPECT_NE(tools[1].find("The person declined this call of t/write"), std::string::npos);
  auto calls = log_->tool_calls("m1");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].decided_by, "read");
  EXPECT_EQ(calls[1].decision, "deny");
  EXPECT_EQ(calls[1].decided_by, "person deny_once");
  EXPECT_EQ(requests_.front().messages.front().role, "system");
  EXPECT_NE(requests_.front().messages.front().content.find("Always look things up first."),
            std::string::npos)
      << "the server's instructions are in the system prompt";
}

TEST_F(ChatEngineTest, AllowForTheConversationStopsTheQuestionsThereOnly) {
  answer_ = ApprovalChoice::kAllowForConversation;
  Step write{{{"t__write", R"({"text":"a"})"}}};
  with_engine({write, {}, write, {}, write}, [&](ChatEngine& engine) -> Task<void> {
    std::string first = engine.start({});
    co_await engine.run_turn(first, "one");
    co_await engine.run_turn(first, "two");
    std::string second = engine.start({});
    co_await engine.run_turn(second, "three");
  });
  EXPECT_EQ(writes_.size(), 3u);
  EXPECT_EQ(questions_, 2) << "asked in the first conversation once, and again in the second";
  EXPECT_EQ(log_->tool_calls("m1")[1].decided_by, "remembered allow");
}

TEST_F(ChatEngineTest, TheModelsBadCallsAreReportedToItAndNeverSent) {
  with_engine({{{{"t__nothing", "{}"},
                 {"t__write", R"({"text":)"},
                 {"t__write", R"({"text":5})"},
                 {"t__write", "[1]"}}}},
              [&](ChatEngine& engine) -> Task<void> {
                std::string id = engine.start({});
                TurnOutcome outcome = co_await engine.run_turn(id, "go");
                EXPECT_EQ(outcome.outcome, "done");
              });
  EXPECT_TRUE(writes_.empty());
  EXPECT_EQ(questions_, 0);
  auto tools = tool_messages();
  ASSERT_EQ(tools.size(), 4u);
  EXPECT_NE(tools[0].find("no tool named \"t__nothing\""), std::string::npos) << tools[0];
  EXPECT_NE(tools[0].find("t__lookup"), std::string::npos) << "the model is told what exists";
  EXPECT_NE(tools[1].find("must be a JSON object"), std::string::npos) << tools[1];
  EXPECT_NE(tools[2].find("/text"), std::string::npos) << tools[2];
  EXPECT_NE(tools[3].find("must be a JSON object"), std::string::npos) << tools[3];
  EXPECT_EQ(count(event_type::kError), 4);
}

TEST_F(ChatEngineTest, ReadOnlyModeOffersOnlyReadsAndRefusesAWriteCalledAnyway) {
  answer_ = ApprovalChoice::kAllowOnce;
  with_engine({{{{"t__write", R"({"text":"x"})"}}}}, [&](ChatEngine& engine) -> Task<void> {
    std::string id = engine.start({.read_only = true});
    co_await engine.run_turn(id, "go");
  });
  for (const auto& tool : requests_.front().tools) EXPECT_NE(tool.name, "t__write");
  EXPECT_TRUE(writes_.empty());
  EXPECT_NE(tool_messages()[0].find("no tool named"), std::string::npos)
      << "a tool not offered is unknown to the model";
}

TEST_F(ChatEngineTest, PolicyDenyWinsAndPolicyAllowSkipsTheQuestion) {
  answer_ = ApprovalChoice::kAllowOnce;
  rules_ = {parse_policy_rule("allow t/*"), parse_policy_rule("deny t/write")};
  Step write{{{"t__write", R"({"text":"x"})"}}};
  with_engine({write}, [&](ChatEngine& engine) -> Task<void> {
    std::string id = engine.start({});
    co_await engine.run_turn(id, "go");
  });
  EXPECT_TRUE(writes_.empty());
  EXPECT_EQ(questions_, 0);
  EXPECT_EQ(log_->tool_calls("m1")[0].decided_by, "policy: deny t/write");
  rules_ = {parse_policy_rule("allow t/wr*")};
  requests_.clear();
  with_engine({write}, [&](ChatEngine& engine) -> Task<void> {
    std::string id = engine.start({});
    co_await engine.run_turn(id, "go");
  });
  EXPECT_EQ(writes_.size(), 1u);
  EXPECT_EQ(questions_, 0);
}

TEST_F(ChatEngineTest, ADisabledToolIsNotOffered) {
  disabled_ = "write";
  with_engine({}, [&](ChatEngine& engine) -> Task<void> {
    std::string id = engine.start({});
    co_await engine.run_turn(id, "hi");
  });
  ASSERT_FALSE(requests_.empty());
  for (const auto& tool : requests_.front().tools) EXPECT_NE(tool.name, "t__write");
  EXPECT_EQ(requests_.front().tools.size(), 4u);
}

TEST_F(ChatEngineTest, TheStepLimitEndsALoopingModel) {
  std::vector<Step> forever(20, Step{{{"t__lookup", R"({"text":"again"})"}}});
  ChatEngineOptions options;
  options.max_steps = 3;
  with_engine(
      forever,
      [&](ChatEngine& engine) -> Task<void> {
        std::string id = engine.start({});
        TurnOutcome outcome = co_await engine.run_turn(id, "loop");
        EXPECT_EQ(outcome.outcome, "step_limit");
        EXPECT_EQ(outcome.steps, 3);
      },
      options);
  EXPECT_EQ(lookups_, 3);
}

TEST_F(ChatEngineTest, CancelStopsARunningCallAtTheServer) {
  on_event_ = [&](const ChatEvent& e) {
    if (e.type == event_type::kToolProgress) engine_ptr_->cancel(e.conversation);
  };
  with_engine({{{{"t__slow", "{}"}}}}, [&](ChatEngine& engine) -> Task<void> {
    std::string id = engine.start({});
    TurnOutcome outcome = co_await engine.run_turn(id, "go");
    EXPECT_EQ(outcome.outcome, "cancelled");
    co_await testing::eventually([&] { return saw_cancel_.load(); });
  });
  EXPECT_TRUE(saw_cancel_) << "the server got notifications/cancelled";
  EXPECT_EQ(count(event_type::kToolProgress), 1);
  EXPECT_NE(log_->tool_calls("m1")[0].result.find("cancelled"), std::string::npos);
  // The history stays valid for the model: the call is answered.
  auto messages = log_->messages("m1");
  EXPECT_EQ(messages.back().role, "tool");
}

TEST_F(ChatEngineTest, ElicitationAndSamplingRoundTrips) {
  with_engine({{{{"t__ask", "{}"}, {"t__sample", "{}"}}}}, [&](ChatEngine& engine) -> Task<void> {
    std::string id = engine.start({});
    co_await engine.run_turn(id, "go");
  });
  EXPECT_EQ(count(event_type::kElicitationRequest), 1);
  EXPECT_EQ(count(event_type::kSamplingRequest), 1);
  auto tools = tool_messages();
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(tools[0], R"(accept {"name":"Ada"})");
  EXPECT_NE(tools[1].find("sampled: hi"), std::string::npos) << tools[1];
}

TEST_F(ChatEngineTest, PromptsAndAttachedResources) {
  with_engine({}, [&](ChatEngine& engine) -> Task<void> {
    std::string id = engine.start({});
    co_await engine.run_turn(id, "/t:greet who=Ada");
    co_await engine.run_turn(id, "summarise @t:mem://note please");
    TurnOutcome bad = co_await engine.run_turn(id, "/t:greet");
    EXPECT_EQ(bad.outcome, "error");
    EXPECT_NE(bad.error.find("needs the argument who"), std::string::npos) << bad.error;
  });
  ASSERT_EQ(requests_.size(), 2u) << "a bad prompt never reaches the model";
  EXPECT_EQ(requests_[0].messages.back().content, "Say hello to Ada");
  EXPECT_NE(requests_[1].messages.back().content.find("the note's text"), std::string::npos);
}

TEST_F(ChatEngineTest, ResumedConversationKeepsItsHistory) {
  with_engine({}, [&](ChatEngine& engine) -> Task<void> {
    std::string id = engine.start({});
    co_await engine.run_turn(id, "first");
  });
  requests_.clear();
  with_engine({}, [&](ChatEngine& engine) -> Task<void> {
    engine.resume("m1");
    co_await engine.run_turn("m1", "second");
  });
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].messages.size(), 4u);  // system, "first", its answer, "second"
  EXPECT_EQ(requests_[0].messages[1].content, "first");
}

TEST_F(ChatEngineTest, AnUnexpectedFailureEndsTheTurnWithTurnDone) {
  connectors_fail_ = true;
  with_engine({}, [&](ChatEngine& engine) -> Task<void> {
    std::string id = engine.start({});
    TurnOutcome outcome = co_await engine.run_turn(id, "hi");
    EXPECT_EQ(outcome.outcome, "error");
    EXPECT_NE(outcome.error.find("the store is gone"), std::string::npos);
    connectors_fail_ = false;
    outcome = co_await engine.run_turn(id, "again");
    EXPECT_EQ(outcome.outcome, "done") << "the conversation is usable afterwards";
  });
  EXPECT_EQ(count(event_type::kTurnDone), 2);
  EXPECT_EQ(events_.back().data.at("outcome"), "done");
}

}  // namespace
}  // namespace mcpp::host
