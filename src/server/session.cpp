// ServerSession: lifecycle, dispatch and the stateful-era request context.
#include "server/session.hpp"

#include <boost/asio/this_coro.hpp>

#include "protocol/versions.hpp"
#include "server/methods.hpp"
#include "server/server_access.hpp"
#include "server/server_impl.hpp"
#include "server/stateless.hpp"

namespace mcpp {

using jsonrpc::Kind;
using jsonrpc::Message;
using jsonrpc::RpcError;

struct ServerSession::InFlight {
  json::value id;
  std::string method;
  json::object meta;
  std::stop_source stop;
  std::mutex mu;
  std::vector<json::value> outgoing;  // ids of requests this one sent to the client
  std::shared_ptr<const AuthInfo> auth;
};

namespace {

std::string key_of(const json::value& id) {
  return json::serialize(id);
}

const json::object& params_object(const Message& m) {
  static const json::object kNone;
  if (m.params.is_object()) return m.params.get_object();
  if (m.params.is_null()) return kNone;
  throw RpcError(jsonrpc::kInvalidParams, "Invalid params: \"" + m.method + "\" takes an object");
}

// The request context of the stateful era: messages go on the request's own stream.
class StatefulContext final : public detail::ContextBackend {
 public:
  StatefulContext(std::shared_ptr<ServerSession> s, std::shared_ptr<ServerSession::InFlight> req,
                  std::shared_ptr<MessageSink> sink, std::string version,
                  std::shared_ptr<const json::object> caps,
                  std::shared_ptr<const json::object> info)
      : s_(std::move(s)),
        req_(std::move(req)),
        sink_(std::move(sink)),
        version_(std::move(version)),
        caps_(std::move(caps)),
        info_(std::move(info)) {}

  std::string_view protocol_version() const override { return version_; }
  std::string_view session_id() const override { return s_->id(); }
  const json::object& client_capabilities() const override { return *caps_; }
  const json::object& client_info() const override { return *info_; }
  const json::object& request_meta() const override;
  std::stop_token stop_token() const override;
  void notify(std::string_view method, json::object params) override {
    json::value msg = jsonrpc::make_notification(method, std::move(params));
    if (!sink_ || !sink_->send(msg)) s_->send_standalone(msg);
  }
  bool log_enabled(LogLevel level) const override { return s_->log_enabled(level); }
  const AuthInfo* auth() const override { return req_->auth.get(); }
  Task<std::vector<json::value>> request_all(std::vector<ClientRequest> requests) override {
    std::vector<json::value> results;
    // The wire does not say which request a request to the client belongs to (stdio): the
    // progress token of the request that caused it, when it has one, tells the client.
    const json::value* token = find(req_->meta, "progressToken");
    for (auto& r : requests) {
      if (token) {
        json::object meta;
        if (const json::value* m = find(r.params, "_meta"); m && m->is_object()) {
          meta = m->get_object();
        }
        if (!meta.contains("progressToken")) meta["progressToken"] = *token;
        r.params["_meta"] = std::move(meta);
      }
      results.push_back(
          co_await s_->request_client(*req_, sink_, std::move(r.method), std::move(r.params)));
    }
    co_return results;
  }

 private:
  std::shared_ptr<ServerSession> s_;
  std::shared_ptr<ServerSession::InFlight> req_;
  std::shared_ptr<MessageSink> sink_;
  std::string version_;
  std::shared_ptr<const json::object> caps_;
  std::shared_ptr<const json::object> info_;
};

const json::object& StatefulContext::request_meta() const {
  return req_->meta;
}
std::stop_token StatefulContext::stop_token() const {
  return req_->stop.get_token();
}

}  // namespace

// ---- lifecycle ------------------------------------------------------------------------------

std::shared_ptr<ServerSession> ServerSession::create(const Server& server, std::string id) {
  std::shared_ptr<ServerSession> s(
      new ServerSession(detail::ServerAccess::impl(server), std::move(id)));
  detail::ServerAccess::impl(server)->attach(s);
  return s;
}

ServerSession::ServerSession(std::shared_ptr<Server::Impl> server, std::string id)
    : server_(std::move(server)),
      id_(std::move(id)),
      last_activity_(std::chrono::steady_clock::now()) {}

ServerSession::~ServerSession() {
  server_->detach(this);
}

void ServerSession::close() {
  if (closed_.exchange(true)) return;
  std::map<std::string, std::shared_ptr<InFlight>, std::less<>> in_flight;
  {
    std::lock_guard lock(mu_);
    in_flight.swap(in_flight_);
    standalone_.reset();
  }
  for (auto& [k, r] : in_flight) r->stop.request_stop();
  outgoing_.fail_all({jsonrpc::kConnectionClosed, "Session closed", nullptr});
  if (const auto& closed = server_->options.on_session_closed) closed(id_);
}

void ServerSession::fail_client_requests(std::string_view why) {
  outgoing_.fail_all({jsonrpc::kConnectionClosed, std::string(why), nullptr});
  // Subscriptions last until the client goes: it has.
  std::vector<std::shared_ptr<InFlight>> listens;
  {
    std::lock_guard lock(mu_);
    for (auto& [k, r] : in_flight_) {
      if (r->method == "subscriptions/listen") listens.push_back(r);
    }
  }
  for (auto& r : listens) r->stop.request_stop();
}

std::string ServerSession::protocol_version() const {
  std::lock_guard lock(mu_);
  return version_;
}

void ServerSession::touch() {
  std::lock_guard lock(mu_);
  last_activity_ = std::chrono::steady_clock::now();
}

std::chrono::steady_clock::time_point ServerSession::last_activity() const {
  std::lock_guard lock(mu_);
  return last_activity_;
}

void ServerSession::set_standalone_sink(std::shared_ptr<MessageSink> sink) {
  std::lock_guard lock(mu_);
  standalone_ = std::move(sink);
}

bool ServerSession::has_standalone_sink() const {
  std::lock_guard lock(mu_);
  return standalone_ != nullptr;
}

bool ServerSession::send_standalone(const json::value& message) {
  std::shared_ptr<MessageSink> sink;
  {
    std::lock_guard lock(mu_);
    sink = standalone_;
  }
  return sink && sink->send(message);
}

bool ServerSession::log_enabled(LogLevel level) const {
  std::lock_guard lock(mu_);
  return level >= log_level_;
}

std::shared_ptr<const json::object> ServerSession::client_capabilities() const {
  std::lock_guard lock(mu_);
  return client_caps_;
}

std::shared_ptr<const json::object> ServerSession::client_info() const {
  std::lock_guard lock(mu_);
  return client_info_;
}

void ServerSession::on_list_changed(std::string_view what) {
  if (!initialized() || closed()) return;
  send_standalone(
      jsonrpc::make_notification("notifications/" + std::string(what) + "/list_changed", nullptr));
}

void ServerSession::on_resource_updated(std::string_view uri) {
  if (!initialized() || closed()) return;
  {
    std::lock_guard lock(mu_);
    if (!subscriptions_.contains(uri)) return;
  }
  send_standalone(
      jsonrpc::make_notification("notifications/resources/updated", json::object{{"uri", uri}}));
}

// ---- message handling -----------------------------------------------------------------------

Task<json::value> ServerSession::handle(json::value payload, std::shared_ptr<MessageSink> related,
                                        std::shared_ptr<const AuthInfo> auth) {
  touch();
  if (!payload.is_array()) {
    co_return co_await handle_one(std::move(payload), related, false, auth);
  }
  auto& batch = payload.get_array();
  std::string version = protocol_version();
  if (!protocol::has_batches(version)) {
    co_return jsonrpc::make_error(
        nullptr, jsonrpc::kInvalidRequest,
        version.empty()
            ? "Invalid Request: batches are not allowed before initialize"
            : "Invalid Request: JSON-RPC batches are not part of protocol revision " + version);
  }
  if (batch.empty()) {
    co_return jsonrpc::make_error(nullptr, jsonrpc::kInvalidRequest,
                                  "Invalid Request: an empty batch");
  }
  json::array replies;
  for (auto& msg : batch) {
    json::value r = co_await handle_one(std::move(msg), related, true, auth);
    if (!r.is_null()) replies.push_back(std::move(r));
  }
  if (replies.empty()) co_return nullptr;
  co_return replies;
}

Task<json::value> ServerSession::handle_one(json::value raw,
                                            const std::shared_ptr<MessageSink>& related,
                                            bool in_batch,
                                            const std::shared_ptr<const AuthInfo>& auth) {
  const bool stateless_request = stateless::is_stateless(raw);
  auto classified = jsonrpc::classify(std::move(raw));
  if (auto* bad = std::get_if<jsonrpc::Invalid>(&classified)) {
    co_return jsonrpc::make_error(bad->id, bad->error);
  }
  Message& m = std::get<Message>(classified);
  if (m.is_response()) {
    outgoing_.resolve(m);
    co_return nullptr;
  }
  if (m.is_notification()) {
    if (m.method == "notifications/initialized") {
      if (negotiated()) initialized_ = true;
    } else if (m.method == "notifications/cancelled") {
      if (m.params.is_object()) on_cancelled(m.params.get_object());
    }
    // Other notifications (roots/list_changed, progress, ...) need no answer.
    co_return nullptr;
  }
  // A request.
  if (closed()) {
    co_return jsonrpc::make_error(m.id, jsonrpc::kInvalidRequest, "Session has ended");
  }
  if (m.method == "initialize" && in_batch) {
    co_return jsonrpc::make_error(m.id, jsonrpc::kInvalidRequest,
                                  "Invalid Request: initialize must not be part of a batch");
  }
  if (stateless_request && m.method != "initialize") {
    co_return co_await handle_stateless(m, related, auth);
  }
  auto req = std::make_shared<InFlight>();
  req->id = m.id;
  req->method = m.method;
  req->auth = auth;
  if (m.params.is_object()) {
    if (const json::value* meta = find(m.params.get_object(), "_meta"); meta && meta->is_object()) {
      req->meta = meta->get_object();
    }
  }
  std::string key = key_of(m.id);
  {
    std::lock_guard lock(mu_);
    in_flight_[key] = req;
  }
  json::value reply;
  try {
    json::value result = co_await dispatch(m, req, related);
    reply = jsonrpc::make_result(m.id, std::move(result));
  } catch (const RpcError& e) {
    reply = jsonrpc::make_error(m.id, e.error());
  } catch (const std::exception& e) {
    reply = jsonrpc::make_error(m.id, jsonrpc::kInternalError,
                                "Internal error while handling " + m.method + ": " + e.what());
  }
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(key);
  }
  // A cancelled request gets no response (the client has stopped waiting for it).
  if (req->stop.stop_requested() && m.method != "initialize") co_return nullptr;
  co_return reply;
}

// A request of the stateless revision on a connection that may also carry a stateful session
// (stdio): answered on its own, but cancellable like any request of this connection.
Task<json::value> ServerSession::handle_stateless(const Message& m,
                                                  const std::shared_ptr<MessageSink>& related,
                                                  const std::shared_ptr<const AuthInfo>& auth) {
  auto req = std::make_shared<InFlight>();
  req->id = m.id;
  req->method = m.method;
  std::string key = key_of(m.id);
  {
    std::lock_guard lock(mu_);
    in_flight_[key] = req;
  }
  json::value reply =
      co_await stateless::handle(server_, m, related, req->stop.get_token(), std::nullopt, auth);
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(key);
  }
  co_return reply;
}

void ServerSession::on_cancelled(const json::object& params) {
  const json::value* id = find(params, "requestId");
  if (!id || !jsonrpc::valid_id(*id)) return;
  std::shared_ptr<InFlight> req;
  {
    std::lock_guard lock(mu_);
    auto it = in_flight_.find(key_of(*id));
    if (it == in_flight_.end() || it->second->method == "initialize") return;
    req = it->second;
  }
  req->stop.request_stop();
  std::vector<json::value> outgoing;
  {
    std::lock_guard lock(req->mu);
    outgoing = req->outgoing;
  }
  for (const auto& oid : outgoing) {
    outgoing_.fail(oid, {jsonrpc::kRequestCancelled, "Request cancelled by the client", nullptr});
  }
}

Task<json::value> ServerSession::request_client(InFlight& req, std::shared_ptr<MessageSink> sink,
                                                std::string method, json::object params) {
  if (closed()) throw RpcError(jsonrpc::kConnectionClosed, "Session has ended");
  if (req.stop.stop_requested())
    throw RpcError(jsonrpc::kRequestCancelled, "Request was cancelled");
  auto slot = outgoing_.open(co_await boost::asio::this_coro::executor);
  const json::value& id = jsonrpc::OutgoingRequests::id_of(*slot);
  {
    std::lock_guard lock(req.mu);
    req.outgoing.push_back(id);
  }
  json::value msg = jsonrpc::make_request(id, method, std::move(params));
  if (!(sink && sink->send(msg)) && !send_standalone(msg)) {
    outgoing_.fail(id, {jsonrpc::kConnectionClosed, "No stream to reach the client on", nullptr});
  }
  co_return co_await outgoing_.wait(slot, server_->options.client_request_timeout);
}

Task<json::value> ServerSession::dispatch(const Message& m, std::shared_ptr<InFlight> req,
                                          const std::shared_ptr<MessageSink>& related) {
  const std::string& method = m.method;
  if (method == "ping") co_return json::object{};
  const json::object& params = params_object(m);
  if (method == "initialize") co_return on_initialize(params);
  if (!negotiated()) {
    throw RpcError(jsonrpc::kInvalidRequest,
                   "Invalid Request: the session is not initialized; send initialize first");
  }
  if (method == "logging/setLevel") co_return on_set_level(params);
  if (!initialized()) {
    throw RpcError(
        jsonrpc::kInvalidRequest,
        "Invalid Request: waiting for notifications/initialized before \"" + method + "\"");
  }
  const Server::Impl& server = *server_;
  if (method == "tools/list") co_return methods::list_tools(server, protocol_version(), params);
  if (method == "resources/list") {
    co_return methods::list_resources(server, protocol_version(), params);
  }
  if (method == "resources/templates/list") {
    co_return methods::list_templates(server, protocol_version(), params);
  }
  if (method == "prompts/list") co_return methods::list_prompts(server, protocol_version(), params);
  if (method == "resources/subscribe") co_return on_subscribe(params, true);
  if (method == "resources/unsubscribe") co_return on_subscribe(params, false);
  if (method == "completion/complete") co_return methods::complete(server, params);
  if (method == "tools/call" || method == "resources/read" || method == "prompts/get") {
    Context ctx(std::make_shared<StatefulContext>(shared_from_this(), req, related,
                                                  protocol_version(), client_capabilities(),
                                                  client_info()));
    if (method == "tools/call") co_return co_await methods::call_tool(server, params, ctx);
    if (method == "resources/read") {
      methods::ReadOutcome read = co_await methods::read_resource(server, params, ctx);
      co_return std::move(read.result);
    }
    co_return co_await methods::get_prompt(server, params, ctx);
  }
  throw RpcError(jsonrpc::kMethodNotFound, "Method not found: \"" + method + "\"");
}

json::value ServerSession::on_initialize(const json::object& params) {
  if (negotiated()) {
    throw RpcError(jsonrpc::kInvalidRequest, "Invalid Request: the session is already initialized");
  }
  const json::value* requested = find(params, "protocolVersion");
  if (!requested || !requested->is_string()) {
    throw RpcError(jsonrpc::kInvalidParams,
                   "Invalid params: initialize needs a string \"protocolVersion\"");
  }
  std::string version(protocol::negotiate(requested->get_string()));
  {
    std::lock_guard lock(mu_);
    version_ = version;
    if (const json::value* c = find(params, "capabilities"); c && c->is_object()) {
      client_caps_ = std::make_shared<const json::object>(c->get_object());
    }
    if (const json::value* i = find(params, "clientInfo"); i && i->is_object()) {
      client_info_ = std::make_shared<const json::object>(i->get_object());
    }
  }
  const ServerOptions& o = server_->options;
  json::object result{{"protocolVersion", version},
                      {"capabilities", methods::capabilities(version)},
                      {"serverInfo", methods::server_info(o, version)}};
  if (!o.instructions.empty()) result["instructions"] = o.instructions;
  negotiated_ = true;
  return result;
}

json::value ServerSession::on_set_level(const json::object& params) {
  std::string level = methods::require_string(params, "level", "logging/setLevel");
  auto parsed = parse_log_level(level);
  if (!parsed) {
    throw RpcError(
        jsonrpc::kInvalidParams,
        "Invalid params: unknown log level \"" + level +
            "\" (use debug, info, notice, warning, error, critical, alert or emergency)");
  }
  std::lock_guard lock(mu_);
  log_level_ = *parsed;
  return json::object{};
}

json::value ServerSession::on_subscribe(const json::object& params, bool subscribe) {
  std::string uri = methods::require_string(
      params, "uri", subscribe ? "resources/subscribe" : "resources/unsubscribe");
  std::lock_guard lock(mu_);
  if (subscribe) {
    subscriptions_.insert(std::move(uri));
  } else {
    subscriptions_.erase(uri);
  }
  return json::object{};
}

}  // namespace mcpp
