// The gateway's forwarding: front servers built from each upstream's listing, one connector pool
// per isolation key (client session, token subject, or shared), restarts with backoff, and the
// requests an upstream makes during a call routed to the front request that caused it.
#include "gateway/gateway.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <set>
#include <sstream>

#include "host/connector_pool.hpp"
#include "host/host_store.hpp"

namespace mcpp::gateway {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kInternalError = -32603;

std::string string_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<bool> bool_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_bool()) return v->get_bool();
  return std::nullopt;
}

// A tool as the upstream listed it (its accepted, pinned definition), for a front server.
Tool tool_of(const json::object& d) {
  Tool t;
  t.name = string_of(d, "name");
  t.title = string_of(d, "title");
  t.description = string_of(d, "description");
  if (const json::value* s = d.if_contains("inputSchema"); s && s->is_object()) {
    t.input_schema = s->get_object();
  }
  if (const json::value* s = d.if_contains("outputSchema"); s && s->is_object()) {
    t.output_schema = s->get_object();
  }
  if (const json::value* a = d.if_contains("annotations"); a && a->is_object()) {
    const json::object& o = a->get_object();
    t.annotations.title = string_of(o, "title");
    t.annotations.read_only_hint = bool_of(o, "readOnlyHint");
    t.annotations.destructive_hint = bool_of(o, "destructiveHint");
    t.annotations.idempotent_hint = bool_of(o, "idempotentHint");
    t.annotations.open_world_hint = bool_of(o, "openWorldHint");
  }
  return t;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  std::ostringstream out;
  out << static_cast<double>(ms.count()) / 1000.0 << " s";
  return out.str();
}

}  // namespace

class Gateway::Impl : public std::enable_shared_from_this<Gateway::Impl> {
 public:
  Impl(GatewayConfig config, GatewayOptions options)
      : config_(std::move(config)), options_(std::move(options)) {
    store_ = std::make_unique<host::HostStore>(options_.state_path);
  }

  ~Impl() {
    // Ends every child at once (the HTTP server has stopped: nothing runs on the strand).
    pools_.clear();
  }

  void log(std::string_view line) const {
    if (options_.log) options_.log(line);
  }

  // ---- specs -------------------------------------------------------------------------------

  host::ConnectorSpec spec_of(const UpstreamConfig& u) const {
    host::ConnectorSpec s = host::connector_spec_of(u.server);
    // A clean environment: what programs need to run, the names passed through, its own env
    // (the config's env wins). Secrets of the gateway never reach a child unless named.
    for (const auto& names : {options_.base_environment, u.env_passthrough}) {
      for (const auto& name : names) {
        if (std::getenv(name.c_str())) s.env.try_emplace(name, "env:" + name);
      }
    }
    return s;
  }

  host::ConnectorPoolOptions pool_options() {
    host::ConnectorPoolOptions o;
    o.client.info.name = "mcpp-gateway";
    o.connect_timeout = options_.connect_timeout;
    o.inherit_environment = false;
    std::weak_ptr<Impl> weak = weak_from_this();
    o.on_tools_changed = [weak](const host::ToolDiff& diff) {
      if (auto self = weak.lock()) self->tools_changed(diff);
    };
    o.on_warning = [weak](const std::string& connector, std::string_view warning) {
      if (auto self = weak.lock()) self->log("[" + connector + "] " + std::string(warning));
    };
    o.on_stderr = [weak](const std::string& connector, std::string_view line) {
      if (auto self = weak.lock()) self->log("[" + connector + "] " + std::string(line));
    };
    o.on_status = [weak](const host::ConnectorStatus&) {
      if (auto self = weak.lock()) self->recount();
    };
    return o;
  }

  // ---- discovery and front servers ---------------------------------------------------------

  void discover() {
    for (const auto& w : config_.warnings) log(w);
    std::vector<host::ConnectorSpec> specs;
    for (const auto& u : config_.upstreams) {
      host::ConnectorSpec spec = spec_of(u);
      if (store_->find_connector(spec.name)) {
        store_->update_connector(spec);
      } else {
        store_->add_connector(spec);
      }
      specs.push_back(std::move(spec));
    }
    asio::io_context io;
    std::map<std::string, host::ConnectorStatus> found;
    std::map<std::string, std::vector<ResourceTemplateInfo>> templates;
    auto self = shared_from_this();
    asio::co_spawn(
        io,
        [&]() -> Task<void> {
          host::ConnectorPool catalog(io.get_executor(), *store_, pool_options());
          co_await catalog.connect(specs);
          for (const auto& u : config_.upstreams) {
            const host::ConnectorStatus* st = catalog.status(u.name());
            if (!st) continue;
            found[u.name()] = *st;
            Client* c = catalog.client(u.name());
            if (st->state == host::ConnectorState::kConnected && c &&
                c->server().capabilities.contains("resources")) {
              try {
                templates[u.name()] = co_await c->list_resource_templates();
              } catch (const std::exception& e) {
                log("[" + u.name() + "] resource templates not listed: " + e.what());
              }
            }
          }
          co_await catalog.close();
        },
        asio::detached);
    io.run();

    std::string combined =
        "This gateway serves these MCP servers; each one's tools and prompts "
        "are prefixed with its name and two underscores.";
    for (const auto& u : config_.upstreams) {
      auto it = found.find(u.name());
      ServerOptions so;
      so.info.name = u.name();
      so.info.version = "gateway";
      std::weak_ptr<Impl> weak = weak_from_this();
      so.on_session_closed = [weak](std::string_view id) {
        if (auto s = weak.lock()) s->session_closed(std::string(id));
      };
      if (it != found.end() && it->second.state == host::ConnectorState::kConnected) {
        so.instructions = it->second.instructions;
        if (!it->second.instructions.empty()) {
          combined += "\n\n## " + u.name() + "\n" + it->second.instructions;
        }
        log("[" + u.name() + "] " + std::to_string(it->second.tools.size()) + " tools, " +
            std::to_string(it->second.resources.size()) + " resources, " +
            std::to_string(it->second.prompts.size()) + " prompts");
      } else {
        log("[" + u.name() + "] not available: " +
            (it != found.end() ? it->second.reason : std::string("not listed")));
      }
      per_[u.name()] = std::make_unique<Server>(so);
    }
    ServerOptions ao;
    ao.info.name = "mcpp-gateway";
    ao.info.title = "mcpp gateway";
    ao.info.version = "0.1.0";
    ao.instructions = combined;
    std::weak_ptr<Impl> weak = weak_from_this();
    ao.on_session_closed = [weak](std::string_view id) {
      if (auto s = weak.lock()) s->session_closed(std::string(id));
    };
    aggregate_ = std::make_unique<Server>(ao);
    for (const auto& u : config_.upstreams) {
      auto it = found.find(u.name());
      if (it == found.end() || it->second.state != host::ConnectorState::kConnected) continue;
      register_tools(u);
      register_prompts(u, it->second.prompts);
      register_resources(u, it->second.resources, templates[u.name()]);
    }
  }

  void attach(asio::any_io_executor executor) {
    strand_ = asio::make_strand(executor);
    asio::co_spawn(strand_, reap_idle(shared_from_this()), asio::detached);
  }

  void register_tools(const UpstreamConfig& u) {
    Server& one = *per_.at(u.name());
    for (const auto& name : registered_[u.name()]) {
      one.remove_tool(name);
      aggregate_->remove_tool(u.prefix + name);
    }
    registered_[u.name()].clear();
    for (const host::ToolRecord& rec : store_->tools(u.name())) {
      if (rec.removed || !rec.enabled) continue;
      if (rec.changed()) {
        log("[" + u.name() + "] tool '" + rec.name +
            "' changed since it was pinned: hidden until `mcpp gateway accept " + u.name() + " " +
            rec.name + "`");
        continue;
      }
      if (!u.exposes(rec.name)) continue;
      host::PolicyDecision d = host::decide(u.policy, u.name(), rec.name);
      if (d.action == host::PolicyAction::kDeny) continue;
      const bool confirm = d.action == host::PolicyAction::kAsk;
      Tool t = tool_of(rec.accepted);
      std::weak_ptr<Impl> weak = weak_from_this();
      ToolHandler handler = [weak, upstream = u.name(), tool = rec.name, confirm](
                                const json::object& args, Context& ctx) -> Task<ToolResult> {
        auto self = weak.lock();
        if (!self) throw RpcError(kInternalError, "the gateway is shutting down");
        co_return co_await self->forward_tool(upstream, tool, args, confirm, ctx);
      };
      try {
        one.add_tool(t, handler);
        t.name = u.prefix + t.name;
        aggregate_->add_tool(std::move(t), std::move(handler));
        registered_[u.name()].push_back(rec.name);
      } catch (const std::exception& e) {
        log("[" + u.name() + "] tool '" + rec.name + "' left out: " + e.what());
      }
    }
  }

  void register_prompts(const UpstreamConfig& u, const std::vector<PromptInfo>& prompts) {
    for (const PromptInfo& p : prompts) {
      Prompt front;
      front.name = p.name;
      front.title = p.title;
      front.description = p.description;
      for (const auto& a : p.arguments) {
        front.arguments.push_back({.name = a.name,
                                   .title = a.title,
                                   .description = a.description,
                                   .required = a.required});
      }
      std::weak_ptr<Impl> weak = weak_from_this();
      PromptHandler handler = [weak, upstream = u.name(), name = p.name](
                                  const Variables& vars, Context& ctx) -> Task<PromptResult> {
        auto self = weak.lock();
        if (!self) throw RpcError(kInternalError, "the gateway is shutting down");
        std::map<std::string, std::string> args(vars.begin(), vars.end());
        GetPromptResult r =
            co_await self->on_strand(self->get_prompt_upstream(upstream, name, args, &ctx));
        PromptResult out;
        out.description = r.description;
        out.messages = r.messages;
        co_return out;
      };
      try {
        per_.at(u.name())->add_prompt(front, handler);
        front.name = u.prefix + front.name;
        aggregate_->add_prompt(std::move(front), std::move(handler));
      } catch (const std::exception& e) {
        log("[" + u.name() + "] prompt '" + p.name + "' left out: " + e.what());
      }
    }
  }

  static std::vector<json::object> contents_of(const ReadResourceResult& r) {
    std::vector<json::object> out;
    for (const auto& c : r.contents) {
      if (c.is_object()) out.push_back(c.get_object());
    }
    return out;
  }

  void register_resources(const UpstreamConfig& u, const std::vector<ResourceInfo>& resources,
                          const std::vector<ResourceTemplateInfo>& templates) {
    std::weak_ptr<Impl> weak = weak_from_this();
    auto reader = [weak, upstream = u.name()](const std::string& uri,
                                              Context& ctx) -> Task<std::vector<json::object>> {
      auto self = weak.lock();
      if (!self) throw RpcError(kInternalError, "the gateway is shutting down");
      ReadResourceResult r =
          co_await self->on_strand(self->read_resource_upstream(upstream, uri, &ctx));
      co_return contents_of(r);
    };
    for (const ResourceInfo& r : resources) {
      Resource front{.uri = r.uri,
                     .name = r.name,
                     .title = r.title,
                     .description = r.description,
                     .mime_type = r.mime_type,
                     .size = r.size};
      try {
        per_.at(u.name())->add_resource(front, reader);
        aggregate_->add_resource(std::move(front), reader);
      } catch (const std::exception& e) {
        log("[" + u.name() + "] resource '" + r.uri + "' left out: " + e.what());
      }
    }
    for (const ResourceTemplateInfo& t : templates) {
      ResourceTemplate front;
      front.uri_template = t.uri_template;
      front.name = t.name;
      front.title = t.title;
      front.description = t.description;
      front.mime_type = t.mime_type;
      TemplateHandler handler = [reader](const std::string& uri, const Variables&,
                                         Context& ctx) -> Task<std::vector<json::object>> {
        co_return co_await reader(uri, ctx);
      };
      try {
        per_.at(u.name())->add_resource_template(front, handler);
        aggregate_->add_resource_template(std::move(front), std::move(handler));
      } catch (const std::exception& e) {
        log("[" + u.name() + "] resource template '" + t.uri_template + "' left out: " + e.what());
      }
    }
  }

  void tools_changed(const host::ToolDiff& diff) {
    const UpstreamConfig* u = config_.find(diff.connector);
    if (!u || !aggregate_) return;
    log("[" + diff.connector + "] tools changed:\n" + diff.text());
    register_tools(*u);
  }

  // ---- forwarding --------------------------------------------------------------------------

  // Runs `task` on the gateway's strand; awaiting the result resumes the caller on its own
  // executor. (Not a coroutine itself: GCC 12 mishandles by-value awaitable parameters.)
  template <class T>
  Task<T> on_strand(Task<T> task) {
    if (!strand_) throw RpcError(kInternalError, "the gateway is not serving yet");
    return asio::co_spawn(strand_, std::move(task), asio::use_awaitable);
  }

  std::string key_of(const UpstreamConfig& u, Context& ctx) const {
    if (u.isolation == Isolation::kShared) return "shared";
    if (!ctx.session_id().empty()) return "session:" + std::string(ctx.session_id());
    if (const AuthInfo* a = ctx.auth(); a && !a->subject.empty()) return "subject:" + a->subject;
    return "anonymous";
  }

  // Registers `ctx` as the front request of an upstream call while it runs, so that the
  // upstream's elicitation, sampling and log messages reach that request's client.
  struct ActiveCall {
    ActiveCall(Impl& impl, std::string key, Context& ctx) : impl_(impl), key_(std::move(key)) {
      impl_.active_[key_].push_back(&ctx);
    }
    ~ActiveCall() {
      auto& v = impl_.active_[key_];
      v.pop_back();
      if (v.empty()) impl_.active_.erase(key_);
    }
    Impl& impl_;
    std::string key_;
  };

  Context* active_context(const std::string& pool_key, const std::string& upstream) {
    auto it = active_.find(pool_key + "\n" + upstream);
    return it == active_.end() || it->second.empty() ? nullptr : it->second.back();
  }

  struct PoolEntry {
    std::shared_ptr<host::ConnectorPool> pool;
    Clock::time_point last_used = Clock::now();
    std::map<std::string, std::deque<Clock::time_point>> restarts;  // per upstream
    std::set<std::string> connecting;
    int calls_in_flight = 0;
  };

  host::ConnectorHandlers handlers_for(const std::string& key, const Context* ctx) {
    host::ConnectorHandlers h;
    std::weak_ptr<Impl> weak = weak_from_this();
    // Capabilities declared upstream follow the front client's (shared children: all).
    const bool any = ctx == nullptr;
    if (any || ctx->client_supports("elicitation")) {
      h.elicitation = [weak, key](const std::string& connector,
                                  const ElicitationRequest& req) -> Task<ElicitationResponse> {
        auto self = weak.lock();
        Context* front = self ? self->active_context(key, connector) : nullptr;
        if (!front) co_return ElicitationResponse::decline();
        // (No co_await inside ?: — GCC 12 destroys the result twice.)
        ElicitResult r;
        if (req.mode == "url") {
          r = co_await front->elicit_url(req.message, req.url, req.elicitation_id);
        } else {
          r = co_await front->elicit(req.message, req.requested_schema);
        }
        co_return ElicitationResponse{r.action, r.content};
      };
      h.elicitation_url_mode = true;
    }
    if (any || ctx->client_supports("sampling")) {
      h.sampling = [weak, key](const std::string& connector,
                               const json::object& params) -> Task<json::object> {
        auto self = weak.lock();
        Context* front = self ? self->active_context(key, connector) : nullptr;
        if (!front) {
          throw RpcError(-32600, "no request of the gateway's client is running to sample through");
        }
        co_return co_await front->sample(params);
      };
    }
    h.on_log = [weak, key](const std::string& connector, const LogMessage& m) {
      auto self = weak.lock();
      if (!self) return;
      if (Context* front = self->active_context(key, connector)) {
        front->log(parse_log_level(m.level).value_or(LogLevel::kInfo), m.data,
                   m.logger.empty() ? connector : m.logger);
      }
    };
    return h;
  }

  // The pool of `key`, its connection to `u` up (started, or restarted with backoff).
  Task<std::shared_ptr<host::ConnectorPool>> connected_pool(const UpstreamConfig& u,
                                                            const std::string& key,
                                                            const Context* ctx) {
    PoolEntry& e = pools_[key];
    if (!e.pool) {
      // A session's children declare what its client declared; children shared between
      // requests (shared, per subject, anonymous) declare everything.
      const bool per_session = key.starts_with("session:");
      e.pool = std::make_shared<host::ConnectorPool>(
          strand_, *store_, pool_options(), handlers_for(key, per_session ? ctx : nullptr));
    }
    e.last_used = Clock::now();
    asio::steady_timer timer(strand_);
    // Another call is starting this upstream for the same key: wait for it.
    while (e.connecting.contains(u.name())) {
      timer.expires_after(std::chrono::milliseconds(20));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    const host::ConnectorStatus* st = e.pool->status(u.name());
    Client* c = e.pool->client(u.name());
    if (st && st->state == host::ConnectorState::kConnected && c && c->connected()) {
      co_return e.pool;
    }
    e.connecting.insert(u.name());
    struct Done {
      PoolEntry& e;
      std::string name;
      ~Done() { e.connecting.erase(name); }
    } done{e, u.name()};
    if (st) {
      // It ran before and is gone: restart, unless it keeps dying.
      auto& times = e.restarts[u.name()];
      const auto now = Clock::now();
      while (!times.empty() && now - times.front() > u.restart_window) times.pop_front();
      if (static_cast<int>(times.size()) >= u.max_restarts) {
        throw RpcError(kInternalError, u.name() + " keeps failing (" +
                                           std::to_string(times.size()) + " restarts within " +
                                           seconds_text(u.restart_window) +
                                           "); last error: " + st->reason);
      }
      timer.expires_after(std::chrono::milliseconds(250) * (1 << times.size()) -
                          std::chrono::milliseconds(250));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      times.push_back(Clock::now());
      ++restarts_total_;
      log("[" + u.name() + "] restarting (" + std::to_string(times.size()) + " within " +
          seconds_text(u.restart_window) + ")");
    }
    // (A named vector: GCC 12 miscompiles an initializer list inside a co_await.)
    std::vector<host::ConnectorSpec> specs;
    specs.push_back(spec_of(u));
    co_await e.pool->connect(std::move(specs));
    st = e.pool->status(u.name());
    if (!st || st->state != host::ConnectorState::kConnected) {
      throw RpcError(kInternalError, u.name() + " is not available: " +
                                         (st ? st->reason : std::string("no status")));
    }
    // Every log message upstream: the front session filters by its own client's level.
    if (Client* client = e.pool->client(u.name());
        client && client->server().capabilities.contains("logging")) {
      try {
        co_await client->set_logging_level("debug");
      } catch (const std::exception& ex) {
        log("[" + u.name() + "] logging/setLevel refused: " + ex.what());
      }
    }
    co_return e.pool;
  }

  // The upstream's client in the pool of the front request's isolation key, connected.
  struct Lease {
    std::shared_ptr<host::ConnectorPool> pool;
    Client* client = nullptr;
    std::string key;  // "poolkey\nupstream": where the front request is registered
  };
  Task<Lease> acquire(const std::string& upstream, Context& ctx) {
    const UpstreamConfig* u = config_.find(upstream);
    if (!u) throw RpcError(kInternalError, "no upstream " + upstream);
    std::string key = key_of(*u, ctx);
    Lease lease;
    lease.pool = co_await connected_pool(*u, key, &ctx);
    lease.client = lease.pool->client(upstream);
    if (!lease.client) throw RpcError(kInternalError, upstream + " is not connected");
    lease.key = key + "\n" + upstream;
    co_return lease;
  }

  Task<CallToolResult> call_tool_upstream(std::string upstream, std::string tool, json::object args,
                                          std::chrono::milliseconds timeout, Context* front) {
    Lease lease = co_await acquire(upstream, *front);
    ActiveCall active(*this, lease.key, *front);
    RequestOptions ro;
    ro.timeout = timeout;
    ro.stop = front->stop_token();
    ro.on_progress = [front](const Progress& p) {
      front->progress(p.progress, p.total, p.message);
    };
    try {
      co_return co_await lease.client->call_tool(std::move(tool), std::move(args), std::move(ro));
    } catch (const TransportError& e) {
      throw RpcError(kInternalError, upstream + " failed: " + e.what());
    }
  }

  Task<GetPromptResult> get_prompt_upstream(std::string upstream, std::string name,
                                            std::map<std::string, std::string> args,
                                            Context* front) {
    Lease lease = co_await acquire(upstream, *front);
    ActiveCall active(*this, lease.key, *front);
    try {
      co_return co_await lease.client->get_prompt(std::move(name), std::move(args));
    } catch (const TransportError& e) {
      throw RpcError(kInternalError, upstream + " failed: " + e.what());
    }
  }

  Task<ReadResourceResult> read_resource_upstream(std::string upstream, std::string uri,
                                                  Context* front) {
    Lease lease = co_await acquire(upstream, *front);
    ActiveCall active(*this, lease.key, *front);
    try {
      co_return co_await lease.client->read_resource(std::move(uri));
    } catch (const TransportError& e) {
      throw RpcError(kInternalError, upstream + " failed: " + e.what());
    }
  }

  Task<ToolResult> forward_tool(std::string upstream, std::string tool, json::object args,
                                bool confirm, Context& ctx) {
    if (confirm) {
      if (!ctx.client_supports("elicitation")) {
        co_return ToolResult::error("'" + tool + "' of " + upstream +
                                    " needs the person's confirmation, and this client cannot "
                                    "ask (it does not support elicitation); it was not run.");
      }
      std::string question = "Allow " + upstream + " to run '" + tool +
                             "' with these arguments?\n\n" + json::serialize(args);
      json::object schema;  // no fields: accept or decline
      schema["type"] = "object";
      schema["properties"] = json::object();
      ElicitResult answer = co_await ctx.elicit(std::move(question), std::move(schema));
      if (!answer.accepted()) {
        co_return ToolResult::error("The person declined this call of '" + tool +
                                    "'; it was not sent to " + upstream + ".");
      }
    }
    const auto started = Clock::now();
    bool failed = true;
    struct Count {
      Impl& impl;
      const std::string& upstream;
      const std::string& tool;
      Clock::time_point started;
      bool& failed;
      ~Count() { impl.count(upstream, tool, Clock::now() - started, failed); }
    } count{*this, upstream, tool, started, failed};
    const UpstreamConfig* u = config_.find(upstream);
    std::chrono::milliseconds timeout = u ? u->timeout : std::chrono::milliseconds(60'000);
    CallToolResult r =
        co_await on_strand(call_tool_upstream(upstream, tool, std::move(args), timeout, &ctx));
    ToolResult out;
    out.content = std::move(r.content);
    out.structured_content = std::move(r.structured_content);
    out.is_error = r.is_error;
    if (const json::value* m = r.raw.if_contains("_meta"); m && m->is_object()) {
      out.meta = m->get_object();
      // Who answered is the gateway's front server, not the child.
      out.meta.erase("io.modelcontextprotocol/serverInfo");
    }
    failed = out.is_error;
    co_return out;
  }

  // ---- sessions and idle children ----------------------------------------------------------

  void session_closed(std::string id) {
    if (!strand_) return;
    asio::post(strand_, [weak = weak_from_this(), key = "session:" + id] {
      if (auto self = weak.lock()) self->drop_pool(key);
    });
  }

  void drop_pool(const std::string& key) {
    auto it = pools_.find(key);
    if (it == pools_.end()) return;
    std::shared_ptr<host::ConnectorPool> pool = std::move(it->second.pool);
    pools_.erase(it);
    recount();
    // A graceful end (stdin closed, then SIGTERM and SIGKILL to the process group).
    asio::co_spawn(
        strand_, [pool]() -> Task<void> { co_await pool->close(); }, asio::detached);
  }

  static Task<void> reap_idle(std::shared_ptr<Impl> self) {
    std::weak_ptr<Impl> weak = self;
    asio::steady_timer timer(self->strand_);
    const auto period = std::clamp<std::chrono::milliseconds>(
        self->options_.idle_timeout / 4, std::chrono::milliseconds(50), std::chrono::seconds(30));
    self.reset();
    for (;;) {
      timer.expires_after(period);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      auto s = weak.lock();
      if (ec || !s) co_return;
      std::vector<std::string> idle;
      for (const auto& [key, e] : s->pools_) {
        bool busy = false;
        for (const auto& [k, v] : s->active_) busy = busy || k.starts_with(key + "\n");
        if (!busy && Clock::now() - e.last_used > s->options_.idle_timeout) idle.push_back(key);
      }
      for (const auto& key : idle) {
        s->log("stopping the idle upstreams of " + key);
        s->drop_pool(key);
      }
    }
  }

  // ---- metrics -----------------------------------------------------------------------------

  void count(const std::string& upstream, const std::string& tool, Clock::duration took,
             bool failed) {
    std::lock_guard lock(stats_mu_);
    ToolCallStats& s = stats_[{upstream, tool}];
    if (s.buckets.empty()) s.buckets.assign(std::size(kLatencyBucketsMs), 0);
    ++s.calls;
    if (failed) ++s.errors;
    const double ms = std::chrono::duration<double, std::milli>(took).count();
    s.seconds_sum += ms / 1000.0;
    for (std::size_t i = 0; i < std::size(kLatencyBucketsMs); ++i) {
      if (ms <= kLatencyBucketsMs[i]) ++s.buckets[i];
    }
  }

  std::string metrics_text() const {
    std::ostringstream out;
    out << "# HELP mcpp_gateway_tool_calls_total Tool calls forwarded, by upstream and tool.\n"
           "# TYPE mcpp_gateway_tool_calls_total counter\n";
    std::lock_guard lock(stats_mu_);
    auto labels = [](const std::pair<std::string, std::string>& k) {
      return "server=\"" + escape(k.first) + "\",tool=\"" + escape(k.second) + "\"";
    };
    for (const auto& [k, s] : stats_) {
      out << "mcpp_gateway_tool_calls_total{" << labels(k) << "} " << s.calls << "\n";
    }
    out << "# HELP mcpp_gateway_tool_errors_total Forwarded tool calls that failed.\n"
           "# TYPE mcpp_gateway_tool_errors_total counter\n";
    for (const auto& [k, s] : stats_) {
      out << "mcpp_gateway_tool_errors_total{" << labels(k) << "} " << s.errors << "\n";
    }
    out << "# HELP mcpp_gateway_tool_call_seconds Latency of forwarded tool calls.\n"
           "# TYPE mcpp_gateway_tool_call_seconds histogram\n";
    for (const auto& [k, s] : stats_) {
      for (std::size_t i = 0; i < s.buckets.size(); ++i) {
        out << "mcpp_gateway_tool_call_seconds_bucket{" << labels(k) << ",le=\""
            << kLatencyBucketsMs[i] / 1000.0 << "\"} " << s.buckets[i] << "\n";
      }
      out << "mcpp_gateway_tool_call_seconds_bucket{" << labels(k) << ",le=\"+Inf\"} " << s.calls
          << "\n";
      out << "mcpp_gateway_tool_call_seconds_sum{" << labels(k) << "} " << s.seconds_sum << "\n";
      out << "mcpp_gateway_tool_call_seconds_count{" << labels(k) << "} " << s.calls << "\n";
    }
    out << "# HELP mcpp_gateway_upstreams_alive Upstream connections (children) alive.\n"
           "# TYPE mcpp_gateway_upstreams_alive gauge\n"
        << "mcpp_gateway_upstreams_alive " << alive_.load() << "\n"
        << "# HELP mcpp_gateway_restarts_total Upstreams restarted after they failed.\n"
           "# TYPE mcpp_gateway_restarts_total counter\n"
        << "mcpp_gateway_restarts_total " << restarts_total_.load() << "\n";
    return out.str();
  }

  static std::string escape(std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out;
  }

  // Counts the connected upstreams of every session (on the strand, at each status change).
  void recount() {
    std::size_t n = 0;
    for (const auto& [key, e] : pools_) {
      if (!e.pool) continue;
      for (const auto& st : e.pool->statuses()) {
        if (st.state == host::ConnectorState::kConnected) ++n;
      }
    }
    alive_ = n;
  }

  GatewayConfig config_;
  GatewayOptions options_;
  std::unique_ptr<host::HostStore> store_;
  std::unique_ptr<Server> aggregate_;
  std::map<std::string, std::unique_ptr<Server>, std::less<>> per_;
  std::map<std::string, std::vector<std::string>> registered_;  // tools, per upstream
  asio::any_io_executor strand_;
  std::map<std::string, PoolEntry> pools_;
  std::map<std::string, std::vector<Context*>> active_;  // "poolkey\nupstream" -> requests
  mutable std::mutex stats_mu_;
  std::map<std::pair<std::string, std::string>, ToolCallStats> stats_;
  std::atomic<std::size_t> alive_{0};
  std::atomic<std::uint64_t> restarts_total_{0};
};

Gateway::Gateway(GatewayConfig config, GatewayOptions options)
    : impl_(std::make_shared<Impl>(std::move(config), std::move(options))) {}

Gateway::~Gateway() = default;

Server& Gateway::aggregate() {
  if (!impl_->aggregate_) throw std::logic_error("mcpp gateway: discover() first");
  return *impl_->aggregate_;
}

Server* Gateway::server(std::string_view upstream) {
  auto it = impl_->per_.find(upstream);
  return it == impl_->per_.end() ? nullptr : it->second.get();
}

std::vector<HttpMount> Gateway::mounts() {
  std::vector<HttpMount> out;
  for (auto& [name, server] : impl_->per_) out.push_back({"/servers/" + name, server.get()});
  return out;
}

void Gateway::discover() {
  impl_->discover();
}

void Gateway::attach(boost::asio::any_io_executor executor) {
  impl_->attach(std::move(executor));
}

std::string Gateway::metrics_text() const {
  return impl_->metrics_text();
}

std::size_t Gateway::upstreams_alive() const {
  return impl_->alive_.load();
}

}  // namespace mcpp::gateway
