// SseParser: the client side of Server-Sent Events (the WHATWG event-stream format), fed the
// bytes of a response body chunk by chunk.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mcpp {

struct SseEvent {
  std::string id;     // the stream's last event id after this event
  std::string event;  // "message" when the stream named none
  std::string data;
};

class SseParser {
 public:
  using EventHandler = std::function<void(const SseEvent&)>;

  // Parses `chunk`, calling `on_event` for each complete event. Lines may end in LF, CR or CRLF
  // and may be split across chunks.
  void feed(std::string_view chunk, const EventHandler& on_event);

  // The last event id seen (what to send as Last-Event-ID), and whether one was seen at all.
  const std::string& last_event_id() const { return last_event_id_; }
  bool has_event_id() const { return has_event_id_; }
  // The reconnection time the server asked for with "retry:", if it did.
  std::optional<std::chrono::milliseconds> retry() const { return retry_; }

 private:
  void line(std::string_view text, const EventHandler& on_event);

  std::string pending_;   // an incomplete line
  bool skip_lf_ = false;  // the previous chunk ended in CR
  bool started_ = false;  // past a leading byte order mark
  std::string data_;
  std::string event_;
  bool has_data_ = false;
  std::string last_event_id_;
  bool has_event_id_ = false;
  std::optional<std::chrono::milliseconds> retry_;
};

}  // namespace mcpp
