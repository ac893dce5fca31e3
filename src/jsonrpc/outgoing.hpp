// Correlation of outgoing JSON-RPC requests with their responses, with per-request timeouts and
// cancellation. Thread-safe: responses may be resolved from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "jsonrpc/message.hpp"

namespace mcpp::jsonrpc {

// kRequestTimeout, kRequestCancelled and kConnectionClosed are in mcpp/rpc_error.hpp.

class OutgoingRequests {
 public:
  class Slot;
  OutgoingRequests();
  ~OutgoingRequests();
  OutgoingRequests(const OutgoingRequests&) = delete;
  OutgoingRequests& operator=(const OutgoingRequests&) = delete;

  // Reserves a fresh id and a slot its response will land in. Register before sending, so a
  // fast response cannot be lost.
  std::shared_ptr<Slot> open(const boost::asio::any_io_executor& ex);
  static const json::value& id_of(const Slot& slot);

  // Waits for the slot's response. Returns the result; throws RpcError with the peer's error, or
  // kRequestTimeout after `timeout`, or kRequestCancelled / kConnectionClosed.
  boost::asio::awaitable<json::value> wait(std::shared_ptr<Slot> slot,
                                           std::chrono::milliseconds timeout);

  // Delivers a response (kResult or kError). False when no request has that id.
  bool resolve(const Message& response);
  // Fails one request (e.g. cancelled by the caller) or all (connection closed).
  void fail(const json::value& id, Error error);
  void fail_all(const Error& error);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::int64_t next_ = 0;
  std::map<std::string, std::shared_ptr<Slot>, std::less<>> slots_;
};

}  // namespace mcpp::jsonrpc
