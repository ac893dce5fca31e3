// Server::Impl: the registries behind mcpp::Server and the set of live sessions they notify.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "mcpp/server.hpp"
#include "protocol/json_schema.hpp"
#include "protocol/uri_template.hpp"
#include "server/tasks.hpp"

namespace mcpp {

// Hears about registry changes: a stateful session, a subscriptions/listen stream.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  virtual void on_list_changed(std::string_view what) = 0;  // "tools", "resources", "prompts"
  virtual void on_resource_updated(std::string_view uri) = 0;
  // The server is being destroyed.
  virtual void on_server_closing() {}
};

// A tool parameter mirrored into an Mcp-Param-{name} HTTP header (x-mcp-header, 2026-07-28).
struct HeaderParam {
  std::string name;               // the header is "Mcp-Param-" + name
  std::vector<std::string> path;  // property names from the arguments object down to the value
  std::string type;               // "string", "integer" or "boolean"
};

// The x-mcp-header parameters of an input schema. Throws std::invalid_argument when an
// annotation breaks the spec's rules (not a token, duplicate, not a primitive, not reachable
// through "properties" alone).
std::vector<HeaderParam> header_params_of(const json::object& input_schema);

struct ToolEntry {
  Tool tool;
  ToolHandler handler;
  schema::Validator input;
  std::optional<schema::Validator> output;
  std::vector<HeaderParam> header_params;
};

struct ResourceEntry {
  Resource resource;
  ResourceHandler handler;
};

struct TemplateEntry {
  ResourceTemplate tmpl;
  UriTemplate parsed;
  TemplateHandler handler;
};

struct PromptEntry {
  Prompt prompt;
  PromptHandler handler;
};

// An ordered registry: insertion order for listing, lookup by key.
template <class Entry>
class Registry {
 public:
  // Returns true when an entry of the same key was replaced.
  bool put(std::string key, std::shared_ptr<const Entry> e) {
    for (auto& [k, v] : items_) {
      if (k == key) {
        v = std::move(e);
        return true;
      }
    }
    items_.emplace_back(std::move(key), std::move(e));
    return false;
  }
  bool erase(std::string_view key) {
    for (auto it = items_.begin(); it != items_.end(); ++it) {
      if (it->first == key) {
        items_.erase(it);
        return true;
      }
    }
    return false;
  }
  std::shared_ptr<const Entry> get(std::string_view key) const {
    for (const auto& [k, v] : items_) {
      if (k == key) return v;
    }
    return nullptr;
  }
  const std::vector<std::pair<std::string, std::shared_ptr<const Entry>>>& items() const {
    return items_;
  }

 private:
  std::vector<std::pair<std::string, std::shared_ptr<const Entry>>> items_;
};

class Server::Impl {
 public:
  explicit Impl(ServerOptions o);

  ServerOptions options;
  // Authenticates the requestState of multi round-trip requests (HMAC-SHA256).
  std::string state_key;
  // Tool calls running as tasks.
  std::shared_ptr<TaskStore> tasks;
  // serverInfo as every stateless result carries it in _meta (built once).
  json::object stateless_server_info;

  mutable std::shared_mutex mu;  // guards the registries
  Registry<ToolEntry> tools;
  Registry<ResourceEntry> resources;
  Registry<TemplateEntry> templates;
  Registry<PromptEntry> prompts;

  // Sessions and subscription streams register so list changes and resource updates reach them.
  void attach(const std::shared_ptr<ChangeListener>& l);
  void detach(const ChangeListener* l);
  // Calls f on every live listener.
  void for_each_listener(const std::function<void(ChangeListener&)>& f);
  void broadcast_list_changed(std::string_view what);  // "tools", "resources", "prompts"

 private:
  std::mutex listeners_mu_;
  std::vector<std::weak_ptr<ChangeListener>> listeners_;
};

}  // namespace mcpp
