// Correlation of outgoing requests: results, errors, timeouts, cancellation, closing.
#include "jsonrpc/outgoing.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <thread>

namespace mcpp::jsonrpc {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

struct Outcome {
  json::value result;
  int error_code = 0;
};

Outcome run_wait(OutgoingRequests& out, std::chrono::milliseconds timeout,
                 const std::function<void(const json::value& id)>& responder) {
  asio::io_context io;
  Outcome outcome;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto slot = out.open(co_await asio::this_coro::executor);
        json::value id = OutgoingRequests::id_of(*slot);
        responder(id);
        try {
          outcome.result = co_await out.wait(slot, timeout);
        } catch (const RpcError& e) {
          outcome.error_code = e.error().code;
        }
      },
      asio::detached);
  io.run();
  return outcome;
}

Message response(const json::value& id, json::value result) {
  Message m;
  m.kind = Kind::kResult;
  m.id = id;
  m.result = std::move(result);
  return m;
}

TEST(OutgoingRequests, ResultArrives) {
  OutgoingRequests out;
  auto o = run_wait(out, 5s, [&](const json::value& id) { out.resolve(response(id, 42)); });
  EXPECT_EQ(o.result.as_int64(), 42);
  EXPECT_EQ(out.size(), 0u);
}

TEST(OutgoingRequests, ResultFromAnotherThread) {
  OutgoingRequests out;
  std::thread t;
  auto o = run_wait(out, 5s, [&](const json::value& id) {
    t = std::thread([&out, id] {
      std::this_thread::sleep_for(10ms);
      out.resolve(response(id, "late"));
    });
  });
  t.join();
  EXPECT_EQ(o.result.as_string(), "late");
}

TEST(OutgoingRequests, ErrorResponseThrowsItsCode) {
  OutgoingRequests out;
  auto o = run_wait(out, 5s, [&](const json::value& id) {
    Message m;
    m.kind = Kind::kError;
    m.id = id;
    m.error = {-32601, "nope", nullptr};
    out.resolve(m);
  });
  EXPECT_EQ(o.error_code, -32601);
}

TEST(OutgoingRequests, TimesOut) {
  OutgoingRequests out;
  auto o = run_wait(out, 20ms, [](const json::value&) {});
  EXPECT_EQ(o.error_code, kRequestTimeout);
  EXPECT_EQ(out.size(), 0u);
}

TEST(OutgoingRequests, FailAndFailAll) {
  OutgoingRequests out;
  auto o = run_wait(out, 5s, [&](const json::value& id) {
    out.fail(id, {kRequestCancelled, "cancelled", nullptr});
  });
  EXPECT_EQ(o.error_code, kRequestCancelled);
  o = run_wait(out, 5s, [&](const json::value&) {
    out.fail_all({kConnectionClosed, "closed", nullptr});
  });
  EXPECT_EQ(o.error_code, kConnectionClosed);
}

TEST(OutgoingRequests, UnknownIdIsRejected) {
  OutgoingRequests out;
  EXPECT_FALSE(out.resolve(response(99, 1)));
}

}  // namespace
}  // namespace mcpp::jsonrpc
