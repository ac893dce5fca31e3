// An HTTP/1.1 connection: keep-alive request loop with header/idle timeouts and size limits,
// response writing, and the SSE pump (chunked events, keep-alive comments, client hang-up).
//
// The hot path is kept short: the socket is used directly (no per-operation timer), a request is
// parsed from the connection's buffer by Beast's parser without a composed read operation, and a
// response goes out as one gathered write of a head written here and the body. Timeouts come
// from one lazy watchdog timer per connection: an operation sets a deadline (a store), and the
// timer, which only ever moves later unless a deadline comes earlier than it, closes the socket
// when it finds the deadline passed.
#include "transport/http_connection.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <type_traits>

#include "jsonrpc/message.hpp"

namespace mcpp {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {
// Statuses whose responses carry no body (RFC 9110 6.4.1).
bool bodiless(unsigned code) {
  return code / 100 == 1 || code == 204 || code == 304;
}
}  // namespace

void append_response_head(std::string& out, const HttpServerResponse& response, unsigned version,
                          bool keep_alive, BodyFraming framing) {
  const unsigned code = response.result_int();
  out += version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, code).ptr;
  out.append(digits, end);
  out += ' ';
  auto reason = response.reason();
  out.append(reason.data(), reason.size());
  out += "\r\n";
  std::string_view own_connection;
  for (const auto& field : response) {
    auto name = field.name();
    if (name == http::field::content_length || name == http::field::transfer_encoding) continue;
    auto value = field.value();
    if (name == http::field::connection) {
      own_connection = {value.data(), value.size()};
      continue;
    }
    auto name_text = field.name_string();
    out.append(name_text.data(), name_text.size());
    out += ": ";
    out.append(value.data(), value.size());
    out += "\r\n";
  }
  if (framing == BodyFraming::kContentLength && !bodiless(code)) {
    out += "Content-Length: ";
    end = std::to_chars(digits, digits + sizeof digits, response.body().size()).ptr;
    out.append(digits, end);
    out += "\r\n";
  } else if (framing == BodyFraming::kChunked) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  if (!keep_alive) {
    if (version >= 11) out += "Connection: close\r\n";
  } else if (version < 11) {
    out += "Connection: keep-alive\r\n";
  } else if (!own_connection.empty()) {
    out += "Connection: ";
    out += own_connection;
    out += "\r\n";
  }
  out += "\r\n";
}

namespace {

constexpr auto kAwait = asio::use_awaitable;
constexpr std::string_view kLastChunk = "0\r\n\r\n";
using Clock = std::chrono::steady_clock;
// How far beyond max_header_bytes an unparsed element may grow before the request is refused.
constexpr std::size_t kElementSlack = 4096;
constexpr Clock::time_point kNoDeadline = Clock::time_point::max();
// Lingering close (RFC 9112 9.6): after the last response and shutdown(SHUT_WR), what the client
// still sends (a body we refused, say) is read and dropped for at most this long and this much,
// so that the kernel does not reset the connection before the client has read the response.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 64u << 20;

using PlainStream = tcp::socket;
using TlsStream = beast::ssl_stream<tcp::socket>;
template <class Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, PlainStream>;

bool is_http_syntax_error(const error_code& ec) {
  return ec.category() == beast::http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// What makes a request head unacceptable although Beast parses it: a framing the server would
// read differently from a proxy in front of it. Empty when the head is fine.
std::string framing_problem(const http::request_header<>& head) {
  std::size_t hosts = head.count(http::field::host);
  if (hosts > 1) return "more than one Host header field (RFC 9112 section 3.2)";
  if (hosts == 0 && head.version() >= 11) {
    return "an HTTP/1.1 request needs a Host header field (RFC 9112 section 3.2)";
  }
  // Transfer codings: only "chunked", alone, is understood (RFC 9112 section 6.1). Beast reads
  // any other coding's body by Content-Length, or as no body at all.
  std::size_t codings = 0;
  bool only_chunked = true;
  for (auto it = head.find(http::field::transfer_encoding);
       it != head.end() && it->name() == http::field::transfer_encoding; ++it) {
    std::string_view list(it->value().data(), it->value().size());
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t comma = std::min(list.find(',', start), list.size());
      std::string_view coding = list.substr(start, comma - start);
      while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) {
        coding.remove_prefix(1);
      }
      while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) {
        coding.remove_suffix(1);
      }
      if (!coding.empty()) {
        ++codings;
        only_chunked = only_chunked && beast::iequals(coding, "chunked");
      }
      start = comma + 1;
    }
  }
  if (head.count(http::field::transfer_encoding) > 0 && (codings != 1 || !only_chunked)) {
    return "unsupported Transfer-Encoding \"" + std::string(head[http::field::transfer_encoding]) +
           "\" (only \"chunked\" is understood; RFC 9112 section 6.1)";
  }
  return {};
}

template <class Stream>
class TcpConnection : public std::enable_shared_from_this<TcpConnection<Stream>> {
 public:
  TcpConnection(HttpServerState& state, Stream stream)
      : state_(state),
        stream_(std::move(stream)),
        watchdog_(stream_.get_executor()),
        waiter_(std::make_shared<StreamWaiter>(stream_.get_executor())) {}
  ~TcpConnection() { state_.connections.fetch_sub(1, std::memory_order_relaxed); }

  Task<void> run() {
    auto self = this->shared_from_this();
    error_code peer_ec;
    auto remote = tcp_socket().remote_endpoint(peer_ec);
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
  tcp::socket& tcp_socket() { return beast::get_lowest_layer(stream_); }
  const HttpOptions& options() const { return state_.options; }

  // ---- timeouts: one lazy watchdog ----

  // The operations from now on must finish within `d` (until the next set or clear).
  void set_deadline(std::chrono::milliseconds d) {
    deadline_ = Clock::now() + d;
    if (deadline_ < armed_) arm_watchdog();
  }
  void clear_deadline() { deadline_ = kNoDeadline; }

  void arm_watchdog() {
    armed_ = deadline_;
    watchdog_.expires_at(armed_);  // a wait already pending completes as cancelled
    watchdog_.async_wait([weak = this->weak_from_this()](const error_code& ec) {
      if (ec) return;  // replaced by an earlier deadline, or the connection is closing
      if (auto self = weak.lock()) self->on_watchdog();
    });
  }

  void on_watchdog() {
    armed_ = kNoDeadline;
    if (deadline_ == kNoDeadline) return;  // nothing runs under a deadline: sleep until one does
    if (Clock::now() < deadline_) return arm_watchdog();  // the deadline moved later
    // Too slow: closing the socket ends whatever operation waits on it.
    error_code ignored;
    tcp_socket().close(ignored);
  }

  // ---- reading ----

  // Reads what the client sent next into buffer_. The buffer starts small (a typical request
  // fits in 512 bytes; an idle or streaming connection keeps only that) and grows with what
  // arrives, up to 64 KiB per read.
  Task<error_code> read_more() {
    std::size_t room = buffer_.capacity() - buffer_.size();
    std::size_t want = std::clamp<std::size_t>(room, 512, 65536);
    error_code ec;
    std::size_t n =
        co_await stream_.async_read_some(buffer_.prepare(want), asio::redirect_error(kAwait, ec));
    if (!ec) buffer_.commit(n);
    co_return ec;
  }

  // Parses one request from buffer_, reading more as needed (answering "Expect: 100-continue").
  Task<error_code> read_request(http::request_parser<http::string_body>& parser) {
    bool header_seen = false;
    for (;;) {
      error_code ec;
      if (buffer_.size() > 0) {
        std::size_t used = parser.put(buffer_.data(), ec);
        buffer_.consume(used);
        if (!header_seen && parser.is_header_done()) {
          // Checked before anything of the request is used (with eager parsing, the put that
          // finished the head may have read a body by a length that does not apply).
          refusal_ = framing_problem(parser.get().base());
          if (!refusal_.empty()) co_return http::error::bad_transfer_encoding;
        }
        if (parser.is_done()) co_return error_code{};
        if (ec && ec != http::error::need_more) co_return ec;
        if (!header_seen && parser.is_header_done()) {
          header_seen = true;
          auto expect = parser.get()[http::field::expect];
          if (parser.get().version() >= 11 && beast::iequals(expect, "100-continue")) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            co_await asio::async_write(stream_, asio::buffer(kContinue),
                                       asio::redirect_error(kAwait, ec));
            if (ec) co_return ec;
          }
        }
        if (!ec && used > 0) continue;  // the parser stopped at a boundary: go on from there
      }
      // What stays unparsed is one element the parser needs whole: the head (bounded by its
      // header_limit), a chunk-size line or the trailers, which are not otherwise bounded.
      if (buffer_.size() > options().max_header_bytes + kElementSlack) {
        co_return parser.is_header_done() ? error_code(http::error::bad_chunk)
                                          : error_code(http::error::header_limit);
      }
      ec = co_await read_more();
      if (ec == asio::error::eof) {
        if (!parser.got_some()) co_return http::error::end_of_stream;
        parser.put_eof(ec);
        if (!ec && !parser.is_done()) ec = http::error::partial_message;
        co_return ec;
      }
      if (ec) co_return ec;
    }
  }

  // ---- the request loop ----

  // Returns whether the connection may be closed gracefully.
  Task<bool> serve() {
    error_code ec;
    if constexpr (kIsTls<Stream>) {
      set_deadline(options().header_timeout);
      co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                       asio::redirect_error(kAwait, ec));
      if (ec) co_return false;
    }
    for (bool first = true;; first = false) {
      // Between requests the connection may idle for idle_timeout; from a request's first
      // byte, its headers and body must arrive within header_timeout.
      if (!first && buffer_.size() == 0) {
        set_deadline(options().idle_timeout);
        ec = co_await read_more();
        if (ec) co_return false;
      }
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(
          std::min<std::size_t>(options().max_header_bytes, UINT32_MAX)));
      parser.body_limit(options().max_body_bytes);
      parser.eager(true);
      set_deadline(options().header_timeout);
      ec = co_await read_request(parser);
      if (ec) co_return co_await refuse_unreadable(ec, parser.get().version());
      clear_deadline();  // the handler takes the time it needs
      HttpRequest request = parser.release();
      Reply reply = co_await answer(request);
      // A response that says "Connection: close" (a route may) ends the connection too.
      bool keep_alive = request.keep_alive() && reply.response.keep_alive();
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
    HttpServerResponse r;
    if (ec == http::error::header_limit) {
      r = error_response(http::status::request_header_fields_too_large, jsonrpc::kInvalidRequest,
                         "Request Header Fields Too Large: headers over " +
                             std::to_string(options().max_header_bytes) + " bytes");
    } else if (ec == http::error::body_limit) {
      r = error_response(http::status::payload_too_large, jsonrpc::kInvalidRequest,
                         "Payload Too Large: bodies are limited to " +
                             std::to_string(options().max_body_bytes) + " bytes");
    } else if (!refusal_.empty()) {
      r = error_response(http::status::bad_request, jsonrpc::kInvalidRequest,
                         "Bad Request: " + refusal_);
    } else if (is_http_syntax_error(ec)) {
      r = error_response(http::status::bad_request, jsonrpc::kInvalidRequest,
                         "Bad Request: malformed HTTP request (" + ec.message() + ")");
    } else {
      co_return false;  // timeout, hang-up, reset: nobody to answer
    }
    co_await write_response(r, version ? version : 11, false);
    co_return true;
  }

  // ---- writing ----

  Task<bool> write_response(HttpServerResponse& response, unsigned version, bool keep_alive) {
    head_.clear();
    append_response_head(head_, response, version, keep_alive, BodyFraming::kContentLength);
    std::array<asio::const_buffer, 2> parts{
        asio::buffer(head_),
        asio::buffer(response.body().data(),
                     bodiless(response.result_int()) ? 0 : response.body().size())};
    set_deadline(write_timeout());
    error_code ec;
    co_await asio::async_write(stream_, parts, asio::redirect_error(kAwait, ec));
    clear_deadline();
    co_return !ec;
  }

  std::chrono::milliseconds write_timeout() const {
    return std::max(options().idle_timeout, std::chrono::milliseconds(1000));
  }

  // Writes `head` (may be empty) and SSE text, the text framed as one chunk when chunked.
  Task<bool> write_sse(std::string_view head, std::string_view text, bool chunked, bool last) {
    char size_line[24];
    std::size_t size_len = 0;
    if (chunked && !text.empty()) {
      int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", text.size());
      size_len = static_cast<std::size_t>(n);
    }
    std::array<asio::const_buffer, 5> parts{
        asio::buffer(head), asio::buffer(size_line, size_len), asio::buffer(text),
        asio::buffer("\r\n", chunked && !text.empty() ? 2 : 0),
        asio::buffer(kLastChunk.data(), chunked && last ? kLastChunk.size() : 0)};
    set_deadline(write_timeout());
    error_code ec;
    co_await asio::async_write(stream_, parts, asio::redirect_error(kAwait, ec));
    clear_deadline();
    co_return !ec;
  }

  // Writes the head of an SSE response, then its events as they come, until the stream ends,
  // another connection takes it over, or the client goes away. Returns keep-alive.
  Task<bool> pump(Reply& r, unsigned version, bool keep_alive) {
    const bool chunked = version >= 11;
    if (!chunked) keep_alive = false;
    head_.clear();
    append_response_head(head_, r.response, version, keep_alive,
                         chunked ? BodyFraming::kChunked : BodyFraming::kUntilClose);
    if (!co_await write_sse(head_, {}, chunked, false)) {
      r.stream->detach(r.token);
      co_return false;
    }
    if (r.watch_peer) {
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
        ok = co_await write_sse({}, out, chunked, ended);
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
      tcp_socket().close(ignored);
      co_return false;
    }
    co_return ok&& keep_alive;
  }

  // Reads (and drops) whatever the client sends on an SSE connection, to notice its hang-up.
  // A plain completion handler, so the read is pending while the pump writes; it runs without
  // a deadline of its own.
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
    if (tcp_socket().is_open()) {
      if constexpr (kIsTls<Stream>) {
        if (graceful) {
          set_deadline(std::chrono::seconds(1));
          co_await stream_.async_shutdown(asio::redirect_error(kAwait, ec));
        }
      }
      tcp_socket().shutdown(tcp::socket::shutdown_send, ec);
      if (graceful) {
        // Lingering close: drain what the client still sends (e.g. a body we refused) so the
        // kernel does not reset the connection before the client has read our response. The
        // watchdog closes the socket when kLingerTime is up.
        std::array<char, 16 * 1024> sink;
        set_deadline(kLingerTime);
        for (std::size_t total = 0; total < kLingerBytes;) {
          std::size_t n = co_await tcp_socket().async_read_some(asio::buffer(sink),
                                                                asio::redirect_error(kAwait, ec));
          if (ec) break;
          total += n;
        }
      }
      tcp_socket().close(ec);
    }
    clear_deadline();
    watchdog_.cancel();
  }

  HttpServerState& state_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::string head_;     // the head of the response being written
  std::string refusal_;  // why the request head was refused (framing_problem), if it was
  asio::steady_timer watchdog_;
  Clock::time_point deadline_ = kNoDeadline;  // when the current operation must be over
  Clock::time_point armed_ = kNoDeadline;     // when the watchdog wakes (max: not waiting)
  std::shared_ptr<StreamWaiter> waiter_;
  std::array<char, 512> watch_buffer_;
  bool peer_gone_ = false;
  std::string peer_;  // the client's IP address
};

}  // namespace

void start_http_connection(HttpServerState& state, tcp::socket socket) {
  auto ex = socket.get_executor();
  auto c = std::make_shared<TcpConnection<PlainStream>>(state, std::move(socket));
  // The completion handler holds the connection until run() has started (and taken its own
  // reference): called from a thread that does not run `ex`, co_spawn only posts the start.
  asio::co_spawn(ex, c->run(), [c](const std::exception_ptr&) {});
}

void start_https_connection(HttpServerState& state, tcp::socket socket, asio::ssl::context& tls) {
  auto ex = socket.get_executor();
  auto c = std::make_shared<TcpConnection<TlsStream>>(state, TlsStream(std::move(socket), tls));
  asio::co_spawn(ex, c->run(), [c](const std::exception_ptr&) {});
}

}  // namespace mcpp
