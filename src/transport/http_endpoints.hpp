// The HTTP endpoints of an MCP server, independent of the connection's stream (TCP or TLS):
// each request becomes a Reply, which the connection writes and, for SSE, keeps pumping.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "mcpp/transport/http.hpp"
#include "transport/http_security.hpp"
#include "transport/http_session_store.hpp"
#include "transport/sse.hpp"

namespace mcpp {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
// The response a server writes (the client reads an HttpResponse, src/client/http_client.hpp).
using HttpServerResponse = http::response<http::string_body>;

// Error code of the "Session not found" answer (HTTP 404).
inline constexpr int kSessionNotFound = -32001;

// What every connection of one HttpServer shares; lives as long as the server.
struct HttpServerState {
  HttpServerState(Server& server, HttpOptions options);

  Server& server;
  const HttpOptions options;  // event_store is never null
  const OriginPolicy origins;
  SessionStore sessions;
  std::atomic<std::size_t> connections{0};
  // One state per HttpOptions::mounts entry: its endpoints prefixed, no mounts or routes of its
  // own (the connection counter and routes are this state's).
  std::vector<std::unique_ptr<HttpServerState>> mounts;

  // The state whose MCP endpoints include `path`: a mount's, or this one.
  HttpServerState& owner_of(std::string_view path);
  // This state and every mount's.
  template <class F>
  void for_each(F&& f) {
    f(*this);
    for (auto& m : mounts) f(*m);
  }
};

// How a connection sleeps until a stream it serves has something to write. Lives on the
// connection's strand; wakers may be called from any thread and may outlive it.
class StreamWaiter : public std::enable_shared_from_this<StreamWaiter> {
 public:
  explicit StreamWaiter(const boost::asio::any_io_executor& strand);
  std::function<void()> waker();
  // True when woken, false when `timeout` passed first.
  Task<bool> wait(std::chrono::milliseconds timeout);
  // Wakes a pending wait(); only on the connection's strand.
  void wake_now() { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
};

// The answer to one request: a whole response, or the head of an SSE stream that the connection
// then feeds from `stream` until it ends.
struct Reply {
  HttpServerResponse response;
  std::shared_ptr<SseStream> stream;
  std::uint64_t token = 0;      // the connection's attachment to `stream`
  std::string preamble;         // SSE text to send before the stream's own
  bool watch_peer = false;      // a GET stream: end it as soon as the client hangs up
  std::shared_ptr<void> lease;  // released when the response is over
};

// Starts the handler of a request on `executor`: it runs at once, up to its first wait, and
// finishes `stream` with its reply (an internal error when it throws). `keep` is held until then.
void start_handler(const boost::asio::any_io_executor& executor, Task<json::value> handler,
                   std::shared_ptr<SseStream> stream, std::shared_ptr<void> keep);

// Asks HttpOptions::authorizer about a request to an MCP endpoint (allows all without one;
// callers skip the call, and its coroutine frame, when there is no authorizer).
// `message`: the parsed payload of a POST, else null; `peer_address`: the TCP peer's address.
Task<HttpAuthDecision> authorize(HttpServerState& state, const HttpRequest& request,
                                 const json::value* message, std::string_view peer_address);
// An HttpReply (from a route or an authorizer) as a Beast response.
HttpServerResponse to_response(const HttpReply& reply);
// True when `session` may serve a request from `auth` (the creator's subject, if it had one).
bool same_owner(const HttpSession& session, const std::shared_ptr<const AuthInfo>& auth);

// Routes and answers one request (Host/Origin checks, then the endpoint). Runs on the
// connection's strand; the request stays valid until the returned task completes.
Task<Reply> handle_http_request(HttpServerState& state, HttpRequest& request, StreamWaiter& waiter,
                                std::string_view peer_address = {});

// The endpoints (http_endpoints.cpp routes to them); `peer_address` is the TCP peer's address.
Task<Reply> handle_mcp_endpoint(HttpServerState& state, HttpRequest& request, StreamWaiter& waiter,
                                std::string_view peer_address);
Task<Reply> handle_legacy_stream(HttpServerState& state, HttpRequest& request, StreamWaiter& waiter,
                                 std::string_view peer_address);
Task<Reply> handle_legacy_message(HttpServerState& state, HttpRequest& request,
                                  std::string_view peer_address);
// The stateless revision (2026-07-28) on the MCP endpoint.
bool is_stateless_post(const HttpRequest& request, const json::value& payload);
// A GET or DELETE from a client of the stateless revision (answered 405).
bool is_stateless_request(const HttpRequest& request);
Task<Reply> handle_stateless_post(HttpServerState& state, HttpRequest& request, json::value payload,
                                  StreamWaiter& waiter, std::shared_ptr<const AuthInfo> auth);

// Building blocks of responses.
HttpServerResponse make_response(http::status status, std::string body,
                                 std::string_view content_type);
HttpServerResponse json_response(http::status status, const json::value& body);
// A response whose body is a JSON-RPC error with id null.
HttpServerResponse error_response(http::status status, int code, std::string message);
HttpServerResponse empty_response(http::status status);
// The head of an SSE response (the connection adds the framing).
HttpServerResponse sse_head();
inline Reply reply_with(HttpServerResponse response) {
  Reply r;
  r.response = std::move(response);
  return r;
}
// A header's value, empty when absent.
std::string_view header_value(const HttpRequest& request, std::string_view name);
// A new session, expiring idle ones first when the table is full; null when it stays full.
std::shared_ptr<HttpSession> create_session(HttpServerState& state, bool legacy);

}  // namespace mcpp
