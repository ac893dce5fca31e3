// Client::Impl: the client session in both eras. The choice of era (server/discover, else
// initialize, with the spec's fallback from Streamable HTTP to HTTP+SSE), outgoing requests
// (timeouts, progress, cancellation, re-initialize when the session expired; in the stateless
// era per-request _meta, input_required rounds and subscriptions/listen) and dispatch of what the
// server sends.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
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

// Which era answered at a URL or command line: stateless (true) or stateful (false).
std::map<std::string, bool>& known_eras() {
  static std::map<std::string, bool> eras;
  return eras;
}

// The JSON-RPC errors only a stateless-era server sends (2026-07-28).
constexpr int kHeaderMismatch = -32020;
constexpr int kMissingRequiredClientCapability = -32021;
constexpr int kUnsupportedProtocolVersion = -32022;

bool is_modern_error(int code) {
  return code == kHeaderMismatch || code == kMissingRequiredClientCapability ||
         code == kUnsupportedProtocolVersion;
}

// An answer to server/discover that says "a stateful server": an HTTP client error other than
// authorization, or something that is not a JSON-RPC answer at all.
bool is_legacy_answer(const TransportError& e) {
  if (e.kind() == TransportError::Kind::kProtocol) return true;
  int s = e.http_status();
  return e.kind() == TransportError::Kind::kHttpStatus && s >= 400 && s < 500 && s != 401 &&
         s != 403;
}

// The stateless revisions mcpp speaks, newest first.
constexpr std::string_view kStatelessVersions[] = {protocol::k2026_07_28};

bool speaks_stateless(std::string_view v) {
  for (auto s : kStatelessVersions) {
    if (s == v) return true;
  }
  return false;
}

std::vector<std::string> supported_of(const json::value* data) {
  std::vector<std::string> out;
  if (const json::value* s = data ? find(*data, "supported") : nullptr; s && s->is_array()) {
    for (const auto& v : s->get_array()) {
      if (v.is_string()) out.emplace_back(v.get_string());
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

bool may_ask_for_input(std::string_view method) {
  return method == "tools/call" || method == "prompts/get" || method == "resources/read";
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
  era_key_ = "stdio:" + target.command;
  for (const auto& a : target.args) era_key_ += " " + a;
  transport_ = make_stdio_transport(strand_, std::move(target));
  co_await start_or_drop();
}

Task<void> Client::Impl::connect_connection(std::shared_ptr<Connection> connection) {
  if (transport_) throw std::logic_error("mcpp::Client: already connected");
  era_key_.clear();  // each connection may lead to a different server: nothing to remember
  transport_ = make_connection_transport(strand_, std::move(connection));
  co_await start_or_drop();
}

Task<void> Client::Impl::connect_http(HttpTarget target) {
  if (transport_) throw std::logic_error("mcpp::Client: already connected");
  HttpTransportKind kind = target.transport;
  std::string cache_key = target.url;
  era_key_ = "http:" + target.url;
  open_listen_ = target.open_event_stream;
  auth_ = target.auth;
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
  cb.on_message = [weak](json::value message, const json::value& related) {
    if (auto self = weak.lock()) self->on_message(std::move(message), related);
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
  co_await negotiate_era();
  connected_ = true;
  update_listen();
}

Task<void> Client::Impl::negotiate_era() {
  stateless_ = false;
  tools_known_ = false;
  tool_headers_.clear();
  bool modern = options_.era != ProtocolEra::kStateful && transport_->supports_stateless();
  if (options_.era == ProtocolEra::kStateless && !transport_->supports_stateless()) {
    throw TransportError(TransportError::Kind::kProtocol,
                         "the legacy HTTP+SSE transport cannot carry the stateless revision " +
                             std::string(kStatelessVersions[0]));
  }
  if (modern && options_.era == ProtocolEra::kAuto && !era_key_.empty()) {
    std::lock_guard lock(g_kind_mu);
    auto it = known_eras().find(era_key_);
    if (it != known_eras().end() && !it->second) modern = false;
  }
  auto remember = [this](bool stateless) {
    if (options_.era != ProtocolEra::kAuto || era_key_.empty()) return;
    std::lock_guard lock(g_kind_mu);
    known_eras()[era_key_] = stateless;
  };
  if (modern) {
    stateless_ = true;
    version_ = std::string(kStatelessVersions[0]);
    transport_->set_stateless(true);
    transport_->set_protocol_version(version_);
    bool legacy = false;
    try {
      co_await discover();
    } catch (const RpcError& e) {
      int code = e.error().code;
      // A server that refuses the version and lists only stateful revisions is a dual-era one
      // that does not speak ours: initialize.
      bool stateful_only = false;
      if (code == kUnsupportedProtocolVersion) {
        for (const auto& v : supported_of(&e.error().data)) {
          if (speaks_stateless(v)) {
            stateful_only = false;
            break;
          }
          if (protocol::is_stateful_version(v)) stateful_only = true;
        }
      }
      // A modern error means a modern server, unless it only offers stateful revisions.
      if (options_.era == ProtocolEra::kStateless || (is_modern_error(code) && !stateful_only)) {
        throw;
      }
      legacy = true;
    } catch (const TransportError& e) {
      if (options_.era == ProtocolEra::kStateless || !is_legacy_answer(e)) throw;
      legacy = true;
    }
    if (!legacy) {
      remember(true);
      co_return;
    }
    stateless_ = false;
    version_.clear();
    transport_->set_stateless(false);
    transport_->set_protocol_version("");
  }
  co_await handshake();
  if (transport_->supports_stateless()) remember(false);
}

json::object Client::Impl::request_meta(const ScopedHandlers* scoped) const {
  json::object info{{"name", options_.info.name}, {"version", options_.info.version}};
  if (!options_.info.title.empty()) info["title"] = options_.info.title;
  json::object meta;
  meta["io.modelcontextprotocol/protocolVersion"] = version_;
  meta["io.modelcontextprotocol/clientCapabilities"] = capabilities(scoped);
  meta["io.modelcontextprotocol/clientInfo"] = std::move(info);
  if (!log_level_.empty()) meta["io.modelcontextprotocol/logLevel"] = log_level_;
  return meta;
}

Task<void> Client::Impl::discover() {
  RequestOptions opt;
  // On stdio (or any connection) a stateful server may never answer a request before
  // initialize.
  if (transport_->name() == "stdio" || transport_->name() == "connection") {
    opt.timeout = options_.discover_timeout;
  }
  json::value result = co_await request("server/discover", {}, opt);
  if (!result.is_object()) {
    throw RpcError(jsonrpc::kInvalidRequest,
                   "the server's server/discover result is not an object");
  }
  InitializeResult r;
  r.stateless = true;
  r.raw = result.get_object();
  if (const json::value* v = find(r.raw, "supportedVersions"); v && v->is_array()) {
    for (const auto& s : v->get_array()) {
      if (s.is_string()) r.supported_versions.emplace_back(s.get_string());
    }
  }
  if (!r.supported_versions.empty()) {
    bool common = false;
    for (const auto& v : r.supported_versions) {
      if (v == version_) common = true;
    }
    if (!common) {
      // As if the server had refused the version: the caller decides (another stateless
      // revision, or initialize when the server lists stateful ones only).
      json::array supported;
      for (const auto& v : r.supported_versions) supported.emplace_back(v);
      json::object data{{"supported", std::move(supported)}, {"requested", version_}};
      throw RpcError(kUnsupportedProtocolVersion,
                     "the server speaks " + joined(r.supported_versions) + ", and not " + version_,
                     json::value(std::move(data)));
    }
  }
  const json::value* meta = find(r.raw, "_meta");
  if (const json::value* v = meta ? find(*meta, "io.modelcontextprotocol/serverInfo") : nullptr;
      v && v->is_object()) {
    r.server_info = v->get_object();
  } else if (const json::value* si = find(r.raw, "serverInfo"); si && si->is_object()) {
    r.server_info = si->get_object();
  }
  if (const json::value* v = find(r.raw, "capabilities"); v && v->is_object()) {
    r.capabilities = v->get_object();
  }
  r.instructions = std::string(find_string(r.raw, "instructions"));
  r.protocol_version = version_;
  server_ = std::move(r);
}

bool Client::Impl::choose_version(const RpcError& e) {
  auto supported = supported_of(&e.error().data);
  for (auto ours : kStatelessVersions) {
    for (const auto& v : supported) {
      if (v == ours) {
        version_ = v;
        server_.protocol_version = v;
        transport_->set_protocol_version(version_);
        return true;
      }
    }
  }
  return false;
}

json::object Client::Impl::capabilities(const ScopedHandlers* scoped) const {
  json::object caps;
  std::lock_guard lock(mu_);
  // The stateless era has no notifications/roots/list_changed.
  if (roots_) caps["roots"] = stateless_ ? json::object() : json::object{{"listChanged", true}};
  if (scoped && scoped->roots && !caps.contains("roots")) caps["roots"] = json::object();
  if (sampling_ || (scoped && scoped->sampling)) caps["sampling"] = json::object();
  if (elicitation_ || (scoped && scoped->elicitation)) {
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
  if (listen_stop_) listen_stop_->request_stop();
  listen_stop_.reset();
  co_await transport_->close();
  outgoing_.fail_all({jsonrpc::kConnectionClosed, "The client closed the connection", nullptr});
  for (auto& [key, stop] : incoming_) stop->request_stop();
}

// ---- requests ----------------------------------------------------------------------------------

Task<json::value> Client::Impl::request(std::string method, json::object params, RequestOptions opt,
                                        bool may_reinitialize) {
  if (stateless_) {
    co_return co_await stateless_request(std::move(method), std::move(params), std::move(opt));
  }
  co_return co_await send_request(std::move(method), std::move(params), std::move(opt),
                                  may_reinitialize, {});
}

Task<json::value> Client::Impl::stateless_request(std::string method, json::object params,
                                                  RequestOptions opt) {
  const json::object base = std::move(params);
  const auto scoped = ScopedHandlers::of(opt);
  std::optional<json::object> responses;
  std::optional<std::string> state;
  bool version_retried = false;
  bool headers_retried = false;
  bool stream_retried = false;
  bool http = transport_ && transport_->name() == "streamable-http";
  int rounds = 0;
  for (;;) {
    json::object p = base;
    json::object meta;
    if (const json::value* m = find(base, "_meta"); m && m->is_object()) meta = m->get_object();
    for (auto& [k, v] : request_meta(scoped.get())) meta[k] = v;
    p["_meta"] = std::move(meta);
    if (responses) p["inputResponses"] = *responses;
    if (state) p["requestState"] = *state;
    std::vector<std::pair<std::string, std::string>> headers;
    if (http && method == "tools/call") {
      if (!tools_known_) co_await learn_tools();
      auto it = tool_headers_.find(std::string(find_string(base, "name")));
      const json::value* args = find(base, "arguments");
      if (it != tool_headers_.end() && args && args->is_object()) {
        headers = param_headers_for(it->second, args->get_object());
      }
    }
    json::value result;
    bool retry = false;
    bool refresh_tools = false;
    try {
      result = co_await send_request(method, std::move(p), opt, false, std::move(headers));
    } catch (const RpcError& e) {
      int code = e.error().code;
      if (code == kUnsupportedProtocolVersion && !version_retried && choose_version(e)) {
        version_retried = true;
        retry = true;
      } else if (code == kHeaderMismatch && method == "tools/call" && http && !headers_retried) {
        // The tool's x-mcp-header parameters may have changed: list the tools again, retry.
        headers_retried = true;
        refresh_tools = true;
        retry = true;
      } else if (code == kUnsupportedProtocolVersion) {
        throw RpcError(code,
                       method + ": the server does not support protocol version " + version_ +
                           " (it supports " + joined(supported_of(&e.error().data)) + ")",
                       e.error().data);
      } else {
        throw;
      }
    } catch (const TransportError& e) {
      // A broken response stream loses the request; the spec has it sent again, once.
      if (e.kind() != TransportError::Kind::kClosed || !http || stream_retried || closing_ ||
          lost_) {
        throw;
      }
      stream_retried = true;
      retry = true;
    }
    if (refresh_tools) {
      tools_known_ = false;
      co_await learn_tools();
    }
    if (retry) continue;
    if (!result.is_object() || find_string(result, "resultType") != "input_required") {
      co_return result;
    }
    if (!may_ask_for_input(method)) {
      throw RpcError(jsonrpc::kInvalidRequest,
                     method +
                         ": the server answered input_required, which only tools/call, "
                         "prompts/get and resources/read may");
    }
    if (++rounds > options_.max_input_rounds) {
      throw RpcError(jsonrpc::kInternalError, method + ": the server still asks for input after " +
                                                  std::to_string(options_.max_input_rounds) +
                                                  " rounds");
    }
    const json::object& ask = result.get_object();
    responses.reset();
    if (const json::value* requests = find(ask, "inputRequests")) {
      if (!requests->is_object()) {
        throw RpcError(jsonrpc::kInvalidRequest,
                       method + ": the server's inputRequests is not an object");
      }
      json::object answers;
      for (const auto& [key, request] : requests->get_object()) {
        std::string_view inner = find_string(request, "method");
        if (inner.empty()) {
          throw RpcError(jsonrpc::kInvalidRequest,
                         method + ": input request '" + std::string(key) + "' has no method");
        }
        const json::value* ip = find(request, "params");
        json::object inner_params = ip && ip->is_object() ? ip->get_object() : json::object();
        std::string inner_method(inner);
        json::value answer;
        std::string failure;
        int failure_code = 0;
        try {
          answer = co_await answer_request(inner_method, inner_params, opt.stop, scoped.get());
        } catch (const RpcError& e) {
          failure = e.error().message;
          failure_code = e.error().code;
        }
        if (failure_code != 0) {
          throw RpcError(failure_code, method + ": the server asked for " + inner_method +
                                           " (input request '" + std::string(key) +
                                           "'): " + failure);
        }
        answers[key] = std::move(answer);
      }
      responses = std::move(answers);
    }
    state.reset();
    if (const json::value* rs = find(ask, "requestState")) {
      if (!rs->is_string()) {
        throw RpcError(jsonrpc::kInvalidRequest,
                       method + ": the server's requestState is not a string");
      }
      state = std::string(rs->get_string());
    }
    if (!responses && !state) {
      throw RpcError(jsonrpc::kInvalidRequest,
                     method +
                         ": the server answered input_required with neither inputRequests "
                         "nor requestState");
    }
  }
}

Task<void> Client::Impl::learn_tools() {
  json::array tools = co_await list_all("tools/list", "tools", {});
  keep_valid_tools(tools);
}

json::array Client::Impl::keep_valid_tools(const json::array& tools) {
  if (!stateless_ || !transport_ || transport_->name() != "streamable-http") return tools;
  json::array kept;
  for (const auto& t : tools) {
    if (!t.is_object()) continue;
    std::string name(find_string(t, "name"));
    const json::value* schema = find(t, "inputSchema");
    try {
      tool_headers_[name] = schema && schema->is_object() ? param_headers_of(schema->get_object())
                                                          : std::vector<ParamHeader>{};
      kept.push_back(t);
    } catch (const std::invalid_argument& e) {
      tool_headers_.erase(name);
      if (options_.on_warning) {
        try {
          options_.on_warning("leaving out tool '" + name + "': " + e.what());
        } catch (const std::exception&) {
        }
      }
    }
  }
  tools_known_ = true;
  return kept;
}

void Client::Impl::update_listen() {
  if (!stateless_ || !connected_ || closing_ || !transport_) return;
  json::object filter;
  {
    std::lock_guard lock(mu_);
    if (list_changed_handler_) {
      if (server_.capabilities.contains("tools")) filter["toolsListChanged"] = true;
      if (server_.capabilities.contains("prompts")) filter["promptsListChanged"] = true;
      if (server_.capabilities.contains("resources")) filter["resourcesListChanged"] = true;
    }
  }
  if (!subscribed_.empty()) {
    json::array uris;
    for (const auto& u : subscribed_) uris.emplace_back(u);
    filter["resourceSubscriptions"] = std::move(uris);
  }
  if (!open_listen_) filter.clear();
  if (listen_stop_ && filter == listen_filter_) return;
  if (listen_stop_) listen_stop_->request_stop();
  listen_stop_.reset();
  listen_filter_ = filter;
  if (filter.empty()) return;
  listen_stop_ = std::make_shared<std::stop_source>();
  asio::co_spawn(strand_, listen(shared_from_this(), std::move(filter), listen_stop_),
                 asio::detached);
}

Task<void> Client::Impl::listen(std::shared_ptr<Impl> self, json::object filter,
                                std::shared_ptr<std::stop_source> stop) {
  int failures = 0;
  while (!stop->stop_requested()) {
    RequestOptions opt;
    opt.timeout = std::chrono::hours(24 * 365);  // as long as the client wants it
    opt.stop = stop->get_token();
    json::object params{{"notifications", filter}};
    bool ended = false;
    try {
      co_await self->request("subscriptions/listen", std::move(params), opt);
      ended = true;  // the server ended the subscription gracefully
    } catch (const RpcError&) {
      ended = true;  // refused (or cancelled): asking again would get the same answer
    } catch (const std::exception&) {
      ended = false;  // the stream dropped
    }
    if (ended || stop->stop_requested() || self->closing_ || self->lost_ || !self->transport_) {
      co_return;
    }
    // Dropped: listen again, a little later each time.
    if (++failures > 5) co_return;
    asio::steady_timer timer(self->strand_, std::chrono::milliseconds(500) * (1 << failures));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

Task<json::value> Client::Impl::send_request(
    std::string method, json::object params, RequestOptions opt, bool may_reinitialize,
    std::vector<std::pair<std::string, std::string>> headers) {
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

  // Stateful era: server requests that belong to this one are told apart by its progress token
  // (its id), so a request with per-request handlers sends one.
  auto scoped = stateless_ ? nullptr : ScopedHandlers::of(opt);
  if (opt.on_progress || !opt.meta.empty() || scoped) {
    json::object meta;
    if (const json::value* m = find(params, "_meta"); m && m->is_object()) meta = m->get_object();
    for (const auto& [k, v] : opt.meta) meta[k] = v;
    if (opt.on_progress || scoped) meta["progressToken"] = id;
    if (opt.on_progress) progress_[key] = opt.on_progress;
    params["_meta"] = std::move(meta);
  }
  if (scoped) scoped_[key] = scoped;
  struct Cleanup {
    Impl* impl;
    std::string key;
    ~Cleanup() {
      impl->progress_.erase(key);
      impl->failures_.erase(key);
      impl->scoped_.erase(key);
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
    json::value message = jsonrpc::make_request(id, method, std::move(params));
    if (headers.empty()) {
      co_await transport_->send(std::move(message));
    } else {
      co_await transport_->send_with_headers(std::move(message), std::move(headers));
    }
  } catch (const TransportError& e) {
    failure = e;
  }
  if (failure) {
    outgoing_.fail(id, {jsonrpc::kConnectionClosed, failure->what(), nullptr});
  } else {
    try {
      result = co_await await_answer(slot, id, timeout);
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
    // Over stateless HTTP, closing the response stream (forget) is the cancellation.
    bool stateless_http = stateless_ && transport_ && transport_->name() == "streamable-http";
    if (method != "initialize" && !stateless_http) co_await send_cancelled(id, abandoned->message);
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

Task<json::value> Client::Impl::await_answer(std::shared_ptr<jsonrpc::OutgoingRequests::Slot> slot,
                                             json::value id, std::chrono::milliseconds timeout) {
  if (!auth_) co_return co_await outgoing_.wait(std::move(slot), timeout);
  // A watchdog instead of wait()'s own timer: while the provider waits on the user (a login
  // page), the deadline moves on.
  auto timer = std::make_shared<asio::steady_timer>(strand_, timeout);
  auto watchdog = [](std::shared_ptr<Impl> self, std::shared_ptr<asio::steady_timer> t,
                     json::value request_id, std::chrono::milliseconds limit) -> Task<void> {
    for (;;) {
      boost::system::error_code ec;
      co_await t->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;  // answered
      if (self->auth_ && self->auth_->authorizing()) {
        t->expires_after(limit);
        continue;
      }
      self->outgoing_.fail(
          request_id,
          {jsonrpc::kRequestTimeout,
           "Request timed out after " + std::to_string(limit.count()) + " ms", nullptr});
      co_return;
    }
  };
  asio::co_spawn(strand_, watchdog(shared_from_this(), timer, std::move(id), timeout),
                 asio::detached);
  struct Disarm {
    std::shared_ptr<asio::steady_timer> t;
    ~Disarm() { t->cancel(); }
  } disarm{timer};
  co_return co_await outgoing_.wait(std::move(slot), std::chrono::hours(24 * 365));
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

void Client::Impl::on_message(json::value message, const json::value& related) {
  if (message.is_array()) {
    for (auto& m : message.as_array()) on_message(std::move(m), related);
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
      asio::co_spawn(strand_,
                     serve_request(shared_from_this(), std::move(*m), owner_of(*m, related)),
                     asio::detached);
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

Task<void> Client::Impl::serve_request(std::shared_ptr<Impl> self, jsonrpc::Message m,
                                       std::shared_ptr<const ScopedHandlers> scoped) {
  std::string key = id_key(m.id);
  auto stop = std::make_shared<std::stop_source>();
  self->incoming_[key] = stop;
  json::value reply;
  try {
    json::object params = m.params.is_object() ? m.params.get_object() : json::object();
    json::value result =
        co_await self->answer_request(m.method, params, stop->get_token(), scoped.get());
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

Task<json::value> Client::Impl::answer_request(const std::string& method,
                                               const json::object& params, std::stop_token stop,
                                               const ScopedHandlers* scoped) {
  if (method == "ping") co_return json::object();
  if (method == "sampling/createMessage") {
    SamplingHandler h;
    {
      std::lock_guard lock(mu_);
      h = sampling_;
    }
    if (scoped && scoped->sampling) h = scoped->sampling;
    if (!h) throw RpcError(jsonrpc::kMethodNotFound, "This client does not support sampling");
    co_return co_await h(params);
  }
  if (method == "elicitation/create") {
    ElicitationHandler h;
    bool url_ok = false;
    {
      std::lock_guard lock(mu_);
      h = elicitation_;
      url_ok = elicitation_url_;
    }
    if (scoped && scoped->elicitation) h = scoped->elicitation;
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
  if (method == "roots/list") {
    json::array roots;
    {
      std::lock_guard lock(mu_);
      const std::optional<std::vector<Root>>& offered =
          scoped && scoped->roots ? scoped->roots : roots_;
      if (!offered) throw RpcError(jsonrpc::kMethodNotFound, "This client does not offer roots");
      for (const auto& r : *offered) {
        json::object o{{"uri", r.uri}};
        if (!r.name.empty()) o["name"] = r.name;
        roots.push_back(std::move(o));
      }
    }
    co_return json::object{{"roots", std::move(roots)}};
  }
  throw RpcError(jsonrpc::kMethodNotFound, "Method not found: " + method);
}

}  // namespace mcpp
