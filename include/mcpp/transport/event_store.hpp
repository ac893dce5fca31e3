// EventStore: where SSE events are kept so a client that reconnects with Last-Event-ID gets what
// it missed. In memory now; other stores (Redis) implement the same interface.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mcpp {

class EventStore {
 public:
  virtual ~EventStore() = default;
  // Stores one event's data (a serialized JSON-RPC message) on a stream; returns its event id,
  // unique across streams.
  virtual std::string store(std::string_view stream_id, std::string_view data) = 0;
  // Calls `send` for every event of the stream that `last_event_id` belongs to, after it, in
  // order. Returns that stream's id, or nullopt when the id is unknown (expired or foreign).
  virtual std::optional<std::string> replay_after(
      std::string_view last_event_id,
      const std::function<void(std::string_view event_id, std::string_view data)>& send) = 0;
  // Forgets a stream (its session ended).
  virtual void erase_stream(std::string_view stream_id) = 0;
};

// Keeps the last `max_events_per_stream` events of each stream in memory. Thread-safe.
std::shared_ptr<EventStore> make_memory_event_store(std::size_t max_events_per_stream = 1024);

}  // namespace mcpp
