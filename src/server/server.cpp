// mcpp::Server: registration of tools, resources, templates and prompts, and notification of the
// live sessions when the registries change.
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "protocol/versions.hpp"
#include "server/methods.hpp"
#include "server/server_impl.hpp"
#include "server/session.hpp"

namespace mcpp {

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kNotice:
      return "notice";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kCritical:
      return "critical";
    case LogLevel::kAlert:
      return "alert";
    case LogLevel::kEmergency:
      return "emergency";
  }
  return "info";
}

std::optional<LogLevel> parse_log_level(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(LogLevel::kEmergency); ++i) {
    auto l = static_cast<LogLevel>(i);
    if (to_string(l) == s) return l;
  }
  return std::nullopt;
}

ToolResult ToolResult::text(std::string text) {
  ToolResult r;
  r.content.push_back(text_content(std::move(text)));
  return r;
}

ToolResult ToolResult::error(std::string message) {
  ToolResult r = text(std::move(message));
  r.is_error = true;
  return r;
}

ToolResult& ToolResult::add(json::object block) {
  content.push_back(std::move(block));
  return *this;
}

json::object prompt_message(std::string_view role, json::object content_block) {
  return {{"role", role}, {"content", std::move(content_block)}};
}

PromptResult& PromptResult::add(std::string_view role, json::object content_block) {
  messages.push_back(prompt_message(role, std::move(content_block)));
  return *this;
}

// ---- x-mcp-header ----------------------------------------------------------------------------

namespace {
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Walks the schema: `reachable` is true while the path from the root is made of "properties"
// steps only.
void collect_headers(const json::value& schema, std::vector<std::string>& path, bool reachable,
                     std::vector<HeaderParam>& out) {
  if (schema.is_array()) {
    for (const auto& v : schema.get_array()) collect_headers(v, path, false, out);
    return;
  }
  if (!schema.is_object()) return;
  const json::object& o = schema.get_object();
  if (const json::value* h = find(o, "x-mcp-header")) {
    std::string where = path.empty() ? "the schema root" : "property \"" + path.back() + "\"";
    if (!reachable || path.empty()) {
      throw std::invalid_argument("x-mcp-header on " + where +
                                  " is not reachable from the root through \"properties\" alone");
    }
    if (!h->is_string() || h->get_string().empty()) {
      throw std::invalid_argument("x-mcp-header on " + where + " must be a non-empty string");
    }
    std::string_view name = h->get_string();
    if (!std::all_of(name.begin(), name.end(), is_token_char)) {
      throw std::invalid_argument("x-mcp-header \"" + std::string(name) +
                                  "\" is not an HTTP field-name token");
    }
    std::string_view type = find_string(o, "type");
    if (type != "string" && type != "integer" && type != "boolean") {
      throw std::invalid_argument("x-mcp-header \"" + std::string(name) + "\" is on " + where +
                                  ", which is not of type string, integer or boolean");
    }
    for (const auto& existing : out) {
      if (lower(existing.name) == lower(name)) {
        throw std::invalid_argument("x-mcp-header \"" + std::string(name) +
                                    "\" is used twice (names are case-insensitive)");
      }
    }
    out.push_back(HeaderParam{std::string(name), path, std::string(type)});
  }
  for (const auto& [key, value] : o) {
    if (key == "properties" && value.is_object()) {
      for (const auto& [prop, sub] : value.get_object()) {
        path.emplace_back(prop);
        collect_headers(sub, path, reachable, out);
        path.pop_back();
      }
    } else if (key != "x-mcp-header" && key != "const" && key != "default" && key != "enum" &&
               key != "examples") {
      // Any other keyword leads somewhere an annotation may not be.
      std::vector<std::string> elsewhere = path;
      collect_headers(value, elsewhere, false, out);
    }
  }
}
}  // namespace

std::vector<HeaderParam> header_params_of(const json::object& input_schema) {
  std::vector<HeaderParam> out;
  std::vector<std::string> path;
  collect_headers(input_schema, path, true, out);
  return out;
}

// ---- Server::Impl -------------------------------------------------------------------------

namespace {
std::string random_key() {
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("OpenSSL could not produce random bytes for the request-state key");
  }
  return key;
}
}  // namespace

Server::Impl::Impl(ServerOptions o)
    : options(std::move(o)),
      state_key(options.request_state_key.empty() ? random_key() : options.request_state_key),
      tasks(std::make_shared<TaskStore>(
          TaskStore::Options{options.task_ttl, options.task_poll_interval})) {
  stateless_server_info = methods::server_info(options, protocol::k2026_07_28);
}

void Server::Impl::attach(const std::shared_ptr<ChangeListener>& l) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [](const auto& w) { return w.expired(); });
  listeners_.push_back(l);
}

void Server::Impl::detach(const ChangeListener* l) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [l](const auto& w) {
    auto p = w.lock();
    return !p || p.get() == l;
  });
}

void Server::Impl::for_each_listener(const std::function<void(ChangeListener&)>& f) {
  std::vector<std::shared_ptr<ChangeListener>> live;
  {
    std::lock_guard lock(listeners_mu_);
    for (const auto& w : listeners_) {
      if (auto p = w.lock()) live.push_back(std::move(p));
    }
  }
  for (auto& l : live) f(*l);
}

void Server::Impl::broadcast_list_changed(std::string_view what) {
  for_each_listener([what](ChangeListener& l) { l.on_list_changed(what); });
}

// ---- Server -------------------------------------------------------------------------------

Server::Server(ServerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}
Server::~Server() {
  impl_->for_each_listener([](ChangeListener& l) { l.on_server_closing(); });
}

const ServerOptions& Server::options() const {
  return impl_->options;
}

namespace {
void check_name(std::string_view what, std::string_view name) {
  if (name.empty()) throw std::invalid_argument(std::string(what) + " name must not be empty");
}
}  // namespace

void Server::add_tool(Tool tool, ToolHandler handler) {
  check_name("tool", tool.name);
  if (!handler) throw std::invalid_argument("tool \"" + tool.name + "\" has no handler");
  auto schema_type = find_string(tool.input_schema, "type");
  if (schema_type != "object") {
    throw std::invalid_argument("tool \"" + tool.name +
                                "\": inputSchema must have \"type\": \"object\"");
  }
  std::optional<schema::Validator> input, output;
  try {
    input = schema::Validator::compile(tool.input_schema);
    if (tool.output_schema) output = schema::Validator::compile(*tool.output_schema);
  } catch (const std::exception& e) {
    throw std::invalid_argument("tool \"" + tool.name + "\": invalid schema: " + e.what());
  }
  std::vector<HeaderParam> headers;
  try {
    headers = header_params_of(tool.input_schema);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("tool \"" + tool.name + "\": " + e.what());
  }
  auto entry =
      std::make_shared<ToolEntry>(ToolEntry{std::move(tool), std::move(handler), std::move(*input),
                                            std::move(output), std::move(headers)});
  std::string key = entry->tool.name;
  {
    std::unique_lock lock(impl_->mu);
    impl_->tools.put(std::move(key), std::move(entry));
  }
  impl_->broadcast_list_changed("tools");
}

std::shared_ptr<const ToolAccess> Server::tool_access(std::string_view name) const {
  std::shared_ptr<const ToolEntry> entry;
  {
    std::shared_lock lock(impl_->mu);
    entry = impl_->tools.get(name);
  }
  if (!entry) return nullptr;
  // Entries are never changed once registered (a replacement is a new entry), so the access
  // rules can be shared: the aliasing pointer keeps the whole entry alive.
  const ToolAccess* access = &entry->tool.access;
  return std::shared_ptr<const ToolAccess>(std::move(entry), access);
}

bool AuthInfo::has_scope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

bool Server::remove_tool(std::string_view name) {
  bool removed;
  {
    std::unique_lock lock(impl_->mu);
    removed = impl_->tools.erase(name);
  }
  if (removed) impl_->broadcast_list_changed("tools");
  return removed;
}

void Server::add_resource(Resource resource, ResourceHandler handler) {
  if (resource.uri.empty()) throw std::invalid_argument("resource uri must not be empty");
  if (resource.name.empty()) resource.name = resource.uri;
  if (!handler) throw std::invalid_argument("resource \"" + resource.uri + "\" has no handler");
  std::string key = resource.uri;
  auto entry =
      std::make_shared<ResourceEntry>(ResourceEntry{std::move(resource), std::move(handler)});
  {
    std::unique_lock lock(impl_->mu);
    impl_->resources.put(std::move(key), std::move(entry));
  }
  impl_->broadcast_list_changed("resources");
}

bool Server::remove_resource(std::string_view uri) {
  bool removed;
  {
    std::unique_lock lock(impl_->mu);
    removed = impl_->resources.erase(uri);
  }
  if (removed) impl_->broadcast_list_changed("resources");
  return removed;
}

void Server::add_resource_template(ResourceTemplate tmpl, TemplateHandler handler) {
  check_name("resource template", tmpl.name);
  if (!handler)
    throw std::invalid_argument("template \"" + tmpl.uri_template + "\" has no handler");
  UriTemplate parsed(tmpl.uri_template);  // throws std::invalid_argument when malformed
  std::string key = tmpl.uri_template;
  auto entry = std::make_shared<TemplateEntry>(
      TemplateEntry{std::move(tmpl), std::move(parsed), std::move(handler)});
  {
    std::unique_lock lock(impl_->mu);
    impl_->templates.put(std::move(key), std::move(entry));
  }
  impl_->broadcast_list_changed("resources");
}

bool Server::remove_resource_template(std::string_view uri_template) {
  bool removed;
  {
    std::unique_lock lock(impl_->mu);
    removed = impl_->templates.erase(uri_template);
  }
  if (removed) impl_->broadcast_list_changed("resources");
  return removed;
}

void Server::add_prompt(Prompt prompt, PromptHandler handler) {
  check_name("prompt", prompt.name);
  if (!handler) throw std::invalid_argument("prompt \"" + prompt.name + "\" has no handler");
  std::string key = prompt.name;
  auto entry = std::make_shared<PromptEntry>(PromptEntry{std::move(prompt), std::move(handler)});
  {
    std::unique_lock lock(impl_->mu);
    impl_->prompts.put(std::move(key), std::move(entry));
  }
  impl_->broadcast_list_changed("prompts");
}

bool Server::remove_prompt(std::string_view name) {
  bool removed;
  {
    std::unique_lock lock(impl_->mu);
    removed = impl_->prompts.erase(name);
  }
  if (removed) impl_->broadcast_list_changed("prompts");
  return removed;
}

void Server::notify_resource_updated(std::string_view uri) {
  impl_->for_each_listener([uri](ChangeListener& l) { l.on_resource_updated(uri); });
}

}  // namespace mcpp
