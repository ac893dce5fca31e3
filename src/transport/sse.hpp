// Server-Sent Events: the text/event-stream wire format, and SseStream, one stream of server
// messages to a client that connections attach to, detach from and resume (Last-Event-ID).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "mcpp/transport/event_store.hpp"
#include "server/session.hpp"

namespace mcpp {

namespace sse {
// Appends one event; `id` and `event` may be empty. Data with line breaks becomes several data
// lines.
void append_event(std::string& out, std::string_view id, std::string_view event,
                  std::string_view data);
// Appends the priming event of the 2025-11-25 spec: an id and empty data, with "retry:".
void append_priming(std::string& out, std::string_view id, std::chrono::milliseconds retry);
// Appends a comment line (ignored by clients; keeps idle connections alive).
void append_comment(std::string& out, std::string_view text);
}  // namespace sse

// One SSE stream of a session. Messages sent on it are formatted (and, with an EventStore, stored
// with an id) and queued for the connection attached to it, which writes them out. At most one
// connection is attached at a time. Thread-safe: send()/finish()/close() come from any thread;
// the attached connection is told through its `wake` function, which must not block.
class SseStream final : public MessageSink {
 public:
  enum class Kind {
    // The response stream of one POSTed request. Until its first related message it may still
    // be answered as plain JSON; once SSE, messages are stored even while no connection is
    // attached (the client resumes with GET + Last-Event-ID).
    kRequest,
    // The standalone GET stream of a session. Messages sent while no connection is attached
    // are refused (send() returns false) so callers can fall back or fail fast.
    kStandalone,
    // The 2024-11-05 /sse stream: "event: message", no ids, nothing stored.
    kLegacy,
  };

  SseStream(Kind kind, std::string id, std::shared_ptr<EventStore> store,
            std::chrono::milliseconds retry);

  const std::string& id() const { return id_; }
  Kind kind() const { return kind_; }

  // MessageSink: queues one message. False when the stream has ended or (kStandalone, kLegacy)
  // no connection is attached.
  bool send(const json::value& message) override;
  // kRequest: the request was answered; `reply` (may be null: nothing to answer) is the last
  // message of the stream.
  void finish(json::value reply);
  // The session ended: the stream ends, later messages are refused.
  void close();
  // kRequest: answer as SSE from now on, even before any message.
  void begin_sse();

  enum class AttachStatus { kAttached, kBusy, kClosed };
  struct Attachment {
    AttachStatus status = AttachStatus::kClosed;
    std::uint64_t token = 0;  // identifies this attachment in take()/detach()
    std::string preamble;     // replayed events and the priming event, to be written first
  };
  // Attaches a connection. With `last_event_id`, first replays the stored events after it.
  // With `take_over`, a connection already attached is detached (it sees `detached` in its next
  // take()); otherwise a busy stream refuses.
  Attachment attach(std::function<void()> wake, const std::string* last_event_id, bool take_over);
  void detach(std::uint64_t token);

  // kRequest, before the form of the answer is chosen: SSE (a message was sent or begin_sse()),
  // or ended with the reply to send as JSON.
  struct Outcome {
    bool sse = false;
    bool ended = false;
    bool closed = false;
    json::value reply;  // set once when ended and not SSE
  };
  Outcome outcome();

  // What the attached connection writes next.
  struct Batch {
    std::string text;       // formatted events
    bool ended = false;     // nothing will follow `text`
    bool detached = false;  // another connection took over, or the stream ended before
  };
  Batch take(std::uint64_t token);

 private:
  void start_sse_locked();
  void queue_locked(std::string_view data);
  void signal_locked();

  const Kind kind_;
  const std::string id_;
  const std::shared_ptr<EventStore> store_;  // null for kLegacy
  const std::chrono::milliseconds retry_;

  std::mutex mu_;
  std::string pending_;
  std::uint64_t attached_ = 0;
  std::uint64_t next_token_ = 0;
  std::function<void()> wake_;
  bool signaled_ = false;
  bool sse_ = false;
  bool ended_ = false;
  bool closed_ = false;
  json::value reply_;
};

}  // namespace mcpp
