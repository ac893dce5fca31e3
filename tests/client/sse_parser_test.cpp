// SseParser: the event-stream format split across chunks in every way, line endings, comments,
// ids, retry and the byte order mark.
#include "client/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mcpp {
namespace {

struct Parsed {
  std::vector<SseEvent> events;
  SseParser parser;
};

// Feeds `text` in chunks of `step` bytes (0: all at once).
Parsed parse(std::string_view text, std::size_t step = 0) {
  Parsed p;
  auto on_event = [&](const SseEvent& e) { p.events.push_back(e); };
  if (step == 0) {
    p.parser.feed(text, on_event);
  } else {
    for (std::size_t i = 0; i < text.size(); i += step)
      p.parser.feed(text.substr(i, step), on_event);
  }
  return p;
}

struct Case {
  const char* name;
  std::string text;
  std::vector<std::string> data;  // the events' data, in order
};

TEST(SseParser, ParsesTheSameWhateverTheChunking) {
  std::vector<Case> cases = {
      {"one event", "data: hello\n\n", {"hello"}},
      {"two events", "data: a\n\ndata: b\n\n", {"a", "b"}},
      {"multi-line data", "data: a\ndata: b\n\n", {"a\nb"}},
      {"no space after colon", "data:x\n\n", {"x"}},
      {"two spaces keep one", "data:  x\n\n", {" x"}},
      {"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", {"a", "b"}},
      {"CR only", "data: a\r\rdata: b\r\r", {"a", "b"}},
      {"comments are skipped", ": keep-alive\ndata: a\n\n: again\n\n", {"a"}},
      {"empty data is an event", "id: 1\ndata: \n\n", {""}},
      {"no data, no event", "id: 1\nevent: x\n\n", {}},
      {"unterminated event is held", "data: a\n\ndata: b\n", {"a"}},
      {"byte order mark",
       "\xEF\xBB\xBF"
       "data: a\n\n",
       {"a"}},
      {"field without colon", "data\n\n", {""}},
      {"unknown fields ignored", "foo: bar\ndata: a\n\n", {"a"}},
  };
  for (const auto& c : cases) {
    for (std::size_t step : {0, 1, 2, 3, 5}) {
      Parsed p = parse(c.text, step);
      std::vector<std::string> data;
      for (const auto& e : p.events) data.push_back(e.data);
      EXPECT_EQ(data, c.data) << c.name << " (chunks of " << step << ")";
    }
  }
}

TEST(SseParser, TracksEventTypesIdsAndRetry) {
  Parsed p = parse("event: endpoint\ndata: /messages?s=1\n\nid: 7\nretry: 1500\ndata: {}\n\n");
  ASSERT_EQ(p.events.size(), 2u);
  EXPECT_EQ(p.events[0].event, "endpoint");
  EXPECT_EQ(p.events[0].id, "");
  EXPECT_EQ(p.events[1].event, "message");
  EXPECT_EQ(p.events[1].id, "7");
  EXPECT_TRUE(p.parser.has_event_id());
  EXPECT_EQ(p.parser.last_event_id(), "7");
  ASSERT_TRUE(p.parser.retry().has_value());
  EXPECT_EQ(p.parser.retry()->count(), 1500);
}

TEST(SseParser, IgnoresBadRetryAndIdsWithNul) {
  Parsed p = parse(std::string("retry: soon\nid: a\0b\ndata: x\n\n", 29));
  EXPECT_FALSE(p.parser.retry().has_value());
  EXPECT_FALSE(p.parser.has_event_id());
  ASSERT_EQ(p.events.size(), 1u);
}

TEST(SseParser, KeepsTheIdAcrossEvents) {
  Parsed p = parse("id: 1\ndata: a\n\ndata: b\n\nid:\ndata: c\n\n");
  ASSERT_EQ(p.events.size(), 3u);
  EXPECT_EQ(p.events[1].id, "1");
  EXPECT_EQ(p.events[2].id, "");  // an empty id resets it
  EXPECT_TRUE(p.parser.has_event_id());
}

}  // namespace
}  // namespace mcpp
