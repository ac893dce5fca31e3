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

namespace mcpp {

class ServerSession;

struct ToolEntry {
  Tool tool;
  ToolHandler handler;
  schema::Validator input;
  std::optional<schema::Validator> output;
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
  explicit Impl(ServerOptions o) : options(std::move(o)) {}

  ServerOptions options;

  mutable std::shared_mutex mu;  // guards the registries
  Registry<ToolEntry> tools;
  Registry<ResourceEntry> resources;
  Registry<TemplateEntry> templates;
  Registry<PromptEntry> prompts;

  // Sessions register themselves so list_changed and resource updates reach them.
  void attach(const std::shared_ptr<ServerSession>& s);
  void detach(const ServerSession* s);
  // Calls f on every live session.
  void for_each_session(const std::function<void(ServerSession&)>& f);
  void broadcast_list_changed(std::string_view what);  // "tools", "resources", "prompts"

 private:
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<ServerSession>> sessions_;
};

}  // namespace mcpp
