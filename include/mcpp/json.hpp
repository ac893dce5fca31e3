// The one JSON type of mcpp (Boost.JSON) and the few helpers every layer uses.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
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
// String member or empty view (a view into the object: keep the object alive).
inline std::string_view find_string(const json::object& o, std::string_view key) {
  const json::value* p = find(o, key);
  return p && p->is_string() ? std::string_view(p->get_string()) : std::string_view();
}
inline std::string_view find_string(const json::value& v, std::string_view key) {
  return v.is_object() ? find_string(v.get_object(), key) : std::string_view();
}
inline std::string to_string(const json::value& v) {
  return json::serialize(v);
}

// A number as JSON: an integer when it has no fraction (so 50 prints as 50, not 5E1).
inline json::value number(double d) {
  if (d >= -9.0e15 && d <= 9.0e15 && static_cast<double>(static_cast<std::int64_t>(d)) == d) {
    return json::value(static_cast<std::int64_t>(d));
  }
  return json::value(d);
}

}  // namespace mcpp
