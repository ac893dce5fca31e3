// JSON value helpers for the schema validator: exact number comparison across int64/uint64/double,
// JSON Schema equality and hashing (1 == 1.0, objects unordered), and short renderings for
// messages.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "protocol/json_schema_internal.hpp"

namespace mcpp::schema::detail {
namespace {

namespace json = boost::json;

// Values nested deeper than this compare unequal (and hash alike); it bounds recursion on
// hostile instances built programmatically (the parser already limits depth).
constexpr int kMaxCompareDepth = 256;
constexpr double kTwoPow63 = 9223372036854775808.0;
constexpr double kTwoPow64 = 18446744073709551616.0;

// Compares a finite double with a non-negative integer exactly.
int compare_double_u64(double d, std::uint64_t u) {
  if (d < 0) return -1;
  if (d >= kTwoPow64) return 1;
  const double floor_d = std::floor(d);
  const auto whole = static_cast<std::uint64_t>(floor_d);
  if (whole != u) return whole < u ? -1 : 1;
  return d > floor_d ? 1 : 0;
}

int compare_double_i64(double d, std::int64_t i) {
  if (i >= 0) return compare_double_u64(d, static_cast<std::uint64_t>(i));
  if (d >= 0) return 1;
  // Both negative: compare magnitudes the other way round.
  const std::uint64_t magnitude = static_cast<std::uint64_t>(-(i + 1)) + 1;
  return -compare_double_u64(-d, magnitude);
}

bool equal_at(const json::value& a, const json::value& b, int depth) {
  if (depth > kMaxCompareDepth) return false;
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::array: {
      const json::array& x = a.get_array();
      const json::array& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!equal_at(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case json::kind::object: {
      const json::object& x = a.get_object();
      const json::object& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& member : x) {
        const json::value* other = y.if_contains(member.key());
        if (other == nullptr || !equal_at(member.value(), *other, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

std::size_t mix(std::size_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

std::size_t hash_at(const json::value& v, int depth) {
  if (depth > kMaxCompareDepth) return 0;
  switch (v.kind()) {
    case json::kind::null:
      return 0x6e756c6c;
    case json::kind::bool_:
      return v.get_bool() ? 0x74727565 : 0x66616c73;
    case json::kind::int64:
      return mix(static_cast<std::size_t>(v.get_int64()));
    case json::kind::uint64:
      return mix(static_cast<std::size_t>(v.get_uint64()));
    case json::kind::double_: {
      const double d = v.get_double();
      // Integral doubles hash like the integer of the same value.
      if (d >= -kTwoPow63 && d < kTwoPow63 && std::trunc(d) == d) {
        return mix(static_cast<std::size_t>(static_cast<std::int64_t>(d)));
      }
      if (d >= 0 && d < kTwoPow64 && std::trunc(d) == d) {
        return mix(static_cast<std::size_t>(static_cast<std::uint64_t>(d)));
      }
      return std::hash<double>{}(d);
    }
    case json::kind::string:
      return std::hash<std::string_view>{}(std::string_view(v.get_string()));
    case json::kind::array: {
      std::size_t h = 0x61727261;
      for (const json::value& item : v.get_array()) h = mix(h * 31 + hash_at(item, depth + 1));
      return h;
    }
    case json::kind::object: {
      std::size_t h = 0x6f626a65;
      for (const auto& member : v.get_object()) {
        // Order-independent: members are combined by addition.
        h += mix(std::hash<std::string_view>{}(std::string_view(member.key())) ^
                 (hash_at(member.value(), depth + 1) * 0x9e3779b97f4a7c15ULL));
      }
      return h;
    }
  }
  return 0;
}

void append_number(std::string& out, const json::value& v) {
  char buf[64];
  std::to_chars_result r{};
  if (v.is_int64()) {
    r = std::to_chars(buf, buf + sizeof buf, v.get_int64());
  } else if (v.is_uint64()) {
    r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
  } else {
    // Like JavaScript: plain decimals from 1e-6 up to 1e21, exponent notation outside.
    const double d = v.get_double();
    const double a = std::fabs(d);
    const bool plain = a == 0 || (a >= 1e-6 && a < 1e21);
    r = std::to_chars(buf, buf + sizeof buf, d,
                      plain ? std::chars_format::fixed : std::chars_format::scientific);
  }
  out.append(buf, r.ptr);
}

void append_string(std::string& out, std::string_view s, std::size_t limit) {
  out.push_back('"');
  for (const char c : s) {
    if (out.size() > limit) return;
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_value(std::string& out, const json::value& v, std::size_t limit, int depth) {
  if (out.size() > limit) return;
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      append_number(out, v);
      return;
    case json::kind::string:
      append_string(out, v.get_string(), limit);
      return;
    case json::kind::array: {
      if (depth > 8) {
        out += "[...]";
        return;
      }
      out.push_back('[');
      bool first = true;
      for (const json::value& item : v.get_array()) {
        if (out.size() > limit) return;
        if (!first) out.push_back(',');
        first = false;
        append_value(out, item, limit, depth + 1);
      }
      out.push_back(']');
      return;
    }
    case json::kind::object: {
      if (depth > 8) {
        out += "{...}";
        return;
      }
      out.push_back('{');
      bool first = true;
      for (const auto& member : v.get_object()) {
        if (out.size() > limit) return;
        if (!first) out.push_back(',');
        first = false;
        append_string(out, member.key(), limit);
        out.push_back(':');
        append_value(out, member.value(), limit, depth + 1);
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

int compare_numbers(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (a.is_double() && b.is_double()) {
      const double x = a.get_double();
      const double y = b.get_double();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a.is_double()) {
      const double d = a.get_double();
      return b.is_int64() ? compare_double_i64(d, b.get_int64())
                          : compare_double_u64(d, b.get_uint64());
    }
    return -compare_numbers(b, a);
  }
  if (a.is_int64() && b.is_int64()) {
    const std::int64_t x = a.get_int64();
    const std::int64_t y = b.get_int64();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_uint64() && b.is_uint64()) {
    const std::uint64_t x = a.get_uint64();
    const std::uint64_t y = b.get_uint64();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  // One int64 and one uint64.
  if (a.is_int64()) {
    const std::int64_t x = a.get_int64();
    if (x < 0) return -1;
    const auto ux = static_cast<std::uint64_t>(x);
    const std::uint64_t y = b.get_uint64();
    return ux < y ? -1 : (ux > y ? 1 : 0);
  }
  return -compare_numbers(b, a);
}

bool json_equal(const json::value& a, const json::value& b) {
  return equal_at(a, b, 0);
}

std::size_t json_hash(const json::value& v) {
  return hash_at(v, 0);
}

bool is_integral(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  if (!v.is_double()) return false;
  const double d = v.get_double();
  return std::isfinite(d) && std::trunc(d) == d;
}

std::string describe(const json::value& v, std::size_t max_length) {
  std::string out;
  append_value(out, v, max_length, 0);
  if (out.size() > max_length) {
    std::size_t cut = max_length;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 safe
    out.resize(cut);
    out += "...";
  }
  return out;
}

void append_pointer_token(std::string& out, std::string_view token) {
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace mcpp::schema::detail
