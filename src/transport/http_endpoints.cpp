// Request routing (Host/Origin checks, then the endpoint by path), the legacy 2024-11-05 HTTP+SSE
// endpoints (GET /sse, POST /messages) and the response building blocks all endpoints use.
#include "transport/http_endpoints.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/url/parse.hpp>
#include <stdexcept>

#include "jsonrpc/message.hpp"

namespace mcpp {

namespace asio = boost::asio;

namespace {

HttpOptions with_defaults(HttpOptions options) {
  if (!options.event_store) options.event_store = make_memory_event_store();
  return options;
}

HttpServerResponse method_not_allowed(std::string_view path, std::string_view allow) {
  HttpServerResponse r =
      error_response(http::status::method_not_allowed, jsonrpc::kInvalidRequest,
                     "Method Not Allowed: " + std::string(path) + " accepts " + std::string(allow));
  r.set(http::field::allow, allow);
  return r;
}

}  // namespace

HttpServerState::HttpServerState(Server& s, HttpOptions o)
    : server(s),
      options(with_defaults(std::move(o))),
      origins(options),
      sessions(server, options.max_sessions, options.event_store, options.sse_retry) {
  for (const HttpMount& m : options.mounts) {
    if (!m.server || m.prefix.empty() || m.prefix.front() != '/' || m.prefix.back() == '/') {
      throw std::invalid_argument(
          "mcpp: an HttpMount needs a Server and a prefix like /name, got '" + m.prefix + "'");
    }
    HttpOptions sub = options;
    sub.mounts.clear();
    sub.routes.clear();
    sub.event_store = nullptr;  // its own event ids
    sub.endpoint = m.prefix + options.endpoint;
    if (!sub.sse_endpoint.empty()) sub.sse_endpoint = m.prefix + options.sse_endpoint;
    if (!sub.messages_endpoint.empty()) {
      sub.messages_endpoint = m.prefix + options.messages_endpoint;
    }
    mounts.push_back(std::make_unique<HttpServerState>(*m.server, std::move(sub)));
  }
}

HttpServerState& HttpServerState::owner_of(std::string_view path) {
  for (auto& m : mounts) {
    const HttpOptions& o = m->options;
    if (path == o.endpoint || (!o.sse_endpoint.empty() && path == o.sse_endpoint) ||
        (!o.messages_endpoint.empty() && path == o.messages_endpoint)) {
      return *m;
    }
  }
  return *this;
}

// ---- StreamWaiter -------------------------------------------------------------------------------

StreamWaiter::StreamWaiter(const asio::any_io_executor& strand) : timer_(strand) {}

std::function<void()> StreamWaiter::waker() {
  // Dispatched: a handler finishing on the connection's own strand (the usual case) wakes it
  // at once; from another thread the wake is posted there.
  return [weak = weak_from_this(), ex = timer_.get_executor()] {
    asio::dispatch(ex, [weak] {
      if (auto self = weak.lock()) self->timer_.cancel();
    });
  };
}

Task<bool> StreamWaiter::wait(std::chrono::milliseconds timeout) {
  timer_.expires_after(timeout);
  boost::system::error_code ec;
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return ec == asio::error::operation_aborted;
}

// ---- request handlers ---------------------------------------------------------------------------

namespace {

Task<void> run_handler(Task<json::value> handler, std::shared_ptr<SseStream> stream,
                       std::shared_ptr<void> keep) {
  json::value reply;
  try {
    reply = co_await std::move(handler);
  } catch (...) {
    reply = jsonrpc::make_error(nullptr, jsonrpc::kInternalError,
                                "Internal error while handling the request");
  }
  try {
    stream->finish(std::move(reply));
  } catch (...) {
    stream->close();  // e.g. the event store failed: end the stream rather than leave it open
  }
  keep.reset();
}

}  // namespace

void start_handler(const asio::any_io_executor& executor, Task<json::value> handler,
                   std::shared_ptr<SseStream> stream, std::shared_ptr<void> keep) {
  // co_spawn dispatches: on the connection's strand the handler starts before this returns,
  // and a handler that never waits has finished `stream` by then.
  asio::co_spawn(executor, run_handler(std::move(handler), std::move(stream), std::move(keep)),
                 asio::detached);
}

// ---- responses --------------------------------------------------------------------------------

HttpServerResponse make_response(http::status status, std::string body,
                                 std::string_view content_type) {
  HttpServerResponse r{status, 11};
  if (!content_type.empty()) r.set(http::field::content_type, content_type);
  r.body() = std::move(body);
  return r;
}

HttpServerResponse json_response(http::status status, const json::value& body) {
  return make_response(status, json::serialize(body), "application/json");
}

HttpServerResponse error_response(http::status status, int code, std::string message) {
  return json_response(status, jsonrpc::make_error(nullptr, code, std::move(message)));
}

HttpServerResponse empty_response(http::status status) {
  return HttpServerResponse{status, 11};
}

HttpServerResponse sse_head() {
  HttpServerResponse r{http::status::ok, 11};
  r.set(http::field::content_type, "text/event-stream");
  r.set(http::field::cache_control, "no-cache");
  r.set(http::field::connection, "keep-alive");
  r.set("X-Accel-Buffering", "no");  // tells nginx-style proxies not to buffer the stream
  return r;
}

std::string_view header_value(const HttpRequest& request, std::string_view name) {
  // A scan in arrival order (the first of repeated fields, as find() gives): requests carry a
  // handful of fields, and most names differ in length, so this beats the ordered lookup.
  for (const auto& field : request) {
    auto n = field.name_string();
    if (n.size() == name.size() && boost::beast::iequals(n, name)) {
      auto v = field.value();
      return {v.data(), v.size()};
    }
  }
  return {};
}

std::shared_ptr<HttpSession> create_session(HttpServerState& state, bool legacy) {
  if (auto s = state.sessions.create(legacy)) return s;
  for (auto& expired : state.sessions.remove_expired(state.options.session_idle_expiry)) {
    expired->close();
  }
  return state.sessions.create(legacy);
}

// ---- authorization and extra routes ---------------------------------------------------------

Task<HttpAuthDecision> authorize(HttpServerState& state, const HttpRequest& request,
                                 const json::value* message, std::string_view peer_address) {
  if (!state.options.authorizer) co_return HttpAuthDecision{};
  std::string_view target(request.target().data(), request.target().size());
  HttpAuthRequest r{header_value(request, "Authorization"), message, peer_address,
                    target.substr(0, target.find('?'))};
  co_return co_await state.options.authorizer->authorize_request(r);
}

HttpServerResponse to_response(const HttpReply& reply) {
  HttpServerResponse r{static_cast<http::status>(reply.status), 11};
  for (const auto& [name, value] : reply.headers) r.set(name, value);
  r.body() = reply.body;
  return r;
}

bool same_owner(const HttpSession& session, const std::shared_ptr<const AuthInfo>& auth) {
  if (session.owner().empty()) return true;
  return auth && auth->subject == session.owner();
}

std::string_view HttpRequestInfo::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

namespace {

HttpRequestInfo request_info(const HttpServerState& state, const HttpRequest& request,
                             std::string_view peer_address) {
  HttpRequestInfo info;
  info.method = std::string(request.method_string());
  info.target = std::string(request.target());
  auto q = info.target.find('?');
  info.path = info.target.substr(0, q);
  if (q != std::string::npos) info.query = info.target.substr(q + 1);
  for (const auto& field : request) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    info.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  info.body = request.body();
  const bool tls = !state.options.tls_certificate_file.empty();
  info.origin = (tls ? "https://" : "http://") + std::string(header_value(request, "Host"));
  info.peer_address = std::string(peer_address);
  return info;
}

}  // namespace

// ---- routing ----------------------------------------------------------------------------------

Task<Reply> handle_http_request(HttpServerState& state, HttpRequest& request, StreamWaiter& waiter,
                                std::string_view peer_address) {
  std::string_view host = header_value(request, "Host");
  if (std::string why = state.origins.check_host(host); !why.empty()) {
    co_return reply_with(
        error_response(host.empty() ? http::status::bad_request : http::status::forbidden,
                       jsonrpc::kInvalidRequest, std::move(why)));
  }
  std::string_view target(request.target().data(), request.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  if (HttpServerState& mount = state.owner_of(path); &mount != &state) {
    co_return co_await handle_http_request(mount, request, waiter, peer_address);
  }
  const HttpOptions& o = state.options;
  const bool mcp_path = path == o.endpoint || (!o.sse_endpoint.empty() && path == o.sse_endpoint) ||
                        (!o.messages_endpoint.empty() && path == o.messages_endpoint);
  if (!mcp_path && !o.routes.empty()) {
    HttpRequestInfo info = request_info(state, request, peer_address);
    for (const auto& route : o.routes) {
      std::optional<HttpReply> reply = co_await route(info);
      if (reply) co_return reply_with(to_response(*reply));
    }
  }
  if (std::string why = state.origins.check_origin(header_value(request, "Origin"), host);
      !why.empty()) {
    co_return reply_with(
        error_response(http::status::forbidden, jsonrpc::kInvalidRequest, std::move(why)));
  }
  if (path == o.endpoint) {
    co_return co_await handle_mcp_endpoint(state, request, waiter, peer_address);
  }
  if (!o.sse_endpoint.empty() && path == o.sse_endpoint) {
    if (request.method() != http::verb::get) co_return reply_with(method_not_allowed(path, "GET"));
    co_return co_await handle_legacy_stream(state, request, waiter, peer_address);
  }
  if (!o.messages_endpoint.empty() && path == o.messages_endpoint) {
    if (request.method() != http::verb::post) {
      co_return reply_with(method_not_allowed(path, "POST"));
    }
    co_return co_await handle_legacy_message(state, request, peer_address);
  }
  co_return reply_with(error_response(
      http::status::not_found, jsonrpc::kInvalidRequest,
      "Not Found: nothing at " + std::string(path) + "; the MCP endpoint is " + o.endpoint));
}

// ---- legacy HTTP+SSE (2024-11-05) -------------------------------------------------------------

Task<Reply> handle_legacy_stream(HttpServerState& state, HttpRequest& request, StreamWaiter& waiter,
                                 std::string_view peer_address) {
  HttpAuthDecision decision;
  if (state.options.authorizer) {
    decision = co_await authorize(state, request, nullptr, peer_address);
  }
  if (decision.refusal) co_return reply_with(to_response(*decision.refusal));
  auto session = create_session(state, true);
  if (!session) {
    co_return reply_with(error_response(http::status::service_unavailable, -32000,
                                        "Service Unavailable: too many sessions; try later"));
  }
  if (decision.auth) session->set_owner(decision.auth->subject);
  auto attachment = session->standalone()->attach(waiter.waker(), nullptr, false);
  Reply r;
  r.response = sse_head();
  r.stream = session->standalone();
  r.token = attachment.token;
  sse::append_event(r.preamble, "", "endpoint",
                    state.options.messages_endpoint + "?session_id=" + session->id());
  r.preamble += attachment.preamble;
  r.watch_peer = true;
  // The session lives as long as its /sse connection (and does not expire meanwhile).
  r.lease = std::shared_ptr<void>(
      nullptr, [&sessions = state.sessions, session, hold = session->hold()](void*) {
        sessions.remove(session->id());
        session->close();
      });
  co_return r;
}

Task<Reply> handle_legacy_message(HttpServerState& state, HttpRequest& request,
                                  std::string_view peer_address) {
  std::string_view target(request.target().data(), request.target().size());
  std::string id;
  if (auto url = boost::urls::parse_origin_form(target)) {
    auto params = url->params();
    if (auto it = params.find("session_id"); it != params.end()) id = (*it).value;
  }
  if (id.empty()) {
    co_return reply_with(
        error_response(http::status::bad_request, jsonrpc::kInvalidRequest,
                       "Bad Request: POST " + state.options.messages_endpoint +
                           " needs ?session_id=<id>, as given by the endpoint event of " +
                           state.options.sse_endpoint));
  }
  if (!is_media_type(header_value(request, "Content-Type"), "application/json")) {
    co_return reply_with(
        error_response(http::status::unsupported_media_type, jsonrpc::kInvalidRequest,
                       "Unsupported Media Type: the body must be application/json"));
  }
  auto parsed = jsonrpc::parse(request.body());
  if (auto* err = std::get_if<jsonrpc::Error>(&parsed)) {
    co_return reply_with(
        json_response(http::status::bad_request, jsonrpc::make_error(nullptr, *err)));
  }
  HttpAuthDecision decision;
  if (state.options.authorizer) {
    decision = co_await authorize(state, request, &std::get<json::value>(parsed), peer_address);
  }
  if (decision.refusal) co_return reply_with(to_response(*decision.refusal));
  // (After authorization: an unauthorized caller learns nothing about which sessions exist.)
  auto session = state.sessions.find(id);
  if (!session || !session->legacy() || !same_owner(*session, decision.auth)) {
    co_return reply_with(error_response(http::status::not_found, kSessionNotFound,
                                        "Session not found: it ended or never existed; open " +
                                            state.options.sse_endpoint + " again"));
  }
  session->touch();
  // Answered on the /sse stream; this POST only says the message was taken. (Locals, not
  // temporaries, next to co_await: GCC 12 mishandles temporaries in such full-expressions.)
  auto stream = session->standalone();
  auto lease = session->hold();
  auto on_reply = [stream, lease](std::exception_ptr e, json::value reply) {
    if (e) {
      reply = jsonrpc::make_error(nullptr, jsonrpc::kInternalError,
                                  "Internal error while handling the message");
    }
    if (!reply.is_null()) stream->send(reply);
  };
  auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(executor,
                 session->protocol()->handle(std::move(std::get<json::value>(parsed)), stream,
                                             std::move(decision.auth)),
                 std::move(on_reply));
  co_return reply_with(empty_response(http::status::accepted));
}

}  // namespace mcpp
