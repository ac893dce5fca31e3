// make_memory_connection_pair: two mcpp::Connection ends joined in memory, each direction an
// unbounded queue guarded by a mutex, with a one-slot concurrent channel to wake the reader.
#include <atomic>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <mutex>

#include "mcpp/connection.hpp"

namespace mcpp {

namespace {

namespace asio = boost::asio;
using WakeChannel = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

// One direction: what one end writes and the other reads.
class MessageQueue {
 public:
  explicit MessageQueue(const asio::any_io_executor& ex) : wake_(ex, 1) {}

  Task<std::optional<std::string>> pop() {
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (reader_closed_) co_return std::nullopt;
        if (!messages_.empty()) {
          std::string m = std::move(messages_.front());
          messages_.pop_front();
          co_return m;
        }
        if (writer_closed_) co_return std::nullopt;
      }
      // A wake-up is only a hint: the loop looks at the queue again. Once the channel is closed
      // (an end closed), one of the flags above ends the loop.
      boost::system::error_code ec;
      co_await wake_.async_receive(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  void push(std::string message) {
    {
      std::lock_guard lock(mu_);
      if (reader_closed_ || writer_closed_) {
        throw ConnectionError("the in-memory connection is closed");
      }
      messages_.push_back(std::move(message));
    }
    wake_.try_send(boost::system::error_code{});
  }

  // The writing end closed: the reader gets what is queued, then the end of the stream.
  void close_writer() {
    {
      std::lock_guard lock(mu_);
      writer_closed_ = true;
    }
    wake_.close();
  }
  // The reading end closed: its reads end now, and what is queued is dropped.
  void close_reader() {
    {
      std::lock_guard lock(mu_);
      reader_closed_ = true;
      messages_.clear();
    }
    wake_.close();
  }

 private:
  std::mutex mu_;
  std::deque<std::string> messages_;
  bool writer_closed_ = false;
  bool reader_closed_ = false;
  WakeChannel wake_;
};

class MemoryConnection final : public Connection {
 public:
  MemoryConnection(std::shared_ptr<MessageQueue> in, std::shared_ptr<MessageQueue> out)
      : in_(std::move(in)), out_(std::move(out)) {}
  ~MemoryConnection() override { close(); }

  Task<std::optional<std::string>> read() override {
    auto in = in_;  // the queue outlives this connection while a read is pending
    co_return co_await in->pop();
  }
  Task<void> write(std::string message) override {
    out_->push(std::move(message));
    co_return;
  }
  void close() noexcept override {
    if (closed_.exchange(true)) return;
    out_->close_writer();
    in_->close_reader();
  }

 private:
  std::shared_ptr<MessageQueue> in_;
  std::shared_ptr<MessageQueue> out_;
  std::atomic<bool> closed_{false};
};

}  // namespace

std::pair<std::shared_ptr<Connection>, std::shared_ptr<Connection>> make_memory_connection_pair(
    asio::any_io_executor executor) {
  auto a_to_b = std::make_shared<MessageQueue>(executor);
  auto b_to_a = std::make_shared<MessageQueue>(executor);
  return {std::make_shared<MemoryConnection>(b_to_a, a_to_b),
          std::make_shared<MemoryConnection>(a_to_b, b_to_a)};
}

}  // namespace mcpp
