// Form decoding, cookies, replies and redirect URI rules of the authorization server.
#include "auth/authz_http.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "transport/http_security.hpp"

namespace mcpp::auth::authz {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `uri` without the ":port" of its authority (the URI is known to be http://host:port/...).
std::string without_port(std::string_view uri, const UriParts& parts) {
  if (parts.port.empty()) return std::string(uri);
  auto authority = uri.find("://") + 3;
  auto end = uri.find_first_of("/?#", authority);
  if (end == std::string_view::npos) end = uri.size();
  std::string_view host_port = uri.substr(authority, end - authority);
  auto colon = host_port.rfind(':');
  return std::string(uri.substr(0, authority)) + std::string(host_port.substr(0, colon)) +
         std::string(uri.substr(end));
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (n == 9 || i + n >= s.size()) return false;
    std::uint32_t cp = n == 0 ? c : c & (0x3F >> n);
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    auto amp = text.find('&');
    std::string_view item = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    auto name = percent_decode(item.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? "" : item.substr(eq + 1), true);
    if (!name || !value || !valid_utf8(*name) || !valid_utf8(*value)) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<Params> Params::parse(std::string_view text, std::string* why) {
  // Count before decoding: a 4 MB body of tiny pairs is refused without building them.
  std::size_t count = 0;
  for (std::size_t start = 0; start < text.size() && count <= kMaxFormParams;) {
    std::size_t amp = std::min(text.find('&', start), text.size());
    if (amp > start) ++count;
    start = amp + 1;
  }
  if (count > kMaxFormParams) {
    if (why) *why = "more than " + std::to_string(kMaxFormParams) + " parameters";
    return std::nullopt;
  }
  auto pairs = parse_form(text);
  if (!pairs) {
    if (why) *why = "a bad percent escape or invalid UTF-8";
    return std::nullopt;
  }
  Params p;
  p.pairs_ = std::move(*pairs);
  std::unordered_set<std::string_view> seen;
  seen.reserve(p.pairs_.size());
  for (const auto& [name, value] : p.pairs_) {
    // An empty name is no parameter anyone reads; as a duplicate it would read as "none".
    if (name.empty()) continue;
    if (!seen.insert(name).second) {
      p.duplicate_ = name;
      break;
    }
  }
  return p;
}

std::string Params::get(std::string_view name) const {
  for (const auto& [k, v] : pairs_) {
    if (k == name) return v;
  }
  return {};
}

bool Params::has(std::string_view name) const {
  return std::any_of(pairs_.begin(), pairs_.end(), [&](const auto& p) { return p.first == name; });
}

std::string cookie(const HttpRequestInfo& request, std::string_view name) {
  for (const auto& [header_name, value] : request.headers) {
    if (header_name != "cookie") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      auto semi = rest.find(';');
      std::string_view item = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      auto eq = item.find('=');
      if (eq == std::string_view::npos) continue;
      if (trim(item.substr(0, eq)) == name) {
        std::string_view v = trim(item.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        return std::string(v);
      }
    }
  }
  return {};
}

std::string media_type(const HttpRequestInfo& request) {
  std::string_view ct = request.header("content-type");
  return lowercase(trim(ct.substr(0, ct.find(';'))));
}

HttpReply json_reply(int status, const json::value& body) {
  HttpReply r;
  r.status = status;
  r.headers = {
      {"Content-Type", "application/json"}, {"Cache-Control", "no-store"}, {"Pragma", "no-cache"}};
  r.body = json::serialize(body);
  return r;
}

HttpReply oauth_error(int status, std::string_view error, std::string_view description) {
  json::object body{{"error", error}};
  if (!description.empty()) body["error_description"] = description;
  return json_reply(status, body);
}

HttpReply html_reply(int status, std::string body) {
  HttpReply r;
  r.status = status;
  r.headers = {
      {"Content-Type", "text/html; charset=utf-8"},
      {"Cache-Control", "no-store"},
      {"Pragma", "no-cache"},
      // No scripts, no frames (clickjacking), no referrer carrying codes or request ids. No
      // form-action: browsers apply it to the redirect that follows the form, to the client.
      {"Content-Security-Policy",
       "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"},
      {"X-Frame-Options", "DENY"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
  };
  r.body = std::move(body);
  return r;
}

HttpReply redirect_reply(std::string_view location) {
  HttpReply r;
  r.status = 303;
  r.headers = {{"Location", std::string(location)},
               {"Cache-Control", "no-store"},
               {"Referrer-Policy", "no-referrer"}};
  return r;
}

std::string add_query(std::string_view url,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out(url);
  auto hash = out.find('#');
  if (hash != std::string::npos) out.resize(hash);
  char sep = out.find('?') == std::string::npos ? '?' : '&';
  if (sep == '&' && (out.back() == '?' || out.back() == '&')) sep = '\0';
  for (const auto& [k, v] : params) {
    if (sep != '\0') out += sep;
    out += form_encode(k);
    out += '=';
    out += form_encode(v);
    sep = '&';
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::optional<UriParts> split_uri(std::string_view uri) {
  auto parsed = boost::urls::parse_uri(uri);
  if (!parsed || !authority_is_whole(*parsed)) return std::nullopt;
  const auto& u = *parsed;
  UriParts p;
  p.scheme = lowercase(u.scheme());
  std::string host = lowercase(u.encoded_host());
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  p.host = std::move(host);
  p.port = std::string(u.port());
  p.path = std::string(u.encoded_path());
  p.has_fragment = u.has_fragment();
  p.has_userinfo = u.has_userinfo();
  return p;
}

bool is_loopback(std::string_view host) {
  return is_loopback_host(host);
}

std::string check_redirect_uri(std::string_view uri, std::string_view application_type,
                               bool private_use_scheme) {
  if (uri.empty()) return "a redirect URI is empty";
  if (uri.size() > 2000) return "a redirect URI is longer than 2000 characters";
  auto parts = split_uri(uri);
  std::string quoted = "\"" + std::string(uri) + "\"";
  if (!parts) return quoted + " is not an absolute URI";
  if (parts->has_fragment) return quoted + " has a fragment";
  const std::string& scheme = parts->scheme;
  static constexpr std::string_view kForbidden[] = {"javascript", "data", "vbscript",  "file",
                                                    "about",      "blob", "filesystem"};
  for (auto f : kForbidden) {
    if (scheme == f) return quoted + ": the " + scheme + ": scheme is not allowed";
  }
  bool native = application_type == "native";
  if (scheme == "http" || scheme == "https") {
    if (parts->host.empty()) return quoted + " has no host";
    if (parts->has_userinfo) return quoted + " has user information";
    if (scheme == "https") return {};
    if (is_loopback(parts->host)) return {};
    return quoted + (native ? ": native clients may use http only on loopback (127.0.0.1, "
                              "[::1], localhost)"
                            : ": http is allowed only on loopback; use https");
  }
  if (application_type == "web") {
    return quoted + ": web clients must use https (http only on localhost)";
  }
  if (!native || !private_use_scheme) {
    return quoted +
           ": redirect URIs must use https, or http on localhost (a native app can listen on "
           "a loopback port, RFC 8252 §7.3)";
  }
  return {};  // a private-use scheme of a native app the operator registered (RFC 8252 §7.1)
}

bool redirect_uri_matches(std::string_view registered, std::string_view requested) {
  if (registered == requested) return true;
  auto a = split_uri(registered);
  auto b = split_uri(requested);
  if (!a || !b || a->scheme != "http" || b->scheme != "http") return false;
  if (!is_loopback(a->host) || a->host != b->host) return false;
  return without_port(registered, *a) == without_port(requested, *b);
}

std::string canonical_resource(std::string_view uri) {
  auto sep = uri.find("://");
  if (sep == std::string_view::npos) return std::string(uri);
  auto end = uri.find_first_of("/?#", sep + 3);
  if (end == std::string_view::npos) end = uri.size();
  std::string out = lowercase(uri.substr(0, end));
  std::string_view rest = uri.substr(end);
  if (rest == "/") rest = {};
  out += rest;
  return out;
}

}  // namespace mcpp::auth::authz
