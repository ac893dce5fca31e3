// URI handling for JSON Schema identifiers and references: RFC 3986 parsing and reference
// resolution (section 5.2), fragment splitting and percent-decoding.
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/json_schema_internal.hpp"

namespace mcpp::schema::detail {
namespace {

struct UriParts {
  std::string_view scheme, authority, path, query, fragment;
  bool has_scheme = false, has_authority = false, has_query = false, has_fragment = false;
};

bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

UriParts parse_uri(std::string_view s) {
  UriParts u;
  std::size_t i = 0;
  const std::size_t colon = s.find_first_of(":/?#");
  if (colon != std::string_view::npos && colon > 0 && s[colon] == ':' &&
      ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z') &&
      std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(colon), is_scheme_char)) {
    u.scheme = s.substr(0, colon);
    u.has_scheme = true;
    i = colon + 1;
  }
  if (s.substr(i, 2) == "//") {
    i += 2;
    const std::size_t end = std::min(s.find_first_of("/?#", i), s.size());
    u.authority = s.substr(i, end - i);
    u.has_authority = true;
    i = end;
  }
  const std::size_t path_end = std::min(s.find_first_of("?#", i), s.size());
  u.path = s.substr(i, path_end - i);
  i = path_end;
  if (i < s.size() && s[i] == '?') {
    const std::size_t end = std::min(s.find('#', i + 1), s.size());
    u.query = s.substr(i + 1, end - i - 1);
    u.has_query = true;
    i = end;
  }
  if (i < s.size() && s[i] == '#') {
    u.fragment = s.substr(i + 1);
    u.has_fragment = true;
  }
  return u;
}

std::string remove_dot_segments(std::string_view path) {
  std::string in(path);
  std::string out;
  const auto drop_last_segment = [&out] {
    const std::size_t slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!in.empty()) {
    if (in.rfind("../", 0) == 0) {
      in.erase(0, 3);
    } else if (in.rfind("./", 0) == 0) {
      in.erase(0, 2);
    } else if (in.rfind("/./", 0) == 0) {
      in.erase(0, 2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.rfind("/../", 0) == 0) {
      in.erase(0, 3);
      drop_last_segment();
    } else if (in == "/..") {
      in = "/";
      drop_last_segment();
    } else if (in == "." || in == "..") {
      in.clear();
    } else {
      const std::size_t next = in.find('/', in[0] == '/' ? 1 : 0);
      const std::size_t len = next == std::string::npos ? in.size() : next;
      out.append(in, 0, len);
      in.erase(0, len);
    }
  }
  return out;
}

}  // namespace

// Resolves reference `ref` against `base` (RFC 3986 section 5.2.2).
std::string resolve_uri(std::string_view base, std::string_view ref) {
  const UriParts r = parse_uri(ref);
  const UriParts b = parse_uri(base);
  std::string scheme, authority, path, query;
  bool has_scheme = false, has_authority = false, has_query = false;
  if (r.has_scheme) {
    scheme = r.scheme, has_scheme = true;
    authority = r.authority, has_authority = r.has_authority;
    path = remove_dot_segments(r.path);
    query = r.query, has_query = r.has_query;
  } else {
    scheme = b.scheme, has_scheme = b.has_scheme;
    if (r.has_authority) {
      authority = r.authority, has_authority = true;
      path = remove_dot_segments(r.path);
      query = r.query, has_query = r.has_query;
    } else {
      authority = b.authority, has_authority = b.has_authority;
      if (r.path.empty()) {
        path = b.path;
        if (r.has_query) {
          query = r.query, has_query = true;
        } else {
          query = b.query, has_query = b.has_query;
        }
      } else {
        if (r.path.front() == '/') {
          path = remove_dot_segments(r.path);
        } else {
          std::string merged;
          if (b.has_authority && b.path.empty()) {
            merged = "/" + std::string(r.path);
          } else {
            const std::size_t slash = b.path.rfind('/');
            if (slash != std::string_view::npos) merged = std::string(b.path.substr(0, slash + 1));
            merged += r.path;
          }
          path = remove_dot_segments(merged);
        }
        query = r.query, has_query = r.has_query;
      }
    }
  }
  std::string out;
  if (has_scheme) out += scheme + ":";
  if (has_authority) out += "//" + authority;
  out += path;
  if (has_query) out += "?" + query;
  if (r.has_fragment) out += "#" + std::string(r.fragment);
  return out;
}

// Splits "uri#fragment" into the URI without fragment and the (raw) fragment.
std::pair<std::string, std::string> split_fragment(std::string_view uri) {
  const std::size_t hash = uri.find('#');
  if (hash == std::string_view::npos) return {std::string(uri), std::string()};
  return {std::string(uri.substr(0, hash)), std::string(uri.substr(hash + 1))};
}

std::string percent_decode(std::string_view s) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace mcpp::schema::detail
