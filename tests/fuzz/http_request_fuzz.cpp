// Fuzzes the HTTP/1.1 request reading of the server (src/transport/http_connection.cpp:
// Content-Length and chunked bodies, pipelining, limits, Expect, HTTP/1.0) through its real entry
// point, start_http_connection, on a loopback TCP connection: the input is sent as the client's
// bytes, then the client half-closes and reads until the server closes.
// Invariants: the server ends the connection within a few seconds of the client's end of input
// (no hang); what it writes back parses as a sequence of HTTP responses (the last may be an
// event stream cut short by the client's hang-up); none is a 500 (client
// bytes must never cause an internal error); it keeps serving the next connection.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "mcpp/server.hpp"
#include "transport/http_connection.hpp"
#include "transport/http_endpoints.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using boost::system::error_code;

// How long the server may take, after the client's last byte, to finish and close.
constexpr auto kGrace = 6s;

struct Harness {
  asio::io_context io;
  mcpp::Server server;
  mcpp::HttpServerState state;
  tcp::acceptor acceptor;

  static mcpp::HttpOptions options() {
    mcpp::HttpOptions o;
    o.max_body_bytes = 16 * 1024;  // small, so that inputs reach the limits
    o.max_header_bytes = 2048;
    o.header_timeout = 2s;
    o.idle_timeout = 2s;
    o.keepalive_interval = 200ms;
    o.max_sessions = 32;
    // A route beside the MCP endpoints: echoes what it was given.
    o.routes.push_back(
        [](const mcpp::HttpRequestInfo& r) -> mcpp::Task<std::optional<mcpp::HttpReply>> {
          if (r.path != "/echo") co_return std::nullopt;
          co_return mcpp::HttpReply{.status = 200, .headers = {}, .body = r.method + " " + r.body};
        });
    return o;
  }

  Harness()
      : server(mcpp::ServerOptions{}),
        state(server, options()),
        acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
};

Harness& harness() {
  static Harness* h = new Harness();  // lives until exit (no teardown order to get wrong)
  return *h;
}

// Parses the server's bytes as consecutive responses; returns a complaint or "".
std::string check_responses(const std::string& wire) {
  std::size_t at = 0;
  while (at < wire.size()) {
    beast::http::response_parser<beast::http::string_body> parser;
    parser.eager(true);
    parser.body_limit(boost::none);
    error_code ec;
    while (at < wire.size() && !parser.is_done()) {
      std::size_t used = parser.put(asio::buffer(wire.data() + at, wire.size() - at), ec);
      at += used;
      if (ec == beast::http::error::need_more) {
        if (at < wire.size() && used > 0) continue;
        break;
      }
      if (ec) return "malformed response (" + ec.message() + ")";
      if (used == 0) break;
    }
    if (!parser.is_done()) {
      parser.put_eof(ec);  // a body that ends with the connection (SSE on HTTP/1.0)
      // An event stream is cut, not ended, when the client hangs up (which this client does).
      if (parser.is_header_done() &&
          parser.get()[beast::http::field::content_type] == "text/event-stream") {
        return {};
      }
      if (ec || !parser.is_done()) return "truncated response";
    }
    if (parser.get().result_int() == 500)
      return "500 Internal Server Error: " + parser.get().body();
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = harness();
  h.io.restart();  // the previous input's poll() ran out of work, which stops the io_context
  tcp::socket client(h.io);
  // libFuzzer's timer signal (SIGALRM, every second) may interrupt the blocking calls: retry.
  error_code ec;
  do {
    client.close(ec);
    client.connect(h.acceptor.local_endpoint(), ec);
  } while (ec == asio::error::interrupted);
  if (ec) mcpp::fuzz::fail("connect", ec.message());
  tcp::socket accepted(h.io);
  do {
    h.acceptor.accept(accepted, ec);
  } while (ec == asio::error::interrupted);
  if (ec) mcpp::fuzz::fail("accept", ec.message());
  h.state.connections.fetch_add(1, std::memory_order_relaxed);
  mcpp::start_http_connection(h.state, std::move(accepted));

  bool wrote = false;
  asio::async_write(client, asio::buffer(data, size), [&](error_code, std::size_t) {
    error_code ignored;
    client.shutdown(tcp::socket::shutdown_send, ignored);
    wrote = true;
  });
  std::string wire;
  bool read_done = false;
  asio::async_read(client, asio::dynamic_buffer(wire), [&](error_code, std::size_t) {
    read_done = true;  // end of stream, or a reset after the server refused the rest
  });

  const auto give_up = std::chrono::steady_clock::now() + kGrace;
  while (!(wrote && read_done && h.state.connections.load() == 0)) {
    if (std::chrono::steady_clock::now() > give_up) {
      mcpp::fuzz::fail("the server did not close the connection after the client's end of input",
                       wire.substr(0, 512));
    }
    h.io.run_one_for(50ms);
  }
  h.io.poll();  // what the closed connection left to run
  std::string complaint = check_responses(wire);
  if (!complaint.empty()) mcpp::fuzz::fail(complaint, wire.substr(0, 1024));
  return 0;
}
