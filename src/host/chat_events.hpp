// What the chat engine tells a front-end: one event type per step of a turn (text streamed,
// a tool call proposed, an approval needed, progress, a result, a server's elicitation or sampling
// request, an error, the end of the turn). Every event converts to JSON, so the terminal and the
// web console render the same stream.
#pragma once

#include <string>
#include <string_view>

#include "mcpp/json.hpp"

namespace mcpp::host {

// The kinds of event, as they appear in the JSON "type" member.
namespace event_type {
inline constexpr std::string_view kTextDelta = "text_delta";                 // {text}
inline constexpr std::string_view kToolCallProposed = "tool_call_proposed";  // see tool_call_fields
inline constexpr std::string_view kApprovalNeeded = "approval_needed";       // + {diff?}
inline constexpr std::string_view kToolProgress =
    "tool_progress";  // {call_id, progress, total?, message}
inline constexpr std::string_view kToolResult =
    "tool_result";  // {call_id, ..., is_error, text, duration_ms}
inline constexpr std::string_view kElicitationRequest = "elicitation_request";
inline constexpr std::string_view kSamplingRequest = "sampling_request";
inline constexpr std::string_view kNotice =
    "notice";                                        // {message}: something the person should know
inline constexpr std::string_view kError = "error";  // {message}
inline constexpr std::string_view kTurnDone = "turn_done";  // {steps, outcome}
}  // namespace event_type

// One event of one conversation. `data` holds the members of the kind (see event_type).
struct ChatEvent {
  std::string type;
  std::string conversation;
  json::object data;

  // {"type": ..., "conversation": ..., <data members>}.
  json::object to_json() const;
  // The event of a JSON object made by to_json (the web console's client side and tests).
  // Throws std::invalid_argument when `type` is missing.
  static ChatEvent from_json(const json::object& object);
};

ChatEvent text_delta_event(std::string conversation, std::string_view text);
ChatEvent notice_event(std::string conversation, std::string message);
ChatEvent error_event(std::string conversation, std::string message);

}  // namespace mcpp::host
