// Typed tools: the input schema is derived from a C++ struct described with Boost.Describe
// (BOOST_DESCRIBE_STRUCT), arguments arrive as that struct, and a described result type becomes
// structuredContent with an outputSchema. Included by mcpp/server.hpp.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/describe.hpp>
#include <boost/mp11/algorithm.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mcpp/json.hpp"

namespace mcpp {

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class T, class C, class A>
struct is_string_map<std::map<std::string, T, C, A>> : std::true_type {};
template <class T>
struct is_task : std::false_type {};
template <class T, class E>
struct is_task<boost::asio::awaitable<T, E>> : std::true_type {};
template <class T>
struct task_value {
  using type = T;
};
template <class T, class E>
struct task_value<boost::asio::awaitable<T, E>> {
  using type = T;
};

template <class T>
constexpr bool is_described_struct =
    boost::describe::has_describe_members<T>::value&& std::is_class_v<T>;
template <class T>
constexpr bool is_described_enum = boost::describe::has_describe_enumerators<T>::value;

template <class T>
using members_of = boost::describe::describe_members<T, boost::describe::mod_public |
                                                            boost::describe::mod_inherited>;

[[noreturn]] inline void conversion_error(const std::string& path, std::string_view what) {
  throw std::invalid_argument((path.empty() ? std::string("(root)") : path) + ": " +
                              std::string(what));
}

// "an integer from MIN to MAX": the values an integer type T takes, for error messages.
template <class T>
std::string integer_range_text() {
  return "an integer from " + std::to_string(std::numeric_limits<T>::min()) + " to " +
         std::to_string(std::numeric_limits<T>::max());
}

// A JSON number as the integer type T, refusing fractions and values T cannot hold (a cast
// would silently wrap them or, for doubles, be undefined behaviour).
template <class T>
T integer_from_json(const json::value& v, const std::string& path) {
  if (v.is_int64()) {
    if (std::in_range<T>(v.get_int64())) return static_cast<T>(v.get_int64());
  } else if (v.is_uint64()) {
    if (std::in_range<T>(v.get_uint64())) return static_cast<T>(v.get_uint64());
  } else if (v.is_double()) {
    const double d = v.get_double();
    if (!std::isfinite(d) || std::trunc(d) != d) conversion_error(path, "expected an integer");
    // T's range as doubles, both bounds exact: [-2^digits, 2^digits) for signed T, [0, 2^digits)
    // for unsigned T.
    const double limit = std::ldexp(1.0, std::numeric_limits<T>::digits);
    const double lowest = std::is_signed_v<T> ? -limit : 0.0;
    if (d >= lowest && d < limit) return static_cast<T>(d);
  } else {
    conversion_error(path, "expected an integer");
  }
  conversion_error(path,
                   json::serialize(v) + " is out of range: expected " + integer_range_text<T>());
}
}  // namespace detail

// JSON Schema (2020-12) of T.
template <class T>
json::object schema_of() {
  using namespace detail;
  if constexpr (std::is_same_v<T, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (std::is_integral_v<T>) {
    // Types narrower than 64 bits, and unsigned ones, state their range so that the arguments
    // validator refuses what the conversion could not hold.
    if constexpr (std::is_unsigned_v<T> || sizeof(T) < sizeof(std::int64_t)) {
      return {{"type", "integer"},
              {"minimum", std::numeric_limits<T>::min()},
              {"maximum", std::numeric_limits<T>::max()}};
    } else {
      return {{"type", "integer"}};
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    return {{"type", "number"}};
  } else if constexpr (std::is_same_v<T, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (is_optional<T>::value) {
    return schema_of<typename T::value_type>();
  } else if constexpr (is_vector<T>::value) {
    return {{"type", "array"}, {"items", schema_of<typename T::value_type>()}};
  } else if constexpr (is_string_map<T>::value) {
    return {{"type", "object"}, {"additionalProperties", schema_of<typename T::mapped_type>()}};
  } else if constexpr (std::is_same_v<T, json::value>) {
    return {};
  } else if constexpr (std::is_same_v<T, json::object>) {
    return {{"type", "object"}};
  } else if constexpr (std::is_same_v<T, json::array>) {
    return {{"type", "array"}};
  } else if constexpr (is_described_enum<T>) {
    json::array names;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>(
        [&](auto d) { names.emplace_back(d.name); });
    return {{"type", "string"}, {"enum", std::move(names)}};
  } else if constexpr (is_described_struct<T>) {
    json::object props;
    json::array required;
    boost::mp11::mp_for_each<members_of<T>>([&](auto d) {
      using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
      props[d.name] = schema_of<M>();
      if constexpr (!is_optional<M>::value) required.emplace_back(d.name);
    });
    json::object o{{"type", "object"}, {"properties", std::move(props)}};
    if (!required.empty()) o["required"] = std::move(required);
    return o;
  } else {
    static_assert(sizeof(T) == 0,
                  "mcpp::schema_of: unsupported type; describe structs and enums with "
                  "BOOST_DESCRIBE_STRUCT / BOOST_DESCRIBE_ENUM");
  }
}

// Converts JSON to T; throws std::invalid_argument naming the JSON path of a mismatch.
template <class T>
T from_json(const json::value& v, const std::string& path = {}) {
  using namespace detail;
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_bool()) conversion_error(path, "expected a boolean");
    return v.get_bool();
  } else if constexpr (std::is_integral_v<T>) {
    return integer_from_json<T>(v, path);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v.is_double()) return static_cast<T>(v.get_double());
    if (v.is_int64()) return static_cast<T>(v.get_int64());
    if (v.is_uint64()) return static_cast<T>(v.get_uint64());
    conversion_error(path, "expected a number");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) conversion_error(path, "expected a string");
    return std::string(v.get_string());
  } else if constexpr (is_optional<T>::value) {
    if (v.is_null()) return std::nullopt;
    return from_json<typename T::value_type>(v, path);
  } else if constexpr (is_vector<T>::value) {
    if (!v.is_array()) conversion_error(path, "expected an array");
    T out;
    std::size_t i = 0;
    for (const auto& e : v.get_array()) {
      out.push_back(from_json<typename T::value_type>(e, path + "/" + std::to_string(i++)));
    }
    return out;
  } else if constexpr (is_string_map<T>::value) {
    if (!v.is_object()) conversion_error(path, "expected an object");
    T out;
    for (const auto& [k, e] : v.get_object()) {
      out.emplace(std::string(k),
                  from_json<typename T::mapped_type>(e, path + "/" + std::string(k)));
    }
    return out;
  } else if constexpr (std::is_same_v<T, json::value>) {
    return v;
  } else if constexpr (std::is_same_v<T, json::object>) {
    if (!v.is_object()) conversion_error(path, "expected an object");
    return v.get_object();
  } else if constexpr (std::is_same_v<T, json::array>) {
    if (!v.is_array()) conversion_error(path, "expected an array");
    return v.get_array();
  } else if constexpr (is_described_enum<T>) {
    if (!v.is_string()) conversion_error(path, "expected a string");
    T out{};
    bool found = false;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto d) {
      if (!found && v.get_string() == d.name) {
        out = d.value;
        found = true;
      }
    });
    if (!found) conversion_error(path, "unknown value \"" + std::string(v.get_string()) + "\"");
    return out;
  } else if constexpr (is_described_struct<T>) {
    if (!v.is_object()) conversion_error(path, "expected an object");
    const auto& o = v.get_object();
    T out{};
    boost::mp11::mp_for_each<members_of<T>>([&](auto d) {
      using M = std::remove_cvref_t<decltype(out.*d.pointer)>;
      auto it = o.find(d.name);
      if (it == o.end()) {
        if constexpr (!is_optional<M>::value) {
          conversion_error(path, std::string("missing property \"") + d.name + "\"");
        }
        return;
      }
      out.*d.pointer = from_json<M>(it->value(), path + "/" + d.name);
    });
    return out;
  } else {
    static_assert(sizeof(T) == 0, "mcpp::from_json: unsupported type");
  }
}

// Converts T to JSON (absent optionals are left out of objects).
template <class T>
json::value to_json(const T& v) {
  using namespace detail;
  if constexpr (std::is_floating_point_v<T>) {
    return number(static_cast<double>(v));  // 5.0 as 5, not 5E0
  } else if constexpr (std::is_same_v<T, bool> || std::is_arithmetic_v<T>) {
    return json::value(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return json::value(v);
  } else if constexpr (is_optional<T>::value) {
    return v ? to_json(*v) : json::value(nullptr);
  } else if constexpr (is_vector<T>::value) {
    json::array a;
    for (const auto& e : v) a.push_back(to_json(e));
    return a;
  } else if constexpr (is_string_map<T>::value) {
    json::object o;
    for (const auto& [k, e] : v) o[k] = to_json(e);
    return o;
  } else if constexpr (std::is_same_v<T, json::value> || std::is_same_v<T, json::object> ||
                       std::is_same_v<T, json::array>) {
    return json::value(v);
  } else if constexpr (is_described_enum<T>) {
    const char* name = "";
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto d) {
      if (v == d.value) name = d.name;
    });
    return json::value(name);
  } else if constexpr (is_described_struct<T>) {
    json::object o;
    boost::mp11::mp_for_each<members_of<T>>([&](auto d) {
      using M = std::remove_cvref_t<decltype(v.*d.pointer)>;
      if constexpr (is_optional<M>::value) {
        if (!(v.*d.pointer)) return;
      }
      o[d.name] = to_json(v.*d.pointer);
    });
    return o;
  } else {
    static_assert(sizeof(T) == 0, "mcpp::to_json: unsupported type");
  }
}

}  // namespace mcpp
