// ConnectorPool: ConnectorSpecs become connected mcpp::Clients, all at once; statuses, listings,
// list_changed following (re-list, sync the store, report the diff) and tool calls.
#include "host/connector_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "mcpp/auth/oauth_client.hpp"

namespace mcpp::host {

namespace asio = boost::asio;

namespace {

// Why a listed tool cannot be offered, or "" when it can.
std::string tool_problem(const ToolInfo& t) {
  if (t.name.empty()) return "a tool without a name";
  if (t.name.size() > 128) return "the tool name is longer than 128 bytes";
  for (unsigned char c : t.name) {
    if (c <= 0x20 || c == 0x7f) return "the tool name holds a space or a control character";
  }
  const json::value* schema = find(t.raw, "inputSchema");
  if (!schema || !schema->is_object()) return "its inputSchema is missing or not an object";
  if (find_string(*schema, "type") != "object") return "its inputSchema's type is not \"object\"";
  if (const json::value* out = find(t.raw, "outputSchema"); out && !out->is_object()) {
    return "its outputSchema is not an object";
  }
  if (const json::value* a = find(t.raw, "annotations"); a && !a->is_object()) {
    return "its annotations are not an object";
  }
  for (const char* text : {"description", "title"}) {
    if (const json::value* v = find(t.raw, text); v && !v->is_string()) {
      return std::string("its ") + text + " is not a string";
    }
  }
  return {};
}

HttpTransportKind transport_kind(std::string_view name) {
  if (name == "streamable-http") return HttpTransportKind::kStreamableHttp;
  if (name == "sse") return HttpTransportKind::kLegacySse;
  return HttpTransportKind::kAuto;
}

// Ends a connection that is no longer wanted (a failed connector, a replaced one), gracefully:
// a stdio server gets its stdin closed and is reaped.
Task<void> close_quietly(std::shared_ptr<Client> client) {
  try {
    co_await client->close();
  } catch (const std::exception&) {
    // It failed already: nothing more to end.
  }
}

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

}  // namespace

std::string_view to_string(ConnectorState state) {
  switch (state) {
    case ConnectorState::kDisabled:
      return "disabled";
    case ConnectorState::kConnecting:
      return "connecting";
    case ConnectorState::kConnected:
      return "connected";
    case ConnectorState::kNeedsSignIn:
      return "needs sign-in";
    case ConnectorState::kError:
      return "error";
  }
  return "error";
}

json::object ConnectorStatus::to_json() const {
  json::object o;
  o["name"] = name;
  o["state"] = to_string(state);
  if (!reason.empty()) o["reason"] = reason;
  o["instructions"] = instructions;
  o["use_instructions"] = use_instructions;
  o["server_info"] = server_info;
  json::array tool_names, resource_uris, prompt_names, warning_list;
  for (const auto& t : tools) tool_names.emplace_back(t.name);
  for (const auto& r : resources) resource_uris.emplace_back(r.uri);
  for (const auto& p : prompts) prompt_names.emplace_back(p.name);
  for (const auto& w : warnings) warning_list.emplace_back(w);
  o["tools"] = std::move(tool_names);
  o["resources"] = std::move(resource_uris);
  o["prompts"] = std::move(prompt_names);
  o["warnings"] = std::move(warning_list);
  o["connect_ms"] = connect_time.count();
  return o;
}

StdioTarget stdio_target_of(const ConnectorSpec& spec) {
  StdioTarget s;
  s.command = spec.command;
  s.args = spec.args;
  s.cwd = spec.cwd;
  for (const auto& [k, v] : spec.env) {
    s.env[k] = resolve_secret(v, "env " + k + " of connector " + spec.name);
  }
  return s;
}

HttpTarget http_target_of(const ConnectorSpec& spec) {
  HttpTarget h;
  h.url = spec.url;
  h.transport = transport_kind(spec.transport);
  for (const auto& [k, v] : spec.headers) {
    h.headers.emplace_back(k, resolve_secret(v, "header " + k + " of connector " + spec.name));
  }
  return h;
}

struct PoolEntry {
  ConnectorSpec spec;
  ConnectorStatus status;
  std::shared_ptr<Client> client;
  std::uint64_t generation = 0;
};

class ConnectorPool::Impl : public std::enable_shared_from_this<ConnectorPool::Impl> {
 public:
  Impl(asio::any_io_executor executor, HostStore& store, ConnectorPoolOptions options,
       ConnectorHandlers handlers)
      : ex_(std::move(executor)),
        store_(store),
        options_(std::move(options)),
        handlers_(std::move(handlers)) {}

  asio::any_io_executor ex_;
  HostStore& store_;
  ConnectorPoolOptions options_;
  ConnectorHandlers handlers_;
  std::map<std::string, PoolEntry, std::less<>> entries_;
  std::uint64_t next_generation_ = 1;

  void report(const PoolEntry& e) {
    if (options_.on_status) options_.on_status(e.status);
  }

  void warn(PoolEntry& e, std::string warning) {
    if (options_.on_warning) options_.on_warning(e.spec.name, warning);
    e.status.warnings.push_back(std::move(warning));
  }

  PoolEntry* entry(std::string_view name, std::uint64_t generation) {
    auto it = entries_.find(name);
    if (it == entries_.end() || it->second.generation != generation) return nullptr;
    return &it->second;
  }

  void fail(PoolEntry& e, ConnectorState state, std::string reason) {
    e.status.state = state;
    e.status.reason = std::move(reason);
    if (e.client) asio::co_spawn(ex_, close_quietly(std::move(e.client)), asio::detached);
    report(e);
  }

  std::shared_ptr<HttpAuthProvider> oauth_provider(const ConnectorSpec& spec) {
    if (options_.oauth) return options_.oauth(spec);
    auth::OAuthOptions o;  // no user agent: stored and refreshed tokens only
    o.token_store = std::make_shared<auth::TokenStore>(store_.token_store_path());
    o.ca_file = options_.ca_file;
    o.verify_tls = options_.verify_tls;
    o.client_name = "mcpp host";
    return std::make_shared<auth::OAuthClient>(ex_, std::move(o));
  }

  void install_handlers(Client& client, const std::string& name, std::uint64_t generation) {
    std::weak_ptr<Impl> weak = weak_from_this();
    if (handlers_.elicitation) {
      client.on_elicitation(
          [h = handlers_.elicitation, name](const ElicitationRequest& r) { return h(name, r); },
          handlers_.elicitation_url_mode);
    }
    if (handlers_.sampling) {
      client.on_sampling(
          [h = handlers_.sampling, name](const json::object& p) { return h(name, p); });
    }
    if (!handlers_.roots.empty()) client.set_roots(handlers_.roots);
    if (handlers_.on_log) {
      client.on_log_message([h = handlers_.on_log, name](const LogMessage& m) { h(name, m); });
    }
    client.on_list_changed([weak, name, generation](std::string_view what) {
      auto self = weak.lock();
      if (!self) return;
      if (what == "tools") {
        asio::co_spawn(self->ex_, self->follow_tools_change(name, generation), asio::detached);
      } else if (self->handlers_.on_list_changed) {
        self->handlers_.on_list_changed(name, what);
      }
    });
    client.on_disconnect([weak, name, generation](std::string_view why) {
      std::string reason = "the connection was lost: " + std::string(why);
      auto self = weak.lock();
      if (!self) return;
      asio::post(self->ex_, [weak, name, generation, reason] {
        auto s = weak.lock();
        if (!s) return;
        if (PoolEntry* e = s->entry(name, generation)) {
          s->fail(*e, ConnectorState::kError, reason);
        }
      });
    });
  }

  // Lists, validates and caps the connector's tools, and syncs them into the store.
  Task<ToolDiff> list_and_sync(std::string name, std::uint64_t generation) {
    PoolEntry* e = entry(name, generation);
    if (!e || !e->client) throw HostStoreError("connector '" + name + "' is not connected");
    std::shared_ptr<Client> client = e->client;
    std::vector<ToolInfo> listed = co_await client->list_tools();
    e = entry(name, generation);
    if (!e) throw HostStoreError("connector '" + name + "' was closed meanwhile");
    if (listed.size() > options_.max_tools) {
      throw HostStoreError("connector '" + name + "' lists " + std::to_string(listed.size()) +
                           " tools, more than the " + std::to_string(options_.max_tools) +
                           " a connector may have here; disable it or ask its author to split it");
    }
    std::vector<ToolInfo> valid;
    std::set<std::string> names;
    for (auto& t : listed) {
      std::string problem = tool_problem(t);
      if (problem.empty() && !names.insert(t.name).second) problem = "a second tool of that name";
      if (!problem.empty()) {
        warn(*e, "tool '" + t.name + "' skipped: " + problem);
        continue;
      }
      valid.push_back(std::move(t));
    }
    // Connectors of the store are pinned there; others (a gateway's) are compared with their
    // previous listing.
    ToolDiff diff = store_.find_connector(name) ? store_.sync_tools(name, valid)
                                                : diff_tools(name, e->status.tools, valid);
    e->status.tools = std::move(valid);
    if (!diff.empty() && options_.on_tools_changed) options_.on_tools_changed(diff);
    co_return diff;
  }

  Task<void> follow_tools_change(std::string name, std::uint64_t generation) {
    try {
      co_await list_and_sync(name, generation);
    } catch (const std::exception& ex) {
      if (PoolEntry* e = entry(name, generation)) {
        warn(*e, std::string("listing the tools again after list_changed failed: ") + ex.what());
      }
    }
  }

  Task<void> connect_one(ConnectorSpec spec) {
    std::string name = spec.name;
    std::uint64_t generation = next_generation_++;
    std::shared_ptr<Client> old;
    if (auto it = entries_.find(name); it != entries_.end()) old = std::move(it->second.client);
    PoolEntry& fresh = entries_[name];
    fresh = PoolEntry{};
    fresh.spec = spec;
    fresh.generation = generation;
    fresh.status.name = name;
    fresh.status.use_instructions = spec.uses_instructions();
    if (old) co_await old->close();
    PoolEntry* e = entry(name, generation);
    if (!e) co_return;
    if (!spec.enabled) {
      e->status.state = ConnectorState::kDisabled;
      report(*e);
      co_return;
    }
    e->status.state = ConnectorState::kConnecting;
    report(*e);
    auto start = std::chrono::steady_clock::now();
    ClientOptions client_options = options_.client;
    std::weak_ptr<Impl> weak = weak_from_this();
    client_options.on_warning = [weak, name, generation](std::string_view w) {
      auto self = weak.lock();
      if (!self) return;
      if (PoolEntry* en = self->entry(name, generation)) self->warn(*en, std::string(w));
    };
    auto client = std::make_shared<Client>(ex_, client_options);
    install_handlers(*client, name, generation);
    e->client = client;
    std::string error;
    ConnectorState failed_state = ConnectorState::kError;
    try {
      if (spec.is_stdio()) {
        StdioTarget target = stdio_target_of(spec);
        target.shutdown_grace = options_.stdio_shutdown_grace;
        if (options_.on_stderr) {
          target.on_stderr = [h = options_.on_stderr, name](std::string_view line) {
            h(name, line);
          };
        }
        co_await client->connect(std::move(target));
      } else {
        HttpTarget target = http_target_of(spec);
        target.connect_timeout = std::min(target.connect_timeout, options_.connect_timeout);
        target.ca_file = options_.ca_file;
        target.verify_tls = options_.verify_tls;
        if (spec.auth == "oauth") target.auth = oauth_provider(spec);
        co_await client->connect(std::move(target));
      }
    } catch (const TransportError& ex) {
      error = ex.what();
      if (ex.kind() == TransportError::Kind::kHttpStatus &&
          (ex.http_status() == 401 || ex.http_status() == 403)) {
        failed_state = ConnectorState::kNeedsSignIn;
        error = spec.auth == "oauth"
                    ? "the server asks for sign-in (HTTP " + std::to_string(ex.http_status()) +
                          ") and no usable token is stored: sign in with `mcpp connectors show " +
                          name + "`"
                    : "the server asks for authorization (HTTP " +
                          std::to_string(ex.http_status()) +
                          "): add the connector with --auth oauth, or give a --header";
      }
    } catch (const RpcError& ex) {
      error = std::string("the server refused to initialize: ") + ex.what();
    } catch (const std::exception& ex) {
      error = ex.what();
    }
    e = entry(name, generation);
    if (!e) co_return;
    if (!error.empty()) {
      e->status.connect_time = since(start);
      fail(*e, failed_state, error);
      co_return;
    }
    const InitializeResult& server = client->server();
    e->status.instructions = server.instructions;
    e->status.server_info = server.server_info;
    try {
      co_await list_and_sync(name, generation);
    } catch (const std::exception& ex) {
      if ((e = entry(name, generation))) {
        e->status.connect_time = since(start);
        fail(*e, ConnectorState::kError, std::string("listing its tools failed: ") + ex.what());
      }
      co_return;
    }
    const bool has_resources = server.capabilities.contains("resources");
    const bool has_prompts = server.capabilities.contains("prompts");
    if (has_resources) {
      try {
        auto resources = co_await client->list_resources();
        if ((e = entry(name, generation))) e->status.resources = std::move(resources);
      } catch (const std::exception& ex) {
        if ((e = entry(name, generation))) {
          warn(*e, std::string("listing its resources failed: ") + ex.what());
        }
      }
    }
    if (has_prompts) {
      try {
        auto prompts = co_await client->list_prompts();
        if ((e = entry(name, generation))) e->status.prompts = std::move(prompts);
      } catch (const std::exception& ex) {
        if ((e = entry(name, generation))) {
          warn(*e, std::string("listing its prompts failed: ") + ex.what());
        }
      }
    }
    if (!(e = entry(name, generation))) co_return;
    e->status.connect_time = since(start);
    if (e->client) {
      e->status.state = ConnectorState::kConnected;
      report(*e);
    }
  }
};

ConnectorPool::ConnectorPool(asio::any_io_executor executor, HostStore& store,
                             ConnectorPoolOptions options, ConnectorHandlers handlers)
    : impl_(std::make_shared<Impl>(std::move(executor), store, std::move(options),
                                   std::move(handlers))) {}

ConnectorPool::~ConnectorPool() = default;

Task<void> ConnectorPool::connect(std::vector<ConnectorSpec> specs) {
  auto impl = impl_;
  std::set<std::string> names;
  for (const auto& s : specs) {
    if (!names.insert(s.name).second) {
      throw HostStoreError("connector '" + s.name + "' given twice");
    }
  }
  // Every connector at once; the timer wakes this coroutine when the last one is done.
  auto remaining = std::make_shared<std::size_t>(specs.size());
  auto done =
      std::make_shared<asio::steady_timer>(impl->ex_, asio::steady_timer::time_point::max());
  for (auto& spec : specs) {
    asio::co_spawn(impl->ex_, impl->connect_one(std::move(spec)),
                   [remaining, done](std::exception_ptr) {
                     if (--*remaining == 0) done->cancel();
                   });
  }
  if (*remaining > 0) co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
}

Task<void> ConnectorPool::connect_named(std::vector<std::string> names) {
  std::vector<ConnectorSpec> specs;
  if (names.empty()) {
    for (auto& c : impl_->store_.connectors()) {
      if (c.enabled) specs.push_back(std::move(c));
    }
  } else {
    for (const auto& n : names) specs.push_back(impl_->store_.connector(n));
  }
  co_await connect(std::move(specs));
}

const ConnectorStatus* ConnectorPool::status(std::string_view name) const {
  auto it = impl_->entries_.find(name);
  return it == impl_->entries_.end() ? nullptr : &it->second.status;
}

std::vector<ConnectorStatus> ConnectorPool::statuses() const {
  std::vector<ConnectorStatus> out;
  for (const auto& [name, e] : impl_->entries_) out.push_back(e.status);
  return out;
}

Client* ConnectorPool::client(std::string_view name) {
  auto it = impl_->entries_.find(name);
  if (it == impl_->entries_.end() || it->second.status.state != ConnectorState::kConnected) {
    return nullptr;
  }
  return it->second.client.get();
}

Task<ToolDiff> ConnectorPool::refresh(std::string name) {
  auto impl = impl_;
  auto it = impl->entries_.find(name);
  if (it == impl->entries_.end() || !it->second.client) {
    throw HostStoreError("connector '" + name + "' is not connected");
  }
  co_return co_await impl->list_and_sync(name, it->second.generation);
}

Task<CallToolResult> ConnectorPool::call_tool(std::string connector, std::string tool,
                                              json::object arguments, RequestOptions options) {
  auto impl = impl_;
  auto it = impl->entries_.find(connector);
  if (it == impl->entries_.end() || !it->second.client ||
      it->second.status.state != ConnectorState::kConnected) {
    std::string state =
        it == impl->entries_.end()
            ? std::string("not connected")
            : std::string(to_string(it->second.status.state)) +
                  (it->second.status.reason.empty() ? "" : ": " + it->second.status.reason);
    throw HostStoreError("connector '" + connector + "' is " + state);
  }
  std::shared_ptr<Client> client = it->second.client;
  co_return co_await client->call_tool(std::move(tool), std::move(arguments), std::move(options));
}

Task<void> ConnectorPool::close() {
  auto impl = impl_;
  std::vector<std::shared_ptr<Client>> clients;
  for (auto& [name, e] : impl->entries_) {
    if (e.client) clients.push_back(std::move(e.client));
    e.generation = 0;  // late callbacks of the old connection find nothing
  }
  for (auto& c : clients) {
    try {
      co_await c->close();
    } catch (const std::exception&) {
      // closing a connection that already failed: nothing more to do
    }
  }
}

}  // namespace mcpp::host
