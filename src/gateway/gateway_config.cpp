// Reads the gateway's per-server keys beside the standard mcpServers ones.
#include "gateway/gateway_config.hpp"

#include <array>
#include <fstream>
#include <sstream>

#include "mcpp/json.hpp"

namespace mcpp::gateway {
namespace {

constexpr std::array<std::string_view, 7> kGatewayKeys = {
    "tools", "prefix", "isolation", "timeout", "envPassthrough", "restart", "policy"};

class KeyReader {
 public:
  KeyReader(std::string_view source, const std::string& server)
      : source_(source), server_(server) {}

  [[noreturn]] void fail(std::string_view key, std::string_view what) const {
    throw ServerConfigError(std::string(source_) + ": server '" + server_ + "': \"" +
                            std::string(key) + "\" " + std::string(what));
  }

  std::vector<std::string> strings(const json::value& v, std::string_view key) const {
    if (!v.is_array()) fail(key, "must be an array of strings");
    std::vector<std::string> out;
    for (const auto& s : v.get_array()) {
      if (!s.is_string() || s.get_string().empty()) fail(key, "must hold non-empty strings");
      out.emplace_back(s.get_string());
    }
    return out;
  }

  double seconds(const json::value& v, std::string_view key) const {
    if (!v.is_number()) fail(key, "must be a number of seconds");
    double s = v.to_number<double>();
    if (!(s > 0 && s <= 86'400)) fail(key, "must be between 0 and 86400 seconds");
    return s;
  }

 private:
  std::string_view source_;
  const std::string& server_;
};

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

void read_keys(const json::object& o, UpstreamConfig& u, std::string_view source) {
  KeyReader r(source, u.name());
  if (const json::value* t = o.if_contains("tools")) {
    if (t->is_array()) {
      u.allow_tools = r.strings(*t, "tools");
    } else if (t->is_object()) {
      for (const auto& [k, v] : t->get_object()) {
        if (k == "allow") {
          u.allow_tools = r.strings(v, "tools.allow");
        } else if (k == "deny") {
          u.deny_tools = r.strings(v, "tools.deny");
        } else {
          r.fail("tools." + std::string(k), "is not a key of \"tools\" (allow, deny)");
        }
      }
    } else {
      r.fail("tools", "must be an array of tool globs or {\"allow\": [...], \"deny\": [...]}");
    }
  }
  u.prefix = u.name() + "__";
  if (const json::value* p = o.if_contains("prefix")) {
    if (!p->is_string()) r.fail("prefix", "must be a string (\"\" for none)");
    u.prefix = std::string(p->get_string());
  }
  if (const json::value* i = o.if_contains("isolation")) {
    if (i->is_string() && i->get_string() == "session") {
      u.isolation = Isolation::kSession;
    } else if (i->is_string() && i->get_string() == "shared") {
      u.isolation = Isolation::kShared;
    } else {
      r.fail("isolation", "must be \"session\" or \"shared\"");
    }
  }
  if (const json::value* t = o.if_contains("timeout")) u.timeout = to_ms(r.seconds(*t, "timeout"));
  if (const json::value* e = o.if_contains("envPassthrough")) {
    u.env_passthrough = r.strings(*e, "envPassthrough");
  }
  if (const json::value* rs = o.if_contains("restart")) {
    if (rs->is_bool()) {
      u.max_restarts = rs->get_bool() ? u.max_restarts : 0;
    } else if (rs->is_object()) {
      for (const auto& [k, v] : rs->get_object()) {
        if (k == "max") {
          if (!v.is_int64() || v.get_int64() < 0 || v.get_int64() > 1000) {
            r.fail("restart.max", "must be a whole number from 0 to 1000");
          }
          u.max_restarts = static_cast<int>(v.get_int64());
        } else if (k == "window") {
          u.restart_window = to_ms(r.seconds(v, "restart.window"));
        } else {
          r.fail("restart." + std::string(k), "is not a key of \"restart\" (max, window)");
        }
      }
    } else {
      r.fail("restart", "must be true, false or {\"max\": N, \"window\": SECONDS}");
    }
  }
  if (const json::value* p = o.if_contains("policy")) {
    if (!p->is_object()) r.fail("policy", "must map tool globs to allow, deny or confirm");
    for (const auto& [glob, action] : p->get_object()) {
      std::string_view a = action.is_string() ? std::string_view(action.get_string()) : "";
      host::PolicyRule rule;
      rule.pattern = u.name() + "/" + std::string(glob);
      rule.source = std::string(source);
      if (a == "allow") {
        rule.action = host::PolicyAction::kAllow;
      } else if (a == "deny") {
        rule.action = host::PolicyAction::kDeny;
      } else if (a == "confirm") {
        rule.action = host::PolicyAction::kAsk;
      } else {
        r.fail("policy." + std::string(glob), "must be \"allow\", \"deny\" or \"confirm\"");
      }
      if (glob.empty()) r.fail("policy", "has an empty tool glob");
      u.policy.push_back(std::move(rule));
    }
  }
}

}  // namespace

bool UpstreamConfig::exposes(std::string_view tool) const {
  for (const auto& g : deny_tools) {
    if (host::glob_match(g, tool)) return false;
  }
  if (allow_tools.empty()) return true;
  for (const auto& g : allow_tools) {
    if (host::glob_match(g, tool)) return true;
  }
  return false;
}

const UpstreamConfig* GatewayConfig::find(std::string_view name) const {
  for (const auto& u : upstreams) {
    if (u.name() == name) return &u;
  }
  return nullptr;
}

GatewayConfig parse_gateway_config(std::string_view text, std::string_view source) {
  ServerConfig base = parse_server_config(text, source, kGatewayKeys);
  GatewayConfig out;
  out.warnings = std::move(base.warnings);
  for (auto& entry : base.servers) {
    UpstreamConfig u;
    u.server = std::move(entry);
    read_keys(u.server.raw, u, source);
    out.upstreams.push_back(std::move(u));
  }
  return out;
}

GatewayConfig read_gateway_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ServerConfigError("cannot read the gateway config " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_gateway_config(text.str(), path);
}

}  // namespace mcpp::gateway
