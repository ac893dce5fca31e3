// The event-stream interpretation rules of the WHATWG HTML standard (§9.2.6), incrementally.
#include "client/sse_parser.hpp"

#include <algorithm>
#include <cctype>

namespace mcpp {

void SseParser::feed(std::string_view chunk, const EventHandler& on_event) {
  if (!started_) {
    pending_.append(chunk);
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (pending_.size() < kBom.size() && kBom.substr(0, pending_.size()) == pending_) return;
    started_ = true;
    if (pending_.starts_with(kBom)) pending_.erase(0, kBom.size());
    std::string rest = std::move(pending_);
    pending_.clear();
    feed(rest, on_event);
    return;
  }
  std::size_t i = 0;
  if (skip_lf_ && !chunk.empty()) {
    if (chunk[0] == '\n') i = 1;
    skip_lf_ = false;
  }
  while (i < chunk.size()) {
    std::size_t end = chunk.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      pending_.append(chunk.substr(i));
      return;
    }
    std::string_view part = chunk.substr(i, end - i);
    if (pending_.empty()) {
      line(part, on_event);
    } else {
      pending_.append(part);
      std::string whole = std::move(pending_);
      pending_.clear();
      line(whole, on_event);
    }
    i = end + 1;
    if (chunk[end] == '\r') {
      if (i < chunk.size()) {
        if (chunk[i] == '\n') ++i;
      } else {
        skip_lf_ = true;
      }
    }
  }
}

void SseParser::line(std::string_view text, const EventHandler& on_event) {
  if (text.empty()) {  // dispatch
    if (has_data_) {
      SseEvent e;
      e.id = last_event_id_;
      e.event = event_.empty() ? "message" : event_;
      e.data = std::move(data_);
      if (!e.data.empty() && e.data.back() == '\n') e.data.pop_back();
      on_event(e);
    }
    data_.clear();
    event_.clear();
    has_data_ = false;
    return;
  }
  if (text.front() == ':') return;  // comment
  std::string_view field = text;
  std::string_view value;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    field = text.substr(0, colon);
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_ += '\n';
    has_data_ = true;
  } else if (field == "event") {
    event_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      last_event_id_ = std::string(value);
      has_event_id_ = true;
    }
  } else if (field == "retry") {
    if (!value.empty() && value.size() < 10 &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      retry_ = std::chrono::milliseconds(std::stol(std::string(value)));
    }
  }
}

}  // namespace mcpp
