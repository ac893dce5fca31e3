// One accepted HTTP/1.1 connection (plain TCP or TLS): reads requests under timeouts and size
// limits, hands them to the endpoints and writes the replies, pumping SSE streams.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "transport/http_endpoints.hpp"

namespace mcpp {

// Serve a connection until it closes. The socket's executor must be a strand; `state` (and
// `tls`) must outlive the io_context the connection runs on. The caller has counted the
// connection in state.connections; it is uncounted when the connection ends.
void start_http_connection(HttpServerState& state, boost::asio::ip::tcp::socket socket);
void start_https_connection(HttpServerState& state, boost::asio::ip::tcp::socket socket,
                            boost::asio::ssl::context& tls);

}  // namespace mcpp
