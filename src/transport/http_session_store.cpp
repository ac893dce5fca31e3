// HttpSession (one MCP session as the HTTP transport sees it) and the SessionStore table.
#include "transport/http_session_store.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace mcpp {

namespace {
// Finished response streams stay resumable (a write that succeeded is no proof the client read
// it); beyond this many per session the oldest are forgotten.
constexpr std::size_t kKeptFinishedStreams = 32;
}  // namespace

std::string make_session_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw std::runtime_error("mcpp: OpenSSL RAND_bytes failed to make a session id");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(2 * sizeof bytes, '0');
  for (std::size_t i = 0; i < sizeof bytes; ++i) {
    id[2 * i] = kHex[bytes[i] >> 4];
    id[2 * i + 1] = kHex[bytes[i] & 0xF];
  }
  return id;
}

// ---- HttpSession ------------------------------------------------------------------------------

HttpSession::HttpSession(const Server& server, std::string id, std::uint64_t serial, bool legacy,
                         std::shared_ptr<EventStore> store, std::chrono::milliseconds sse_retry)
    : id_(std::move(id)),
      stream_prefix_(std::to_string(serial) + "."),
      legacy_(legacy),
      store_(std::move(store)),
      retry_(sse_retry),
      last_seen_(now_ticks()) {
  protocol_ = ServerSession::create(server, id_);
  standalone_ =
      std::make_shared<SseStream>(legacy ? SseStream::Kind::kLegacy : SseStream::Kind::kStandalone,
                                  stream_prefix_ + "0", store_, retry_);
  protocol_->set_standalone_sink(standalone_);
}

HttpSession::~HttpSession() {
  close();
}

std::shared_ptr<SseStream> HttpSession::new_request_stream() {
  std::uint64_t n = next_stream_.fetch_add(1, std::memory_order_relaxed);
  return std::make_shared<SseStream>(SseStream::Kind::kRequest, stream_prefix_ + std::to_string(n),
                                     store_, retry_);
}

void HttpSession::track(const std::shared_ptr<SseStream>& stream) {
  std::uint64_t n = std::stoull(stream->id().substr(stream_prefix_.size()));
  std::vector<std::string> forget;
  {
    std::lock_guard lock(mu_);
    tracked_[n] = Tracked{stream->id(), stream};
    std::size_t finished = 0;
    for (const auto& [k, t] : tracked_) finished += t.stream.expired() ? 1 : 0;
    for (auto it = tracked_.begin(); finished > kKeptFinishedStreams && it != tracked_.end();) {
      if (it->second.stream.expired()) {
        forget.push_back(std::move(it->second.id));
        it = tracked_.erase(it);
        --finished;
      } else {
        ++it;
      }
    }
  }
  for (const auto& id : forget) store_->erase_stream(id);
}

bool HttpSession::owns_stream(std::string_view stream_id) const {
  if (stream_id.size() <= stream_prefix_.size() || !stream_id.starts_with(stream_prefix_)) {
    return false;
  }
  for (char c : stream_id.substr(stream_prefix_.size())) {
    if (c < '0' || c > '9') return false;
  }
  return stream_id.size() - stream_prefix_.size() <= 19;
}

std::shared_ptr<SseStream> HttpSession::live_stream(std::string_view stream_id) {
  if (stream_id == standalone_->id()) return standalone_;
  if (!owns_stream(stream_id)) return nullptr;
  std::uint64_t n = std::stoull(std::string(stream_id.substr(stream_prefix_.size())));
  std::lock_guard lock(mu_);
  auto it = tracked_.find(n);
  return it == tracked_.end() ? nullptr : it->second.stream.lock();
}

std::shared_ptr<void> HttpSession::hold() {
  holds_.fetch_add(1, std::memory_order_relaxed);
  return std::shared_ptr<void>(nullptr, [self = shared_from_this()](void*) {
    self->touch();
    self->holds_.fetch_sub(1, std::memory_order_relaxed);
  });
}

bool HttpSession::expired(std::chrono::steady_clock::time_point now,
                          std::chrono::milliseconds idle) const {
  if (holds_.load(std::memory_order_relaxed) > 0) return false;
  auto seen = std::chrono::steady_clock::time_point(
      std::chrono::steady_clock::duration(last_seen_.load(std::memory_order_relaxed)));
  return now - seen > idle;
}

void HttpSession::close() {
  if (closed_.exchange(true)) return;
  protocol_->close();
  standalone_->close();
  std::map<std::uint64_t, Tracked> tracked;
  {
    std::lock_guard lock(mu_);
    tracked.swap(tracked_);
  }
  for (auto& [n, t] : tracked) {
    if (auto s = t.stream.lock()) s->close();
    if (store_) store_->erase_stream(t.id);
  }
  if (store_) store_->erase_stream(standalone_->id());
}

// ---- SessionStore ---------------------------------------------------------------------------

SessionStore::SessionStore(const Server& server, std::size_t max_sessions,
                           std::shared_ptr<EventStore> store, std::chrono::milliseconds sse_retry)
    : server_(server), max_sessions_(max_sessions), store_(std::move(store)), retry_(sse_retry) {}

std::shared_ptr<HttpSession> SessionStore::create(bool legacy) {
  {
    std::shared_lock lock(mu_);
    if (sessions_.size() >= max_sessions_) return nullptr;
  }
  auto session = std::make_shared<HttpSession>(server_, make_session_id(),
                                               next_serial_.fetch_add(1, std::memory_order_relaxed),
                                               legacy, store_, retry_);
  std::unique_lock lock(mu_);
  if (sessions_.size() >= max_sessions_) return nullptr;
  sessions_.emplace(session->id(), session);
  return session;
}

std::shared_ptr<HttpSession> SessionStore::find(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

std::shared_ptr<HttpSession> SessionStore::remove(std::string_view id) {
  std::unique_lock lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  auto session = std::move(it->second);
  sessions_.erase(it);
  return session;
}

std::vector<std::shared_ptr<HttpSession>> SessionStore::remove_expired(
    std::chrono::milliseconds idle) {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<HttpSession>> out;
  std::unique_lock lock(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second->expired(now, idle)) {
      out.push_back(std::move(it->second));
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<std::shared_ptr<HttpSession>> SessionStore::remove_all() {
  std::vector<std::shared_ptr<HttpSession>> out;
  std::unique_lock lock(mu_);
  out.reserve(sessions_.size());
  for (auto& [id, s] : sessions_) out.push_back(std::move(s));
  sessions_.clear();
  return out;
}

std::size_t SessionStore::size() const {
  std::shared_lock lock(mu_);
  return sessions_.size();
}

}  // namespace mcpp
