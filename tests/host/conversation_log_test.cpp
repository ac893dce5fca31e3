// The conversation logs: in memory, and over the SQLite host store (messages with tool calls,
// tool call records, remembered decisions).
#include "host/conversation_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace mcpp::host {
namespace {

void exercise(ConversationLog& log) {
  Conversation c = log.create({.title = "t", .connectors = {"memory"}, .read_only = true});
  ASSERT_FALSE(c.id.empty());
  EXPECT_TRUE(log.find(c.id).read_only);
  EXPECT_THROW(log.find("nope"), std::invalid_argument);
  log.add_message(c.id, {"user", "hi", {}, {}});
  log.add_message(c.id, {"assistant", "", {{"call_1", "memory__read_graph", "{}"}}, {}});
  log.add_message(c.id, {"tool", "graph", {}, "call_1"});
  auto messages = log.messages(c.id);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[1].tool_calls.size(), 1u);
  EXPECT_EQ(messages[1].tool_calls[0].name, "memory__read_graph");
  EXPECT_EQ(messages[2].tool_call_id, "call_1");
  ToolCallRecord record;
  record.conversation = c.id;
  record.connector = "memory";
  record.tool = "read_graph";
  record.arguments = "{}";
  record.decision = "invalid";
  record.decided_by = "read";
  record.result = "graph";
  log.add_tool_call(record);
  ASSERT_EQ(log.tool_calls(c.id).size(), 1u);
  EXPECT_EQ(log.tool_calls(c.id)[0].decision, "invalid");
  QualifiedTool tool{"memory", "create_entities"};
  EXPECT_FALSE(log.remembered(c.id, tool, "h"));
  log.remember(c.id, tool, false, "h");
  EXPECT_EQ(log.remembered(c.id, tool, "h"), false);
  log.remember(c.id, tool, true, "h");
  EXPECT_EQ(log.remembered(c.id, tool, "h"), true);
  Conversation other = log.create({});
  EXPECT_FALSE(log.remembered(other.id, tool, "h")) << "decisions belong to one conversation";
}

TEST(ConversationLog, InMemory) {
  MemoryConversationLog log;
  exercise(log);
}

TEST(ConversationLog, InTheHostStore) {
  auto dir = std::filesystem::temp_directory_path() /
             ("mcpp-log-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
              std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    HostStore store((dir / "host.sqlite").string());
    StoreConversationLog log(store);
    exercise(log);
  }
  std::filesystem::remove_all(dir);
}

TEST(ToolCallsJson, RoundTripAndBadText) {
  std::vector<ChatToolCall> calls{{"a", "x__y", R"({"k":1})"}, {"b", "z", "not json"}};
  EXPECT_EQ(tool_calls_from_json(tool_calls_json(calls)), calls);
  EXPECT_TRUE(tool_calls_from_json("").empty());
  EXPECT_TRUE(tool_calls_from_json("{").empty());
}

}  // namespace
}  // namespace mcpp::host
