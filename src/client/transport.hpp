// ClientTransport: how a Client exchanges JSON-RPC messages with one server (stdio, Streamable
// HTTP, legacy HTTP+SSE), and the factories of the three.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpp/client.hpp"
#include "mcpp/connection.hpp"

namespace mcpp {

// Concurrency contract: every member is called on the transport's executor (a strand), and the
// callbacks are invoked there too. send() may be awaited by several coroutines at once.
class ClientTransport {
 public:
  struct Callbacks {
    // A message (or a batch array) from the server. `related_request`: the id of the client's
    // request whose response stream carried it (Streamable HTTP's POST streams), else null.
    std::function<void(json::value message, const json::value& related_request)> on_message;
    // The transport can no longer deliver the answer to one request (e.g. its SSE stream broke
    // and could not be resumed).
    std::function<void(const json::value& request_id, const TransportError& error)> on_lost;
    // The connection ended on its own (not after close()).
    std::function<void(const TransportError& error)> on_closed;
  };

  virtual ~ClientTransport() = default;
  virtual std::string_view name() const = 0;

  // Connects (or spawns the process). Throws TransportError.
  virtual Task<void> start(Callbacks callbacks) = 0;
  // Sends one message. Throws TransportError. Over HTTP the answer to a request may arrive
  // (through on_message) before this returns.
  virtual Task<void> send(json::value message) = 0;
  // The same, with HTTP headers for this message only (the stateless era's Mcp-Param-*); the
  // transports without headers ignore them.
  virtual Task<void> send_with_headers(json::value message,
                                       std::vector<std::pair<std::string, std::string>> headers) {
    (void)headers;
    return send(std::move(message));
  }

  // The revision negotiated by initialize (HTTP sends it as MCP-Protocol-Version).
  virtual void set_protocol_version(std::string_view) {}
  // Whether the transport can carry the stateless era (2026-07-28): stdio and Streamable HTTP.
  virtual bool supports_stateless() const { return false; }
  // Switches to the stateless era (no session, no GET stream, per-request headers) or back.
  virtual void set_stateless(bool) {}
  // The handshake finished: Streamable HTTP opens its GET stream now.
  virtual void on_initialized() {}
  // The client stopped waiting for a request (timeout, cancellation): drop its stream.
  virtual void forget(const json::value& /*request_id*/) {}
  // Before a new initialize after the session expired.
  virtual void reset_session() {}

  // Ends the connection gracefully (HTTP: DELETE the session; stdio: stop the process).
  virtual Task<void> close() = 0;
  // Ends it at once, without waiting (used on destruction).
  virtual void abort() noexcept = 0;
};

std::unique_ptr<ClientTransport> make_stdio_transport(boost::asio::any_io_executor ex,
                                                      StdioTarget target);
std::unique_ptr<ClientTransport> make_streamable_http_transport(boost::asio::any_io_executor ex,
                                                                HttpTarget target);
std::unique_ptr<ClientTransport> make_legacy_sse_transport(boost::asio::any_io_executor ex,
                                                           HttpTarget target);
// Any mcpp::Connection (an in-memory pair, a connection of the application's own).
std::unique_ptr<ClientTransport> make_connection_transport(boost::asio::any_io_executor ex,
                                                           std::shared_ptr<Connection> connection);

}  // namespace mcpp
