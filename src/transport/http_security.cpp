// Host/Origin validation against DNS rebinding, and Accept/Content-Type matching.
#include "transport/http_security.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <optional>

namespace mcpp {

namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "host", "host:port", "[v6]" or "[v6]:port" split into host (brackets kept) and port.
struct Authority {
  std::string_view host;
  std::string_view port;  // empty when absent
};

Authority split_authority(std::string_view a) {
  if (!a.empty() && a.front() == '[') {
    auto close = a.find(']');
    if (close == std::string_view::npos) return {a, {}};
    std::string_view rest = a.substr(close + 1);
    return {a.substr(0, close + 1), rest.starts_with(':') ? rest.substr(1) : std::string_view()};
  }
  auto colon = a.rfind(':');
  if (colon == std::string_view::npos || a.find(':') != colon) return {a, {}};
  return {a.substr(0, colon), a.substr(colon + 1)};
}

// "a.b.c.d": four decimal numbers 0-255 without leading zeros (inet_pton's strict form; the
// looser inet_aton forms such as "127.1" or "0x7f.1" are refused). The first number, or nullopt.
std::optional<int> strict_ipv4_first_octet(std::string_view s) {
  int first = -1;
  for (int part = 0; part < 4; ++part) {
    std::size_t len = 0;
    while (len < s.size() && s[len] >= '0' && s[len] <= '9') ++len;
    if (len == 0 || len > 3 || (len > 1 && s[0] == '0')) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < len; ++i) value = value * 10 + (s[i] - '0');
    if (value > 255) return std::nullopt;
    if (part == 0) first = value;
    s.remove_prefix(len);
    if (part < 3) {
      if (s.empty() || s.front() != '.') return std::nullopt;
      s.remove_prefix(1);
    }
  }
  if (!s.empty()) return std::nullopt;
  return first;
}

bool is_loopback_name(std::string_view host) {
  if (iequals(host, "localhost")) return true;
  if (auto first = strict_ipv4_first_octet(host)) return *first == 127;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.find(':') == std::string_view::npos || host.find('%') != std::string_view::npos) {
    return false;  // not an IPv6 literal, or one with a zone
  }
  boost::system::error_code ec;
  auto v6 = boost::asio::ip::make_address_v6(std::string(host), ec);
  if (ec || v6.scope_id() != 0) return false;
  if (v6.is_loopback()) return true;
  if (!v6.is_v4_mapped()) return false;
  auto v4 = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6);
  return (v4.to_uint() >> 24) == 127;
}

// An entry "host" allows every port; "host:port" one port.
bool host_matches(std::string_view entry, Authority got) {
  Authority want = split_authority(entry);
  return iequals(want.host, got.host) && (want.port.empty() || want.port == got.port);
}

// The authority of an origin ("https://example.com:8443" → "example.com:8443"); empty when the
// origin is not http(s)://authority.
std::string_view origin_authority(std::string_view origin) {
  auto sep = origin.find("://");
  if (sep == std::string_view::npos) return {};
  std::string_view scheme = origin.substr(0, sep);
  if (!iequals(scheme, "http") && !iequals(scheme, "https")) return {};
  std::string_view authority = origin.substr(sep + 3);
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.empty() || authority.find_first_of("/?#@") != std::string_view::npos) return {};
  return authority;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  return is_loopback_name(host);
}

OriginPolicy::OriginPolicy(const HttpOptions& options) : loopback_(is_loopback_host(options.host)) {
  for (const auto& h : options.allowed_hosts) hosts_.push_back(lowercase(h));
  for (const auto& o : options.allowed_origins) origins_.push_back(lowercase(o));
}

std::string OriginPolicy::check_host(std::string_view host) const {
  if (hosts_.empty() && !loopback_) return {};
  if (host.empty()) return "Bad Request: a Host header is required";
  Authority got = split_authority(host);
  bool ok = false;
  if (!hosts_.empty()) {
    ok = std::any_of(hosts_.begin(), hosts_.end(),
                     [&](const std::string& entry) { return host_matches(entry, got); });
  } else {
    ok = is_loopback_name(got.host);
  }
  if (ok) return {};
  return "Forbidden: Host \"" + std::string(host) +
         "\" is not allowed (DNS rebinding protection). A server bound to loopback answers "
         "localhost, 127.0.0.1 and [::1]; list other names in HttpOptions::allowed_hosts";
}

std::string OriginPolicy::check_origin(std::string_view origin, std::string_view host) const {
  if (origin.empty()) return {};
  bool ok = false;
  if (!origins_.empty()) {
    ok = std::any_of(origins_.begin(), origins_.end(), [&](const std::string& entry) {
      return entry == "*" || iequals(entry, trim(origin));
    });
  } else {
    std::string_view authority = origin_authority(trim(origin));
    if (loopback_) {
      ok = !authority.empty() && is_loopback_name(split_authority(authority).host);
    } else {
      ok = !authority.empty() && iequals(authority, host);
    }
  }
  if (ok) return {};
  return "Forbidden: Origin \"" + std::string(origin) +
         "\" is not allowed (DNS rebinding protection); list it in "
         "HttpOptions::allowed_origins";
}

bool accepts_media_type(std::string_view accept, std::string_view media_type) {
  std::string_view type = media_type.substr(0, media_type.find('/'));
  while (!accept.empty()) {
    auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view range = trim(item.substr(0, semi));
    // Parameters: only q matters here, and only q=0 ("not acceptable").
    bool refused = false;
    while (semi != std::string_view::npos) {
      item = item.substr(semi + 1);
      semi = item.find(';');
      std::string_view param = trim(item.substr(0, semi));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        std::string_view q = trim(param.substr(2));
        refused = !q.empty() &&
                  std::all_of(q.begin(), q.end(), [](char c) { return c == '0' || c == '.'; });
      }
    }
    if (refused) continue;
    if (range == "*/*" || iequals(range, media_type)) return true;
    if (range.size() == type.size() + 2 && range.ends_with("/*") &&
        iequals(range.substr(0, type.size()), type)) {
      return true;
    }
  }
  return false;
}

bool is_media_type(std::string_view content_type, std::string_view media_type) {
  return iequals(trim(content_type.substr(0, content_type.find(';'))), media_type);
}

}  // namespace mcpp
