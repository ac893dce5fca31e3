// The in-memory EventStore and the SSE framing: ids, replay, bounds, erasure, concurrency.
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "mcpp/transport/event_store.hpp"
#include "transport/sse.hpp"

namespace mcpp {
namespace {

using Replayed = std::vector<std::pair<std::string, std::string>>;

Replayed replay(EventStore& s, const std::string& after,
                std::optional<std::string>* stream = nullptr) {
  Replayed out;
  auto id = s.replay_after(after, [&](std::string_view event_id, std::string_view data) {
    out.emplace_back(event_id, data);
  });
  if (stream) *stream = id;
  return out;
}

TEST(MemoryEventStore, ReplaysTheEventsAfterAnIdOnItsStreamOnly) {
  auto s = make_memory_event_store();
  std::string a1 = s->store("a", "1");
  std::string b1 = s->store("b", "x");
  std::string a2 = s->store("a", "2");
  std::string a3 = s->store("a", "3");
  std::set<std::string> ids{a1, b1, a2, a3};
  EXPECT_EQ(ids.size(), 4u);
  std::optional<std::string> stream;
  Replayed r = replay(*s, a1, &stream);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], (std::pair<std::string, std::string>{a2, "2"}));
  EXPECT_EQ(r[1], (std::pair<std::string, std::string>{a3, "3"}));
  EXPECT_EQ(stream, "a");
  EXPECT_TRUE(replay(*s, a3, &stream).empty());
  EXPECT_EQ(stream, "a");
  EXPECT_TRUE(replay(*s, b1, &stream).empty());
  EXPECT_EQ(stream, "b");
}

TEST(MemoryEventStore, UnknownIdsAreNullopt) {
  auto s = make_memory_event_store();
  s->store("a", "1");
  std::optional<std::string> stream = "x";
  for (std::string bad : {"", "a", "a_", "a_x", "z_1", "a_99", "_1", "a_1x"}) {
    replay(*s, bad, &stream);
    EXPECT_FALSE(stream) << bad;
  }
}

TEST(MemoryEventStore, StreamIdsMayContainUnderscores) {
  auto s = make_memory_event_store();
  std::string first = s->store("a_b", "1");
  s->store("a_b", "2");
  std::optional<std::string> stream;
  EXPECT_EQ(replay(*s, first, &stream).size(), 1u);
  EXPECT_EQ(stream, "a_b");
}

TEST(MemoryEventStore, KeepsTheLastEventsOfEachStream) {
  auto s = make_memory_event_store(3);
  std::string first = s->store("a", "1");
  for (int i = 2; i <= 5; ++i) s->store("a", std::to_string(i));
  Replayed r = replay(*s, first);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].second, "3");
  EXPECT_EQ(r[2].second, "5");
}

TEST(MemoryEventStore, EraseForgetsAStream) {
  auto s = make_memory_event_store();
  std::string id = s->store("a", "1");
  s->erase_stream("a");
  std::optional<std::string> stream;
  replay(*s, id, &stream);
  EXPECT_FALSE(stream);
  s->erase_stream("never");
}

TEST(MemoryEventStore, ThreadSafe) {
  auto s = make_memory_event_store(100'000);
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> ids(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) ids[t].push_back(s->store(i % 2 ? "odd" : "even", "x"));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 4000u);
}

TEST(SseFormat, EventsCommentsAndPriming) {
  std::string out;
  sse::append_event(out, "7", "", R"({"a":1})");
  EXPECT_EQ(out, "id: 7\ndata: {\"a\":1}\n\n");
  out.clear();
  sse::append_event(out, "", "endpoint", "/messages?session_id=x");
  EXPECT_EQ(out, "event: endpoint\ndata: /messages?session_id=x\n\n");
  out.clear();
  sse::append_event(out, "", "", "one\ntwo\r\nthree");
  EXPECT_EQ(out, "data: one\ndata: two\ndata: three\n\n");
  out.clear();
  sse::append_priming(out, "s_1", std::chrono::milliseconds(1500));
  EXPECT_EQ(out, "id: s_1\nretry: 1500\ndata: \n\n");
  out.clear();
  sse::append_comment(out, "keepalive");
  EXPECT_EQ(out, ": keepalive\n\n");
}

TEST(SseStream, RequestStreamChoosesJsonOrSse) {
  auto store = make_memory_event_store();
  int wakes = 0;
  {
    SseStream s(SseStream::Kind::kRequest, "r1", store, std::chrono::milliseconds(10));
    auto a = s.attach([&] { ++wakes; }, nullptr, false);
    EXPECT_EQ(a.status, SseStream::AttachStatus::kAttached);
    s.finish(json::value{{"id", 1}});
    auto o = s.outcome();
    EXPECT_FALSE(o.sse);
    EXPECT_TRUE(o.ended);
    EXPECT_EQ(o.reply.at("id"), 1);
  }
  {
    SseStream s(SseStream::Kind::kRequest, "r2", store, std::chrono::milliseconds(10));
    auto a = s.attach([&] { ++wakes; }, nullptr, false);
    EXPECT_TRUE(s.send(json::value{{"method", "notifications/progress"}}));
    s.finish(json::value{{"id", 2}});
    auto o = s.outcome();
    EXPECT_TRUE(o.sse);
    auto b = s.take(a.token);
    EXPECT_TRUE(b.ended);
    EXPECT_NE(b.text.find("retry: 10"), std::string::npos);
    EXPECT_LT(b.text.find("progress"), b.text.find("\"id\":2"));
    // After a disconnect, messages of a request stream are still stored.
    s.detach(a.token);
  }
  EXPECT_GE(wakes, 2);
}

TEST(SseStream, StandaloneRefusesWhileDetachedAndOnlyOneAttaches) {
  auto store = make_memory_event_store();
  SseStream s(SseStream::Kind::kStandalone, "g", store, std::chrono::milliseconds(10));
  EXPECT_FALSE(s.send(json::value{{"method", "x"}}));
  auto a = s.attach([] {}, nullptr, false);
  EXPECT_EQ(a.status, SseStream::AttachStatus::kAttached);
  EXPECT_EQ(s.attach([] {}, nullptr, false).status, SseStream::AttachStatus::kBusy);
  EXPECT_TRUE(s.send(json::value{{"method", "x"}}));
  auto taken = s.attach([] {}, nullptr, true);
  EXPECT_EQ(taken.status, SseStream::AttachStatus::kAttached);
  EXPECT_TRUE(s.take(a.token).detached);
  s.close();
  EXPECT_FALSE(s.send(json::value{{"method", "x"}}));
  EXPECT_TRUE(s.take(taken.token).ended);
  EXPECT_EQ(s.attach([] {}, nullptr, false).status, SseStream::AttachStatus::kClosed);
}

}  // namespace
}  // namespace mcpp
