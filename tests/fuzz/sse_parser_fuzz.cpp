// Fuzzes the client's Server-Sent Events parser. Invariants: the events, the last event id and
// the retry time do not depend on how the stream is cut into chunks (whole, byte by byte, or in
// pieces whose sizes the input's first byte picks); an event's type is never empty.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/sse_parser.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace mcpp;

struct Outcome {
  std::vector<SseEvent> events;
  std::string last_event_id;
  bool has_event_id = false;
  std::optional<std::chrono::milliseconds> retry;
};

Outcome parse_in_pieces(std::string_view stream, std::size_t piece) {
  SseParser parser;
  Outcome out;
  auto collect = [&](const SseEvent& e) {
    fuzz::check(!e.event.empty(), "an event always has a type");
    out.events.push_back(e);
  };
  if (piece == 0) {
    parser.feed(stream, collect);
  } else {
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      parser.feed(stream.substr(at, piece), collect);
    }
    parser.feed({}, collect);  // an empty chunk changes nothing
  }
  out.last_event_id = parser.last_event_id();
  out.has_event_id = parser.has_event_id();
  out.retry = parser.retry();
  return out;
}

void same(const Outcome& a, const Outcome& b, std::string_view how) {
  fuzz::check(a.events.size() == b.events.size(), "the same number of events", how);
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    fuzz::check(a.events[i].id == b.events[i].id, "the same event ids", how);
    fuzz::check(a.events[i].event == b.events[i].event, "the same event types", how);
    fuzz::check(a.events[i].data == b.events[i].data, "the same event data", how);
  }
  fuzz::check(a.last_event_id == b.last_event_id, "the same last event id", how);
  fuzz::check(a.has_event_id == b.has_event_id, "the same has_event_id", how);
  fuzz::check(a.retry == b.retry, "the same retry", how);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = data[0] % 13 + 1;
  std::string_view stream = fuzz::as_text(data + 1, size - 1);
  Outcome whole = parse_in_pieces(stream, 0);
  same(whole, parse_in_pieces(stream, 1), "byte by byte");
  same(whole, parse_in_pieces(stream, piece), "in pieces");
  return 0;
}
