// Streamable HTTP (one endpoint for POST, GET and DELETE) and the legacy HTTP+SSE transport
// (GET /sse + POST /messages) on one Asio/Beast server, with TLS when given a certificate.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpp/server.hpp"
#include "mcpp/transport/event_store.hpp"

namespace mcpp {

// A request to a path that is not an MCP endpoint, as an HttpRoute sees it (OAuth metadata, an
// authorization server's pages).
struct HttpRequestInfo {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // as received: path and query
  std::string path;                                          // percent-encoded, without the query
  std::string query;                                         // without the '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase, in order
  std::string body;
  // The origin the client addressed: "http(s)://" + Host header (scheme from the listener).
  std::string origin;
  std::string peer_address;  // the TCP peer's IP address

  // A header's value ("" when absent); `name` in lowercase.
  std::string_view header(std::string_view name) const;
};

// A whole response to such a request.
struct HttpReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Content-Type", "..."}
  std::string body;
};

// Serves paths beside the MCP endpoints; std::nullopt means "not mine" (the next route, then
// 404). Routes run after the Host check, on the connection's strand, and may co_await. The
// Origin header is theirs to judge (an authorization server's token endpoint is called from
// other origins; its HTML forms carry their own CSRF protection).
using HttpRoute = std::function<Task<std::optional<HttpReply>>(const HttpRequestInfo&)>;

// What an HttpAuthorizer decided about one request to the MCP endpoints.
struct HttpAuthDecision {
  std::optional<HttpReply> refusal;      // set: answer this (401, 403) and do nothing else
  std::shared_ptr<const AuthInfo> auth;  // who sent it (null: anonymous, where allowed)
};

// One request to the MCP endpoints, as an HttpAuthorizer sees it.
struct HttpAuthRequest {
  std::string_view authorization;        // the Authorization header ("" when absent)
  const json::value* message = nullptr;  // a POST's parsed payload; null for GET and DELETE
  std::string_view peer_address;         // the TCP peer's IP address
  std::string_view path;                 // the request's path (which endpoint it went to)
};

// Checks the credentials of every request to the MCP endpoints (an OAuth resource server, see
// mcpp/auth/resource_server.hpp). Called on the connection's strand; may co_await (a JWKS
// fetch, token introspection); must not throw.
class HttpAuthorizer {
 public:
  virtual ~HttpAuthorizer() = default;
  // The whole request: its Authorization header, its payload, the peer's address (a rate limiter
  // keys anonymous callers by it) and its path. `request` and what it points to stay valid until
  // the returned task completes.
  virtual Task<HttpAuthDecision> authorize_request(const HttpAuthRequest& request) = 0;
};

// Another Server on the same HttpServer, under a path prefix (e.g. "/servers/memory"): its
// Streamable HTTP endpoint is prefix + HttpOptions::endpoint, its legacy SSE endpoints prefix +
// sse_endpoint and prefix + messages_endpoint. It shares every other option (authorizer, limits,
// Host/Origin checks) and has sessions of its own. The Server must outlive the HttpServer.
struct HttpMount {
  std::string prefix;  // starts with '/', no trailing '/'
  Server* server = nullptr;
};

struct HttpOptions {
  std::string host = "127.0.0.1";               // loopback unless told otherwise
  std::uint16_t port = 8080;                    // 0 picks a free port (see HttpServer::port())
  std::string endpoint = "/mcp";                // Streamable HTTP
  std::string sse_endpoint = "/sse";            // legacy HTTP+SSE: the stream
  std::string messages_endpoint = "/messages";  // legacy HTTP+SSE: where clients POST
  int threads = 1;

  // Origin/Host validation (DNS-rebinding protection). Empty lists mean: when bound to loopback,
  // only localhost/127.0.0.1/[::1] on any port; otherwise Host is not checked and Origin must
  // match the Host header. Entries are "host" or "host:port" (Host) and full origins (Origin).
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;

  std::size_t max_body_bytes = 4 * 1024 * 1024;          // 413 beyond
  std::size_t max_header_bytes = 16 * 1024;              // 431 beyond
  std::chrono::milliseconds header_timeout{10'000};      // to receive a request's headers and body
  std::chrono::milliseconds idle_timeout{60'000};        // keep-alive connection with no request
  std::chrono::milliseconds keepalive_interval{15'000};  // SSE comment lines on idle streams
  std::chrono::milliseconds sse_retry{1'000};            // "retry:" sent in the priming event
  std::chrono::milliseconds session_idle_expiry{std::chrono::hours(1)};
  std::size_t max_sessions = 10'000;
  std::size_t max_connections = 20'000;

  // Answer requests with application/json when the handler sent nothing else before its result
  // (SSE otherwise). When false, every request response is an SSE stream.
  bool json_response = true;
  // 2026-07-28: a request still running after this long is answered as an SSE stream (kept
  // alive with comments), so that the client closing it cancels the request.
  std::chrono::milliseconds stream_after{1'000};

  // Resumability: SSE events get ids and are kept here for Last-Event-ID replay. Defaults to an
  // in-memory store.
  std::shared_ptr<EventStore> event_store;

  // More servers on this one, each under its own path prefix (a gateway's per-upstream endpoints).
  std::vector<HttpMount> mounts;

  // Extra paths (tried in order for any path that is not an MCP endpoint).
  std::vector<HttpRoute> routes;
  // Checks every request to the MCP endpoints (Streamable HTTP, legacy SSE); none: open.
  std::shared_ptr<HttpAuthorizer> authorizer;

  // TLS: both set means HTTPS.
  std::string tls_certificate_file;
  std::string tls_private_key_file;
};

class HttpServer {
 public:
  HttpServer(Server& server, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens; throws std::system_error with a clear message when the address is taken.
  void listen();
  // The bound port (after listen()).
  std::uint16_t port() const;
  // Runs the server on options.threads threads until stop(); calls listen() if needed.
  void run();
  // Stops accepting, ends sessions and makes run() return. Thread-safe.
  void stop();
  // The executor of the io_context run() runs: work an application starts on it (a gateway's
  // upstream connections) runs on the server's threads.
  boost::asio::any_io_executor executor() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpp
