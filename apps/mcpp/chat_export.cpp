// `mcpp chat --list` and `--export`.
#include "chat_export.hpp"

#include <stdexcept>

#include "host/conversation_log.hpp"
#include "protocol/timestamp.hpp"

namespace mcpp::cli {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

std::string conversation_list(const host::HostStore& store) {
  std::string out;
  for (const auto& c : store.conversations()) {
    out += c.id + "  " +
           protocol::rfc3339_utc(
               std::chrono::system_clock::time_point(std::chrono::milliseconds(c.created_ms))) +
           "  [" + joined(c.connectors) + "]" + (c.read_only ? " read-only" : "") + "  " + c.title +
           "\n";
  }
  if (out.empty()) out = "no conversations\n";
  return out;
}

std::string export_conversation(const host::HostStore& store, const std::string& id,
                                const std::string& format) {
  auto conversation = store.find_conversation(id);
  if (!conversation)
    throw std::invalid_argument("no conversation " + id + " (see mcpp chat --list)");
  auto messages = store.messages(id);
  auto calls = store.tool_calls(id);
  if (format == "json") {
    json::array ms, cs;
    for (const auto& m : messages) {
      json::object o{{"role", m.role}, {"content", m.content}, {"time_ms", m.time_ms}};
      if (!m.tool_calls.empty()) {
        json::array list;
        for (const auto& call : host::tool_calls_from_json(m.tool_calls)) {
          list.push_back({{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
        }
        o["tool_calls"] = std::move(list);
      }
      if (!m.tool_call_id.empty()) o["tool_call_id"] = m.tool_call_id;
      ms.push_back(std::move(o));
    }
    for (const auto& c : calls) {
      cs.push_back({{"connector", c.connector},
                    {"tool", c.tool},
                    {"arguments", c.arguments},
                    {"decision", c.decision},
                    {"decided_by", c.decided_by},
                    {"result", c.result},
                    {"is_error", c.is_error},
                    {"duration_ms", c.duration_ms},
                    {"time_ms", c.time_ms}});
    }
    json::array connectors;
    for (const auto& name : conversation->connectors) connectors.push_back(json::value(name));
    json::object out{{"id", conversation->id},
                     {"title", conversation->title},
                     {"created_ms", conversation->created_ms},
                     {"connectors", std::move(connectors)},
                     {"read_only", conversation->read_only},
                     {"messages", std::move(ms)},
                     {"tool_calls", std::move(cs)}};
    return json::serialize(out) + "\n";
  }
  std::string out = "# " + (conversation->title.empty() ? id : conversation->title) + "\n\n";
  out += "Conversation " + id + ", connectors: " + joined(conversation->connectors) + "\n\n";
  for (const auto& m : messages) {
    if (m.role == "tool") {
      out += "**tool result** (" + m.tool_call_id + "):\n\n```\n" + m.content + "\n```\n\n";
      continue;
    }
    if (!m.content.empty()) out += "**" + m.role + "**: " + m.content + "\n\n";
    for (const auto& call : host::tool_calls_from_json(m.tool_calls)) {
      out += "**" + m.role + "** calls `" + call.name + "` (" + call.id + "):\n\n```json\n" +
             call.arguments + "\n```\n\n";
    }
  }
  if (!calls.empty()) {
    out +=
        "## Tool calls\n\n| connector/tool | decision | decided by | ms | error "
        "|\n|---|---|---|---|---|\n";
    for (const auto& c : calls) {
      out += "| " + c.connector + "/" + c.tool + " | " + c.decision + " | " + c.decided_by + " | " +
             std::to_string(c.duration_ms) + " | " + (c.is_error ? "yes" : "") + " |\n";
    }
  }
  return out;
}

}  // namespace mcpp::cli
