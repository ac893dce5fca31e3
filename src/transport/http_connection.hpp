// One accepted HTTP/1.1 connection (plain TCP or TLS): reads requests under timeouts and size
// limits, hands them to the endpoints and writes the replies, pumping SSE streams.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <string>

#include "transport/http_endpoints.hpp"

namespace mcpp {

// Serve a connection until it closes. The socket's executor must be a strand, or the executor
// of an io_context run by one thread; `state` (and `tls`) must outlive the io_context the
// connection runs on. The caller has counted the connection in state.connections; it is
// uncounted when the connection ends.
void start_http_connection(HttpServerState& state, boost::asio::ip::tcp::socket socket);
void start_https_connection(HttpServerState& state, boost::asio::ip::tcp::socket socket,
                            boost::asio::ssl::context& tls);

// How the body of a response is delimited on the wire.
enum class BodyFraming {
  kContentLength,  // Content-Length: the body's size (none for 1xx, 204 and 304)
  kChunked,        // Transfer-Encoding: chunked (an SSE stream on HTTP/1.1)
  kUntilClose,     // neither: the body ends when the connection closes (SSE on HTTP/1.0)
};

// Appends the status line and header block of `response` (ending with the empty line) as
// HTTP/1.`version` puts them on the wire. The response's own Content-Length and
// Transfer-Encoding fields are replaced by what `framing` says; its Connection field by what
// `keep_alive` says ("close" when the connection ends after it; for HTTP/1.0 "keep-alive" when
// it does not).
void append_response_head(std::string& out, const HttpServerResponse& response, unsigned version,
                          bool keep_alive, BodyFraming framing);

}  // namespace mcpp
