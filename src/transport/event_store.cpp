// The in-memory EventStore: the last N events of each SSE stream, so a client that reconnects
// with Last-Event-ID gets what it missed. Event ids are "<stream id>_<sequence number>".
#include "mcpp/transport/event_store.hpp"

#include <charconv>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace mcpp {
namespace {

struct StoredEvent {
  std::uint64_t seq;
  std::string data;
};

struct StoredStream {
  std::uint64_t next_seq = 1;
  std::deque<StoredEvent> events;  // oldest first, at most max_events_per_stream
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

class MemoryEventStore final : public EventStore {
 public:
  explicit MemoryEventStore(std::size_t max_events) : max_events_(max_events ? max_events : 1) {}

  std::string store(std::string_view stream_id, std::string_view data) override {
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream_id);
    if (it == streams_.end()) it = streams_.emplace(std::string(stream_id), StoredStream{}).first;
    StoredStream& s = it->second;
    std::uint64_t seq = s.next_seq++;
    if (s.events.size() == max_events_) s.events.pop_front();
    s.events.push_back({seq, std::string(data)});
    return event_id(stream_id, seq);
  }

  std::optional<std::string> replay_after(
      std::string_view last_event_id,
      const std::function<void(std::string_view, std::string_view)>& send) override {
    auto sep = last_event_id.rfind('_');
    if (sep == std::string_view::npos) return std::nullopt;
    std::string_view stream_id = last_event_id.substr(0, sep);
    std::string_view seq_text = last_event_id.substr(sep + 1);
    std::uint64_t last_seq = 0;
    auto [end, ec] = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), last_seq);
    if (ec != std::errc() || end != seq_text.data() + seq_text.size() || seq_text.empty()) {
      return std::nullopt;
    }
    // Copy what is to be replayed, then call `send` without holding the lock: it may write to a
    // socket buffer or call back into this store.
    std::vector<StoredEvent> replay;
    {
      std::lock_guard lock(mu_);
      auto it = streams_.find(stream_id);
      if (it == streams_.end() || last_seq >= it->second.next_seq) return std::nullopt;
      for (const auto& e : it->second.events) {
        if (e.seq > last_seq) replay.push_back(e);
      }
    }
    for (const auto& e : replay) send(event_id(stream_id, e.seq), e.data);
    return std::string(stream_id);
  }

  void erase_stream(std::string_view stream_id) override {
    std::lock_guard lock(mu_);
    if (auto it = streams_.find(stream_id); it != streams_.end()) streams_.erase(it);
  }

 private:
  static std::string event_id(std::string_view stream_id, std::uint64_t seq) {
    std::string id;
    id.reserve(stream_id.size() + 21);
    id.append(stream_id).push_back('_');
    id += std::to_string(seq);
    return id;
  }

  const std::size_t max_events_;
  std::mutex mu_;
  std::unordered_map<std::string, StoredStream, StringHash, std::equal_to<>> streams_;
};

}  // namespace

std::shared_ptr<EventStore> make_memory_event_store(std::size_t max_events_per_stream) {
  return std::make_shared<MemoryEventStore>(max_events_per_stream);
}

}  // namespace mcpp
