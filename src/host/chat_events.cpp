// ChatEvent to and from JSON, and the constructors of the simple events.
#include "host/chat_events.hpp"

#include <stdexcept>

namespace mcpp::host {

json::object ChatEvent::to_json() const {
  json::object out;
  out["type"] = type;
  out["conversation"] = conversation;
  for (const auto& member : data) {
    if (member.key() != "type" && member.key() != "conversation")
      out[member.key()] = member.value();
  }
  return out;
}

ChatEvent ChatEvent::from_json(const json::object& object) {
  ChatEvent event;
  event.type = std::string(find_string(object, "type"));
  if (event.type.empty()) throw std::invalid_argument("a chat event needs a \"type\"");
  event.conversation = std::string(find_string(object, "conversation"));
  for (const auto& member : object) {
    if (member.key() != "type" && member.key() != "conversation") {
      event.data[member.key()] = member.value();
    }
  }
  return event;
}

ChatEvent text_delta_event(std::string conversation, std::string_view text) {
  return {std::string(event_type::kTextDelta), std::move(conversation), {{"text", text}}};
}

ChatEvent notice_event(std::string conversation, std::string message) {
  return {std::string(event_type::kNotice), std::move(conversation), {{"message", message}}};
}

ChatEvent error_event(std::string conversation, std::string message) {
  return {std::string(event_type::kError), std::move(conversation), {{"message", message}}};
}

}  // namespace mcpp::host
