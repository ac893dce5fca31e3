// HTTP/1.1 client over Beast: resolve, connect (TLS with SNI and host-name verification for
// https), write a request, read the response headers, then the body on demand.
#include "client/http_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cctype>
#include <map>
#include <optional>

#include "jsonrpc/message.hpp"

namespace mcpp {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxIdlePerOrigin = 4;
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Where an absolute http(s) URL points.
struct Endpoint {
  bool tls = false;
  std::string host;         // for the resolver (no brackets)
  std::string port;         // numeric
  std::string host_header;  // as in the URL
  std::string target;       // path and query
  std::string key;          // scheme://host:port, lowercase
};

std::optional<Endpoint> parse_endpoint(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::nullopt;
  const boost::urls::url_view& u = *parsed;
  std::string scheme = lowercase(u.scheme());
  if (scheme != "http" && scheme != "https") return std::nullopt;
  Endpoint e;
  e.tls = scheme == "https";
  e.host = u.host_address();
  if (e.host.empty()) return std::nullopt;
  e.port = u.has_port() ? std::string(u.port()) : (e.tls ? "443" : "80");
  e.host_header = u.encoded_host_and_port();
  e.target = u.encoded_target();
  if (e.target.empty() || e.target.front() != '/') e.target.insert(0, "/");
  e.key = scheme + "://" + lowercase(e.host) + ":" + e.port;
  return e;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection, plain or TLS, with its read buffer.
struct PooledConnection {
  std::string key;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void shut() {
    error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }
};

const char* verb_name(HttpClient::Method m) {
  switch (m) {
    case HttpClient::Method::kGet:
      return "GET";
    case HttpClient::Method::kPost:
      return "POST";
    case HttpClient::Method::kDelete:
      return "DELETE";
  }
  return "GET";
}

http::verb verb_of(HttpClient::Method m) {
  switch (m) {
    case HttpClient::Method::kGet:
      return http::verb::get;
    case HttpClient::Method::kPost:
      return http::verb::post;
    case HttpClient::Method::kDelete:
      return http::verb::delete_;
  }
  return http::verb::get;
}

std::string describe_tls_error(const error_code& ec) {
  std::string what = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    unsigned long code = static_cast<unsigned long>(ec.value());
    char buf[256];
    ::ERR_error_string_n(code, buf, sizeof buf);
    if (std::string_view(buf).find("certificate verify failed") != std::string_view::npos) {
      what = "certificate verify failed";
    }
  }
  return what;
}

}  // namespace

// ---- pool ------------------------------------------------------------------------------------

struct HttpClient::Pool : std::enable_shared_from_this<HttpClient::Pool> {
  Pool(asio::any_io_executor e, const HttpTarget& target)
      : ex(std::move(e)),
        ssl(asio::ssl::context::tls_client),
        connect_timeout(target.connect_timeout) {
    ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    if (target.verify_tls) {
      ssl.set_verify_mode(asio::ssl::verify_peer);
      error_code ec;
      if (!target.ca_file.empty()) {
        ssl.load_verify_file(target.ca_file, ec);
        if (ec) {
          throw TransportError(TransportError::Kind::kUnreachable,
                               "cannot load CA file " + target.ca_file + ": " + ec.message());
        }
      } else {
        ssl.set_default_verify_paths(ec);
      }
    } else {
      ssl.set_verify_mode(asio::ssl::verify_none);
    }
  }

  std::unique_ptr<PooledConnection> take_idle(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto c = std::move(it->second.back());
    it->second.pop_back();
    return c;
  }
  void give_back(std::unique_ptr<PooledConnection> c) {
    auto& list = idle[c->key];
    if (list.size() >= kMaxIdlePerOrigin) {
      c->shut();
      return;
    }
    list.push_back(std::move(c));
  }

  Task<std::unique_ptr<PooledConnection>> connect(const Endpoint& e) {
    auto c = std::make_unique<PooledConnection>();
    c->key = e.key;
    tcp::resolver resolver(ex);
    error_code ec;
    auto results = co_await resolver.async_resolve(e.host, e.port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      throw TransportError(TransportError::Kind::kUnreachable,
                           "cannot resolve host " + e.host + ": " + ec.message());
    }
    std::string where = e.host_header;
    if (e.tls) {
      c->tls = std::make_unique<TlsStream>(ex, ssl);
    } else {
      c->plain = std::make_unique<beast::tcp_stream>(ex);
    }
    c->lowest().expires_after(connect_timeout);
    co_await c->lowest().async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      std::string why = ec == beast::error::timeout ? "timed out" : ec.message();
      throw TransportError(TransportError::Kind::kUnreachable,
                           "cannot connect to " + where + ": " + why);
    }
    error_code not_ip;
    (void)asio::ip::make_address(e.host, not_ip);
    if (e.tls && not_ip) {
      // Server Name Indication (not for IP literals): SSL_set_tlsext_host_name, without the
      // macro's C cast.
      if (!::SSL_ctrl(c->tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                      TLSEXT_NAMETYPE_host_name, const_cast<char*>(e.host.c_str()))) {
        throw TransportError(TransportError::Kind::kUnreachable,
                             "TLS: cannot set the server name " + e.host);
      }
    }
    if (e.tls) {
      if (ssl.native_handle() &&
          ::SSL_CTX_get_verify_mode(ssl.native_handle()) != SSL_VERIFY_NONE) {
        c->tls->set_verify_callback(asio::ssl::host_name_verification(e.host));
      }
      co_await c->tls->async_handshake(asio::ssl::stream_base::client,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        throw TransportError(TransportError::Kind::kUnreachable,
                             "TLS handshake with " + where + " failed: " + describe_tls_error(ec));
      }
    }
    c->lowest().expires_never();
    co_return c;
  }

  asio::any_io_executor ex;
  asio::ssl::context ssl;
  std::chrono::milliseconds connect_timeout;
  std::map<std::string, std::vector<std::unique_ptr<PooledConnection>>> idle;
};

// ---- response --------------------------------------------------------------------------------

struct HttpResponse::State {
  std::unique_ptr<PooledConnection> conn;
  std::weak_ptr<HttpClient::Pool> pool;
  http::response_parser<http::buffer_body> parser;
  std::array<char, kReadChunk> chunk{};
  bool done = false;
  bool closed = false;
  std::string where;  // "POST http://..." for messages

  void finish() {
    done = true;
    if (!conn) return;
    auto p = pool.lock();
    if (p && parser.keep_alive() && !closed) {
      p->give_back(std::move(conn));
    } else {
      conn->shut();
      conn.reset();
    }
  }
};

HttpResponse::HttpResponse(std::shared_ptr<State> state) : s_(std::move(state)) {}

HttpResponse::~HttpResponse() {
  if (s_ && s_->conn) s_->conn->shut();
}

int HttpResponse::status() const {
  return static_cast<int>(s_->parser.get().result_int());
}

std::string HttpResponse::reason() const {
  return std::string(s_->parser.get().reason());
}

std::string HttpResponse::header(std::string_view name) const {
  const auto& h = s_->parser.get();
  auto it = h.find(beast::string_view(name.data(), name.size()));
  return it == h.end() ? std::string() : std::string(it->value());
}

std::string HttpResponse::header_joined(std::string_view name) const {
  const auto& h = s_->parser.get();
  std::string out;
  auto range = h.equal_range(beast::string_view(name.data(), name.size()));
  for (auto it = range.first; it != range.second; ++it) {
    if (!out.empty()) out += ", ";
    out += std::string(it->value());
  }
  return out;
}

std::string HttpResponse::media_type() const {
  std::string ct = header("Content-Type");
  auto semi = ct.find(';');
  if (semi != std::string::npos) ct.resize(semi);
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.pop_back();
  std::size_t start = ct.find_first_not_of(" \t");
  return lowercase(start == std::string::npos ? std::string_view()
                                              : std::string_view(ct).substr(start));
}

Task<bool> HttpResponse::read_some(std::string& out, std::chrono::milliseconds timeout) {
  out.clear();
  State& s = *s_;
  if (s.done || s.parser.is_done()) {
    if (!s.done) s.finish();
    co_return false;
  }
  if (s.closed || !s.conn) {
    throw TransportError(TransportError::Kind::kClosed, "connection closed: " + s.where);
  }
  auto& body = s.parser.get().body();
  body.data = s.chunk.data();
  body.size = s.chunk.size();
  error_code ec;
  PooledConnection& c = *s.conn;
  if (timeout.count() > 0) c.lowest().expires_after(timeout);
  if (c.tls) {
    co_await http::async_read_some(*c.tls, c.buffer, s.parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await http::async_read_some(*c.plain, c.buffer, s.parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec == http::error::need_buffer) ec = {};
  if (timeout.count() > 0 && s.conn) s.conn->lowest().expires_never();
  if (ec) {
    if (s.conn) s.conn->shut();
    s.conn.reset();
    s.closed = true;
    std::string why = ec == http::error::end_of_stream || ec == http::error::partial_message ||
                              ec == asio::error::eof
                          ? "the server closed the connection"
                          : ec.message();
    if (ec == beast::error::timeout) why = "the response body did not arrive in time";
    throw TransportError(TransportError::Kind::kClosed, why + " (" + s.where + ")");
  }
  std::size_t n = s.chunk.size() - s.parser.get().body().size;
  out.assign(s.chunk.data(), n);
  if (s.parser.is_done()) s.finish();
  co_return true;
}

Task<std::string> HttpResponse::read_body(std::size_t limit, std::chrono::milliseconds timeout) {
  std::string all;
  std::string piece;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    if (timeout.count() <= 0) return std::chrono::milliseconds(0);
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return std::max(d, std::chrono::milliseconds(1));
  };
  while (co_await read_some(piece, left())) {
    all += piece;
    if (all.size() > limit) {
      close();
      throw TransportError(
          TransportError::Kind::kProtocol,
          "the response to " + s_->where + " is larger than " + std::to_string(limit) + " bytes");
    }
  }
  co_return all;
}

void HttpResponse::close() {
  s_->closed = true;
  if (s_->conn) s_->conn->shut();
}

// ---- client ----------------------------------------------------------------------------------

HttpClient::HttpClient(asio::any_io_executor ex, const HttpTarget& target)
    : pool_(std::make_shared<Pool>(std::move(ex), target)) {}

HttpClient::~HttpClient() {
  close_idle();
}

void HttpClient::close_idle() {
  for (auto& [key, list] : pool_->idle) {
    for (auto& c : list) c->shut();
  }
  pool_->idle.clear();
}

Task<std::unique_ptr<HttpResponse>> HttpClient::send(Method method, std::string_view url,
                                                     const HttpHeaders& headers, std::string body,
                                                     std::chrono::milliseconds header_timeout,
                                                     std::shared_ptr<HttpAbort> abort) {
  auto endpoint = parse_endpoint(url);
  if (!endpoint) {
    throw TransportError(TransportError::Kind::kUnreachable,
                         "not an http:// or https:// URL: " + std::string(url));
  }
  std::string where = std::string(verb_name(method)) + " " + std::string(url);
  http::request<http::string_body> req{verb_of(method), endpoint->target, 11};
  req.set(http::field::host, endpoint->host_header);
  req.set(http::field::user_agent, "mcpp/0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::move(body);
  if (method == Method::kPost || !req.body().empty()) req.prepare_payload();

  auto aborted = [&] {
    return TransportError(TransportError::Kind::kClosed, where + ": abandoned");
  };
  struct ClearAbort {
    HttpAbort* a;
    ~ClearAbort() {
      if (a) a->on_abort(nullptr);
    }
  } clear_abort{abort.get()};
  for (int attempt = 0;; ++attempt) {
    if (abort && abort->aborted()) throw aborted();
    std::unique_ptr<PooledConnection> conn = pool_->take_idle(endpoint->key);
    bool reused = conn != nullptr;
    if (!conn) conn = co_await pool_->connect(*endpoint);
    if (abort) {
      if (abort->aborted()) {
        conn->shut();
        throw aborted();
      }
      abort->on_abort([c = conn.get()] { c->shut(); });
    }
    auto state = std::make_shared<HttpResponse::State>();
    state->pool = pool_;
    state->where = where;
    state->parser.header_limit(kMaxHeaderBytes);
    state->parser.body_limit(boost::none);
    error_code ec;
    if (header_timeout.count() > 0) {
      conn->lowest().expires_after(header_timeout);
    } else {
      conn->lowest().expires_never();
    }
    if (conn->tls) {
      co_await http::async_write(*conn->tls, req, asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) {
        co_await http::async_read_header(*conn->tls, conn->buffer, state->parser,
                                         asio::redirect_error(asio::use_awaitable, ec));
      }
    } else {
      co_await http::async_write(*conn->plain, req, asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) {
        co_await http::async_read_header(*conn->plain, conn->buffer, state->parser,
                                         asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    if (abort) abort->on_abort(nullptr);
    if (ec) {
      conn->shut();
      if (abort && abort->aborted()) throw aborted();
      // A reused connection may have been closed by the server while idle: try a fresh one.
      if (reused && attempt == 0 && ec != beast::error::timeout) continue;
      std::string why = ec == beast::error::timeout
                            ? "no response within " + std::to_string(header_timeout.count()) + " ms"
                            : ec.message();
      throw TransportError(
          reused ? TransportError::Kind::kClosed : TransportError::Kind::kUnreachable,
          where + ": " + why);
    }
    conn->lowest().expires_never();
    state->conn = std::move(conn);
    co_return std::make_unique<HttpResponse>(std::move(state));
  }
}

Task<void> check_http_status(HttpResponse& response, std::string_view url) {
  int status = response.status();
  if (status >= 200 && status < 300) co_return;
  std::string message = "HTTP " + std::to_string(status);
  if (std::string reason = response.reason(); !reason.empty()) message += " " + reason;
  message += " from " + std::string(url);
  std::string body;
  try {
    body = co_await response.read_body(64 * 1024, std::chrono::milliseconds(2000));
  } catch (const TransportError&) {
    body.clear();
  }
  std::string detail;
  if (auto parsed = jsonrpc::parse(body); std::holds_alternative<json::value>(parsed)) {
    const json::value& v = std::get<json::value>(parsed);
    if (const json::value* err = find(v, "error"); err && err->is_object()) {
      // JSON-RPC error, or OAuth's {"error": "invalid_token", "error_description": ...}
      std::string_view m = find_string(*err, "message");
      if (!m.empty()) {
        detail = std::string(m);
        if (const json::value* code = find(*err, "code"); code && code->is_int64()) {
          detail += " (JSON-RPC error " + std::to_string(code->get_int64()) + ")";
        }
      }
    } else if (std::string_view e = find_string(v, "error"); !e.empty()) {
      detail = std::string(e);
      if (std::string_view d = find_string(v, "error_description"); !d.empty()) {
        detail += ": " + std::string(d);
      }
    }
  }
  if (detail.empty()) {
    std::size_t start = body.find_first_not_of(" \t\r\n");
    if (start != std::string::npos && body.find('<') == std::string::npos) {
      detail = body.substr(start, 300);
      while (!detail.empty() && std::isspace(static_cast<unsigned char>(detail.back()))) {
        detail.pop_back();
      }
      for (char& c : detail) {
        if (c == '\n' || c == '\r') c = ' ';
      }
    }
  }
  if (!detail.empty()) message += ": " + detail;
  throw TransportError(TransportError::Kind::kHttpStatus, message, status,
                       response.header_joined("WWW-Authenticate"));
}

std::string url_origin(std::string_view url) {
  auto e = parse_endpoint(url);
  return e ? e->key : std::string();
}

std::string resolve_url(std::string_view base, std::string_view reference) {
  auto b = boost::urls::parse_uri(base);
  auto r = boost::urls::parse_uri_reference(reference);
  if (!b || !r) return {};
  boost::urls::url out;
  if (!boost::urls::resolve(*b, *r, out)) return {};
  return std::string(out.buffer());
}

}  // namespace mcpp
