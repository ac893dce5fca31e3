// The stateless era's request headers: Mcp-Method, Mcp-Name and Mcp-Param-{Name} (SEP-2243).
#include "client/request_headers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <stdexcept>

#include "mcpp/content.hpp"  // base64_encode

namespace mcpp {

namespace {

// RFC 9110 tchar.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(ch) == std::string_view::npos) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string dotted(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : ".") + p;
  return out;
}

// Keywords whose values are data, not schemas: an "x-mcp-header" inside them annotates nothing.
bool holds_data(std::string_view keyword) {
  return keyword == "default" || keyword == "const" || keyword == "enum" || keyword == "examples" ||
         keyword == "description" || keyword == "title";
}

struct Walker {
  std::vector<ParamHeader> found;
  std::set<std::string> seen;  // lowercase names

  // `reachable`: the node is the root or reached through `properties` alone; `path` is then
  // its property path.
  void walk(const json::value& node, const std::vector<std::string>& path, bool reachable) {
    if (node.is_array()) {
      for (const auto& item : node.get_array()) walk(item, path, false);
      return;
    }
    if (!node.is_object()) return;
    const json::object& o = node.get_object();
    if (const json::value* h = find(o, "x-mcp-header")) annotate(o, *h, path, reachable);
    for (const auto& [key, value] : o) {
      if (key == "x-mcp-header" || holds_data(key)) continue;
      if (key == "properties" && value.is_object()) {
        for (const auto& [name, sub] : value.get_object()) {
          std::vector<std::string> next = path;
          next.emplace_back(name);
          walk(sub, next, reachable);
        }
        continue;
      }
      walk(value, path, false);
    }
  }

  void annotate(const json::object& property, const json::value& header,
                const std::vector<std::string>& path, bool reachable) {
    std::string where = path.empty() ? "the schema's root" : "property '" + dotted(path) + "'";
    if (!reachable || path.empty()) {
      throw std::invalid_argument("x-mcp-header on " + where +
                                  ", which is not reachable from the root through `properties`");
    }
    if (!header.is_string())
      throw std::invalid_argument("x-mcp-header of " + where + " is not a string");
    std::string_view name = header.get_string();
    if (name.empty()) throw std::invalid_argument("x-mcp-header of " + where + " is empty");
    if (!is_token(name)) {
      throw std::invalid_argument("x-mcp-header '" + std::string(name) + "' of " + where +
                                  " is not an HTTP header token");
    }
    std::string_view type = find_string(property, "type");
    if (type != "string" && type != "integer" && type != "boolean") {
      throw std::invalid_argument("x-mcp-header '" + std::string(name) + "' is on " + where +
                                  ", whose type is not string, integer or boolean");
    }
    if (!seen.insert(lower(name)).second) {
      throw std::invalid_argument("x-mcp-header '" + std::string(name) +
                                  "' is used twice (names are compared ignoring case)");
    }
    found.push_back({std::string(name), path});
  }
};

bool needs_base64(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7E) return true;  // control characters (tab too) and non-ASCII
  }
  if (s.front() == ' ' || s.back() == ' ') return true;
  return s.size() >= 11 && s.substr(0, 9) == "=?base64?" && s.substr(s.size() - 2) == "?=";
}

std::string header_safe(std::string_view s) {
  return needs_base64(s) ? "=?base64?" + base64_encode(s) + "?=" : std::string(s);
}

}  // namespace

std::vector<ParamHeader> param_headers_of(const json::object& input_schema) {
  Walker w;
  w.walk(input_schema, {}, true);
  return std::move(w.found);
}

std::optional<std::string> encode_header_value(const json::value& value) {
  switch (value.kind()) {
    case json::kind::string:
      return header_safe(value.get_string());
    case json::kind::int64:
      return std::to_string(value.get_int64());
    case json::kind::uint64:
      return std::to_string(value.get_uint64());
    case json::kind::bool_:
      return value.get_bool() ? "true" : "false";
    case json::kind::double_: {
      double d = value.get_double();
      // An integer sent as 42.0 is still an integer (JavaScript's safe range).
      if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= 9007199254740991.0) {
        return std::to_string(static_cast<std::int64_t>(d));
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

std::vector<std::pair<std::string, std::string>> param_headers_for(
    const std::vector<ParamHeader>& headers, const json::object& arguments) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : headers) {
    const json::value* v = nullptr;
    const json::object* at = &arguments;
    for (std::size_t i = 0; i < h.path.size() && at; ++i) {
      v = find(*at, h.path[i]);
      if (!v) break;
      at = i + 1 < h.path.size() && v->is_object() ? &v->get_object() : nullptr;
      if (i + 1 < h.path.size() && !at) v = nullptr;
    }
    if (!v) continue;
    if (auto encoded = encode_header_value(*v)) out.emplace_back("Mcp-Param-" + h.name, *encoded);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> standard_headers_for(const json::value& message) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view method = find_string(message, "method");
  if (method.empty()) return out;
  out.emplace_back("Mcp-Method", header_safe(method));
  const json::value* params = find(message, "params");
  std::string_view name;
  if (method == "tools/call" || method == "prompts/get") {
    name = params ? find_string(*params, "name") : std::string_view();
  } else if (method == "resources/read") {
    name = params ? find_string(*params, "uri") : std::string_view();
  }
  if (!name.empty()) out.emplace_back("Mcp-Name", header_safe(name));
  return out;
}

}  // namespace mcpp
