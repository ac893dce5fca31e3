// Connection: one two-way channel of serialized JSON-RPC messages between an MCP client and an
// MCP server, the seam under both mcpp::Client (Client::connect) and mcpp::Server (serve()).
// Implemented by an in-memory pair (below), and by tests' fault-injecting connections; your own
// transport (a socket, a message queue) only has to implement these three calls.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace mcpp {

// Every asynchronous call returns a Task: an Asio C++20 coroutine (the same alias as the
// server's and the client's).
template <class T>
using Task = boost::asio::awaitable<T>;

// A connection failed, or was used after it closed. A clean end of the peer's messages is not an
// error: read() returns std::nullopt then.
class ConnectionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The contract every implementation keeps:
//
// - Messages: one read() returns one whole message, one write() sends one: the text of one
//   JSON-RPC message (or batch array), without framing (newlines, SSE events, HTTP bodies are
//   the implementation's business). The connection does not check that it is JSON: the session
//   above answers malformed text with a JSON-RPC parse error (-32700).
// - Reading: one reader at a time (at most one read() pending). read() returns the next message,
//   in the order the peer wrote them, or std::nullopt at the end of the stream: the peer closed
//   its end, or close() was called on this one. Once it has returned std::nullopt it keeps
//   returning it. It throws ConnectionError when the connection failed.
// - Writing: write() may be called while a read() is pending and from several coroutines at
//   once; each message goes out whole, and writes awaited one after the other arrive in that
//   order. It completes once the message is handed over (not when the peer has read it), and
//   throws ConnectionError when the connection is closed (by either end) or failed.
// - Closing: close() is idempotent, noexcept, does not block and may be called from any thread.
//   It ends both directions: a pending read() on this end returns std::nullopt, later writes
//   throw ConnectionError, and the peer reads what was written before, then std::nullopt.
// - Executors: a co_awaited read() or write() resumes the awaiting coroutine on that
//   coroutine's own executor (Asio's rule for awaitables), whatever thread the data came from.
//   Implementations are thread-safe in the sense above.
// - Ownership: connections are shared (std::shared_ptr). Client::connect shares ownership and
//   closes the connection when the client closes or is destroyed; serve() borrows it and closes
//   it when the session ends.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Task<std::optional<std::string>> read() = 0;
  virtual Task<void> write(std::string message) = 0;
  virtual void close() noexcept = 0;
};

// Two connected ends in memory: what one writes, the other reads. Unbounded (a write never
// waits for the reader). `executor` is the one internal wake-ups are scheduled on; reads and
// writes may still be awaited from coroutines on any executor.
std::pair<std::shared_ptr<Connection>, std::shared_ptr<Connection>> make_memory_connection_pair(
    boost::asio::any_io_executor executor);

}  // namespace mcpp
