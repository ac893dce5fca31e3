// Where the chat engine records a conversation: its messages, every tool call with the decision
// that let it run or refused it, and the decisions the person made "for this conversation".
// StoreConversationLog writes them into the host store (SQLite); MemoryConversationLog keeps them
// in memory (tests, benchmarks).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "host/approvals.hpp"
#include "host/host_store.hpp"
#include "host/model_client.hpp"

namespace mcpp::host {

class ConversationLog {
 public:
  virtual ~ConversationLog() = default;
  // Creates a conversation (its id is chosen by the log) and returns it.
  virtual Conversation create(const Conversation& info) = 0;
  // The conversation with this id; throws std::invalid_argument when there is none.
  virtual Conversation find(const std::string& id) = 0;
  virtual std::vector<ChatMessage> messages(const std::string& id) = 0;
  virtual void add_message(const std::string& id, const ChatMessage& message) = 0;
  virtual void add_tool_call(const ToolCallRecord& record) = 0;
  virtual std::vector<ToolCallRecord> tool_calls(const std::string& id) = 0;
  // A decision "for this conversation". It stops applying when the tool's definition changes.
  virtual void remember(const std::string& id, const QualifiedTool& tool, bool allow,
                        const std::string& definition_hash) = 0;
  virtual std::optional<bool> remembered(const std::string& id, const QualifiedTool& tool,
                                         const std::string& definition_hash) = 0;
};

// A ConversationLog in memory; thread-safe.
class MemoryConversationLog : public ConversationLog {
 public:
  Conversation create(const Conversation& info) override;
  Conversation find(const std::string& id) override;
  std::vector<ChatMessage> messages(const std::string& id) override;
  void add_message(const std::string& id, const ChatMessage& message) override;
  void add_tool_call(const ToolCallRecord& record) override;
  std::vector<ToolCallRecord> tool_calls(const std::string& id) override;
  void remember(const std::string& id, const QualifiedTool& tool, bool allow,
                const std::string& definition_hash) override;
  std::optional<bool> remembered(const std::string& id, const QualifiedTool& tool,
                                 const std::string& definition_hash) override;

 private:
  struct Entry {
    Conversation info;
    std::vector<ChatMessage> messages;
    std::vector<ToolCallRecord> calls;
    RememberedDecisions decisions;
  };
  Entry& at(const std::string& id);
  std::mutex mu_;
  std::map<std::string, Entry> conversations_;
  int next_id_ = 1;
};

// The host store as a ConversationLog. The store drops remembered decisions itself when a tool's
// definition changes (HostStore::sync_tools), so the hash is not kept.
class StoreConversationLog : public ConversationLog {
 public:
  explicit StoreConversationLog(HostStore& store) : store_(store) {}
  Conversation create(const Conversation& info) override;
  Conversation find(const std::string& id) override;
  std::vector<ChatMessage> messages(const std::string& id) override;
  void add_message(const std::string& id, const ChatMessage& message) override;
  void add_tool_call(const ToolCallRecord& record) override;
  std::vector<ToolCallRecord> tool_calls(const std::string& id) override;
  void remember(const std::string& id, const QualifiedTool& tool, bool allow,
                const std::string& definition_hash) override;
  std::optional<bool> remembered(const std::string& id, const QualifiedTool& tool,
                                 const std::string& definition_hash) override;

 private:
  HostStore& store_;
};

// An assistant message's tool calls as the JSON text the store keeps
// ([{"id","name","arguments"}]), and back. Unparseable text gives no calls.
std::string tool_calls_json(const std::vector<ChatToolCall>& calls);
std::vector<ChatToolCall> tool_calls_from_json(std::string_view text);

}  // namespace mcpp::host
