// HTTP sessions: the transport's side of one MCP session (its protocol session, SSE streams and
// activity) and SessionStore, the table of live sessions keyed by their Mcp-Session-Id.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mcpp/server.hpp"
#include "mcpp/transport/event_store.hpp"
#include "server/session.hpp"
#include "transport/sse.hpp"

namespace mcpp {

// A new session id: 128 random bits from OpenSSL's CSPRNG as 32 lowercase hex characters.
std::string make_session_id();

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(const Server& server, std::string id, std::uint64_t serial, bool legacy,
              std::shared_ptr<EventStore> store, std::chrono::milliseconds sse_retry);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  const std::string& id() const { return id_; }
  // The subject of the token that created the session ("" when anonymous): later requests must
  // come from the same subject (a session id alone is never a credential). Set once, at creation.
  const std::string& owner() const { return owner_; }
  void set_owner(std::string subject) { owner_ = std::move(subject); }
  // Sessions of the 2024-11-05 HTTP+SSE transport live on /sse and /messages only.
  bool legacy() const { return legacy_; }
  const std::shared_ptr<ServerSession>& protocol() const { return protocol_; }
  // The GET stream (Streamable HTTP) or the /sse stream (legacy); also the session's
  // standalone sink.
  const std::shared_ptr<SseStream>& standalone() const { return standalone_; }

  // A new response stream for one POSTed request. Not tracked until it becomes SSE (track()).
  std::shared_ptr<SseStream> new_request_stream();
  // Remembers an SSE response stream, for resumption and for cleanup when the session ends.
  // The latest finished streams stay resumable; older ones are erased from the EventStore.
  void track(const std::shared_ptr<SseStream>& stream);
  // True when `stream_id` names one of this session's streams.
  bool owns_stream(std::string_view stream_id) const;
  // A tracked stream still in use by its request, or null.
  std::shared_ptr<SseStream> live_stream(std::string_view stream_id);

  // Activity: requests touch the session; open streams and requests in progress hold it.
  void touch() { last_seen_.store(now_ticks(), std::memory_order_relaxed); }
  // Keeps the session from expiring while the returned lease lives.
  std::shared_ptr<void> hold();
  bool expired(std::chrono::steady_clock::time_point now, std::chrono::milliseconds idle) const;

  // Ends the session: the protocol session, its streams and their stored events.
  void close();
  bool closed() const { return closed_.load(); }

 private:
  static std::int64_t now_ticks() {
    return std::chrono::steady_clock::now().time_since_epoch().count();
  }

  const std::string id_;
  std::string owner_;
  const std::string stream_prefix_;  // "<serial>." — stream ids carry no secret
  const bool legacy_;
  const std::shared_ptr<EventStore> store_;
  const std::chrono::milliseconds retry_;
  std::shared_ptr<ServerSession> protocol_;
  std::shared_ptr<SseStream> standalone_;

  std::atomic<std::uint64_t> next_stream_{1};  // 0 is the standalone stream
  std::atomic<std::int64_t> last_seen_;
  std::atomic<int> holds_{0};
  std::atomic<bool> closed_{false};

  struct Tracked {
    std::string id;
    std::weak_ptr<SseStream> stream;
  };
  std::mutex mu_;
  std::map<std::uint64_t, Tracked> tracked_;  // by stream number, oldest first
};

class SessionStore {
 public:
  SessionStore(const Server& server, std::size_t max_sessions, std::shared_ptr<EventStore> store,
               std::chrono::milliseconds sse_retry);

  // A new session with a fresh id, or null when max_sessions are live.
  std::shared_ptr<HttpSession> create(bool legacy);
  std::shared_ptr<HttpSession> find(std::string_view id) const;
  // Removes the session (the caller closes it); null when unknown.
  std::shared_ptr<HttpSession> remove(std::string_view id);
  // Removes and returns the sessions idle for longer than `idle`.
  std::vector<std::shared_ptr<HttpSession>> remove_expired(std::chrono::milliseconds idle);
  std::vector<std::shared_ptr<HttpSession>> remove_all();
  std::size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  const Server& server_;
  const std::size_t max_sessions_;
  const std::shared_ptr<EventStore> store_;
  const std::chrono::milliseconds retry_;
  std::atomic<std::uint64_t> next_serial_{1};
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<HttpSession>, Hash, std::equal_to<>> sessions_;
};

}  // namespace mcpp
