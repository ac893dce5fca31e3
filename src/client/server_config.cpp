// Reads the `mcpServers` config files of Claude Desktop, Cursor, VS Code, the Inspector, Cherry
// Studio and Windsurf into ServerConfigEntry values: shapes are checked (a bad one is an error
// naming the server and key), keys no host we know writes are warnings.
#include "client/server_config.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <variant>

#include "jsonrpc/message.hpp"
#include "mcpp/json.hpp"

namespace mcpp {
namespace {

// Keys some host writes that carry nothing a connection needs (Cursor, VS Code, Cline, Cherry
// Studio, Windsurf, the Inspector): accepted without a warning.
constexpr std::array kQuietKeys{
    "disabled", "autoApprove", "alwaysAllow",   "timeout",     "description", "name",
    "isActive", "envFile",     "provider",      "providerUrl", "logoUrl",     "tags",
    "id",       "longRunning", "disabledTools", "gallery",     "version",
};

// The keys this parser reads.
constexpr std::array kKnownKeys{
    "command", "args", "env", "cwd", "url", "serverUrl", "baseUrl", "type", "transport", "headers",
};

template <std::size_t N>
bool contains(const std::array<const char*, N>& keys, std::string_view key) {
  return std::any_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; });
}

struct EntryParser {
  std::string_view source;
  std::string name;

  [[noreturn]] void fail(std::string_view key, std::string_view what) const {
    throw ServerConfigError(std::string(source) + ": server '" + name + "': \"" + std::string(key) +
                            "\" " + std::string(what));
  }

  std::string string_of(const json::object& o, std::string_view key) const {
    const json::value* v = find(o, key);
    if (!v || v->is_null()) return {};
    if (!v->is_string()) fail(key, "must be a string");
    return std::string(v->get_string());
  }

  // env and headers: an object of strings (numbers and booleans are taken as their JSON text).
  std::vector<std::pair<std::string, std::string>> string_map(const json::object& o,
                                                              std::string_view key) const {
    std::vector<std::pair<std::string, std::string>> out;
    const json::value* v = find(o, key);
    if (!v || v->is_null()) return out;
    if (!v->is_object()) fail(key, "must be an object of strings");
    for (const auto& [k, value] : v->get_object()) {
      if (value.is_string()) {
        out.emplace_back(std::string(k), std::string(value.get_string()));
      } else if (value.is_number() || value.is_bool()) {
        out.emplace_back(std::string(k), json::serialize(value));
      } else {
        fail(std::string(key) + "." + std::string(k), "must be a string");
      }
    }
    return out;
  }

  static std::string transport_of_type(std::string_view type) {
    if (type == "sse") return "sse";
    if (type == "http" || type == "streamable-http" || type == "streamableHttp" ||
        type == "streamable_http") {
      return "streamable-http";
    }
    return "auto";
  }

  ServerConfigEntry parse(const json::value& value, std::vector<std::string>& warnings) const {
    if (!value.is_object()) {
      throw ServerConfigError(std::string(source) + ": server '" + name + "' must be an object");
    }
    const json::object& o = value.get_object();
    ServerConfigEntry e;
    e.name = name;
    for (const auto& [k, v] : o) {
      if (!contains(kKnownKeys, k) && !contains(kQuietKeys, k)) {
        warnings.push_back(std::string(source) + ": server '" + name + "': unknown key \"" +
                           std::string(k) + "\" ignored");
      }
    }
    std::string type = string_of(o, "type");
    if (type.empty()) type = string_of(o, "transport");
    if (!type.empty() && type != "stdio" && transport_of_type(type) == "auto") {
      fail("type", "is '" + type + "' (expected stdio, http, streamableHttp or sse)");
    }
    e.command = string_of(o, "command");
    e.cwd = string_of(o, "cwd");
    if (const json::value* args = find(o, "args"); args && !args->is_null()) {
      if (!args->is_array()) fail("args", "must be an array of strings");
      for (const auto& a : args->get_array()) {
        if (!a.is_string()) fail("args", "must hold strings only");
        e.args.emplace_back(a.get_string());
      }
    }
    for (auto& [k, v] : string_map(o, "env")) e.env[k] = v;
    e.url = string_of(o, "url");
    for (const char* alias : {"serverUrl", "baseUrl"}) {
      std::string other = string_of(o, alias);
      if (other.empty()) continue;
      if (!e.url.empty() && e.url != other) fail(alias, "contradicts \"url\"");
      e.url = other;
    }
    e.headers = string_map(o, "headers");
    if (!e.command.empty() && !e.url.empty()) fail("url", "and \"command\" both given: choose one");
    if (e.command.empty() && e.url.empty()) {
      throw ServerConfigError(std::string(source) + ": server '" + name +
                              "' has neither \"command\" nor \"url\"");
    }
    if (type == "stdio" && e.command.empty()) fail("type", "is stdio but there is no \"command\"");
    if (!e.url.empty()) {
      if (!e.url.starts_with("http://") && !e.url.starts_with("https://")) {
        fail("url", "must be an http:// or https:// URL, got '" + e.url + "'");
      }
      e.transport = transport_of_type(type);
    }
    return e;
  }
};

}  // namespace

std::string ServerConfig::names() const {
  std::string out;
  for (const auto& s : servers) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

const ServerConfigEntry* ServerConfig::find(std::string_view name) const {
  for (const auto& s : servers) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

ServerConfig parse_server_config(std::string_view text, std::string_view source) {
  auto parsed = jsonrpc::parse(text);
  if (auto* err = std::get_if<jsonrpc::Error>(&parsed)) {
    throw ServerConfigError(std::string(source) + ": not JSON: " + err->message);
  }
  const json::value& root = std::get<json::value>(parsed);
  if (!root.is_object()) throw ServerConfigError(std::string(source) + ": not a JSON object");
  ServerConfig config;
  const json::value* servers = nullptr;
  for (const char* key : {"mcpServers", "servers"}) {
    const json::value* v = mcpp::find(root, key);
    if (!v) continue;
    if (!v->is_object()) {
      throw ServerConfigError(std::string(source) + ": \"" + key +
                              "\" must be an object of servers by name");
    }
    if (servers) {
      config.warnings.push_back(std::string(source) +
                                ": both \"mcpServers\" and \"servers\": \"servers\" ignored");
      continue;
    }
    servers = v;
  }
  if (!servers || servers->get_object().empty()) {
    throw ServerConfigError(
        std::string(source) +
        ": no \"mcpServers\" (or VS Code's \"servers\") object with servers in it");
  }
  for (const auto& [k, v] : servers->get_object()) {
    EntryParser p{source, std::string(k)};
    if (p.name.empty())
      throw ServerConfigError(std::string(source) + ": a server has an empty name");
    config.servers.push_back(p.parse(v, config.warnings));
  }
  return config;
}

ServerConfig read_server_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ServerConfigError("cannot read the config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_server_config(text.str(), path);
}

}  // namespace mcpp
