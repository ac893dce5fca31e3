// An HTTP/1.1 connection: keep-alive request loop with header/idle timeouts and size limits,
// response writing, and the SSE pump (chunked events, keep-alive comments, client hang-up).
#include "transport/http_connection.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <type_traits>

#include "jsonrpc/message.hpp"

namespace mcpp {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

constexpr auto kAwait = asio::use_awaitable;
constexpr std::string_view kLastChunk = "0\r\n\r\n";

template <class Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

bool is_http_syntax_error(const error_code& ec) {
  return ec.category() == beast::http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(HttpServerState& state, Stream stream)
      : state_(state),
        stream_(std::move(stream)),
        waiter_(std::make_shared<StreamWaiter>(stream_.get_executor())) {}
  ~Connection() { state_.connections.fetch_sub(1, std::memory_order_relaxed); }

  Task<void> run() {
    auto self = this->shared_from_this();
    error_code peer_ec;
    auto remote = tcp().socket().remote_endpoint(peer_ec);
    if (!peer_ec) peer_ = remote.address().to_string();
    bool graceful = false;
    try {
      graceful = co_await serve();
    } catch (const std::exception&) {
      graceful = false;
    }
    co_await close(graceful);
  }

 private:
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  const HttpOptions& options() const { return state_.options; }

  // The request loop; returns whether the connection may be closed gracefully.
  Task<bool> serve() {
    error_code ec;
    if constexpr (kIsTls<Stream>) {
      tcp().expires_after(options().header_timeout);
      co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                       asio::redirect_error(kAwait, ec));
      if (ec) co_return false;
    }
    for (bool first = true;; first = false) {
      // Between requests the connection may idle for idle_timeout; from a request's first
      // byte, its headers and body must arrive within header_timeout.
      if (!first && buffer_.size() == 0) {
        tcp().expires_after(options().idle_timeout);
        std::size_t n = co_await stream_.async_read_some(buffer_.prepare(4096),
                                                         asio::redirect_error(kAwait, ec));
        if (ec) co_return false;
        buffer_.commit(n);
      }
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(
          std::min<std::size_t>(options().max_header_bytes, UINT32_MAX)));
      parser.body_limit(options().max_body_bytes);
      tcp().expires_after(options().header_timeout);
      co_await http::async_read_header(stream_, buffer_, parser, asio::redirect_error(kAwait, ec));
      if (ec) co_return co_await refuse_unreadable(ec, parser.get().version());
      if (!parser.is_done()) {
        auto expect = parser.get()[http::field::expect];
        if (parser.get().version() >= 11 && beast::iequals(expect, "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          co_await asio::async_write(stream_, asio::buffer(kContinue),
                                     asio::redirect_error(kAwait, ec));
          if (ec) co_return false;
        }
        co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(kAwait, ec));
        if (ec) co_return co_await refuse_unreadable(ec, parser.get().version());
      }
      HttpRequest request = parser.release();
      Reply reply = co_await answer(request);
      bool keep_alive = request.keep_alive();
      if (reply.stream) {
        keep_alive = co_await pump(reply, request.version(), keep_alive);
      } else {
        keep_alive =
            co_await write_response(reply.response, request.version(), keep_alive) && keep_alive;
      }
      if (!keep_alive) co_return true;
    }
  }

  Task<Reply> answer(HttpRequest& request) {
    try {
      co_return co_await handle_http_request(state_, request, *waiter_, peer_);
    } catch (const std::exception& e) {
      co_return reply_with(error_response(http::status::internal_server_error,
                                          jsonrpc::kInternalError,
                                          std::string("Internal Server Error: ") + e.what()));
    }
  }

  // A request that could not be read whole: answer what can be answered, then close.
  Task<bool> refuse_unreadable(const error_code& ec, unsigned version) {
    HttpResponse r;
    if (ec == http::error::header_limit) {
      r = error_response(http::status::request_header_fields_too_large, jsonrpc::kInvalidRequest,
                         "Request Header Fields Too Large: headers over " +
                             std::to_string(options().max_header_bytes) + " bytes");
    } else if (ec == http::error::body_limit) {
      r = error_response(http::status::payload_too_large, jsonrpc::kInvalidRequest,
                         "Payload Too Large: bodies are limited to " +
                             std::to_string(options().max_body_bytes) + " bytes");
    } else if (is_http_syntax_error(ec)) {
      r = error_response(http::status::bad_request, jsonrpc::kInvalidRequest,
                         "Bad Request: malformed HTTP request (" + ec.message() + ")");
    } else {
      co_return false;  // timeout, hang-up, reset: nobody to answer
    }
    co_await write_response(r, version ? version : 11, false);
    co_return true;
  }

  Task<bool> write_response(HttpResponse& response, unsigned version, bool keep_alive) {
    response.version(version);
    response.keep_alive(keep_alive);
    response.prepare_payload();
    tcp().expires_after(write_timeout());
    error_code ec;
    co_await http::async_write(stream_, response, asio::redirect_error(kAwait, ec));
    co_return !ec;
  }

  std::chrono::milliseconds write_timeout() const {
    return std::max(options().idle_timeout, std::chrono::milliseconds(1000));
  }

  // Writes SSE text, framed as one chunk when chunked.
  Task<bool> write_sse(std::string_view text, bool chunked, bool last) {
    char size_line[24];
    std::size_t size_len = 0;
    if (chunked && !text.empty()) {
      int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", text.size());
      size_len = static_cast<std::size_t>(n);
    }
    std::array<asio::const_buffer, 4> parts{
        asio::buffer(size_line, size_len), asio::buffer(text),
        asio::buffer("\r\n", chunked && !text.empty() ? 2 : 0),
        asio::buffer(kLastChunk.data(), chunked && last ? kLastChunk.size() : 0)};
    tcp().expires_after(write_timeout());
    error_code ec;
    co_await asio::async_write(stream_, parts, asio::redirect_error(kAwait, ec));
    co_return !ec;
  }

  // Writes the head of an SSE response, then its events as they come, until the stream ends,
  // another connection takes it over, or the client goes away. Returns keep-alive.
  Task<bool> pump(Reply& r, unsigned version, bool keep_alive) {
    const bool chunked = version >= 11;
    HttpResponse& head = r.response;
    head.version(version);
    if (chunked) {
      head.chunked(true);
    } else {
      head.keep_alive(false);
      keep_alive = false;
    }
    error_code ec;
    {
      http::response_serializer<http::string_body> sr(head);
      tcp().expires_after(write_timeout());
      co_await http::async_write_header(stream_, sr, asio::redirect_error(kAwait, ec));
    }
    if (ec) {
      r.stream->detach(r.token);
      co_return false;
    }
    if (r.watch_peer) {
      tcp().expires_never();
      peer_gone_ = false;
      watch_peer();
    }
    std::string out = std::move(r.preamble);
    bool ended = false;
    bool ok = true;
    for (;;) {
      SseStream::Batch batch = r.stream->take(r.token);
      if (out.empty()) {
        out = std::move(batch.text);
      } else {
        out += batch.text;
      }
      ended = batch.ended;
      if (!out.empty() || ended) {
        ok = co_await write_sse(out, chunked, ended);
        out.clear();
        if (!ok || ended) break;
        continue;
      }
      if (peer_gone_) break;
      if (!co_await waiter_->wait(options().keepalive_interval) && !peer_gone_) {
        sse::append_comment(out, "keepalive");
      }
    }
    r.stream->detach(r.token);
    r.lease.reset();
    if (r.watch_peer) {
      // A GET stream ends the connection; closing the socket also ends the watcher.
      error_code ignored;
      tcp().socket().close(ignored);
      co_return false;
    }
    co_return ok&& keep_alive;
  }

  // Reads (and drops) whatever the client sends on an SSE connection, to notice its hang-up.
  // A plain completion handler, so the read is pending before the pump's next write sets the
  // write timer (the read itself runs without a timeout).
  void watch_peer() {
    stream_.async_read_some(asio::buffer(watch_buffer_),
                            [self = this->shared_from_this()](error_code ec, std::size_t) {
                              if (!ec) return self->watch_peer();
                              self->peer_gone_ = true;
                              self->waiter_->wake_now();
                            });
  }

  Task<void> close(bool graceful) {
    error_code ec;
    if (!tcp().socket().is_open()) co_return;
    if constexpr (kIsTls<Stream>) {
      if (graceful) {
        tcp().expires_after(std::chrono::seconds(1));
        co_await stream_.async_shutdown(asio::redirect_error(kAwait, ec));
      }
    }
    tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    if (graceful) {
      // Lingering close: drain what the client still sends (e.g. a body we refused) so the
      // kernel does not reset the connection before the client has read our response.
      std::array<char, 4096> sink;
      tcp().expires_after(std::chrono::milliseconds(500));
      for (std::size_t total = 0; total < (1u << 20);) {
        std::size_t n =
            co_await tcp().async_read_some(asio::buffer(sink), asio::redirect_error(kAwait, ec));
        if (ec) break;
        total += n;
      }
    }
    tcp().close();
  }

  HttpServerState& state_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<StreamWaiter> waiter_;
  std::array<char, 512> watch_buffer_;
  bool peer_gone_ = false;
  std::string peer_;  // the client's IP address
};

}  // namespace

void start_http_connection(HttpServerState& state, asio::ip::tcp::socket socket) {
  auto ex = socket.get_executor();
  auto c =
      std::make_shared<Connection<beast::tcp_stream>>(state, beast::tcp_stream(std::move(socket)));
  asio::co_spawn(ex, c->run(), asio::detached);
}

void start_https_connection(HttpServerState& state, asio::ip::tcp::socket socket,
                            asio::ssl::context& tls) {
  auto ex = socket.get_executor();
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  auto c = std::make_shared<Connection<TlsStream>>(
      state, TlsStream(beast::tcp_stream(std::move(socket)), tls));
  asio::co_spawn(ex, c->run(), asio::detached);
}

}  // namespace mcpp
