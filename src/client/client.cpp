// Client::Impl: the stateful-era client session. The initialize handshake (with the spec's
// fallback from Streamable HTTP to HTTP+SSE), outgoing requests (timeouts, progress,
// cancellation, re-initialize when the session expired) and dispatch of what the server sends.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <set>

#include "client/client_impl.hpp"
#include "protocol/versions.hpp"

namespace mcpp {

namespace asio = boost::asio;

namespace {

// Which transport answered at an origin+path: asked once per process, then remembered.
std::mutex g_kind_mu;
std::map<std::string, HttpTransportKind>& known_kinds() {
  static std::map<std::string, HttpTransportKind> kinds;
  return kinds;
}

bool falls_back(const TransportError& e) {
  int s = e.http_status();
  return e.kind() == TransportError::Kind::kHttpStatus && (s == 400 || s == 404 || s == 405);
}

std::string id_key(const json::value& id) {
  return json::serialize(id);
}

}  // namespace

Client::Impl::Impl(asio::any_io_executor ex, ClientOptions options)
    : strand_(asio::make_strand(std::move(ex))), options_(std::move(options)) {}

Client::Impl::~Impl() {
  if (transport_) transport_->abort();
}

// ---- connecting --------------------------------------------------------------------------------

Task<void> Client::Impl::connect_stdio(StdioTarget target) {
  if (transport_) throw std::logic_error("mcpp::Client: already connected");
  transport_ = make_stdio_transport(strand_, std::move(target));
  co_await start_or_drop();
}

Task<void> Client::Impl::connect_http(HttpTarget target) {
  if (transport_) throw std::logic_error("mcpp::Client: already connected");
  HttpTransportKind kind = target.transport;
  std::string cache_key = target.url;
  if (kind == HttpTransportKind::kAuto) {
    std::lock_guard lock(g_kind_mu);
    auto it = known_kinds().find(cache_key);
    if (it != known_kinds().end()) kind = it->second;
  }
  auto remember = [&](HttpTransportKind k) {
    std::lock_guard lock(g_kind_mu);
    known_kinds()[cache_key] = k;
  };
  std::optional<TransportError> modern_error;
  if (kind != HttpTransportKind::kLegacySse) {
    transport_ = make_streamable_http_transport(strand_, target);
    try {
      co_await start_or_drop();
      remember(HttpTransportKind::kStreamableHttp);
      co_return;
    } catch (const TransportError& e) {
      // Only a 400, 404 or 405 to initialize means "try the old transport", and only when the
      // caller did not insist on this one.
      if (target.transport == HttpTransportKind::kStreamableHttp || !falls_back(e)) throw;
      modern_error = e;
    }
  }
  // The 2024-11-05 transport: GET the URL for an SSE stream with an `endpoint` event.
  transport_ = make_legacy_sse_transport(strand_, target);
  try {
    co_await start_or_drop();
  } catch (const TransportError& e) {
    if (!modern_error) throw;
    // Neither transport: report both answers.
    throw TransportError(
        modern_error->kind(),
        std::string(modern_error->what()) + "; and as a legacy HTTP+SSE server: " + e.what(),
        modern_error->http_status(), modern_error->www_authenticate());
  }
  remember(HttpTransportKind::kLegacySse);
}

Task<void> Client::Impl::start_or_drop() {
  std::exception_ptr failure;
  try {
    co_await start_and_handshake();
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    // A failed connection leaves nothing behind (no process, no session), and the client may
    // try again.
    outgoing_.fail_all({jsonrpc::kConnectionClosed, "The connection failed", nullptr});
    transport_->abort();
    transport_.reset();
    std::rethrow_exception(failure);
  }
}

Task<void> Client::Impl::start_and_handshake() {
  std::weak_ptr<Impl> weak = weak_from_this();
  ClientTransport::Callbacks cb;
  cb.on_message = [weak](json::value message) {
    if (auto self = weak.lock()) self->on_message(std::move(message));
  };
  cb.on_lost = [weak](const json::value& id, const TransportError& error) {
    if (auto self = weak.lock()) self->on_lost(id, error);
  };
  cb.on_closed = [weak](const TransportError& error) {
    if (auto self = weak.lock()) self->on_closed(error);
  };
  lost_.reset();
  closing_ = false;
  co_await transport_->start(std::move(cb));
  co_await handshake();
  connected_ = true;
}

json::object Client::Impl::capabilities() const {
  json::object caps;
  std::lock_guard lock(mu_);
  if (roots_) caps["roots"] = json::object{{"listChanged", true}};
  if (sampling_) caps["sampling"] = json::object();
  if (elicitation_) {
    json::object e;
    e["form"] = json::object();
    if (elicitation_url_) e["url"] = json::object();
    caps["elicitation"] = std::move(e);
  }
  for (const auto& [k, v] : options_.capabilities) caps[k] = v;
  return caps;
}

Task<void> Client::Impl::handshake() {
  json::object info{{"name", options_.info.name}, {"version", options_.info.version}};
  if (!options_.info.title.empty()) info["title"] = options_.info.title;
  json::object params{{"protocolVersion", options_.protocol_version},
                      {"capabilities", capabilities()},
                      {"clientInfo", std::move(info)}};
  json::value result = co_await request("initialize", std::move(params), {}, false);
  if (!result.is_object()) {
    throw RpcError(jsonrpc::kInvalidRequest, "the server's initialize result is not an object");
  }
  InitializeResult r;
  r.raw = result.get_object();
  r.protocol_version = std::string(find_string(r.raw, "protocolVersion"));
  if (!protocol::is_stateful_version(r.protocol_version)) {
    std::string spoken;
    for (auto v : protocol::kStatefulVersions)
      spoken += (spoken.empty() ? "" : ", ") + std::string(v);
    throw RpcError(jsonrpc::kInvalidRequest,
                   "the server answered initialize with protocol version '" + r.protocol_version +
                       "', which mcpp does not speak (it speaks " + spoken + ")");
  }
  if (const json::value* v = find(r.raw, "serverInfo"); v && v->is_object()) {
    r.server_info = v->get_object();
  }
  if (const json::value* v = find(r.raw, "capabilities"); v && v->is_object()) {
    r.capabilities = v->get_object();
  }
  r.instructions = std::string(find_string(r.raw, "instructions"));
  server_ = std::move(r);
  transport_->set_protocol_version(server_.protocol_version);
  co_await notify("notifications/initialized", {});
  transport_->on_initialized();
}

Task<void> Client::Impl::reinitialize() {
  transport_->reset_session();
  co_await handshake();
}

Task<void> Client::Impl::close() {
  if (!transport_ || closing_) co_return;
  closing_ = true;
  connected_ = false;
  auto self = shared_from_this();
  co_await transport_->close();
  outgoing_.fail_all({jsonrpc::kConnectionClosed, "The client closed the connection", nullptr});
  for (auto& [key, stop] : incoming_) stop->request_stop();
}

// ---- requests ----------------------------------------------------------------------------------

Task<json::value> Client::Impl::request(std::string method, json::object params, RequestOptions opt,
                                        bool may_reinitialize) {
  if (!transport_ || closing_) {
    throw TransportError(TransportError::Kind::kClosed, "the client is not connected");
  }
  if (lost_) throw *lost_;
  if (opt.stop.stop_requested()) {
    throw RpcError(jsonrpc::kRequestCancelled, "Request cancelled by the client");
  }
  auto self = shared_from_this();
  json::object original = params;
  auto slot = outgoing_.open(strand_);
  json::value id = jsonrpc::OutgoingRequests::id_of(*slot);
  std::string key = id_key(id);

  if (opt.on_progress || !opt.meta.empty()) {
    json::object meta;
    if (const json::value* m = find(params, "_meta"); m && m->is_object()) meta = m->get_object();
    for (const auto& [k, v] : opt.meta) meta[k] = v;
    if (opt.on_progress) {
      meta["progressToken"] = id;
      progress_[key] = opt.on_progress;
    }
    params["_meta"] = std::move(meta);
  }
  struct Cleanup {
    Impl* impl;
    std::string key;
    ~Cleanup() {
      impl->progress_.erase(key);
      impl->failures_.erase(key);
    }
  } cleanup{this, key};

  std::optional<std::stop_callback<std::function<void()>>> on_stop;
  if (opt.stop.stop_possible()) {
    on_stop.emplace(opt.stop, std::function<void()>([this, id] {
                      outgoing_.fail(id, {jsonrpc::kRequestCancelled,
                                          "Request cancelled by the client", nullptr});
                    }));
  }
  auto timeout = opt.timeout.count() > 0 ? opt.timeout : options_.request_timeout;

  std::optional<TransportError> failure;
  std::optional<jsonrpc::Error> abandoned;  // timed out or cancelled: tell the server
  json::value result;
  try {
    co_await transport_->send(jsonrpc::make_request(id, method, std::move(params)));
  } catch (const TransportError& e) {
    failure = e;
  }
  if (failure) {
    outgoing_.fail(id, {jsonrpc::kConnectionClosed, failure->what(), nullptr});
  } else {
    try {
      result = co_await outgoing_.wait(slot, timeout);
    } catch (const RpcError& e) {
      int code = e.error().code;
      if (auto it = failures_.find(key); it != failures_.end()) {
        failure = it->second;
      } else if (code == jsonrpc::kConnectionClosed && lost_) {
        failure = *lost_;
      } else if (code == jsonrpc::kConnectionClosed && closing_) {
        failure = TransportError(TransportError::Kind::kClosed, "the client closed the connection");
      } else if (code == jsonrpc::kRequestTimeout || code == jsonrpc::kRequestCancelled) {
        abandoned = e.error();
      } else {
        throw;
      }
    }
  }
  if (abandoned) {
    if (transport_) transport_->forget(id);
    if (method != "initialize") co_await send_cancelled(id, abandoned->message);
    throw RpcError(abandoned->code, method + ": " + abandoned->message);
  }
  if (failure) {
    if (failure->kind() == TransportError::Kind::kSessionExpired && may_reinitialize &&
        method != "initialize") {
      co_await reinitialize();
      co_return co_await request(std::move(method), std::move(original), std::move(opt), false);
    }
    throw *failure;
  }
  co_return result;
}

Task<void> Client::Impl::send_cancelled(json::value id, std::string reason) {
  try {
    json::object params{{"requestId", std::move(id)}, {"reason", std::move(reason)}};
    co_await notify("notifications/cancelled", std::move(params));
  } catch (const std::exception&) {
    // The connection is failing anyway; nothing to cancel on.
  }
}

Task<void> Client::Impl::notify(std::string method, json::object params) {
  if (!transport_ || closing_) {
    throw TransportError(TransportError::Kind::kClosed, "the client is not connected");
  }
  if (lost_) throw *lost_;
  auto self = shared_from_this();
  json::value p = params.empty() ? json::value(nullptr) : json::value(std::move(params));
  co_await transport_->send(jsonrpc::make_notification(method, std::move(p)));
}

Task<json::array> Client::Impl::list_all(std::string method, std::string field,
                                         RequestOptions options) {
  json::array all;
  std::string cursor;
  std::set<std::string> seen;
  for (;;) {
    json::object params;
    if (!cursor.empty()) params["cursor"] = cursor;
    json::value page = co_await request(method, std::move(params), options);
    if (const json::value* items = find(page, field); items && items->is_array()) {
      for (const auto& item : items->get_array()) all.push_back(item);
    }
    std::string_view next = find_string(page, "nextCursor");
    // A cursor seen before would loop forever: stop there.
    if (next.empty() || !seen.insert(std::string(next)).second) break;
    cursor = std::string(next);
  }
  co_return all;
}

// ---- what the server sends -------------------------------------------------------------------

void Client::Impl::on_message(json::value message) {
  if (message.is_array()) {
    for (auto& m : message.as_array()) on_message(std::move(m));
    return;
  }
  auto classified = jsonrpc::classify(message);
  auto* m = std::get_if<jsonrpc::Message>(&classified);
  if (!m) return;  // not JSON-RPC: nothing to answer it with
  switch (m->kind) {
    case jsonrpc::Kind::kResult:
    case jsonrpc::Kind::kError:
      outgoing_.resolve(*m);
      break;
    case jsonrpc::Kind::kRequest:
      asio::co_spawn(strand_, serve_request(shared_from_this(), std::move(*m)), asio::detached);
      break;
    case jsonrpc::Kind::kNotification:
      on_notification(*m);
      break;
  }
}

void Client::Impl::on_notification(const jsonrpc::Message& m) {
  json::object params = m.params.is_object() ? m.params.get_object() : json::object();
  std::unique_lock lock(mu_);
  auto log = log_handler_;
  auto list_changed = list_changed_handler_;
  auto updated = resource_updated_handler_;
  std::function<void(const json::object&)> generic;
  if (auto it = notification_handlers_.find(m.method); it != notification_handlers_.end()) {
    generic = it->second;
  }
  lock.unlock();
  try {
    if (m.method == "notifications/progress") {
      const json::value* token = find(params, "progressToken");
      if (!token) return;
      auto it = progress_.find(id_key(*token));
      const json::value* p = find(params, "progress");
      if (it != progress_.end() && p && p->is_number()) {
        Progress pr;
        pr.progress = p->to_number<double>();
        if (const json::value* t = find(params, "total"); t && t->is_number()) {
          pr.total = t->to_number<double>();
        }
        pr.message = std::string(find_string(params, "message"));
        ProgressHandler h = it->second;  // the handler may end the request
        h(pr);
      }
    } else if (m.method == "notifications/message") {
      if (log) {
        LogMessage lm;
        lm.level = std::string(find_string(params, "level"));
        lm.logger = std::string(find_string(params, "logger"));
        if (const json::value* d = find(params, "data")) lm.data = *d;
        log(lm);
      }
    } else if (m.method == "notifications/tools/list_changed") {
      if (list_changed) list_changed("tools");
    } else if (m.method == "notifications/resources/list_changed") {
      if (list_changed) list_changed("resources");
    } else if (m.method == "notifications/prompts/list_changed") {
      if (list_changed) list_changed("prompts");
    } else if (m.method == "notifications/resources/updated") {
      if (updated) updated(find_string(params, "uri"));
    } else if (m.method == "notifications/cancelled") {
      if (const json::value* rid = find(params, "requestId")) {
        if (auto it = incoming_.find(id_key(*rid)); it != incoming_.end()) {
          it->second->request_stop();
        }
      }
    }
    if (generic) generic(params);
  } catch (const std::exception&) {
    // A failing handler must not take the connection down.
  }
}

void Client::Impl::on_lost(const json::value& id, const TransportError& error) {
  failures_.insert_or_assign(id_key(id), error);
  outgoing_.fail(id, {jsonrpc::kConnectionClosed, error.what(), nullptr});
}

void Client::Impl::on_closed(const TransportError& error) {
  if (closing_) return;
  lost_ = error;
  connected_ = false;
  outgoing_.fail_all({jsonrpc::kConnectionClosed, error.what(), nullptr});
  for (auto& [key, stop] : incoming_) stop->request_stop();
  std::function<void(std::string_view)> h;
  {
    std::lock_guard lock(mu_);
    h = disconnect_handler_;
  }
  if (h) {
    try {
      h(error.what());
    } catch (const std::exception&) {
    }
  }
}

Task<void> Client::Impl::serve_request(std::shared_ptr<Impl> self, jsonrpc::Message m) {
  std::string key = id_key(m.id);
  auto stop = std::make_shared<std::stop_source>();
  self->incoming_[key] = stop;
  json::value reply;
  try {
    json::value result = co_await self->answer(m, stop->get_token());
    reply = jsonrpc::make_result(m.id, std::move(result));
  } catch (const RpcError& e) {
    reply = jsonrpc::make_error(m.id, e.error());
  } catch (const std::exception& e) {
    reply = jsonrpc::make_error(m.id, jsonrpc::kInternalError, e.what());
  }
  if (auto it = self->incoming_.find(key); it != self->incoming_.end() && it->second == stop) {
    self->incoming_.erase(it);
  }
  // A request the server cancelled gets no answer.
  if (stop->stop_requested() || !self->transport_ || self->closing_ || self->lost_) co_return;
  try {
    co_await self->transport_->send(std::move(reply));
  } catch (const TransportError&) {
    // The server went away; it will not miss the answer.
  }
}

Task<json::value> Client::Impl::answer(const jsonrpc::Message& m, std::stop_token stop) {
  json::object params = m.params.is_object() ? m.params.get_object() : json::object();
  if (m.method == "ping") co_return json::object();
  if (m.method == "sampling/createMessage") {
    SamplingHandler h;
    {
      std::lock_guard lock(mu_);
      h = sampling_;
    }
    if (!h) throw RpcError(jsonrpc::kMethodNotFound, "This client does not support sampling");
    co_return co_await h(params);
  }
  if (m.method == "elicitation/create") {
    ElicitationHandler h;
    bool url_ok = false;
    {
      std::lock_guard lock(mu_);
      h = elicitation_;
      url_ok = elicitation_url_;
    }
    if (!h) throw RpcError(jsonrpc::kMethodNotFound, "This client does not support elicitation");
    ElicitationRequest req;
    req.mode = std::string(find_string(params, "mode"));
    if (req.mode.empty()) req.mode = "form";
    if (req.mode != "form" && req.mode != "url") {
      throw RpcError(jsonrpc::kInvalidParams, "Unknown elicitation mode '" + req.mode + "'");
    }
    if (req.mode == "url" && !url_ok) {
      throw RpcError(jsonrpc::kInvalidParams, "This client does not support URL-mode elicitation");
    }
    req.message = std::string(find_string(params, "message"));
    if (const json::value* s = find(params, "requestedSchema"); s && s->is_object()) {
      req.requested_schema = s->get_object();
    }
    req.url = std::string(find_string(params, "url"));
    req.elicitation_id = std::string(find_string(params, "elicitationId"));
    req.params = params;
    req.stop = stop;
    ElicitationResponse r = co_await h(req);
    if (r.action != "accept" && r.action != "decline") r.action = "cancel";
    json::object out{{"action", r.action}};
    if (r.action == "accept" && req.mode == "form") {
      if (options_.apply_elicitation_defaults)
        apply_schema_defaults(req.requested_schema, r.content);
      out["content"] = std::move(r.content);
    }
    co_return out;
  }
  if (m.method == "roots/list") {
    json::array roots;
    {
      std::lock_guard lock(mu_);
      if (!roots_) throw RpcError(jsonrpc::kMethodNotFound, "This client does not offer roots");
      for (const auto& r : *roots_) {
        json::object o{{"uri", r.uri}};
        if (!r.name.empty()) o["name"] = r.name;
        roots.push_back(std::move(o));
      }
    }
    co_return json::object{{"roots", std::move(roots)}};
  }
  throw RpcError(jsonrpc::kMethodNotFound, "Method not found: " + m.method);
}

}  // namespace mcpp
