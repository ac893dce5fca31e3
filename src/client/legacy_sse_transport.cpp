// The client side of the 2024-11-05 HTTP+SSE transport: GET the URL for an event stream whose
// first event, `endpoint`, says where to POST messages; answers arrive as `message` events.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "client/http_auth.hpp"
#include "client/http_client.hpp"
#include "client/sse_parser.hpp"
#include "client/transport.hpp"
#include "jsonrpc/message.hpp"

namespace mcpp {

namespace asio = boost::asio;

namespace {

class LegacySseCore : public std::enable_shared_from_this<LegacySseCore> {
 public:
  LegacySseCore(asio::any_io_executor ex, HttpTarget target)
      : ex_(ex), target_(std::move(target)), http_(ex, target_) {}

  Task<void> start(ClientTransport::Callbacks cb) {
    cb_ = std::move(cb);
    auto self = shared_from_this();
    if (url_origin(target_.url).empty()) {
      throw TransportError(TransportError::Kind::kUnreachable,
                           "not an http:// or https:// URL: " + target_.url);
    }
    HttpHeaders h = common_headers();
    h.emplace_back("Accept", "text/event-stream");
    auto response = co_await send_authorized(http_, target_, HttpClient::Method::kGet, target_.url,
                                             h, {}, target_.connect_timeout, stream_abort_);
    co_await check_http_status(*response, target_.url);
    if (response->media_type() != "text/event-stream") {
      throw TransportError(TransportError::Kind::kProtocol,
                           "GET " + target_.url + " answered with Content-Type '" +
                               response->media_type() + "', not an SSE stream");
    }
    // The first event names the endpoint; wait for it at most the connect timeout per read.
    auto watch = stream_abort_->scoped([r = response.get()] { r->close(); });
    std::string chunk;
    std::vector<std::string> early;  // messages before the endpoint (not expected)
    while (endpoint_.empty()) {
      bool more = false;
      try {
        more = co_await response->read_some(chunk, target_.connect_timeout);
      } catch (const TransportError& e) {
        throw TransportError(TransportError::Kind::kProtocol,
                             "GET " + target_.url + ": no `endpoint` event (" + e.what() + ")");
      }
      if (!more) {
        throw TransportError(
            TransportError::Kind::kProtocol,
            "GET " + target_.url + ": the SSE stream ended before its `endpoint` event");
      }
      parser_.feed(chunk, [&](const SseEvent& e) {
        if (e.event == "endpoint" && endpoint_.empty()) {
          endpoint_ = resolve_url(target_.url, e.data);
        } else if (e.event == "message") {
          early.push_back(e.data);
        }
      });
    }
    if (url_origin(endpoint_) != url_origin(target_.url)) {
      throw TransportError(
          TransportError::Kind::kProtocol,
          "the server's `endpoint` (" + endpoint_ + ") is not on the origin of " + target_.url);
    }
    watch.reset();
    for (const auto& data : early) deliver(data);
    asio::co_spawn(ex_, pump(self, std::move(response)), asio::detached);
  }

  Task<void> send(json::value message) {
    if (closed_) throw TransportError(TransportError::Kind::kClosed, "the connection is closed");
    auto self = shared_from_this();
    HttpHeaders h = common_headers();
    h.emplace_back("Content-Type", "application/json");
    auto response = co_await send_authorized(http_, target_, HttpClient::Method::kPost, endpoint_,
                                             h, json::serialize(message), target_.connect_timeout);
    co_await check_http_status(*response, endpoint_);
    co_await response->read_body(64 * 1024, target_.connect_timeout);
  }

  Task<void> close() {
    abort();
    co_return;
  }

  void abort() noexcept {
    closed_ = true;
    stream_abort_->abort();
    http_.close_idle();
  }

 private:
  HttpHeaders common_headers() const {
    HttpHeaders h;
    for (const auto& kv : target_.headers) h.push_back(kv);
    return h;
  }

  void deliver(std::string_view data) {
    if (data.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
    auto parsed = jsonrpc::parse(data);
    if (!std::holds_alternative<json::value>(parsed)) return;  // not JSON: skipped
    if (cb_.on_message) cb_.on_message(std::move(std::get<json::value>(parsed)), nullptr);
  }

  static Task<void> pump(std::shared_ptr<LegacySseCore> self,
                         std::unique_ptr<HttpResponse> response) {
    std::string why = "the server closed the SSE stream";
    auto watch = self->stream_abort_->scoped([r = response.get()] { r->close(); });
    try {
      std::string chunk;
      while (co_await response->read_some(chunk)) {
        self->parser_.feed(chunk, [&](const SseEvent& e) {
          if (e.event == "message") self->deliver(e.data);
        });
      }
    } catch (const TransportError& e) {
      why = e.what();
    }
    watch.reset();
    if (self->closed_) co_return;
    self->closed_ = true;
    if (self->cb_.on_closed) {
      self->cb_.on_closed(TransportError(TransportError::Kind::kClosed, why));
    }
  }

  asio::any_io_executor ex_;
  HttpTarget target_;
  HttpClient http_;
  ClientTransport::Callbacks cb_;
  std::shared_ptr<HttpAbort> stream_abort_ = std::make_shared<HttpAbort>();
  SseParser parser_;
  std::string endpoint_;
  bool closed_ = false;
};

class LegacySseTransport final : public ClientTransport {
 public:
  LegacySseTransport(asio::any_io_executor ex, HttpTarget target)
      : core_(std::make_shared<LegacySseCore>(std::move(ex), std::move(target))) {}
  ~LegacySseTransport() override { core_->abort(); }

  std::string_view name() const override { return "sse"; }
  Task<void> start(Callbacks callbacks) override { return core_->start(std::move(callbacks)); }
  Task<void> send(json::value message) override { return core_->send(std::move(message)); }
  Task<void> close() override { return core_->close(); }
  void abort() noexcept override { core_->abort(); }

 private:
  std::shared_ptr<LegacySseCore> core_;
};

}  // namespace

std::unique_ptr<ClientTransport> make_legacy_sse_transport(asio::any_io_executor ex,
                                                           HttpTarget target) {
  return std::make_unique<LegacySseTransport>(std::move(ex), std::move(target));
}

}  // namespace mcpp
