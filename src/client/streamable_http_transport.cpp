// The client side of Streamable HTTP: every message is a POST whose answer is JSON or an SSE
// stream (resumed with GET + Last-Event-ID, honouring `retry`), plus the standalone GET stream,
// the Mcp-Session-Id and MCP-Protocol-Version headers, and DELETE on close.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "client/http_auth.hpp"
#include "client/http_client.hpp"
#include "client/request_headers.hpp"
#include "client/sse_parser.hpp"
#include "client/transport.hpp"
#include "jsonrpc/message.hpp"

namespace mcpp {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kDefaultRetry = 1000ms;
constexpr auto kMaxRetry = 30'000ms;

bool is_visible_ascii(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

// True when `v` (a message or a batch) holds the response to request `id`.
bool answers(const json::value& v, const json::value& id) {
  if (v.is_array()) {
    for (const auto& m : v.get_array()) {
      if (answers(m, id)) return true;
    }
    return false;
  }
  const json::value* mid = find(v, "id");
  return mid && *mid == id && !find(v, "method") && (find(v, "result") || find(v, "error"));
}

// The delay before reconnection attempt `attempt` (1, 2, ...): what the server asked for with
// `retry`, doubled after each failure, capped.
std::chrono::milliseconds backoff(std::optional<std::chrono::milliseconds> retry, int attempt) {
  auto d = retry.value_or(kDefaultRetry);
  for (int i = 1; i < attempt && d < kMaxRetry; ++i) d *= 2;
  return retry && *retry > kMaxRetry ? *retry : std::min(d, kMaxRetry);
}

class StreamableCore : public std::enable_shared_from_this<StreamableCore> {
 public:
  StreamableCore(asio::any_io_executor ex, HttpTarget target)
      : ex_(ex), target_(std::move(target)), http_(ex, target_) {}

  void start(ClientTransport::Callbacks cb) {
    if (url_origin(target_.url).empty()) {
      throw TransportError(TransportError::Kind::kUnreachable,
                           "not an http:// or https:// URL: " + target_.url);
    }
    cb_ = std::move(cb);
  }

  Task<void> send(json::value message, HttpHeaders extra = {}) {
    if (closed_) throw TransportError(TransportError::Kind::kClosed, "the connection is closed");
    const json::value* id = find(message, "id");
    if (find(message, "method") && id) {
      // A request: its exchange runs on its own, so the client's timeout and cancellation
      // apply to all of it; failures come back through on_lost.
      asio::co_spawn(ex_, exchange(shared_from_this(), std::move(message), std::move(extra)),
                     asio::detached);
      co_return;
    }
    auto self = shared_from_this();
    HttpHeaders h = headers(true, false);
    if (stateless_) {
      for (auto& kv : standard_headers_for(message)) h.push_back(std::move(kv));
    }
    auto response = co_await send_authorized(http_, target_, HttpClient::Method::kPost, target_.url,
                                             h, json::serialize(message), target_.connect_timeout);
    co_await check_status(*response);
    std::string body =
        co_await response->read_body(target_.max_message_bytes, target_.connect_timeout);
    if (response->media_type() == "application/json") deliver_text(body);
  }

  void set_protocol_version(std::string_view v) { protocol_version_ = std::string(v); }
  // The stateless era: no session and no GET stream; Mcp-Method/Mcp-Name on every POST; a 4xx
  // carrying a JSON-RPC error is the answer to its request.
  void set_stateless(bool on) {
    stateless_ = on;
    if (on) reset_session();
  }

  void on_initialized() {
    if (!target_.open_event_stream || standalone_ || stateless_) return;
    standalone_ = std::make_shared<HttpAbort>();
    asio::co_spawn(ex_, event_stream(shared_from_this(), standalone_), asio::detached);
  }

  void forget(const json::value& id) {
    auto it = exchanges_.find(json::serialize(id));
    if (it == exchanges_.end()) return;
    auto abort = it->second;
    exchanges_.erase(it);
    abort->abort();
  }

  void reset_session() {
    session_id_.clear();
    protocol_version_.clear();
    if (standalone_) standalone_->abort();
    standalone_.reset();
  }

  Task<void> close() {
    if (closed_) co_return;
    auto self = shared_from_this();
    abort_streams();
    if (!session_id_.empty()) {
      try {
        auto response = co_await send_authorized(http_, target_, HttpClient::Method::kDelete,
                                                 target_.url, headers(false, false), {},
                                                 target_.connect_timeout, nullptr, false);
        co_await response->read_body(64 * 1024, target_.connect_timeout);
      } catch (const TransportError&) {
        // The session ends on the server's side anyway, when it expires.
      }
      session_id_.clear();
    }
    http_.close_idle();
  }

  void abort() noexcept {
    abort_streams();
    http_.close_idle();
  }

 private:
  void abort_streams() {
    closed_ = true;
    auto exchanges = std::move(exchanges_);
    exchanges_.clear();
    for (auto& [key, a] : exchanges) a->abort();
    if (standalone_) standalone_->abort();
  }

  HttpHeaders headers(bool post, bool event_stream, const std::string* last_event_id = nullptr,
                      bool initialize = false) const {
    HttpHeaders h;
    if (post) {
      h.emplace_back("Content-Type", "application/json");
      h.emplace_back("Accept", "application/json, text/event-stream");
    } else if (event_stream) {
      h.emplace_back("Accept", "text/event-stream");
    }
    if (!session_id_.empty() && !initialize) h.emplace_back("Mcp-Session-Id", session_id_);
    if (!protocol_version_.empty() && !initialize) {
      h.emplace_back("MCP-Protocol-Version", protocol_version_);
    }
    if (last_event_id) h.emplace_back("Last-Event-ID", *last_event_id);
    for (const auto& kv : target_.headers) h.push_back(kv);
    return h;
  }

  // Throws for a non-2xx status; a 404 for our session means it expired.
  Task<void> check_status(HttpResponse& response, bool sent_session = true) {
    if (response.status() == 404 && sent_session && !session_id_.empty()) {
      session_id_.clear();
      throw TransportError(TransportError::Kind::kSessionExpired,
                           "the server ended the session (HTTP 404 from " + target_.url + ")", 404);
    }
    co_await check_http_status(response, target_.url);
  }

  // Parses a JSON body or event data and hands the message(s) to the client. Returns the value.
  // `related`: the request whose POST stream carried it (null: none, or the GET stream).
  json::value deliver_text(std::string_view text, const json::value& related = nullptr) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return nullptr;
    auto parsed = jsonrpc::parse(text);
    if (auto* err = std::get_if<jsonrpc::Error>(&parsed)) {
      throw TransportError(TransportError::Kind::kProtocol,
                           "the server sent invalid JSON (" + err->message + ")");
    }
    json::value v = std::move(std::get<json::value>(parsed));
    if (cb_.on_message) cb_.on_message(v, related);
    return v;
  }

  // A JSON-RPC error sent with an HTTP error status (the stateless era's 400 for an unsupported
  // version or a header mismatch, 404 for an unknown method): delivered as the answer to request
  // `id`. Throws TransportError for any other error response.
  Task<void> deliver_error_status(HttpResponse& response, const json::value& id) {
    std::string body;
    try {
      body = co_await response.read_body(64 * 1024, target_.connect_timeout);
    } catch (const TransportError&) {
      body.clear();
    }
    auto parsed = jsonrpc::parse(body);
    if (auto* v = std::get_if<json::value>(&parsed); v && v->is_object()) {
      const json::value* err = find(*v, "error");
      const json::value* code = err ? find(*err, "code") : nullptr;
      if (code && code->is_int64() && find(*err, "message")) {
        const json::value* mid = find(*v, "id");
        if (!mid || mid->is_null()) v->as_object()["id"] = id;
        if (answers(*v, id)) {
          if (cb_.on_message) cb_.on_message(std::move(*v), id);
          co_return;
        }
      }
    }
    std::string message = "HTTP " + std::to_string(response.status());
    if (std::string reason = response.reason(); !reason.empty()) message += " " + reason;
    message += " from " + target_.url;
    std::size_t start = body.find_first_not_of(" \t\r\n");
    if (start != std::string::npos && body.find('<') == std::string::npos) {
      std::string detail = body.substr(start, 300);
      for (char& c : detail) {
        if (c == '\n' || c == '\r') c = ' ';
      }
      message += ": " + detail;
    }
    throw TransportError(TransportError::Kind::kHttpStatus, message, response.status(),
                         response.header_joined("WWW-Authenticate"));
  }

  static Task<void> exchange(std::shared_ptr<StreamableCore> self, json::value message,
                             HttpHeaders extra) {
    json::value id = message.at("id");
    std::string key = json::serialize(id);
    bool initialize = find_string(message, "method") == "initialize";
    auto abort = std::make_shared<HttpAbort>();
    self->exchanges_[key] = abort;
    try {
      bool sent_session = !self->session_id_.empty() && !initialize;
      HttpHeaders h = self->headers(true, false, nullptr, initialize);
      if (self->stateless_) {
        for (auto& kv : standard_headers_for(message)) h.push_back(std::move(kv));
        for (auto& kv : extra) h.push_back(std::move(kv));
      }
      auto response = co_await send_authorized(
          self->http_, self->target_, HttpClient::Method::kPost, self->target_.url, h,
          json::serialize(message), std::chrono::milliseconds(0), abort);
      bool answered = false;
      if (self->stateless_ && response->status() >= 400 &&
          response->media_type() == "application/json") {
        co_await self->deliver_error_status(*response, id);
        answered = true;
      }
      if (!answered) {
        co_await self->process_answer(std::move(response), id, abort, sent_session, initialize);
      }
    } catch (const TransportError& e) {
      if (!self->closed_ && !abort->aborted() && self->cb_.on_lost) self->cb_.on_lost(id, e);
    }
    auto it = self->exchanges_.find(key);
    if (it != self->exchanges_.end() && it->second == abort) self->exchanges_.erase(it);
  }

  // The answer to request `id` in a response with a success status (or throws for the others).
  Task<void> process_answer(std::unique_ptr<HttpResponse> response, const json::value& id,
                            std::shared_ptr<HttpAbort> abort, bool sent_session, bool initialize) {
    auto self = shared_from_this();
    std::string key = json::serialize(id);
    {
      co_await self->check_status(*response, sent_session);
      if (initialize) {
        std::string sid = response->header("Mcp-Session-Id");
        if (!sid.empty() && !is_visible_ascii(sid)) {
          throw TransportError(TransportError::Kind::kProtocol,
                               "the server sent an Mcp-Session-Id with invalid characters");
        }
        self->session_id_ = sid;
      }
      std::string media = response->media_type();
      if (response->status() == 202) {
        throw TransportError(TransportError::Kind::kProtocol, "the server accepted request " + key +
                                                                  " (HTTP 202) but sent no answer");
      }
      if (media == "application/json") {
        auto watch = abort->scoped([r = response.get()] { r->close(); });
        std::string body = co_await response->read_body(self->target_.max_message_bytes);
        watch.reset();
        auto parsed = jsonrpc::parse(body);
        if (auto* v = std::get_if<json::value>(&parsed); v && v->is_object() && find(*v, "error") &&
                                                         find(*v, "id") &&
                                                         find(*v, "id")->is_null()) {
          // An error the server could not tie to our request: it is the answer to it.
          v->as_object()["id"] = id;
          body = json::serialize(*v);
        }
        json::value v = self->deliver_text(body, id);
        if (!answers(v, id)) {
          throw TransportError(TransportError::Kind::kProtocol,
                               "the server's JSON answer holds no response to request " + key);
        }
      } else if (media == "text/event-stream") {
        co_await self->read_request_stream(std::move(response), id, abort);
      } else {
        throw TransportError(TransportError::Kind::kProtocol,
                             "the server answered request " + key + " with Content-Type '" + media +
                                 "' (expected JSON or an SSE stream)");
      }
    }
  }

  // Reads the SSE answer to request `id`, reconnecting with Last-Event-ID when the stream ends
  // before the response. Throws TransportError when it cannot get the response.
  Task<void> read_request_stream(std::unique_ptr<HttpResponse> response, json::value id,
                                 std::shared_ptr<HttpAbort> abort) {
    SseParser parser;
    int attempts = 0;
    std::string key = json::serialize(id);
    for (;;) {
      bool answered = false;
      bool got_events = false;
      std::string broke;
      auto watch = abort->scoped([r = response.get()] { r->close(); });
      try {
        std::string chunk;
        while (!answered && co_await response->read_some(chunk)) {
          parser.feed(chunk, [&](const SseEvent& e) {
            got_events = true;
            if (answered) return;
            try {
              json::value v = deliver_event(e, id);
              if (!v.is_null() && answers(v, id)) answered = true;
            } catch (const TransportError&) {
              // A malformed event: skipped, as SSE clients skip what they cannot use.
            }
          });
        }
      } catch (const TransportError& e) {
        broke = e.what();
      }
      watch.reset();
      if (answered) {
        response->close();
        co_return;
      }
      if (closed_ || abort->aborted()) co_return;
      if (stateless_) {
        // 2026-07-28 streams are not resumable: the request is lost, the client re-issues it.
        throw TransportError(TransportError::Kind::kClosed,
                             "the server ended the SSE stream of request " + key +
                                 " before answering it" +
                                 (broke.empty() ? "" : " (" + broke + ")"));
      }
      if (!parser.has_event_id()) {
        throw TransportError(TransportError::Kind::kClosed,
                             "the server ended the SSE stream of request " + key +
                                 " before answering it, and sent no event id to resume it" +
                                 (broke.empty() ? "" : " (" + broke + ")"));
      }
      if (got_events) attempts = 0;
      // Reconnect: wait as the server asked (retry), then GET with Last-Event-ID.
      for (;;) {
        if (++attempts > target_.max_reconnects) {
          throw TransportError(TransportError::Kind::kClosed,
                               "could not resume the SSE stream of request " + key + " after " +
                                   std::to_string(target_.max_reconnects) + " attempts");
        }
        co_await sleep(backoff(parser.retry(), attempts), abort);
        if (closed_ || abort->aborted()) co_return;
        std::unique_ptr<HttpResponse> next;
        try {
          std::string last = parser.last_event_id();
          next = co_await send_authorized(http_, target_, HttpClient::Method::kGet, target_.url,
                                          headers(false, true, &last), {}, target_.connect_timeout,
                                          abort);
        } catch (const TransportError& e) {
          if (closed_ || abort->aborted()) co_return;
          if (e.kind() == TransportError::Kind::kUnreachable ||
              e.kind() == TransportError::Kind::kClosed) {
            continue;  // the network, perhaps: try again
          }
          throw;
        }
        co_await check_status(*next);
        if (next->media_type() != "text/event-stream") {
          throw TransportError(TransportError::Kind::kProtocol,
                               "resuming the stream of request " + key +
                                   ": the server answered with Content-Type '" +
                                   next->media_type() + "'");
        }
        response = std::move(next);
        break;
      }
    }
  }

  // The standalone GET stream: server requests and notifications outside any request.
  static Task<void> event_stream(std::shared_ptr<StreamableCore> self,
                                 std::shared_ptr<HttpAbort> abort) {
    SseParser parser;
    int failures = 0;
    while (!self->closed_ && !abort->aborted()) {
      std::unique_ptr<HttpResponse> response;
      try {
        std::string last = parser.last_event_id();
        response = co_await send_authorized(
            self->http_, self->target_, HttpClient::Method::kGet, self->target_.url,
            self->headers(false, true, parser.has_event_id() ? &last : nullptr), {},
            self->target_.connect_timeout, abort);
      } catch (const TransportError&) {
        response.reset();
      }
      if (self->closed_ || abort->aborted()) co_return;
      bool got_events = false;
      if (response) {
        int status = response->status();
        // 405: the server offers no such stream. Other 4xx: it will not (or the session is
        // gone, which the next POST finds out).
        if (status >= 400 && status < 500) co_return;
        if (status == 200 && response->media_type() == "text/event-stream") {
          auto watch = abort->scoped([r = response.get()] { r->close(); });
          try {
            std::string chunk;
            while (co_await response->read_some(chunk)) {
              parser.feed(chunk, [&](const SseEvent& e) {
                got_events = true;
                try {
                  self->deliver_event(e);
                } catch (const TransportError&) {
                  // A malformed event on the standalone stream concerns no request: skip it.
                }
              });
            }
          } catch (const TransportError&) {
            // The connection dropped: reconnect below.
          }
        }
      }
      if (self->closed_ || abort->aborted()) co_return;
      failures = got_events ? 0 : failures + 1;
      if (failures >= self->target_.max_reconnects) co_return;
      co_await self->sleep(backoff(parser.retry(), std::max(failures, 1)), abort);
    }
  }

  json::value deliver_event(const SseEvent& e, const json::value& related = nullptr) {
    if (e.event != "message") return nullptr;
    return deliver_text(e.data, related);
  }

  Task<void> sleep(std::chrono::milliseconds d, const std::shared_ptr<HttpAbort>& abort) {
    asio::steady_timer timer(ex_, d);
    auto watch = abort->scoped([&timer] { timer.cancel(); });
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::any_io_executor ex_;
  HttpTarget target_;
  HttpClient http_;
  ClientTransport::Callbacks cb_;
  std::string session_id_;
  std::string protocol_version_;
  bool stateless_ = false;
  bool closed_ = false;
  std::map<std::string, std::shared_ptr<HttpAbort>> exchanges_;  // by request id
  std::shared_ptr<HttpAbort> standalone_;
};

class StreamableHttpTransport final : public ClientTransport {
 public:
  StreamableHttpTransport(asio::any_io_executor ex, HttpTarget target)
      : core_(std::make_shared<StreamableCore>(std::move(ex), std::move(target))) {}
  ~StreamableHttpTransport() override { core_->abort(); }

  std::string_view name() const override { return "streamable-http"; }
  Task<void> start(Callbacks callbacks) override {
    core_->start(std::move(callbacks));
    co_return;
  }
  Task<void> send(json::value message) override { return core_->send(std::move(message)); }
  Task<void> send_with_headers(json::value message,
                               std::vector<std::pair<std::string, std::string>> headers) override {
    return core_->send(std::move(message), std::move(headers));
  }
  bool supports_stateless() const override { return true; }
  void set_stateless(bool on) override { core_->set_stateless(on); }
  void set_protocol_version(std::string_view v) override { core_->set_protocol_version(v); }
  void on_initialized() override { core_->on_initialized(); }
  void forget(const json::value& id) override { core_->forget(id); }
  void reset_session() override { core_->reset_session(); }
  Task<void> close() override { return core_->close(); }
  void abort() noexcept override { core_->abort(); }

 private:
  std::shared_ptr<StreamableCore> core_;
};

}  // namespace

std::unique_ptr<ClientTransport> make_streamable_http_transport(asio::any_io_executor ex,
                                                                HttpTarget target) {
  return std::make_unique<StreamableHttpTransport>(std::move(ex), std::move(target));
}

}  // namespace mcpp
