// ServerSession driven in memory: lifecycle, every method, errors, and server->client round trips.
#include <gtest/gtest.h>

#include "session_harness.hpp"

namespace mcpp {
namespace {
using testing::error_code;
using testing::error_message;
using testing::SessionHarness;

struct BookArgs {
  std::string room;
  int people;
  std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(BookArgs, (), (room, people, note))

struct BookResult {
  std::string room;
  bool booked;
};
BOOST_DESCRIBE_STRUCT(BookResult, (), (room, booked))

void add_everything(Server& s) {
  s.tool("book", "Book a room", [](const BookArgs& a, Context&) {
    return BookResult{a.room, a.people < 10};
  });
  s.tool("echo", "Echo", [](const BookArgs& a, Context&) -> Task<std::string> {
    co_return a.room + (a.note ? ":" + *a.note : "");
  });
  s.add_tool({.name = "fail", .input_schema = {{"type", "object"}}},
             [](const json::object&, Context&) -> Task<ToolResult> {
               throw std::runtime_error("disk full");
               co_return ToolResult{};
             });
  s.add_tool({.name = "rpc_fail", .input_schema = {{"type", "object"}}},
             [](const json::object&, Context&) -> Task<ToolResult> {
               throw RpcError(-32099, "custom");
               co_return ToolResult{};
             });
  s.add_tool({.name = "bad_output",
              .input_schema = {{"type", "object"}},
              .output_schema = json::object{{"type", "object"},
                                            {"required", json::array{"n"}},
                                            {"properties", {{"n", {{"type", "integer"}}}}}}},
             [](const json::object&, Context&) -> Task<ToolResult> {
               ToolResult r = ToolResult::text("x");
               r.structured_content = json::object{{"n", "not a number"}};
               co_return r;
             });
  s.add_tool({.name = "chatty", .input_schema = {{"type", "object"}}},
             [](const json::object&, Context& ctx) -> Task<ToolResult> {
               ctx.progress(0.5, 1.0, "half");
               ctx.log(LogLevel::kInfo, "info line");
               ctx.log(LogLevel::kError, "error line");
               co_return ToolResult::text("done");
             });
  s.add_tool(
      {.name = "ask", .input_schema = {{"type", "object"}}},
      [](const json::object&, Context& ctx) -> Task<ToolResult> {
        json::object schema =
            json::parse(R"({"type":"object","properties":{"name":{"type":"string"}}})").as_object();
        auto r = co_await ctx.elicit("Your name?", std::move(schema));
        co_return ToolResult::text(r.action + ":" + std::string(find_string(r.content, "name")));
      });
  s.add_resource({.uri = "test://static", .name = "static", .mime_type = "text/plain"},
                 [](const std::string& uri, Context&) -> Task<std::vector<json::object>> {
                   co_return std::vector<json::object>{text_contents(uri, "text/plain", "hello")};
                 });
  Completer fruit = [](std::string_view p, const Variables&) {
    std::vector<std::string> out;
    for (std::string v : {"apple", "apricot", "banana"}) {
      if (v.rfind(p, 0) == 0) out.push_back(v);
    }
    return out;
  };
  s.add_resource_template(
      {.uri_template = "test://items/{id}", .name = "item", .completers = {{"id", fruit}}},
      [](const std::string& uri, const Variables& v, Context&) -> Task<std::vector<json::object>> {
        co_return std::vector<json::object>{text_contents(uri, "text/plain", "item " + v.at("id"))};
      });
  s.add_prompt({.name = "greet",
                .arguments = {{.name = "who",
                               .required = true,
                               .complete =
                                   [](std::string_view, const Variables&) {
                                     return std::vector<std::string>{"world", "moon"};
                                   }}}},
               [](const Variables& a, Context&) -> Task<PromptResult> {
                 PromptResult r;
                 r.add("user", text_content("Hello " + a.at("who")));
                 co_return r;
               });
}

class SessionTest : public ::testing::Test {
 protected:
  SessionTest()
      : server({.info = {.name = "srv", .version = "9", .title = "Server"},
                .instructions = "be nice"}) {
    add_everything(server);
  }
  Server server;
};

TEST_F(SessionTest, InitializeNegotiatesEveryStatefulRevision) {
  for (std::string v : {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}) {
    SessionHarness h(server);
    json::value r = h.initialize(v);
    EXPECT_EQ(r.at("result").at("protocolVersion").as_string(), v);
    EXPECT_EQ(r.at("result").at("serverInfo").at("name").as_string(), "srv");
    EXPECT_EQ(r.at("result").at("instructions").as_string(), "be nice");
    EXPECT_TRUE(r.at("result").at("capabilities").as_object().contains("tools"));
  }
  SessionHarness h(server);
  EXPECT_EQ(h.initialize("1999-01-01").at("result").at("protocolVersion").as_string(),
            "2025-11-25");
}

TEST_F(SessionTest, OnlyPingBeforeInitialize) {
  SessionHarness h(server);
  EXPECT_TRUE(
      h.send(R"({"jsonrpc":"2.0","id":1,"method":"ping"})").at("result").as_object().empty());
  json::value r = h.send(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
  EXPECT_EQ(error_code(r), jsonrpc::kInvalidRequest);
  EXPECT_NE(error_message(r).find("initialize"), std::string::npos);
}

TEST_F(SessionTest, OnlyPingAndLoggingBeforeInitializedNotification) {
  SessionHarness h(server);
  h.send(
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
  EXPECT_EQ(error_code(h.send(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})")),
            jsonrpc::kInvalidRequest);
  EXPECT_EQ(
      error_code(h.send(
          R"({"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"info"}})")),
      0);
  h.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_EQ(error_code(h.send(R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})")), 0);
  EXPECT_EQ(
      error_code(h.send(
          R"({"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})")),
      jsonrpc::kInvalidRequest);
}

TEST_F(SessionTest, ProtocolErrors) {
  SessionHarness h(server);
  h.initialize();
  const std::pair<std::string_view, int> cases[] = {
      {R"({"jsonrpc":"2.0","id":1,"method":"no/such"})", jsonrpc::kMethodNotFound},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}})", jsonrpc::kInvalidParams},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}})",
       jsonrpc::kInvalidParams},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":[]}})",
       jsonrpc::kInvalidParams},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"garbage"}})",
       jsonrpc::kInvalidParams},
      {R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"test://nothing"}})",
       kResourceNotFound},
      {R"({"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"greet"}})",
       jsonrpc::kInvalidParams},
      {R"({"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"loud"}})",
       jsonrpc::kInvalidParams},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"rpc_fail"}})", -32099},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"bad_output"}})",
       jsonrpc::kInternalError},
      {R"({"jsonrpc":"2.0","method":5})", jsonrpc::kInvalidRequest},
      {R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", jsonrpc::kInvalidRequest},
  };
  for (const auto& [msg, code] : cases) {
    json::value r = h.send(msg);
    EXPECT_EQ(error_code(r), code) << msg << " -> " << json::serialize(r);
    EXPECT_FALSE(error_message(r).empty());
  }
}

TEST_F(SessionTest, BatchesOnlyIn2025_03_26) {
  SessionHarness h(server);
  h.initialize("2025-03-26");
  json::value r = h.send(
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},{"jsonrpc":"2.0","id":2,"method":"nope"}])");
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.as_array().size(), 2u);
  EXPECT_EQ(error_code(r.as_array()[1]), jsonrpc::kMethodNotFound);
  EXPECT_EQ(error_code(h.send("[]")), jsonrpc::kInvalidRequest);
}

TEST_F(SessionTest, TypedToolsDeriveSchemasAndStructuredContent) {
  SessionHarness h(server);
  h.initialize();
  json::value list = h.send(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  const json::value& book = list.at("result").at("tools").as_array()[0];
  EXPECT_EQ(book.at("name").as_string(), "book");
  EXPECT_EQ(json::serialize(book.at("inputSchema").at("required")), R"(["room","people"])");
  EXPECT_EQ(book.at("inputSchema").at("properties").at("people").at("type").as_string(), "integer");
  EXPECT_TRUE(book.at("outputSchema").is_object());

  json::value r = h.send(
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"book","arguments":{"room":"A","people":3}}})");
  EXPECT_EQ(json::serialize(r.at("result").at("structuredContent")),
            R"({"room":"A","booked":true})");
  EXPECT_EQ(r.at("result").at("content").as_array()[0].at("text").as_string(),
            R"({"room":"A","booked":true})");

  r = h.send(
      R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"room":"B","people":1,"note":"hi"}}})");
  EXPECT_EQ(r.at("result").at("content").as_array()[0].at("text").as_string(), "B:hi");
}

TEST_F(SessionTest, InvalidArgumentsAreToolErrorsNamingThePath) {
  SessionHarness h(server);
  h.initialize();
  json::value r = h.send(
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"book","arguments":{"room":"A","people":"three"}}})");
  ASSERT_TRUE(r.at("result").at("isError").as_bool()) << json::serialize(r);
  std::string text(r.at("result").at("content").as_array()[0].at("text").as_string());
  EXPECT_NE(text.find("/people"), std::string::npos) << text;
  r = h.send(R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"fail"}})");
  EXPECT_TRUE(r.at("result").at("isError").as_bool());
  EXPECT_NE(json::serialize(r).find("disk full"), std::string::npos);
}

TEST_F(SessionTest, Pagination) {
  Server s({.page_size = 2});
  for (int i = 0; i < 5; ++i) {
    s.add_tool(
        {.name = "t" + std::to_string(i)},
        [](const json::object&, Context&) -> Task<ToolResult> { co_return ToolResult::text("x"); });
  }
  SessionHarness h(s);
  h.initialize();
  std::vector<std::string> names;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string req = R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{)" +
                      (cursor.empty() ? std::string() : R"("cursor":")" + cursor + "\"") + "}}";
    json::value r = h.send(req);
    for (const auto& t : r.at("result").at("tools").as_array())
      names.emplace_back(t.at("name").as_string());
    const json::value* next = find(r.at("result"), "nextCursor");
    if (!next) break;
    cursor = std::string(next->as_string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));
}

TEST_F(SessionTest, ResourcesTemplatesPromptsCompletion) {
  SessionHarness h(server);
  h.initialize();
  json::value r = h.send(
      R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"test://static"}})");
  EXPECT_EQ(r.at("result").at("contents").as_array()[0].at("text").as_string(), "hello");
  r = h.send(
      R"({"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"test://items/42"}})");
  EXPECT_EQ(r.at("result").at("contents").as_array()[0].at("text").as_string(), "item 42");
  r = h.send(R"({"jsonrpc":"2.0","id":3,"method":"resources/templates/list"})");
  EXPECT_EQ(r.at("result").at("resourceTemplates").as_array()[0].at("uriTemplate").as_string(),
            "test://items/{id}");
  r = h.send(
      R"({"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"greet","arguments":{"who":"you"}}})");
  EXPECT_EQ(r.at("result").at("messages").as_array()[0].at("content").at("text").as_string(),
            "Hello you");
  r = h.send(
      R"({"jsonrpc":"2.0","id":5,"method":"completion/complete","params":{"ref":{"type":"ref/resource","uri":"test://items/{id}"},"argument":{"name":"id","value":"ap"}}})");
  EXPECT_EQ(json::serialize(r.at("result").at("completion").at("values")),
            R"(["apple","apricot"])");
  r = h.send(
      R"({"jsonrpc":"2.0","id":6,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"who","value":""}}})");
  EXPECT_EQ(r.at("result").at("completion").at("total").as_int64(), 2);
}

TEST_F(SessionTest, ProgressAndLogsFollowTheLevel) {
  SessionHarness h(server);
  h.initialize();
  h.send(R"({"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"warning"}})");
  json::value r = h.send(
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"chatty","_meta":{"progressToken":"p1"}}})");
  EXPECT_EQ(r.at("result").at("content").as_array()[0].at("text").as_string(), "done");
  auto sent = h.sink->take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].at("method").as_string(), "notifications/progress");
  EXPECT_EQ(sent[0].at("params").at("progressToken").as_string(), "p1");
  EXPECT_EQ(sent[1].at("method").as_string(), "notifications/message");
  EXPECT_EQ(sent[1].at("params").at("level").as_string(), "error");
}

TEST_F(SessionTest, ElicitationRoundTrip) {
  SessionHarness h(server);
  h.initialize("2025-11-25", R"({"elicitation":{}})");
  json::value reply;
  h.start(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ask"}})", &reply);
  auto sent = h.sink->take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("method").as_string(), "elicitation/create");
  std::string answer = R"({"jsonrpc":"2.0","id":)" + json::serialize(sent[0].at("id")) +
                       R"(,"result":{"action":"accept","content":{"name":"Ada"}}})";
  EXPECT_TRUE(h.send(answer).is_null());
  h.poll();
  EXPECT_EQ(reply.at("result").at("content").as_array()[0].at("text").as_string(), "accept:Ada");
}

TEST_F(SessionTest, ElicitationNeedsTheCapability) {
  SessionHarness h(server);
  h.initialize();
  json::value r =
      h.send(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ask"}})");
  EXPECT_EQ(error_code(r), jsonrpc::kInvalidRequest);
}

TEST_F(SessionTest, CancelledRequestGetsNoResponse) {
  SessionHarness h(server);
  h.initialize("2025-11-25", R"({"elicitation":{}})");
  json::value reply = "unset";
  h.start(R"({"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"ask"}})", &reply);
  ASSERT_EQ(h.sink->take().size(), 1u);
  h.send(
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c1","reason":"user"}})");
  h.poll();
  EXPECT_TRUE(reply.is_null()) << json::serialize(reply);
}

TEST_F(SessionTest, ListChangedAndResourceUpdatesReachTheSession) {
  SessionHarness h(server);
  h.initialize();
  h.send(
      R"({"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"test://static"}})");
  server.add_tool({.name = "late"}, [](const json::object&, Context&) -> Task<ToolResult> {
    co_return ToolResult::text("x");
  });
  server.notify_resource_updated("test://static");
  server.notify_resource_updated("test://other");
  auto sent = h.standalone->take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].at("method").as_string(), "notifications/tools/list_changed");
  EXPECT_EQ(sent[1].at("params").at("uri").as_string(), "test://static");
  h.send(
      R"({"jsonrpc":"2.0","id":2,"method":"resources/unsubscribe","params":{"uri":"test://static"}})");
  server.notify_resource_updated("test://static");
  EXPECT_TRUE(h.standalone->take().empty());
}

TEST_F(SessionTest, OlderRevisionsDoNotGetNewerFields) {
  SessionHarness h(server);
  h.initialize("2024-11-05");
  json::value r = h.send(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  EXPECT_FALSE(r.at("result").at("tools").as_array()[0].as_object().contains("outputSchema"));
  r = h.send(
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"book","arguments":{"room":"A","people":3}}})");
  EXPECT_FALSE(r.at("result").as_object().contains("structuredContent"));
}

// The resource server asks for a tool's access rules on every tools/call: they are shared with
// the registry, not copied, and stay valid when the tool is replaced or removed meanwhile.
TEST(ServerToolAccess, SharedWithTheRegistry) {
  Server s;
  auto noop = [](const json::object&, Context&) -> Task<ToolResult> { co_return ToolResult{}; };
  s.add_tool({.name = "write", .access = ToolAccess::token({"docs:write"})}, noop);
  EXPECT_EQ(s.tool_access("nope"), nullptr);
  auto access = s.tool_access("write");
  ASSERT_NE(access, nullptr);
  EXPECT_EQ(access, s.tool_access("write")) << "the same record, not a copy";
  EXPECT_EQ(access->mode, ToolAccess::Mode::kToken);
  EXPECT_EQ(access->scopes, std::vector<std::string>{"docs:write"});

  s.add_tool({.name = "write", .access = ToolAccess::public_access()}, noop);
  EXPECT_EQ(s.tool_access("write")->mode, ToolAccess::Mode::kPublic);
  EXPECT_TRUE(s.remove_tool("write"));
  EXPECT_EQ(s.tool_access("write"), nullptr);
  EXPECT_EQ(access->mode, ToolAccess::Mode::kToken) << "a rule already read stays valid";
  EXPECT_EQ(access->scopes, std::vector<std::string>{"docs:write"});
}

}  // namespace
}  // namespace mcpp
