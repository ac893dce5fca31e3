// The one JSON type of mcpp (Boost.JSON) and the few helpers every layer uses.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace mcpp {
namespace json = boost::json;

// Returns obj[key] when present, else nullptr.
inline const json::value* find(const json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &it->value();
}
inline const json::value* find(const json::value& v, std::string_view key) {
  return v.is_object() ? find(v.get_object(), key) : nullptr;
}
// String member or empty view.
inline std::string_view find_string(const json::value& v, std::string_view key) {
  const json::value* p = find(v, key);
  return p && p->is_string() ? std::string_view(p->get_string()) : std::string_view();
}
inline std::string to_string(const json::value& v) { return json::serialize(v); }

}  // namespace mcpp
