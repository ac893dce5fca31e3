// `mcpp connectors ...` and `mcpp host config|policy ...`: argument handling and printing over
// mcpp::host::HostStore and ConnectorPool. Everything a server sent is printed through
// terminal_safe().
#include "connectors_commands.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>
#include <memory>

#include "client/server_config.hpp"
#include "client_oauth.hpp"
#include "client_output.hpp"
#include "host/connector_pool.hpp"
#include "host/host_store.hpp"
#include "host/policy.hpp"
#include "sqlite/database.hpp"
#include "terminal_text.hpp"

namespace {

namespace asio = boost::asio;
using namespace mcpp;
using namespace mcpp::host;
using cli::terminal_safe;

enum ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2, kUnreachable = 3 };

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What every leaf command may be given.
struct Common {
  std::string host_db;
  bool json = false;
  bool verbose = false;
  cli::OAuthFlags oauth;
};

std::string store_path(const Common& c) {
  return c.host_db.empty() ? HostStore::default_path() : c.host_db;
}

// Runs a command body with the store open; maps exceptions to exit codes and messages.
int guarded(const std::string& command, const Common& c,
            const std::function<int(HostStore&)>& body) {
  try {
    HostStore store(store_path(c));
    return body(store);
  } catch (const UsageError& e) {
    std::cerr << "mcpp " << command << ": " << e.what() << "\n";
    return kUsage;
  } catch (const HostStoreError& e) {
    std::cerr << "mcpp " << command << ": " << terminal_safe(e.what()) << "\n";
    return kUsage;
  } catch (const PolicyError& e) {
    std::cerr << "mcpp " << command << ": " << e.what() << "\n";
    return kUsage;
  } catch (const ServerConfigError& e) {
    std::cerr << "mcpp " << command << ": " << terminal_safe(e.what()) << "\n";
    return kUsage;
  } catch (const sqlite::Error& e) {
    std::cerr << "mcpp " << command << ": the host " << e.what() << "\n";
    return kFailed;
  } catch (const std::exception& e) {
    std::cerr << "mcpp " << command << ": " << terminal_safe(e.what()) << "\n";
    return kFailed;
  }
}

CLI::App* leaf(CLI::App* parent, const std::string& name, const std::string& description,
               Common& c) {
  CLI::App* sub = parent->add_subcommand(name, description);
  sub->add_option("--host-db", c.host_db,
                  "The host store (default $MCPP_HOST_DB, else "
                  "$XDG_DATA_HOME/mcpp/host.sqlite, else ~/.local/share/mcpp/host.sqlite)");
  return sub;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string transport_name(const std::string& flag) {
  if (flag == "auto") return "auto";
  if (flag == "http" || flag == "streamable-http") return "streamable-http";
  if (flag == "sse") return "sse";
  throw UsageError("--transport expects auto, http or sse, got '" + flag + "'");
}

// ---- connecting ------------------------------------------------------------------------------

// Connects the named connectors, runs `body`, closes them. OAuth connectors sign in through the
// browser (the tokens go to the file next to the store).
int with_pool(HostStore& store, const Common& c, std::vector<ConnectorSpec> specs,
              const std::function<Task<int>(ConnectorPool&)>& body,
              std::function<void(const ToolDiff&)> on_tools_changed = {}) {
  for (const auto& spec : specs) {
    // A missing env:NAME is a usage error before anything starts.
    if (spec.is_stdio()) {
      stdio_target_of(spec);
    } else {
      http_target_of(spec);
    }
  }
  asio::io_context io;
  std::vector<std::shared_ptr<auth::LoopbackRedirect>> listeners;
  ConnectorPoolOptions options;
  options.client.info = {.name = "mcpp", .version = "0.1.0", .title = "mcpp host"};
  cli::OAuthFlags oauth = c.oauth;
  if (oauth.token_store.empty()) oauth.token_store = store.token_store_path();
  options.oauth = [&](const ConnectorSpec& spec) -> std::shared_ptr<HttpAuthProvider> {
    HttpTarget h;
    h.url = spec.url;
    auto listener = cli::setup_oauth(h, oauth, c.verbose, io.get_executor());
    if (listener) listeners.push_back(listener);
    return h.auth;
  };
  if (c.verbose) {
    options.on_stderr = [](const std::string& name, std::string_view line) {
      std::cerr << "[" << name << "] " << terminal_safe(line) << "\n";
    };
  }
  options.on_tools_changed = std::move(on_tools_changed);
  ConnectorPool pool(io.get_executor(), store, options);
  int rc = kFailed;
  std::exception_ptr failure;
  auto session = [&]() -> Task<void> {
    try {
      co_await pool.connect(std::move(specs));
      rc = co_await body(pool);
    } catch (...) {
      failure = std::current_exception();
    }
    co_await pool.close();
    for (auto& l : listeners) l->close();
  };
  asio::co_spawn(io, session(), asio::detached);
  io.run();
  listeners.clear();
  if (failure) std::rethrow_exception(failure);
  return rc;
}

// `text` made terminal-safe, each of its lines after the first indented by `indent`.
std::string indented(std::string_view text, std::string_view indent) {
  std::string safe = terminal_safe(text);
  std::string out;
  for (char ch : safe) {
    out += ch;
    if (ch == '\n') out += indent;
  }
  return out;
}

// Prints a connector that did not connect; returns its exit code.
int report_unconnected(const ConnectorStatus& s) {
  std::cerr << "mcpp: connector " << s.name << ": " << to_string(s.state)
            << (s.reason.empty() ? "" : ": " + terminal_safe(s.reason)) << "\n";
  if (s.state == ConnectorState::kDisabled) {
    std::cerr << "  (enable it with `mcpp connectors enable " << s.name << "`)\n";
    return kFailed;
  }
  return kUnreachable;
}

std::string badges(const ToolInfo& t, const ConnectorSpec& spec) {
  auto hint = [&](const char* key) -> std::optional<bool> {
    const json::value* v = find(t.annotations, key);
    if (v && v->is_bool()) return v->get_bool();
    return std::nullopt;
  };
  std::string out;
  bool read = hint("readOnlyHint").value_or(false);
  out += read ? "[read]" : "[write]";
  if (!read && hint("destructiveHint").value_or(true)) out += " [destructive]";
  if (hint("openWorldHint").value_or(true)) out += " [open-world]";
  if (read && !spec.trusted) out += " (untrusted: treated as write)";
  return out;
}

// ---- connectors ------------------------------------------------------------------------------

struct AddArgs {
  Common common;
  std::string name;
  std::vector<std::string> positional;  // URL, or the command and its arguments
  std::string description, icon, cwd, auth = "", instructions, transport = "auto";
  std::vector<std::string> headers, env;
  bool untrusted = false;
};

int run_add(AddArgs& a, CLI::App* app) {
  return guarded("connectors add", a.common, [&](HostStore& store) {
    for (const auto& extra : app->remaining()) {
      if (extra != "--" && extra.starts_with("-")) {
        throw UsageError("unknown option " + extra + " (a command's own options go after --)");
      }
    }
    ConnectorSpec spec;
    spec.name = a.name;
    spec.description = a.description;
    spec.icon = a.icon;
    if (a.positional.empty()) {
      throw UsageError("give the server: a URL, or `-- COMMAND ARGS...`");
    }
    if (a.positional.size() == 1 &&
        (a.positional[0].starts_with("http://") || a.positional[0].starts_with("https://"))) {
      spec.url = a.positional[0];
      spec.transport = transport_name(a.transport);
    } else {
      spec.command = a.positional[0];
      spec.args.assign(a.positional.begin() + 1, a.positional.end());
    }
    for (const auto& h : a.headers) {
      auto colon = h.find(':');
      if (colon == std::string::npos || trim(h.substr(0, colon)).empty()) {
        throw UsageError("--header expects NAME:VALUE (VALUE may be env:VAR), got '" + h + "'");
      }
      spec.headers.emplace_back(trim(h.substr(0, colon)), trim(h.substr(colon + 1)));
    }
    for (const auto& e : a.env) {
      auto eq = e.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw UsageError("--env expects NAME=VALUE (VALUE may be env:VAR), got '" + e + "'");
      }
      spec.env[e.substr(0, eq)] = e.substr(eq + 1);
    }
    spec.cwd = a.cwd;
    spec.auth = a.auth.empty() ? (spec.headers.empty() ? "none" : "headers") : a.auth;
    spec.trusted = !a.untrusted;
    if (a.instructions == "on") spec.use_instructions = true;
    if (a.instructions == "off") spec.use_instructions = false;
    store.add_connector(spec);
    std::cout << "added connector " << spec.name << " (" << spec.where() << ")"
              << "; see its tools with `mcpp connectors show " << spec.name << "`\n";
    return kOk;
  });
}

int run_list(const Common& c) {
  return guarded("connectors list", c, [&](HostStore& store) {
    auto all = store.connectors();
    if (c.json) {
      json::array out;
      for (const auto& spec : all) {
        json::object o = spec.to_json();
        int count = 0, changed = 0;
        for (const auto& t : store.tools(spec.name)) {
          if (t.removed) continue;
          ++count;
          changed += t.changed();
        }
        o["tools"] = count;
        o["changed_tools"] = changed;
        out.push_back(std::move(o));
      }
      std::cout << cli::pretty_json(out) << "\n";
      return kOk;
    }
    if (all.empty()) {
      std::cout << "No connectors. Add one with `mcpp connectors add NAME URL` or "
                   "`mcpp connectors add NAME -- COMMAND ARGS...`\n";
      return kOk;
    }
    cli::Table table({"NAME", "STATE", "TRUST", "WHERE", "TOOLS"});
    for (const auto& spec : all) {
      int count = 0, changed = 0, off = 0;
      for (const auto& t : store.tools(spec.name)) {
        if (t.removed) continue;
        ++count;
        changed += t.changed();
        off += !t.enabled;
      }
      std::string tools = std::to_string(count);
      if (off) tools += " (" + std::to_string(off) + " off)";
      if (changed) tools += " (" + std::to_string(changed) + " changed: accept)";
      table.add({spec.name, spec.enabled ? "enabled" : "disabled",
                 spec.trusted ? "trusted" : "untrusted", terminal_safe(spec.where(), false),
                 tools});
    }
    table.print(std::cout);
    return kOk;
  });
}

void print_diff(const ToolDiff& diff) {
  if (diff.empty()) {
    std::cout << "no changes\n";
    return;
  }
  std::cout << terminal_safe(diff.text());
  if (!diff.changed.empty()) {
    std::cout << "Changed tools count as writes and are not used until accepted: "
              << "`mcpp connectors accept " << diff.connector << " [TOOL]`\n";
  }
}

int run_show(const Common& c, const std::string& name) {
  return guarded("connectors show", c, [&](HostStore& store) {
    ConnectorSpec spec = store.connector(name);
    spec.enabled = true;  // show connects even a disabled one: that is how to look before enabling
    return with_pool(store, c, {spec}, [&](ConnectorPool& pool) -> Task<int> {
      const ConnectorStatus& s = *pool.status(name);
      if (c.json) {
        json::object o = spec.to_json();
        o["status"] = s.to_json();
        json::array tools;
        for (const auto& t : s.tools) tools.push_back(t.raw);
        o["tool_definitions"] = std::move(tools);
        std::cout << cli::pretty_json(o) << "\n";
        co_return s.state == ConnectorState::kConnected ? kOk : kUnreachable;
      }
      if (s.state != ConnectorState::kConnected) co_return report_unconnected(s);
      std::cout << spec.name << (spec.description.empty() ? "" : ": " + spec.description) << "\n";
      std::cout << "  where: " << terminal_safe(spec.where()) << "\n";
      std::cout << "  server: "
                << terminal_safe(std::string(find_string(s.server_info, "name")) + " " +
                                 std::string(find_string(s.server_info, "version")))
                << "\n";
      std::cout << "  " << (store.find_connector(name)->enabled ? "enabled" : "disabled") << ", "
                << (spec.trusted ? "trusted" : "untrusted") << "\n";
      if (!s.instructions.empty()) {
        std::cout << "  instructions (" << (s.use_instructions ? "given to the model" : "not used")
                  << "):\n";
        std::cout << "    " << indented(s.instructions, "    ") << "\n";
      }
      std::cout << "\nTools (" << s.tools.size() << "):\n";
      for (const auto& t : s.tools) {
        auto record = store.find_tool(name, t.name);
        std::cout << "  " << terminal_safe(t.name, false);
        if (!t.title.empty()) std::cout << " — " << terminal_safe(t.title, false);
        std::cout << "  " << badges(t, spec);
        if (record && !record->enabled) std::cout << " (off)";
        if (record && record->changed()) std::cout << " (changed: not accepted)";
        std::cout << "\n";
        if (!t.description.empty())
          std::cout << "      " << indented(t.description, "      ") << "\n";
        std::cout << "      input: " << terminal_safe(json::serialize(t.input_schema), false)
                  << "\n";
        if (t.output_schema) {
          std::cout << "      output: " << terminal_safe(json::serialize(*t.output_schema), false)
                    << "\n";
        }
      }
      if (!s.resources.empty()) {
        std::cout << "\nResources (" << s.resources.size() << "):\n";
        for (const auto& r : s.resources) {
          std::cout << "  " << terminal_safe(r.uri, false) << "  " << terminal_safe(r.name, false)
                    << (r.mime_type.empty() ? "" : "  " + terminal_safe(r.mime_type, false))
                    << "\n";
        }
      }
      if (!s.prompts.empty()) {
        std::cout << "\nPrompts (" << s.prompts.size() << "):\n";
        for (const auto& p : s.prompts) {
          std::cout << "  " << terminal_safe(p.name, false)
                    << (p.description.empty() ? "" : "  " + terminal_safe(p.description, false))
                    << "\n";
        }
      }
      for (const auto& w : s.warnings) std::cout << "warning: " << terminal_safe(w) << "\n";
      co_return kOk;
    });
  });
}

int run_refresh(const Common& c, const std::string& name) {
  return guarded("connectors refresh", c, [&](HostStore& store) {
    ConnectorSpec spec = store.connector(name);
    spec.enabled = true;
    // Connecting lists the tools and syncs them with what the store knew: that is the diff.
    ToolDiff diff;
    diff.connector = name;
    auto body = [&](ConnectorPool& pool) -> Task<int> {
      const ConnectorStatus& s = *pool.status(name);
      if (s.state != ConnectorState::kConnected) co_return report_unconnected(s);
      for (const auto& w : s.warnings) std::cerr << "warning: " << terminal_safe(w) << "\n";
      print_diff(diff);
      co_return kOk;
    };
    return with_pool(store, c, {spec}, body, [&](const ToolDiff& d) { diff = d; });
  });
}

int run_tools(const Common& c, const std::string& name, const std::vector<std::string>& enable,
              const std::vector<std::string>& disable) {
  return guarded("connectors tools", c, [&](HostStore& store) {
    store.connector(name);
    for (const auto& t : enable) store.set_tool_enabled(name, t, true);
    for (const auto& t : disable) store.set_tool_enabled(name, t, false);
    auto tools = store.tools(name);
    if (tools.empty()) {
      std::cout << "no tools known for " << name << " yet: run `mcpp connectors refresh " << name
                << "`\n";
      return kOk;
    }
    cli::Table table({"TOOL", "STATE", "PIN"});
    for (const auto& t : tools) {
      table.add({terminal_safe(t.name, false),
                 t.removed ? "removed" : (t.enabled ? "enabled" : "disabled"),
                 t.changed() ? "changed (accept)" : t.accepted_hash.substr(0, 12)});
    }
    table.print(std::cout);
    return kOk;
  });
}

int run_accept(const Common& c, const std::string& name, const std::string& tool) {
  return guarded("connectors accept", c, [&](HostStore& store) {
    auto accepted = store.accept(name, tool);
    if (accepted.empty()) {
      std::cout << "nothing to accept: "
                << (tool.empty() ? "no tool of " + name + " has changed"
                                 : terminal_safe(tool) + " has not changed")
                << "\n";
      return kOk;
    }
    for (const auto& t : accepted)
      std::cout << "accepted " << name << "/" << terminal_safe(t) << "\n";
    return kOk;
  });
}

int run_import(const Common& c, const std::string& file) {
  return guarded("connectors import", c, [&](HostStore& store) {
    ServerConfig config = read_server_config(file);
    for (const auto& w : config.warnings) std::cerr << "warning: " << terminal_safe(w) << "\n";
    int failed = 0;
    for (const auto& entry : config.servers) {
      ConnectorSpec spec = connector_spec_of(entry);
      if (store.find_connector(spec.name)) {
        std::cout << "skipped " << terminal_safe(spec.name)
                  << ": a connector of that name exists\n";
        continue;
      }
      try {
        store.add_connector(spec);
        std::cout << "added " << spec.name << " (" << terminal_safe(spec.where(), false) << ")\n";
      } catch (const HostStoreError& e) {
        std::cerr << "not imported: " << terminal_safe(e.what()) << "\n";
        ++failed;
      }
    }
    return failed ? kFailed : kOk;
  });
}

void add_connector_commands(CLI::App& app) {
  auto* group = app.add_subcommand("connectors", "The host's connectors (MCP servers it uses)");
  group->require_subcommand(1);

  auto add = std::make_shared<AddArgs>();
  auto* a = leaf(group, "add", "Add a connector: NAME URL, or NAME [--env K=V] -- COMMAND ARGS",
                 add->common);
  a->add_option("name", add->name, "Its name: the namespace of its tools")->required();
  a->add_option("server", add->positional, "The URL, or (after --) the command and arguments");
  a->add_option("--description", add->description, "What it is for");
  a->add_option("--icon", add->icon, "An https:// URL or a data:image/...;base64, URI");
  a->add_option("--header", add->headers, "NAME:VALUE sent to a URL server (VALUE may be env:VAR)");
  a->add_option("--env", add->env, "NAME=VALUE for a command (VALUE may be env:VAR)");
  a->add_option("--cwd", add->cwd, "The command's working directory");
  a->add_option("--auth", add->auth, "none, oauth or headers (default: headers when given)")
      ->check(CLI::IsMember({"none", "oauth", "headers"}));
  a->add_flag("--untrusted", add->untrusted,
              "Do not believe its readOnlyHint, do not give its instructions to the model");
  a->add_option("--instructions", add->instructions,
                "on|off: give the server's instructions to the model (default: on when trusted)")
      ->check(CLI::IsMember({"on", "off"}));
  a->add_option("--transport", add->transport, "auto, http or sse (URL servers)");
  a->allow_extras();
  a->callback([add, a] { throw CLI::RuntimeError(run_add(*add, a)); });

  auto list = std::make_shared<Common>();
  auto* l = leaf(group, "list", "The connectors: name, state, trust, where, tools", *list);
  l->add_flag("--json", list->json, "JSON output");
  l->callback([list] { throw CLI::RuntimeError(run_list(*list)); });

  struct Named {
    Common common;
    std::string name;
    std::string tool;
    std::vector<std::string> enable, disable;
  };
  auto named_leaf = [&](const std::string& cmd, const std::string& desc) {
    auto n = std::make_shared<Named>();
    auto* sub = leaf(group, cmd, desc, n->common);
    sub->add_option("name", n->name, "The connector")->required();
    return std::make_pair(n, sub);
  };

  auto [show, s] =
      named_leaf("show", "Connect and show its tools, resources, prompts and instructions");
  s->add_flag("--json", show->common.json, "JSON output");
  s->add_flag("-v,--verbose", show->common.verbose, "Print the server's stderr");
  cli::add_oauth_options(s, show->common.oauth);
  s->callback([n = show] { throw CLI::RuntimeError(run_show(n->common, n->name)); });

  auto [refresh, r] = named_leaf("refresh", "Connect, list its tools again and print what changed");
  r->add_flag("-v,--verbose", refresh->common.verbose, "Print the server's stderr");
  cli::add_oauth_options(r, refresh->common.oauth);
  r->callback([n = refresh] { throw CLI::RuntimeError(run_refresh(n->common, n->name)); });

  for (bool enable : {true, false}) {
    auto [e, sub] = named_leaf(enable ? "enable" : "disable",
                               enable ? "Use the connector" : "Stop using the connector");
    sub->callback([n = e, enable] {
      throw CLI::RuntimeError(guarded(
          enable ? "connectors enable" : "connectors disable", n->common, [&](HostStore& store) {
            store.set_connector_enabled(n->name, enable);
            std::cout << n->name << (enable ? " enabled" : " disabled") << "\n";
            return kOk;
          }));
    });
  }

  auto [tools, t] = named_leaf("tools", "List its tools, or turn some on and off");
  t->add_option("--enable", tools->enable, "Turn a tool on (repeatable)");
  t->add_option("--disable", tools->disable, "Turn a tool off (repeatable)");
  t->callback([n = tools] {
    throw CLI::RuntimeError(run_tools(n->common, n->name, n->enable, n->disable));
  });

  auto [accept, ac] = named_leaf("accept", "Accept the changed definition of a tool (or of all)");
  ac->add_option("tool", accept->tool, "The tool (default: every changed one)");
  ac->callback([n = accept] { throw CLI::RuntimeError(run_accept(n->common, n->name, n->tool)); });

  auto [remove, rm] = named_leaf("remove", "Remove the connector, its tools and pins");
  rm->callback([n = remove] {
    throw CLI::RuntimeError(guarded("connectors remove", n->common, [&](HostStore& store) {
      store.remove_connector(n->name);
      std::cout << "removed " << n->name << "\n";
      return kOk;
    }));
  });

  auto import = std::make_shared<Named>();
  auto* im = leaf(group, "import", "Add the servers of an mcpServers config file", import->common);
  im->add_option("file", import->name,
                 "Claude Desktop, Cursor, VS Code, Cherry Studio or Windsurf config")
      ->required();
  im->callback([import] { throw CLI::RuntimeError(run_import(import->common, import->name)); });
}

CLI::App* add_host_commands(CLI::App& app) {
  auto* host = app.add_subcommand("host", "The host: model settings and tool-call policy");
  host->require_subcommand(1);

  struct ConfigArgs {
    Common common;
    std::string llm_url, model, api_key_env;
  };
  auto cfg = std::make_shared<ConfigArgs>();
  auto* c = leaf(host, "config", "Show or set the model settings", cfg->common);
  c->add_option("--llm-url", cfg->llm_url,
                "OpenAI-compatible base URL (e.g. http://localhost:11434/v1)");
  c->add_option("--model", cfg->model, "The model's name");
  c->add_option("--api-key-env", cfg->api_key_env,
                "The environment variable holding the API key (the key itself is never stored)");
  c->callback([cfg] {
    throw CLI::RuntimeError(guarded("host config", cfg->common, [&](HostStore& store) {
      if (!cfg->llm_url.empty()) {
        if (!cfg->llm_url.starts_with("http://") && !cfg->llm_url.starts_with("https://")) {
          throw UsageError("--llm-url must be an http:// or https:// URL, got '" + cfg->llm_url +
                           "'");
        }
        store.set_config("model_url", cfg->llm_url);
      }
      if (!cfg->model.empty()) store.set_config("model", cfg->model);
      if (!cfg->api_key_env.empty()) {
        if (cfg->api_key_env.starts_with("env:") ||
            cfg->api_key_env.find('=') != std::string::npos) {
          throw UsageError("--api-key-env takes the variable's name (e.g. OPENAI_API_KEY)");
        }
        store.set_config("api_key_env", cfg->api_key_env);
      }
      auto all = store.all_config();
      for (const char* key : {"model_url", "model", "api_key_env"}) {
        auto it = all.find(key);
        std::cout << key << ": " << (it == all.end() ? "(not set)" : it->second) << "\n";
      }
      return kOk;
    }));
  });

  auto* policy = host->add_subcommand("policy", "Rules allow|ask|deny CONNECTOR/TOOL-GLOB");
  policy->require_subcommand(1);
  struct ListArgs {
    Common common;
    std::string policy_file;
  };
  auto plist = std::make_shared<ListArgs>();
  auto* pl = leaf(policy, "list", "The stored rules (and those of --policy FILE)", plist->common);
  pl->add_option("--policy", plist->policy_file,
                 "A policy file to merge: one rule per line (`allow payments/list_*`), # comments");
  pl->callback([plist] {
    throw CLI::RuntimeError(guarded("host policy list", plist->common, [&](HostStore& store) {
      auto rules = store.policy_rules();
      if (!plist->policy_file.empty()) {
        auto from_file = read_policy_file(plist->policy_file);
        rules.insert(rules.end(), from_file.begin(), from_file.end());
      }
      if (rules.empty()) std::cout << "no rules (reads run, writes ask)\n";
      for (const auto& rule : rules) {
        std::cout << rule.text() << (plist->policy_file.empty() ? "" : "  (" + rule.source + ")")
                  << "\n";
      }
      return kOk;
    }));
  });
  for (bool adding : {true, false}) {
    struct RuleArgs {
      Common common;
      std::vector<std::string> words;
    };
    auto ra = std::make_shared<RuleArgs>();
    auto* sub =
        leaf(policy, adding ? "add" : "remove",
             adding ? "Add a rule, e.g. `deny payments/delete_*`" : "Remove a rule", ra->common);
    sub->add_option("rule", ra->words, "ACTION CONNECTOR/TOOL-GLOB")->required();
    sub->callback([ra, adding] {
      throw CLI::RuntimeError(guarded(
          adding ? "host policy add" : "host policy remove", ra->common, [&](HostStore& store) {
            std::string text;
            for (const auto& w : ra->words) {
              text += (text.empty() ? "" : " ") + w;
            }
            PolicyRule rule = parse_policy_rule(text);
            if (adding) {
              bool added = store.add_policy_rule(rule);
              std::cout << (added ? "added " : "already there: ") << rule.text() << "\n";
              return kOk;
            }
            if (!store.remove_policy_rule(rule)) {
              std::cerr << "mcpp host policy remove: no rule '" << rule.text() << "'\n";
              return kUsage;
            }
            std::cout << "removed " << rule.text() << "\n";
            return kOk;
          }));
    });
  }
  return host;
}

}  // namespace

CLI::App* add_connectors_commands(CLI::App& app) {
  add_connector_commands(app);
  return add_host_commands(app);
}
