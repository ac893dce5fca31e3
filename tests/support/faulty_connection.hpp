// FaultyConnection: a Connection wrapper that fails at the N-th operation (reads and writes
// counted together, from 1), as Boost.Beast's test stream does: from then on every read and write
// fails, with an error or as the end of the stream, and the wrapped connection is closed so that
// the peer sees the end too.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "mcpp/connection.hpp"

namespace mcpp::testing {

class FaultyConnection final : public Connection {
 public:
  enum class Fault {
    kError,        // read() and write() throw ConnectionError
    kEndOfStream,  // read() returns std::nullopt; write() throws (the peer is gone)
  };

  FaultyConnection(std::shared_ptr<Connection> inner, std::size_t fail_at, Fault fault)
      : inner_(std::move(inner)), fail_at_(fail_at), fault_(fault) {}

  Task<std::optional<std::string>> read() override {
    if (fails_now()) {
      if (fault_ == Fault::kError) throw ConnectionError("injected read failure");
      co_return std::nullopt;
    }
    co_return co_await inner_->read();
  }
  Task<void> write(std::string message) override {
    if (fails_now()) throw ConnectionError("injected write failure");
    co_await inner_->write(std::move(message));
  }
  void close() noexcept override { inner_->close(); }

  // How many operations were attempted, and whether the fault was injected.
  std::size_t operations() const { return operations_.load(); }
  bool failed() const { return failed_.load(); }

 private:
  bool fails_now() {
    std::size_t n = ++operations_;
    if (n < fail_at_ && !failed_) return false;
    if (!failed_.exchange(true)) inner_->close();
    return true;
  }

  std::shared_ptr<Connection> inner_;
  const std::size_t fail_at_;
  const Fault fault_;
  std::atomic<std::size_t> operations_{0};
  std::atomic<bool> failed_{false};
};

}  // namespace mcpp::testing
