// The Connection contract (mcpp/connection.hpp), checked on the in-memory pair: order, end of
// stream after the peer closes, close() unblocking a pending read, writes after close, and
// writes from other threads.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "mcpp/connection.hpp"

namespace mcpp {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Runs `f(io)` to its end (at most 5 s); fails the test when it does not finish.
template <class F>
void run(F f) {
  asio::io_context io;
  bool done = false;
  std::exception_ptr error;
  asio::co_spawn(io, f(io), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  io.run_for(5s);
  EXPECT_TRUE(done) << "did not finish";
  if (error) std::rethrow_exception(error);
}

TEST(MemoryConnection, MessagesArriveWholeAndInOrderBothWays) {
  run([](asio::io_context& io) -> Task<void> {
    auto [a, b] = make_memory_connection_pair(io.get_executor());
    co_await a->write("one");
    co_await a->write("two");
    co_await b->write("back");
    EXPECT_EQ(co_await b->read(), "one");
    EXPECT_EQ(co_await b->read(), "two");
    EXPECT_EQ(co_await a->read(), "back");
  });
}

TEST(MemoryConnection, ThePeerReadsWhatWasWrittenThenTheEnd) {
  run([](asio::io_context& io) -> Task<void> {
    auto [a, b] = make_memory_connection_pair(io.get_executor());
    co_await a->write("last words");
    a->close();
    EXPECT_EQ(co_await b->read(), "last words");
    EXPECT_EQ(co_await b->read(), std::nullopt);
    EXPECT_EQ(co_await b->read(), std::nullopt);  // and stays ended
    EXPECT_THROW(co_await b->write("anyone?"), ConnectionError);
  });
}

TEST(MemoryConnection, CloseUnblocksAPendingReadOnThisEnd) {
  run([](asio::io_context& io) -> Task<void> {
    auto [a, b] = make_memory_connection_pair(io.get_executor());
    asio::steady_timer later(io, 20ms);
    later.async_wait([a = a](boost::system::error_code) { a->close(); });
    EXPECT_EQ(co_await a->read(), std::nullopt);
    EXPECT_THROW(co_await a->write("after close"), ConnectionError);
    EXPECT_EQ(co_await b->read(), std::nullopt);
    a->close();  // idempotent
  });
}

TEST(MemoryConnection, AWriteWakesAPendingRead) {
  run([](asio::io_context& io) -> Task<void> {
    auto [a, b] = make_memory_connection_pair(io.get_executor());
    asio::co_spawn(
        io,
        [a = a]() -> Task<void> {
          asio::steady_timer t(co_await asio::this_coro::executor, 20ms);
          co_await t.async_wait(asio::use_awaitable);
          co_await a->write("late");
        },
        asio::detached);
    EXPECT_EQ(co_await b->read(), "late");
  });
}

TEST(MemoryConnection, WritesFromOtherThreadsAllArrive) {
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  run([](asio::io_context& io) -> Task<void> {
    auto [a, b] = make_memory_connection_pair(io.get_executor());
    asio::io_context writers_io;
    for (int t = 0; t < kThreads; ++t) {
      asio::co_spawn(
          writers_io,
          [a = a, t]() -> Task<void> {
            for (int i = 0; i < kEach; ++i) {
              co_await a->write(std::to_string(t) + ":" + std::to_string(i));
            }
          },
          asio::detached);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back([&] { writers_io.run(); });
    std::vector<int> next(kThreads, 0);
    for (int n = 0; n < kThreads * kEach; ++n) {
      auto m = co_await b->read();
      if (!m) {
        ADD_FAILURE() << "ended early";
        break;
      }
      int t = std::stoi(m->substr(0, m->find(':')));
      int i = std::stoi(m->substr(m->find(':') + 1));
      EXPECT_EQ(i, next[static_cast<std::size_t>(t)]++) << "out of order for writer " << t;
    }
    for (auto& th : threads) th.join();
  });
}

}  // namespace
}  // namespace mcpp
