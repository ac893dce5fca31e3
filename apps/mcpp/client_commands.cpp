// The client subcommands of the mcpp CLI: tools list|call, resources list|read|templates,
// prompts list|get, ping, discover. Argument handling, target resolution and printing; the protocol
// is mcpp::Client's, OAuth mcpp::auth::OAuthClient's (a loopback redirect listener and the
// browser play the user agent; tokens are kept in a file per issuer).
#include "client_commands.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <variant>

#include "client/server_config.hpp"
#include "client_oauth.hpp"
#include "client_output.hpp"
#include "jsonrpc/message.hpp"
#include "mcpp/auth/oauth_client.hpp"
#include "mcpp/client.hpp"
#include "seconds_option.hpp"
#include "terminal_text.hpp"

namespace {

namespace asio = boost::asio;
using namespace mcpp;
using cli::Table;

enum ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2, kUnreachable = 3 };

// A mistake in the command line or the config file.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TargetOptions {
  std::string url;
  std::string config;
  std::string server;
  std::vector<std::string> headers;
  std::string bearer;
  std::string transport = "auto";
  std::string era = "auto";
  std::string timeout;
  bool json = false;
  bool verbose = false;
  std::vector<std::string> positional;  // a URL, or a command and its arguments
  cli::OAuthFlags oauth;                // when an HTTP server asks for authorization
};

// What one leaf subcommand was given.
struct Invocation {
  std::string command;  // "tools call", for messages
  CLI::App* app = nullptr;
  TargetOptions target;
  std::string name;               // tool or prompt name, resource URI
  std::vector<std::string> args;  // --arg KEY=VALUE
  std::string args_json;          // --args JSON
};

using Target = std::variant<StdioTarget, HttpTarget>;
using Body = std::function<Task<int>(Client&, const Invocation&)>;

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool is_url(std::string_view s) {
  return s.starts_with("http://") || s.starts_with("https://");
}

HttpTransportKind transport_kind(std::string_view name) {
  if (name == "auto") return HttpTransportKind::kAuto;
  if (name == "http" || name == "streamable-http" || name == "streamableHttp") {
    return HttpTransportKind::kStreamableHttp;
  }
  if (name == "sse") return HttpTransportKind::kLegacySse;
  throw UsageError("unknown transport '" + std::string(name) + "' (expected auto, http or sse)");
}

HttpTarget http_target(std::string url, const TargetOptions& t) {
  HttpTarget h;
  h.url = std::move(url);
  h.transport = transport_kind(t.transport);
  h.bearer_token = t.bearer;
  h.open_event_stream = false;  // one command, one answer: no stream of unrelated messages
  for (const auto& header : t.headers) {
    auto colon = header.find(':');
    if (colon == std::string::npos || trim(header.substr(0, colon)).empty()) {
      throw UsageError("--header expects NAME:VALUE, got '" + header + "'");
    }
    h.headers.emplace_back(trim(header.substr(0, colon)), trim(header.substr(colon + 1)));
  }
  return h;
}

StdioTarget stdio_target(std::vector<std::string> command, const TargetOptions& t) {
  StdioTarget s;
  s.command = command.front();
  s.args.assign(command.begin() + 1, command.end());
  if (t.verbose) {
    s.on_stderr = [](std::string_view line) {
      std::cerr << "[server] " << cli::terminal_safe(line) << '\n';
    };
  }
  return s;
}

// A server of an `mcpServers` config file (Claude Desktop, Cursor, VS Code...; the parser is
// src/client/server_config.cpp): a command (stdio) or a URL (HTTP, with its headers and type).
Target config_target(const TargetOptions& t) {
  ServerConfig config;
  try {
    config = read_server_config(t.config);
  } catch (const ServerConfigError& e) {
    throw UsageError(e.what());
  }
  if (t.verbose) {
    for (const auto& w : config.warnings) std::cerr << "mcpp: warning: " << w << '\n';
  }
  std::string name = t.server;
  if (name.empty()) {
    if (config.servers.size() != 1) {
      throw UsageError("--server NAME is needed: " + t.config + " has " + config.names());
    }
    name = config.servers.front().name;
  }
  const ServerConfigEntry* entry = config.find(name);
  if (!entry) {
    throw UsageError(t.config + " has no server '" + name + "' (it has " + config.names() + ")");
  }
  if (entry->is_stdio()) {
    std::vector<std::string> argv{entry->command};
    argv.insert(argv.end(), entry->args.begin(), entry->args.end());
    StdioTarget s = stdio_target(std::move(argv), t);
    s.env = entry->env;
    s.cwd = entry->cwd;
    return s;
  }
  TargetOptions with_config = t;
  if (entry->transport == "sse") with_config.transport = "sse";
  if (entry->transport == "streamable-http") with_config.transport = "http";
  HttpTarget h = http_target(entry->url, with_config);
  for (const auto& header : entry->headers) h.headers.push_back(header);
  return h;
}

Target resolve_target(const Invocation& inv) {
  const TargetOptions& t = inv.target;
  for (const auto& extra : inv.app->remaining()) {
    if (extra == "--") continue;  // CLI11 keeps the positional mark among the extras
    if (extra.starts_with("-")) {
      throw UsageError("unknown option " + extra +
                       " (a server command with options goes after --, e.g. `-- npx -y pkg`)");
    }
  }
  int sources = !t.url.empty() + !t.positional.empty() + !t.config.empty();
  if (sources == 0) {
    throw UsageError(
        "which server? Give a URL, --config FILE [--server NAME], or the command "
        "after --");
  }
  if (sources > 1) throw UsageError("give one server: a URL, --config or a command after --");
  if (!t.url.empty()) return http_target(t.url, t);
  if (!t.config.empty()) return config_target(t);
  if (t.positional.size() == 1 && is_url(t.positional.front())) {
    return http_target(t.positional.front(), t);
  }
  return stdio_target(t.positional, t);
}

std::chrono::milliseconds timeout_of(const TargetOptions& t) {
  try {
    return cli::seconds_option(t.timeout, "--timeout", std::chrono::milliseconds(60'000));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

// Turns an exception from a command into its message and exit code.
int report(const Invocation& inv, std::exception_ptr e) {
  std::string prefix = "mcpp " + inv.command + ": ";
  try {
    std::rethrow_exception(e);
  } catch (const UsageError& u) {
    std::cerr << prefix << u.what() << "\nRun with --help for more information.\n";
    return kUsage;
  } catch (const TransportError& t) {
    std::cerr << prefix << cli::terminal_safe(t.what()) << '\n';
    // (With OAuth on, the message says what went wrong while authorizing.)
    bool oauth_on = !inv.target.oauth.no_oauth && inv.target.bearer.empty();
    if ((t.http_status() == 401 || t.http_status() == 403) && !oauth_on) {
      std::cerr << "  The server wants authorization";
      if (!t.resource_metadata().empty()) {
        std::cerr << "; how to get it is described at "
                  << cli::terminal_safe(t.resource_metadata());
      } else if (!t.www_authenticate().empty()) {
        std::cerr << " (WWW-Authenticate: " << cli::terminal_safe(t.www_authenticate()) << ")";
      }
      std::cerr << ".\n";
      if (inv.target.oauth.no_oauth) {
        std::cerr << "  Pass an access token with --bearer TOKEN, or leave out --no-oauth to sign "
                     "in with OAuth.\n";
      } else if (!inv.target.bearer.empty()) {
        std::cerr << "  It refused the --bearer token; leave --bearer out to sign in with OAuth.\n";
      }
    }
    return kUnreachable;
  } catch (const RpcError& r) {
    int code = r.error().code;
    if (code == jsonrpc::kRequestTimeout) {
      std::cerr << prefix << "no answer: " << cli::terminal_safe(r.what())
                << " (raise --timeout to wait longer)\n";
      return kUnreachable;
    }
    std::cerr << prefix << "the server answered with an error: " << cli::terminal_safe(r.what())
              << " (JSON-RPC error " << code << ")\n";
    if (!r.error().data.is_null())
      std::cerr << "  data: " << json::serialize(r.error().data) << '\n';
    return kFailed;
  } catch (const std::exception& x) {
    std::cerr << prefix << cli::terminal_safe(x.what()) << '\n';
    return kFailed;
  }
}

// Connects, runs `body`, closes; returns the exit code.
int run_client(const Invocation& inv, const Body& body) {
  Target target;
  ClientOptions options;
  try {
    target = resolve_target(inv);
    options.request_timeout = timeout_of(inv.target);
    if (inv.target.era == "stateless") {
      options.era = ProtocolEra::kStateless;
    } else if (inv.target.era == "stateful") {
      options.era = ProtocolEra::kStateful;
    } else if (inv.target.era != "auto") {
      throw UsageError("--era must be auto, stateless or stateful (got '" + inv.target.era + "')");
    }
  } catch (...) {
    return report(inv, std::current_exception());
  }
  options.info = {.name = "mcpp", .version = "0.1.0", .title = "mcpp CLI"};
  if (inv.target.verbose) {
    options.on_warning = [](std::string_view w) { std::cerr << "[mcpp] warning: " << w << '\n'; };
  }
  asio::io_context io;
  std::shared_ptr<auth::LoopbackRedirect> redirect_listener;
  try {
    if (auto* h = std::get_if<HttpTarget>(&target)) {
      try {
        redirect_listener =
            cli::setup_oauth(*h, inv.target.oauth, inv.target.verbose, io.get_executor());
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    }
  } catch (...) {
    return report(inv, std::current_exception());
  }
  int rc = kOk;
  auto session = [&]() -> Task<int> {
    Client client(co_await asio::this_coro::executor, options);
    if (inv.target.verbose) {
      client.on_log_message([](const LogMessage& m) {
        std::cerr << "[server " << m.level << (m.logger.empty() ? "" : " " + m.logger) << "] "
                  << cli::terminal_safe(m.data.is_string() ? std::string(m.data.get_string())
                                                           : json::serialize(m.data))
                  << '\n';
      });
    }
    if (auto* s = std::get_if<StdioTarget>(&target)) {
      co_await client.connect(*s);
    } else {
      co_await client.connect(std::get<HttpTarget>(target));
    }
    if (inv.target.verbose) {
      std::cerr << "[mcpp] connected over " << client.transport_name() << " to "
                << json::serialize(client.server().server_info) << ", protocol "
                << cli::terminal_safe(client.server().protocol_version)
                << (client.stateless() ? " (stateless)" : " (stateful)") << '\n';
    }
    std::exception_ptr failure;
    int result = kOk;
    try {
      result = co_await body(client, inv);
    } catch (...) {
      failure = std::current_exception();
    }
    try {
      co_await client.close();
    } catch (const std::exception&) {
      // Closing is best effort: the command's outcome is what counts.
    }
    if (failure) std::rethrow_exception(failure);
    co_return result;
  };
  asio::co_spawn(io, session(), [&](std::exception_ptr e, int result) {
    rc = e ? report(inv, e) : result;
    // The listener would keep the io_context running.
    if (redirect_listener) redirect_listener->close();
  });
  io.run();
  // What is bound to the io_context (the OAuth client, the listener) goes before it does.
  if (auto* h = std::get_if<HttpTarget>(&target)) h->auth.reset();
  redirect_listener.reset();
  std::cout.flush();
  return rc;
}

// ---- argument values -------------------------------------------------------------------------

std::string schema_type(const json::object* schema) {
  if (!schema) return {};
  const json::value* t = find(*schema, "type");
  if (!t) return {};
  if (t->is_string()) return std::string(t->get_string());
  if (t->is_array()) {  // ["string", "null"]: the first that is not null
    for (const auto& x : t->get_array()) {
      if (x.is_string() && x.get_string() != "null") return std::string(x.get_string());
    }
  }
  return {};
}

// The JSON value of `--arg key=value`, typed by the property's schema when there is one.
json::value arg_value(const std::string& key, const std::string& raw, const json::object* schema) {
  std::string type = schema_type(schema);
  if (type == "string") return json::value(raw);
  auto parsed = jsonrpc::parse(raw);
  json::value* v = std::get_if<json::value>(&parsed);
  auto bad = [&](std::string_view what) {
    return UsageError("--arg " + key + ": expected " + std::string(what) + ", got '" + raw + "'");
  };
  if (type == "number" || type == "integer") {
    if (!v || !v->is_number()) throw bad(type == "number" ? "a number" : "an integer");
    if (type == "integer" && v->is_double()) throw bad("an integer");
    return *v;
  }
  if (type == "boolean") {
    if (raw == "true" || raw == "yes" || raw == "1") return true;
    if (raw == "false" || raw == "no" || raw == "0") return false;
    throw bad("true or false");
  }
  if (type == "object" || type == "array") {
    if (!v || (type == "object" ? !v->is_object() : !v->is_array())) {
      throw bad(type == "object" ? "a JSON object" : "a JSON array");
    }
    return *v;
  }
  // No schema: JSON when it parses as JSON, otherwise the text.
  return v ? *v : json::value(raw);
}

std::pair<std::string, std::string> split_arg(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError("--arg expects KEY=VALUE, got '" + arg + "'");
  }
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

json::object args_json_object(const std::string& text) {
  if (text.empty()) return {};
  auto parsed = jsonrpc::parse(text);
  auto* v = std::get_if<json::value>(&parsed);
  if (!v || !v->is_object()) throw UsageError("--args expects a JSON object, got '" + text + "'");
  return v->get_object();
}

std::string describe_parameters(const json::object& input_schema) {
  const json::value* props = find(input_schema, "properties");
  if (!props || !props->is_object()) return {};
  std::vector<std::string> required;
  if (const json::value* r = find(input_schema, "required"); r && r->is_array()) {
    for (const auto& x : r->get_array()) {
      if (x.is_string()) required.emplace_back(x.get_string());
    }
  }
  std::string out;
  for (const auto& [k, v] : props->get_object()) {
    bool req = std::find(required.begin(), required.end(), std::string_view(k)) != required.end();
    if (!out.empty()) out += ", ";
    out += req ? std::string(k) : "[" + std::string(k) + "]";
  }
  return out;
}

void print_json(const json::value& v) {
  std::cout << cli::pretty_json(v) << '\n';
}

template <class Info>
json::array raw_list(const std::vector<Info>& items) {
  json::array out;
  for (const auto& i : items) out.push_back(i.raw);
  return out;
}

// ---- commands --------------------------------------------------------------------------------

Task<int> tools_list(Client& c, const Invocation& inv) {
  auto tools = co_await c.list_tools();
  if (inv.target.json) {
    print_json(json::object{{"tools", raw_list(tools)}});
    co_return kOk;
  }
  Table table({"NAME", "PARAMETERS", "DESCRIPTION"});
  for (const auto& t : tools) {
    table.add({t.name, describe_parameters(t.input_schema),
               cli::first_line(t.description.empty() ? t.title : t.description)});
  }
  if (table.empty()) {
    std::cout << "(no tools)\n";
  } else {
    table.print(std::cout);
  }
  co_return kOk;
}

Task<int> tools_call(Client& c, const Invocation& inv) {
  json::object arguments = args_json_object(inv.args_json);
  if (!inv.args.empty()) {
    // The tool's input schema says which type each value is.
    auto tools = co_await c.list_tools();
    const ToolInfo* tool = nullptr;
    for (const auto& t : tools) {
      if (t.name == inv.name) tool = &t;
    }
    const json::value* props = tool ? find(tool->input_schema, "properties") : nullptr;
    for (const auto& a : inv.args) {
      auto [key, raw] = split_arg(a);
      const json::value* prop = props ? find(*props, key) : nullptr;
      arguments[key] =
          arg_value(key, raw, prop && prop->is_object() ? &prop->get_object() : nullptr);
    }
  }
  RequestOptions options;
  if (inv.target.verbose) {
    options.on_progress = [](const Progress& p) {
      std::cerr << "[progress] " << json::serialize(number(p.progress));
      if (p.total) std::cerr << "/" << json::serialize(number(*p.total));
      if (!p.message.empty()) std::cerr << " " << cli::terminal_safe(p.message);
      std::cerr << '\n';
    };
  }
  CallToolResult r = co_await c.call_tool(inv.name, std::move(arguments), std::move(options));
  if (inv.target.json) {
    print_json(r.raw);
  } else {
    cli::print_content(std::cout, r.content);
    bool has_text = false;
    for (const auto& b : r.content) has_text |= find_string(b, "type") == "text";
    if (r.structured_content && !has_text) print_json(*r.structured_content);
  }
  if (r.is_error) {
    std::cout.flush();
    std::cerr << "mcpp tools call: the tool " << inv.name << " reported an error (isError)\n";
    co_return kFailed;
  }
  co_return kOk;
}

Task<int> resources_list(Client& c, const Invocation& inv) {
  auto resources = co_await c.list_resources();
  if (inv.target.json) {
    print_json(json::object{{"resources", raw_list(resources)}});
    co_return kOk;
  }
  Table table({"URI", "NAME", "TYPE", "DESCRIPTION"});
  for (const auto& r : resources) {
    table.add(
        {r.uri, r.title.empty() ? r.name : r.title, r.mime_type, cli::first_line(r.description)});
  }
  if (table.empty()) {
    std::cout << "(no resources)\n";
  } else {
    table.print(std::cout);
  }
  co_return kOk;
}

Task<int> resources_templates(Client& c, const Invocation& inv) {
  auto templates = co_await c.list_resource_templates();
  if (inv.target.json) {
    print_json(json::object{{"resourceTemplates", raw_list(templates)}});
    co_return kOk;
  }
  Table table({"URI TEMPLATE", "NAME", "TYPE", "DESCRIPTION"});
  for (const auto& t : templates) {
    table.add({t.uri_template, t.title.empty() ? t.name : t.title, t.mime_type,
               cli::first_line(t.description)});
  }
  if (table.empty()) {
    std::cout << "(no resource templates)\n";
  } else {
    table.print(std::cout);
  }
  co_return kOk;
}

Task<int> resources_read(Client& c, const Invocation& inv) {
  ReadResourceResult r = co_await c.read_resource(inv.name);
  if (inv.target.json) {
    print_json(r.raw);
  } else {
    cli::print_resource_contents(std::cout, r.contents);
  }
  co_return kOk;
}

Task<int> prompts_list(Client& c, const Invocation& inv) {
  auto prompts = co_await c.list_prompts();
  if (inv.target.json) {
    print_json(json::object{{"prompts", raw_list(prompts)}});
    co_return kOk;
  }
  Table table({"NAME", "ARGUMENTS", "DESCRIPTION"});
  for (const auto& p : prompts) {
    std::string args;
    for (const auto& a : p.arguments) {
      if (!args.empty()) args += ", ";
      args += a.required ? a.name : "[" + a.name + "]";
    }
    table.add({p.name, args, cli::first_line(p.description.empty() ? p.title : p.description)});
  }
  if (table.empty()) {
    std::cout << "(no prompts)\n";
  } else {
    table.print(std::cout);
  }
  co_return kOk;
}

Task<int> prompts_get(Client& c, const Invocation& inv) {
  std::map<std::string, std::string> arguments;
  for (const auto& [k, v] : args_json_object(inv.args_json)) {
    arguments[std::string(k)] = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
  }
  for (const auto& a : inv.args) {
    auto [key, value] = split_arg(a);
    arguments[key] = value;
  }
  GetPromptResult r = co_await c.get_prompt(inv.name, std::move(arguments));
  if (inv.target.json) {
    print_json(r.raw);
    co_return kOk;
  }
  bool colour = cli::stdout_has_colour();
  if (!r.description.empty()) std::cout << cli::terminal_safe(r.description) << "\n\n";
  for (const auto& m : r.messages) {
    std::string role = cli::terminal_safe(find_string(m, "role"), false);
    std::cout << (colour ? "\x1b[1m" : "") << "[" << role << "]" << (colour ? "\x1b[0m" : "")
              << '\n';
    if (const json::value* content = find(m, "content")) {
      cli::print_content(std::cout,
                         content->is_array() ? content->get_array() : json::array{*content});
    }
  }
  co_return kOk;
}

Task<int> ping(Client& c, const Invocation& inv) {
  auto start = std::chrono::steady_clock::now();
  co_await c.ping();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  const InitializeResult& s = c.server();
  if (inv.target.json) {
    print_json(json::object{{"ok", true},
                            {"milliseconds", ms},
                            {"protocolVersion", s.protocol_version},
                            {"transport", c.transport_name()},
                            {"serverInfo", s.server_info}});
  } else {
    std::cout << "ok: " << cli::terminal_safe(find_string(s.server_info, "name"), false) << " "
              << cli::terminal_safe(find_string(s.server_info, "version"), false) << " answered in "
              << ms << " ms (protocol " << cli::terminal_safe(s.protocol_version, false) << ", "
              << c.transport_name() << ")\n";
  }
  co_return kOk;
}

// "tools (listChanged), resources (subscribe, listChanged), logging": a capability and the
// features it declares.
std::string describe_capabilities(const json::object& caps) {
  std::string out;
  for (const auto& [name, value] : caps) {
    std::string item(name);
    std::string features;
    if (value.is_object()) {
      for (const auto& [k, v] : value.get_object()) {
        if (v.is_bool() && !v.get_bool()) continue;
        features += (features.empty() ? "" : ", ") + std::string(k);
      }
    }
    if (!features.empty()) item += " (" + features + ")";
    out += (out.empty() ? "" : ", ") + item;
  }
  return out.empty() ? "none" : out;
}

Task<int> discover(Client& c, const Invocation& inv) {
  // Connecting already asked: server/discover in the stateless era, initialize in the other.
  const InitializeResult& s = c.server();
  std::vector<std::string> supported = s.supported_versions;
  if (supported.empty()) supported.push_back(s.protocol_version);
  if (inv.target.json) {
    json::array versions;
    for (const auto& v : supported) versions.emplace_back(v);
    json::object out{{"era", s.stateless ? "stateless" : "stateful"},
                     {"protocolVersion", s.protocol_version},
                     {"supportedVersions", std::move(versions)},
                     {"transport", c.transport_name()},
                     {"serverInfo", s.server_info},
                     {"capabilities", s.capabilities}};
    if (!s.instructions.empty()) out["instructions"] = s.instructions;
    out["result"] = s.raw;
    print_json(out);
    co_return kOk;
  }
  std::string name(find_string(s.server_info, "name"));
  std::string version(find_string(s.server_info, "version"));
  std::string title(find_string(s.server_info, "title"));
  std::string versions;
  for (const auto& v : supported) versions += (versions.empty() ? "" : ", ") + v;
  Table t({"PROPERTY", "VALUE"});
  t.add({"Server", (name.empty() ? "(unnamed)" : name) + (version.empty() ? "" : " " + version) +
                       (title.empty() ? "" : " (" + title + ")")});
  t.add({"Era", s.stateless ? "stateless (server/discover)" : "stateful (initialize, session)"});
  t.add({"Protocol", s.protocol_version});
  t.add({"Supported", versions});
  t.add({"Transport", std::string(c.transport_name())});
  t.add({"Capabilities", describe_capabilities(s.capabilities)});
  if (!s.instructions.empty()) t.add({"Instructions", cli::first_line(s.instructions)});
  t.print(std::cout);
  co_return kOk;
}

// ---- registration ------------------------------------------------------------------------------

// `example` is the command line before the target, as in "tools call get-sum --arg a=2".
void add_target_options(CLI::App* sub, TargetOptions& t, const std::string& example) {
  sub->add_option("--url", t.url, "Server URL (Streamable HTTP, or legacy HTTP+SSE)");
  sub->add_option("--config", t.config, "Config file with \"mcpServers\" (Claude Desktop format)");
  sub->add_option("--server", t.server, "Which server of --config");
  sub->add_option("-H,--header", t.headers, "HTTP header NAME:VALUE (repeatable)")
      ->allow_extra_args(false);
  sub->add_option("--bearer", t.bearer, "Access token, sent as Authorization: Bearer");
  sub->add_option("--transport", t.transport, "HTTP transport: auto, http or sse")
      ->capture_default_str();
  sub->add_option("--era", t.era,
                  "Protocol era: auto (2026-07-28 when the server speaks it, else initialize), "
                  "stateless or stateful")
      ->capture_default_str();
  sub->add_option("--timeout", t.timeout, "Seconds to wait for each answer (default 60)");
  sub->add_flag("--json", t.json, "Print the server's JSON (for scripts)");
  sub->add_flag("-v,--verbose", t.verbose, "Show the server's stderr and log messages");
  sub->add_option("target", t.positional,
                  "The server: a URL, or after -- the command to run and its arguments");
  cli::add_oauth_options(sub, t.oauth);
  sub->allow_extras();
  sub->footer(
      "Exit codes: 0 ok, 1 tool error or JSON-RPC error, 2 usage, 3 server unreachable.\n"
      "Examples:\n  mcpp " +
      example + " http://localhost:8080/mcp\n  mcpp " + example +
      " --config claude_desktop_config.json --server NAME\n  mcpp " + example +
      " -- npx -y @modelcontextprotocol/server-everything");
}

// Adds a leaf subcommand that runs `body` against the target.
CLI::App* add_leaf(CLI::App* parent, const std::string& name, const std::string& help,
                   const std::string& command, Body body,
                   const std::function<void(CLI::App*, Invocation&)>& extra_options = {},
                   const std::string& example = {}) {
  auto inv = std::make_shared<Invocation>();
  inv->command = command;
  CLI::App* sub = parent->add_subcommand(name, help);
  inv->app = sub;
  if (extra_options) extra_options(sub, *inv);
  add_target_options(sub, inv->target, example.empty() ? command : example);
  sub->callback([inv, body = std::move(body)] { throw CLI::RuntimeError(run_client(*inv, body)); });
  return sub;
}

// A group (tools, resources, prompts) needs one of its subcommands.
void require_leaf(CLI::App* group) {
  group->require_subcommand(0, 1);
  group->allow_extras();
  group->callback([group] {
    std::string names;
    for (const auto* s : group->get_subcommands([](CLI::App*) { return true; })) {
      names += (names.empty() ? "" : ", ") + s->get_name();
    }
    std::string given =
        group->remaining().empty() ? "" : " (got '" + group->remaining().front() + "')";
    std::cerr << "mcpp " << group->get_name() << ": expected one of: " << names << given
              << "\nRun with --help for more information.\n";
    throw CLI::RuntimeError(kUsage);
  });
}

}  // namespace

void add_client_commands(CLI::App& app) {
  auto* tools = app.add_subcommand("tools", "List or call a server's tools");
  add_leaf(tools, "list", "List the tools", "tools list", tools_list);
  add_leaf(
      tools, "call", "Call a tool", "tools call",
      [](Client& c, const Invocation& inv) -> Task<int> {
        if (inv.name.empty()) throw UsageError("which tool? Give its name first");
        co_return co_await tools_call(c, inv);
      },
      [](CLI::App* sub, Invocation& inv) {
        sub->add_option("name", inv.name, "The tool's name");
        sub->add_option("-a,--arg", inv.args,
                        "Argument KEY=VALUE (repeatable; typed by the tool's schema)")
            ->allow_extra_args(false);
        sub->add_option("--args", inv.args_json, "Arguments as a JSON object");
      },
      "tools call get-sum --arg a=2 --arg b=3");
  require_leaf(tools);

  auto* resources = app.add_subcommand("resources", "List, read or template a server's resources");
  add_leaf(resources, "list", "List the resources", "resources list", resources_list);
  add_leaf(resources, "templates", "List the resource templates", "resources templates",
           resources_templates);
  add_leaf(
      resources, "read", "Read a resource", "resources read",
      [](Client& c, const Invocation& inv) -> Task<int> {
        if (inv.name.empty()) throw UsageError("which resource? Give its URI first");
        co_return co_await resources_read(c, inv);
      },
      [](CLI::App* sub, Invocation& inv) { sub->add_option("uri", inv.name, "The resource URI"); },
      "resources read demo://resource/dynamic/text/1");
  require_leaf(resources);

  auto* prompts = app.add_subcommand("prompts", "List or get a server's prompts");
  add_leaf(prompts, "list", "List the prompts", "prompts list", prompts_list);
  add_leaf(
      prompts, "get", "Get a prompt's messages", "prompts get",
      [](Client& c, const Invocation& inv) -> Task<int> {
        if (inv.name.empty()) throw UsageError("which prompt? Give its name first");
        co_return co_await prompts_get(c, inv);
      },
      [](CLI::App* sub, Invocation& inv) {
        sub->add_option("name", inv.name, "The prompt's name");
        sub->add_option("-a,--arg", inv.args, "Argument KEY=VALUE (repeatable)")
            ->allow_extra_args(false);
        sub->add_option("--args", inv.args_json, "Arguments as a JSON object");
      },
      "prompts get args-prompt --arg city=Paris");
  require_leaf(prompts);

  add_leaf(&app, "ping", "Check that a server answers", "ping", ping);
  add_leaf(&app, "discover",
           "Show what a server says about itself: versions, era, capabilities, identity",
           "discover", discover);
}
