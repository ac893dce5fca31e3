// Server-Sent Events framing and the SseStream queue that connections attach to.
#include "transport/sse.hpp"

namespace mcpp {

namespace sse {

void append_event(std::string& out, std::string_view id, std::string_view event,
                  std::string_view data) {
  if (!event.empty()) out.append("event: ").append(event).push_back('\n');
  if (!id.empty()) out.append("id: ").append(id).push_back('\n');
  // Each line of the data is its own "data:" field; CR, LF and CRLF all end a line.
  std::size_t start = 0;
  for (;;) {
    std::size_t end = data.find_first_of("\r\n", start);
    out.append("data: ").append(data.substr(start, end - start)).push_back('\n');
    if (end == std::string_view::npos) break;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
  out.push_back('\n');
}

void append_priming(std::string& out, std::string_view id, std::chrono::milliseconds retry) {
  if (!id.empty()) out.append("id: ").append(id).push_back('\n');
  out.append("retry: ").append(std::to_string(retry.count())).append("\ndata: \n\n");
}

void append_comment(std::string& out, std::string_view text) {
  out.append(": ").append(text).append("\n\n");
}

}  // namespace sse

SseStream::SseStream(Kind kind, std::string id, std::shared_ptr<EventStore> store,
                     std::chrono::milliseconds retry)
    : kind_(kind),
      id_(std::move(id)),
      store_(kind == Kind::kLegacy ? nullptr : std::move(store)),
      retry_(retry),
      sse_(kind != Kind::kRequest) {}

void SseStream::signal_locked() {
  if (signaled_ || !wake_) return;
  signaled_ = true;
  wake_();
}

// Stores one message (when there is a store) and queues it for the attached connection.
void SseStream::queue_locked(std::string_view data) {
  std::string event_id = store_ ? store_->store(id_, data) : std::string();
  if (!attached_) return;
  sse::append_event(pending_, event_id, kind_ == Kind::kLegacy ? "message" : "", data);
  signal_locked();
}

void SseStream::start_sse_locked() {
  sse_ = true;
  if (!store_) return;  // not resumable (2026-07-28): no event ids, no priming event
  std::string priming_id = store_->store(id_, "");
  if (attached_) {
    sse::append_priming(pending_, priming_id, retry_);
    signal_locked();
  }
}

bool SseStream::send(const json::value& message) {
  std::string data = json::serialize(message);
  std::lock_guard lock(mu_);
  if (ended_) return false;
  if (kind_ == Kind::kRequest) {
    if (!sse_) start_sse_locked();
  } else if (!attached_) {
    return false;
  }
  queue_locked(data);
  return true;
}

void SseStream::finish(json::value reply) {
  std::lock_guard lock(mu_);
  if (ended_) return;
  ended_ = true;
  if (!reply.is_null()) {
    if (sse_) {
      queue_locked(json::serialize(reply));
    } else {
      reply_ = std::move(reply);
    }
  }
  signal_locked();
}

void SseStream::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  ended_ = true;
  signal_locked();
}

void SseStream::begin_sse() {
  std::lock_guard lock(mu_);
  if (!sse_ && !ended_) start_sse_locked();
}

SseStream::Attachment SseStream::attach(std::function<void()> wake,
                                        const std::string* last_event_id, bool take_over) {
  Attachment a;
  std::lock_guard lock(mu_);
  if (closed_) return a;
  if (attached_ && !take_over) {
    a.status = AttachStatus::kBusy;
    return a;
  }
  if (attached_ && wake_) wake_();  // the connection attached before sees it is detached
  attached_ = ++next_token_;
  wake_ = std::move(wake);
  pending_.clear();
  signaled_ = false;
  a.status = AttachStatus::kAttached;
  a.token = attached_;
  if (last_event_id && store_) {
    // Under the lock, so no message sent meanwhile is lost or sent twice.
    store_->replay_after(*last_event_id, [&](std::string_view event_id, std::string_view data) {
      if (!data.empty()) sse::append_event(a.preamble, event_id, "", data);  // skip primings
    });
  }
  if (!ended_ && sse_ && store_) sse::append_priming(a.preamble, store_->store(id_, ""), retry_);
  return a;
}

void SseStream::detach(std::uint64_t token) {
  std::lock_guard lock(mu_);
  if (attached_ != token) return;
  attached_ = 0;
  wake_ = nullptr;
  pending_.clear();
  signaled_ = false;
}

SseStream::Outcome SseStream::outcome() {
  std::lock_guard lock(mu_);
  Outcome o;
  o.sse = sse_;
  o.ended = ended_;
  o.closed = closed_;
  signaled_ = false;
  if (ended_ && !sse_) o.reply = std::move(reply_);
  return o;
}

SseStream::Batch SseStream::take(std::uint64_t token) {
  std::lock_guard lock(mu_);
  Batch b;
  if (attached_ != token) {
    b.detached = true;
    b.ended = true;
    return b;
  }
  b.text.swap(pending_);
  b.ended = ended_;
  signaled_ = false;
  return b;
}

}  // namespace mcpp
