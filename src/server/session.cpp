// ServerSession: lifecycle, dispatch and the stateful-era request context.
#include "server/session.hpp"

#include <boost/asio/this_coro.hpp>

#include "protocol/versions.hpp"
#include "server/server_impl.hpp"

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
};

namespace {

std::string key_of(const json::value& id) {
  return json::serialize(id);
}

json::object params_object(const Message& m) {
  if (m.params.is_object()) return m.params.get_object();
  if (m.params.is_null()) return {};
  throw RpcError(jsonrpc::kInvalidParams, "Invalid params: \"" + m.method + "\" takes an object");
}

std::string require_string(const json::object& params, std::string_view key,
                           std::string_view method) {
  const json::value* v = find(params, key);
  if (!v || !v->is_string()) {
    throw RpcError(jsonrpc::kInvalidParams, "Invalid params: " + std::string(method) +
                                                " needs a string \"" + std::string(key) + "\"");
  }
  return std::string(v->get_string());
}

// The request context of the stateful era: messages go on the request's own stream.
class StatefulContext final : public detail::ContextBackend {
 public:
  StatefulContext(std::shared_ptr<ServerSession> s, std::shared_ptr<ServerSession::InFlight> req,
                  std::shared_ptr<MessageSink> sink, std::string version, json::object caps,
                  json::object info)
      : s_(std::move(s)),
        req_(std::move(req)),
        sink_(std::move(sink)),
        version_(std::move(version)),
        caps_(std::move(caps)),
        info_(std::move(info)) {}

  std::string_view protocol_version() const override { return version_; }
  std::string_view session_id() const override { return s_->id(); }
  const json::object& client_capabilities() const override { return caps_; }
  const json::object& client_info() const override { return info_; }
  const json::object& request_meta() const override;
  std::stop_token stop_token() const override;
  void notify(std::string_view method, json::object params) override {
    json::value msg = jsonrpc::make_notification(method, std::move(params));
    if (!sink_ || !sink_->send(msg)) s_->send_standalone(msg);
  }
  bool log_enabled(LogLevel level) const override { return s_->log_enabled(level); }
  Task<json::value> request(std::string method, json::object params) override {
    return s_->request_client(*req_, sink_, std::move(method), std::move(params));
  }

 private:
  std::shared_ptr<ServerSession> s_;
  std::shared_ptr<ServerSession::InFlight> req_;
  std::shared_ptr<MessageSink> sink_;
  std::string version_;
  json::object caps_;
  json::object info_;
};

const json::object& StatefulContext::request_meta() const {
  return req_->meta;
}
std::stop_token StatefulContext::stop_token() const {
  return req_->stop.get_token();
}

// Opaque pagination cursors: base64 of "mcpp:<offset>".
std::string make_cursor(std::size_t offset) {
  return base64_encode("mcpp:" + std::to_string(offset));
}

std::size_t parse_cursor(const json::object& params) {
  const json::value* c = find(params, "cursor");
  if (!c || c->is_null()) return 0;
  auto bad = [] {
    return RpcError(jsonrpc::kInvalidParams,
                    "Invalid params: unknown cursor (pass back a nextCursor exactly as received)");
  };
  if (!c->is_string()) throw bad();
  auto text = base64_decode(c->get_string());
  if (!text || text->rfind("mcpp:", 0) != 0 || text->size() > 25) throw bad();
  std::size_t offset = 0;
  for (char ch : text->substr(5)) {
    if (ch < '0' || ch > '9') throw bad();
    offset = offset * 10 + static_cast<std::size_t>(ch - '0');
  }
  return offset;
}

template <class Items, class ToJson>
json::object paginate(const Items& items, const json::object& params, std::size_t page_size,
                      std::string_view key, ToJson&& to_json) {
  std::size_t offset = parse_cursor(params);
  if (offset > items.size()) {
    throw RpcError(jsonrpc::kInvalidParams, "Invalid params: cursor is past the end of the list");
  }
  if (page_size == 0) page_size = items.size();
  std::size_t end = std::min(items.size(), offset + page_size);
  json::array out;
  out.reserve(end - offset);
  for (std::size_t i = offset; i < end; ++i) out.push_back(to_json(*items[i].second));
  json::object result;
  result[key] = std::move(out);
  if (end < items.size()) result["nextCursor"] = make_cursor(end);
  return result;
}

json::array icons_json(const std::vector<Icon>& icons) {
  json::array a;
  for (const auto& i : icons) a.push_back(i.to_json());
  return a;
}

void put_common(json::object& o, std::string_view version, const std::string& title,
                const std::string& description, const std::vector<Icon>& icons) {
  if (!title.empty() && protocol::has_titles(version)) o["title"] = title;
  if (!description.empty()) o["description"] = description;
  if (!icons.empty() && protocol::has_icons(version)) o["icons"] = icons_json(icons);
}

}  // namespace

// ---- lifecycle ------------------------------------------------------------------------------

std::shared_ptr<ServerSession> ServerSession::create(const Server& server, std::string id) {
  std::shared_ptr<ServerSession> s(new ServerSession(server.impl(), std::move(id)));
  server.impl()->attach(s);
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
}

void ServerSession::fail_client_requests(std::string_view why) {
  outgoing_.fail_all({jsonrpc::kConnectionClosed, std::string(why), nullptr});
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

json::object ServerSession::client_capabilities() const {
  std::lock_guard lock(mu_);
  return client_caps_;
}

json::object ServerSession::client_info() const {
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

Task<json::value> ServerSession::handle(json::value payload, std::shared_ptr<MessageSink> related) {
  touch();
  if (!payload.is_array()) co_return co_await handle_one(payload, related, false);
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
  for (const auto& msg : batch) {
    json::value r = co_await handle_one(msg, related, true);
    if (!r.is_null()) replies.push_back(std::move(r));
  }
  if (replies.empty()) co_return nullptr;
  co_return replies;
}

Task<json::value> ServerSession::handle_one(const json::value& raw,
                                            const std::shared_ptr<MessageSink>& related,
                                            bool in_batch) {
  auto classified = jsonrpc::classify(raw);
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
  auto req = std::make_shared<InFlight>();
  req->id = m.id;
  req->method = m.method;
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
  json::object params = params_object(m);
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
  if (method == "tools/list") co_return list_tools(params);
  if (method == "resources/list") co_return list_resources(params);
  if (method == "resources/templates/list") co_return list_templates(params);
  if (method == "prompts/list") co_return list_prompts(params);
  if (method == "resources/subscribe") co_return on_subscribe(params, true);
  if (method == "resources/unsubscribe") co_return on_subscribe(params, false);
  if (method == "completion/complete") co_return complete(params);
  if (method == "tools/call" || method == "resources/read" || method == "prompts/get") {
    Context ctx(std::make_shared<StatefulContext>(shared_from_this(), req, related,
                                                  protocol_version(), client_capabilities(),
                                                  client_info()));
    if (method == "tools/call") co_return co_await call_tool(params, ctx);
    if (method == "resources/read") co_return co_await read_resource(params, ctx);
    co_return co_await get_prompt(params, ctx);
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
      client_caps_ = c->get_object();
    }
    if (const json::value* i = find(params, "clientInfo"); i && i->is_object()) {
      client_info_ = i->get_object();
    }
  }
  const ServerOptions& o = server_->options;
  json::object caps{
      {"tools", {{"listChanged", true}}},
      {"resources", {{"subscribe", true}, {"listChanged", true}}},
      {"prompts", {{"listChanged", true}}},
      {"logging", json::object{}},
  };
  if (version >= protocol::k2025_03_26) caps["completions"] = json::object{};
  json::object info{{"name", o.info.name}, {"version", o.info.version}};
  if (protocol::has_titles(version) && !o.info.title.empty()) info["title"] = o.info.title;
  if (protocol::has_icons(version)) {
    if (!o.info.description.empty()) info["description"] = o.info.description;
    if (!o.info.website_url.empty()) info["websiteUrl"] = o.info.website_url;
    if (!o.info.icons.empty()) info["icons"] = icons_json(o.info.icons);
  }
  json::object result{{"protocolVersion", version},
                      {"capabilities", std::move(caps)},
                      {"serverInfo", std::move(info)}};
  if (!o.instructions.empty()) result["instructions"] = o.instructions;
  negotiated_ = true;
  return result;
}

json::value ServerSession::on_set_level(const json::object& params) {
  std::string level = require_string(params, "level", "logging/setLevel");
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
  std::string uri =
      require_string(params, "uri", subscribe ? "resources/subscribe" : "resources/unsubscribe");
  std::lock_guard lock(mu_);
  if (subscribe) {
    subscriptions_.insert(std::move(uri));
  } else {
    subscriptions_.erase(uri);
  }
  return json::object{};
}

// ---- lists ------------------------------------------------------------------------------------

json::value ServerSession::list_tools(const json::object& params) {
  std::string version = protocol_version();
  std::shared_lock lock(server_->mu);
  return paginate(server_->tools.items(), params, server_->options.page_size, "tools",
                  [&](const ToolEntry& e) {
                    const Tool& t = e.tool;
                    json::object o{{"name", t.name}};
                    put_common(o, version, t.title, t.description, t.icons);
                    o["inputSchema"] = t.input_schema;
                    if (t.output_schema && protocol::has_structured_content(version)) {
                      o["outputSchema"] = *t.output_schema;
                    }
                    const ToolAnnotations& a = t.annotations;
                    json::object ann;
                    if (!a.title.empty()) ann["title"] = a.title;
                    if (a.read_only_hint) ann["readOnlyHint"] = *a.read_only_hint;
                    if (a.destructive_hint) ann["destructiveHint"] = *a.destructive_hint;
                    if (a.idempotent_hint) ann["idempotentHint"] = *a.idempotent_hint;
                    if (a.open_world_hint) ann["openWorldHint"] = *a.open_world_hint;
                    if (!ann.empty() && protocol::has_annotations_on_tools(version)) {
                      o["annotations"] = std::move(ann);
                    }
                    if (!t.meta.empty()) o["_meta"] = t.meta;
                    return o;
                  });
}

json::value ServerSession::list_resources(const json::object& params) {
  std::string version = protocol_version();
  std::shared_lock lock(server_->mu);
  return paginate(server_->resources.items(), params, server_->options.page_size, "resources",
                  [&](const ResourceEntry& e) {
                    const Resource& r = e.resource;
                    json::object o{{"uri", r.uri}, {"name", r.name}};
                    put_common(o, version, r.title, r.description, r.icons);
                    if (!r.mime_type.empty()) o["mimeType"] = r.mime_type;
                    if (r.size) o["size"] = *r.size;
                    if (!r.annotations.empty()) o["annotations"] = r.annotations.to_json();
                    return o;
                  });
}

json::value ServerSession::list_templates(const json::object& params) {
  std::string version = protocol_version();
  std::shared_lock lock(server_->mu);
  return paginate(server_->templates.items(), params, server_->options.page_size,
                  "resourceTemplates", [&](const TemplateEntry& e) {
                    const ResourceTemplate& t = e.tmpl;
                    json::object o{{"uriTemplate", t.uri_template}, {"name", t.name}};
                    put_common(o, version, t.title, t.description, t.icons);
                    if (!t.mime_type.empty()) o["mimeType"] = t.mime_type;
                    if (!t.annotations.empty()) o["annotations"] = t.annotations.to_json();
                    return o;
                  });
}

json::value ServerSession::list_prompts(const json::object& params) {
  std::string version = protocol_version();
  std::shared_lock lock(server_->mu);
  return paginate(server_->prompts.items(), params, server_->options.page_size, "prompts",
                  [&](const PromptEntry& e) {
                    const Prompt& p = e.prompt;
                    json::object o{{"name", p.name}};
                    put_common(o, version, p.title, p.description, p.icons);
                    if (!p.arguments.empty()) {
                      json::array args;
                      for (const auto& a : p.arguments) {
                        json::object ao{{"name", a.name}};
                        put_common(ao, version, a.title, a.description, {});
                        if (a.required) ao["required"] = true;
                        args.push_back(std::move(ao));
                      }
                      o["arguments"] = std::move(args);
                    }
                    return o;
                  });
}

// ---- calls ----------------------------------------------------------------------------------

Task<json::value> ServerSession::call_tool(const json::object& params, Context& ctx) {
  std::string name = require_string(params, "name", "tools/call");
  std::shared_ptr<const ToolEntry> entry;
  {
    std::shared_lock lock(server_->mu);
    entry = server_->tools.get(name);
  }
  if (!entry) throw RpcError(jsonrpc::kInvalidParams, "Unknown tool: \"" + name + "\"");
  json::object args;
  if (const json::value* a = find(params, "arguments"); a && !a->is_null()) {
    if (!a->is_object()) {
      throw RpcError(jsonrpc::kInvalidParams, "Invalid params: \"arguments\" must be an object");
    }
    args = a->get_object();
  }
  ToolResult result;
  std::vector<schema::ValidationError> errors;
  if (!entry->input.validate(args, &errors)) {
    std::string msg = "Invalid arguments for tool \"" + name + "\":";
    for (std::size_t i = 0; i < errors.size() && i < 5; ++i) {
      msg += (i ? "; " : " ") +
             (errors[i].instance_path.empty() ? std::string("(root)") : errors[i].instance_path) +
             ": " + errors[i].message;
    }
    result = ToolResult::error(std::move(msg));
  } else {
    try {
      result = co_await entry->handler(args, ctx);
    } catch (const RpcError&) {
      throw;
    } catch (const std::exception& e) {
      result = ToolResult::error(std::string("Tool \"") + name + "\" failed: " + e.what());
    }
    if (entry->output && !result.is_error) {
      if (!result.structured_content) {
        throw RpcError(jsonrpc::kInternalError, "Tool \"" + name +
                                                    "\" declares an outputSchema but returned no "
                                                    "structuredContent");
      }
      std::string err = entry->output->first_error(*result.structured_content);
      if (!err.empty()) {
        throw RpcError(jsonrpc::kInternalError, "Tool \"" + name +
                                                    "\" returned structuredContent that does not "
                                                    "match its outputSchema: " +
                                                    err);
      }
    }
  }
  json::object out{{"content", std::move(result.content)}};
  if (result.structured_content && protocol::has_structured_content(ctx.protocol_version())) {
    out["structuredContent"] = std::move(*result.structured_content);
  }
  if (result.is_error) out["isError"] = true;
  if (!result.meta.empty()) out["_meta"] = std::move(result.meta);
  co_return out;
}

Task<json::value> ServerSession::read_resource(const json::object& params, Context& ctx) {
  std::string uri = require_string(params, "uri", "resources/read");
  std::shared_ptr<const ResourceEntry> res;
  std::shared_ptr<const TemplateEntry> tmpl;
  Variables vars;
  {
    std::shared_lock lock(server_->mu);
    res = server_->resources.get(uri);
    if (!res) {
      for (const auto& [k, t] : server_->templates.items()) {
        if (auto m = t->parsed.match(uri)) {
          tmpl = t;
          vars = std::move(*m);
          break;
        }
      }
    }
  }
  std::vector<json::object> contents;
  if (res) {
    contents = co_await res->handler(uri, ctx);
  } else if (tmpl) {
    contents = co_await tmpl->handler(uri, vars, ctx);
  } else {
    throw RpcError(kResourceNotFound, "Resource not found: " + uri, json::object{{"uri", uri}});
  }
  json::array arr;
  for (auto& c : contents) arr.push_back(std::move(c));
  co_return json::object{{"contents", std::move(arr)}};
}

Task<json::value> ServerSession::get_prompt(const json::object& params, Context& ctx) {
  std::string name = require_string(params, "name", "prompts/get");
  std::shared_ptr<const PromptEntry> entry;
  {
    std::shared_lock lock(server_->mu);
    entry = server_->prompts.get(name);
  }
  if (!entry) throw RpcError(jsonrpc::kInvalidParams, "Unknown prompt: \"" + name + "\"");
  Variables args;
  if (const json::value* a = find(params, "arguments"); a && !a->is_null()) {
    if (!a->is_object()) {
      throw RpcError(jsonrpc::kInvalidParams, "Invalid params: \"arguments\" must be an object");
    }
    for (const auto& [k, v] : a->get_object()) {
      if (!v.is_string()) {
        throw RpcError(jsonrpc::kInvalidParams, "Invalid params: prompt argument \"" +
                                                    std::string(k) + "\" must be a string");
      }
      args.emplace(std::string(k), std::string(v.get_string()));
    }
  }
  for (const auto& pa : entry->prompt.arguments) {
    if (pa.required && !args.contains(pa.name)) {
      throw RpcError(jsonrpc::kInvalidParams, "Invalid params: prompt \"" + name +
                                                  "\" needs the argument \"" + pa.name + "\"");
    }
  }
  PromptResult r = co_await entry->handler(args, ctx);
  json::object out;
  if (!r.description.empty()) out["description"] = std::move(r.description);
  out["messages"] = std::move(r.messages);
  co_return out;
}

json::value ServerSession::complete(const json::object& params) {
  const json::value* ref = find(params, "ref");
  const json::value* arg = find(params, "argument");
  if (!ref || !ref->is_object() || !arg || !arg->is_object()) {
    throw RpcError(jsonrpc::kInvalidParams,
                   "Invalid params: completion/complete needs \"ref\" and \"argument\" objects");
  }
  std::string arg_name = require_string(arg->get_object(), "name", "completion/complete argument");
  std::string value = require_string(arg->get_object(), "value", "completion/complete argument");
  Variables context;
  if (const json::value* c = find(params, "context"); c && c->is_object()) {
    if (const json::value* a = find(*c, "arguments"); a && a->is_object()) {
      for (const auto& [k, v] : a->get_object()) {
        if (v.is_string()) context.emplace(std::string(k), std::string(v.get_string()));
      }
    }
  }
  std::string type = require_string(ref->get_object(), "type", "completion/complete ref");
  Completer completer;
  {
    std::shared_lock lock(server_->mu);
    if (type == "ref/prompt") {
      std::string name = require_string(ref->get_object(), "name", "completion/complete ref");
      auto p = server_->prompts.get(name);
      if (!p) throw RpcError(jsonrpc::kInvalidParams, "Unknown prompt: \"" + name + "\"");
      for (const auto& a : p->prompt.arguments) {
        if (a.name == arg_name) completer = a.complete;
      }
    } else if (type == "ref/resource") {
      std::string uri = require_string(ref->get_object(), "uri", "completion/complete ref");
      auto t = server_->templates.get(uri);
      if (!t) throw RpcError(jsonrpc::kInvalidParams, "Unknown resource template: \"" + uri + "\"");
      if (auto it = t->tmpl.completers.find(arg_name); it != t->tmpl.completers.end()) {
        completer = it->second;
      }
    } else {
      throw RpcError(jsonrpc::kInvalidParams,
                     "Invalid params: ref.type must be \"ref/prompt\" or \"ref/resource\"");
    }
  }
  std::vector<std::string> values;
  if (completer) values = completer(value, context);
  json::array arr;
  for (std::size_t i = 0; i < values.size() && i < 100; ++i) arr.emplace_back(values[i]);
  json::object completion{{"values", std::move(arr)}};
  completion["total"] = static_cast<std::int64_t>(values.size());
  completion["hasMore"] = values.size() > 100;
  return json::object{{"completion", std::move(completion)}};
}

}  // namespace mcpp
