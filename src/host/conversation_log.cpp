// The conversation logs: in memory, and over the host store.
#include "host/conversation_log.hpp"

#include <stdexcept>

namespace mcpp::host {

// ---- MemoryConversationLog ----

MemoryConversationLog::Entry& MemoryConversationLog::at(const std::string& id) {
  auto it = conversations_.find(id);
  if (it == conversations_.end()) throw std::invalid_argument("no conversation " + id);
  return it->second;
}

Conversation MemoryConversationLog::create(const Conversation& info) {
  std::lock_guard lock(mu_);
  Entry e;
  e.info = info;
  e.info.id = "m" + std::to_string(next_id_++);
  conversations_[e.info.id] = e;
  return e.info;
}

Conversation MemoryConversationLog::find(const std::string& id) {
  std::lock_guard lock(mu_);
  return at(id).info;
}

std::vector<ChatMessage> MemoryConversationLog::messages(const std::string& id) {
  std::lock_guard lock(mu_);
  return at(id).messages;
}

void MemoryConversationLog::add_message(const std::string& id, const ChatMessage& message) {
  std::lock_guard lock(mu_);
  at(id).messages.push_back(message);
}

void MemoryConversationLog::add_tool_call(const ToolCallRecord& record) {
  std::lock_guard lock(mu_);
  at(record.conversation).calls.push_back(record);
}

std::vector<ToolCallRecord> MemoryConversationLog::tool_calls(const std::string& id) {
  std::lock_guard lock(mu_);
  return at(id).calls;
}

void MemoryConversationLog::remember(const std::string& id, const QualifiedTool& tool, bool allow,
                                     const std::string& definition_hash) {
  std::lock_guard lock(mu_);
  at(id).decisions.remember(tool, allow, definition_hash);
}

std::optional<bool> MemoryConversationLog::remembered(const std::string& id,
                                                      const QualifiedTool& tool,
                                                      const std::string& definition_hash) {
  std::lock_guard lock(mu_);
  return at(id).decisions.find(tool, definition_hash);
}

// ---- StoreConversationLog ----

Conversation StoreConversationLog::create(const Conversation& info) {
  return store_.create_conversation(info.title, info.connectors, info.read_only);
}

Conversation StoreConversationLog::find(const std::string& id) {
  auto found = store_.find_conversation(id);
  if (!found) {
    throw std::invalid_argument("no conversation " + id + " in " + store_.path() +
                                " (mcpp chat --list shows them)");
  }
  return *found;
}

std::vector<ChatMessage> StoreConversationLog::messages(const std::string& id) {
  std::vector<ChatMessage> out;
  for (const auto& m : store_.messages(id)) {
    out.push_back({m.role, m.content, tool_calls_from_json(m.tool_calls), m.tool_call_id});
  }
  return out;
}

void StoreConversationLog::add_message(const std::string& id, const ChatMessage& message) {
  StoredMessage m;
  m.conversation = id;
  m.role = message.role;
  m.content = message.content;
  if (!message.tool_calls.empty()) m.tool_calls = tool_calls_json(message.tool_calls);
  m.tool_call_id = message.tool_call_id;
  store_.add_message(m);
}

void StoreConversationLog::add_tool_call(const ToolCallRecord& record) {
  store_.record_tool_call(record);
}

std::vector<ToolCallRecord> StoreConversationLog::tool_calls(const std::string& id) {
  return store_.tool_calls(id);
}

void StoreConversationLog::remember(const std::string& id, const QualifiedTool& tool, bool allow,
                                    const std::string&) {
  store_.remember_decision(id, tool.connector, tool.tool,
                           allow ? PolicyAction::kAllow : PolicyAction::kDeny);
}

std::optional<bool> StoreConversationLog::remembered(const std::string& id,
                                                     const QualifiedTool& tool,
                                                     const std::string&) {
  auto action = store_.remembered_decision(id, tool.connector, tool.tool);
  if (!action || *action == PolicyAction::kAsk) return std::nullopt;
  return *action == PolicyAction::kAllow;
}

// ---- tool calls as JSON ----

std::string tool_calls_json(const std::vector<ChatToolCall>& calls) {
  json::array out;
  for (const auto& call : calls) {
    out.push_back({{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
  }
  return json::serialize(out);
}

std::vector<ChatToolCall> tool_calls_from_json(std::string_view text) {
  std::vector<ChatToolCall> calls;
  if (text.empty()) return calls;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return calls;
  for (const auto& item : v.get_array()) {
    calls.push_back({std::string(find_string(item, "id")), std::string(find_string(item, "name")),
                     std::string(find_string(item, "arguments"))});
  }
  return calls;
}

}  // namespace mcpp::host
