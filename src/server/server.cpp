// mcpp::Server: registration of tools, resources, templates and prompts, and notification of the
// live sessions when the registries change.
#include <stdexcept>

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

// ---- Server::Impl -------------------------------------------------------------------------

void Server::Impl::attach(const std::shared_ptr<ServerSession>& s) {
  std::lock_guard lock(sessions_mu_);
  std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
  sessions_.push_back(s);
}

void Server::Impl::detach(const ServerSession* s) {
  std::lock_guard lock(sessions_mu_);
  std::erase_if(sessions_, [s](const auto& w) {
    auto p = w.lock();
    return !p || p.get() == s;
  });
}

void Server::Impl::for_each_session(const std::function<void(ServerSession&)>& f) {
  std::vector<std::shared_ptr<ServerSession>> live;
  {
    std::lock_guard lock(sessions_mu_);
    for (const auto& w : sessions_) {
      if (auto p = w.lock()) live.push_back(std::move(p));
    }
  }
  for (auto& s : live) f(*s);
}

void Server::Impl::broadcast_list_changed(std::string_view what) {
  for_each_session([what](ServerSession& s) { s.on_list_changed(what); });
}

// ---- Server -------------------------------------------------------------------------------

Server::Server(ServerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}
Server::~Server() {
  impl_->for_each_session([](ServerSession& s) { s.close(); });
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
  auto entry = std::make_shared<ToolEntry>(
      ToolEntry{std::move(tool), std::move(handler), std::move(*input), std::move(output)});
  std::string key = entry->tool.name;
  {
    std::unique_lock lock(impl_->mu);
    impl_->tools.put(std::move(key), std::move(entry));
  }
  impl_->broadcast_list_changed("tools");
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
  impl_->for_each_session([uri](ServerSession& s) { s.on_resource_updated(uri); });
}

}  // namespace mcpp
