// The pure parts of client OAuth: URLs, metadata, scopes, the authorization response, tokens.
#include "auth/oauth_flow.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>

#include "auth/authz_http.hpp"
#include "auth/crypto.hpp"
#include "jsonrpc/message.hpp"
#include "transport/http_security.hpp"

namespace mcpp::auth::oauth {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string strip_trailing_slash(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

std::string effective_port(const UrlParts& u) {
  if (!u.port.empty()) return u.port;
  return u.scheme == "https" ? "443" : "80";
}

// A short, printable excerpt of a body for error messages.
std::string excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) {
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  if (body.size() > 200) out += "...";
  return out;
}

// Parses `body` as a JSON object, or throws OAuthError naming `what` and `url`.
json::object json_object(std::string_view body, std::string_view what, std::string_view url) {
  auto parsed = jsonrpc::parse(body);
  if (auto* err = std::get_if<jsonrpc::Error>(&parsed)) {
    throw OAuthError(std::string(what) + " at " + std::string(url) + " is not JSON (" +
                     err->message + "): " + excerpt(body));
  }
  json::value& v = std::get<json::value>(parsed);
  if (!v.is_object()) {
    throw OAuthError(std::string(what) + " at " + std::string(url) + " is not a JSON object");
  }
  return std::move(v.as_object());
}

// A member that must be a string when present. `required`: absent or empty throws too.
std::string string_member(const json::object& o, std::string_view key, std::string_view what,
                          std::string_view url, bool required) {
  const json::value* v = find(o, key);
  if (!v || v->is_null()) {
    if (required) {
      throw OAuthError(std::string(what) + " at " + std::string(url) + " has no \"" +
                       std::string(key) + "\"");
    }
    return {};
  }
  if (!v->is_string()) {
    throw OAuthError(std::string(what) + " at " + std::string(url) + ": \"" + std::string(key) +
                     "\" is not a string");
  }
  if (required && v->get_string().empty()) {
    throw OAuthError(std::string(what) + " at " + std::string(url) + ": \"" + std::string(key) +
                     "\" is empty");
  }
  return std::string(v->get_string());
}

// A member that must be an array of strings when present.
std::optional<std::vector<std::string>> strings_member(const json::object& o, std::string_view key,
                                                       std::string_view what,
                                                       std::string_view url) {
  const json::value* v = find(o, key);
  if (!v || v->is_null()) return std::nullopt;
  auto bad = [&] {
    return OAuthError(std::string(what) + " at " + std::string(url) + ": \"" + std::string(key) +
                      "\" is not an array of strings");
  };
  if (!v->is_array()) throw bad();
  std::vector<std::string> out;
  for (const auto& x : v->get_array()) {
    if (!x.is_string()) throw bad();
    out.emplace_back(x.get_string());
  }
  return out;
}

bool bool_member(const json::object& o, std::string_view key) {
  const json::value* v = find(o, key);
  return v && v->is_bool() && v->get_bool();
}

bool contains(const std::optional<std::vector<std::string>>& list, std::string_view x) {
  return list && std::find(list->begin(), list->end(), x) != list->end();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes application/x-www-form-urlencoded: '+' is a space, %XX a byte; a '%' not followed
// by two hex digits is kept as it is.
std::string form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// The OAuth error of a JSON body ({"error", "error_description"}), as "error: description",
// or "".
std::string oauth_error_of(std::string_view body) {
  auto parsed = jsonrpc::parse(body);
  auto* v = std::get_if<json::value>(&parsed);
  if (!v || !v->is_object()) return {};
  std::string_view error = find_string(*v, "error");
  if (error.empty()) return {};
  std::string out(error);
  if (std::string_view d = find_string(*v, "error_description"); !d.empty()) {
    out += ": " + std::string(d);
  }
  return out;
}

// The failure of an HTTP exchange with an authorization server, as a sentence.
std::string http_failure(std::string_view what, std::string_view endpoint, int status,
                         std::string_view media_type, std::string_view body) {
  std::string out = std::string(what) + " at " + std::string(endpoint) + " failed: HTTP " +
                    std::to_string(status);
  if (std::string e = oauth_error_of(body); !e.empty()) {
    out += ", " + e;
  } else if (!body.empty()) {
    out += " (" + (media_type.empty() ? std::string("no Content-Type") : std::string(media_type)) +
           "): " + excerpt(body);
  }
  return out;
}

}  // namespace

// ---- URLs ------------------------------------------------------------------------------------

std::optional<UrlParts> split_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !authz::authority_is_whole(*parsed)) return std::nullopt;
  const boost::urls::url_view& u = *parsed;
  UrlParts p;
  p.scheme = lower(u.scheme());
  if (p.scheme != "http" && p.scheme != "https") return std::nullopt;
  if (!u.has_authority() || u.host_address().empty()) return std::nullopt;
  p.host = lower(u.host_address());
  p.port = u.has_port() ? std::string(u.port()) : std::string();
  p.origin = std::string(u.scheme()) + "://" + std::string(u.encoded_host_and_port());
  p.path = std::string(u.encoded_path());
  p.has_query = u.has_query();
  p.has_fragment = u.has_fragment();
  return p;
}

std::vector<std::string> resource_metadata_urls(std::string_view server_url) {
  auto u = split_url(server_url);
  if (!u) return {};
  std::vector<std::string> out;
  std::string path = strip_trailing_slash(u->path);
  const std::string base = u->origin + "/.well-known/oauth-protected-resource";
  if (!path.empty()) out.push_back(base + path);
  out.push_back(base);
  return out;
}

std::vector<std::string> server_metadata_urls(std::string_view issuer) {
  auto u = split_url(issuer);
  if (!u) return {};
  std::string path = strip_trailing_slash(u->path);
  if (path.empty()) {
    return {u->origin + "/.well-known/oauth-authorization-server",
            u->origin + "/.well-known/openid-configuration"};
  }
  return {u->origin + "/.well-known/oauth-authorization-server" + path,
          u->origin + "/.well-known/openid-configuration" + path,
          u->origin + path + "/.well-known/openid-configuration"};
}

bool resource_covers(std::string_view resource, std::string_view server_url) {
  auto r = split_url(resource);
  auto s = split_url(server_url);
  if (!r || !s || r->has_fragment) return false;
  if (r->scheme != s->scheme || r->host != s->host || effective_port(*r) != effective_port(*s)) {
    return false;
  }
  std::string rp = strip_trailing_slash(r->path);
  std::string sp = strip_trailing_slash(s->path);
  if (rp.empty() || rp == sp) return true;
  return sp.size() > rp.size() && sp.compare(0, rp.size(), rp) == 0 && sp[rp.size()] == '/';
}

std::string canonical_resource(std::string_view server_url) {
  auto u = split_url(server_url);
  if (!u) return std::string(server_url);
  std::string out = u->scheme + "://";
  out += u->host.find(':') != std::string::npos ? "[" + u->host + "]" : u->host;
  if (!u->port.empty()) out += ":" + u->port;
  std::string path = u->path == "/" ? std::string() : u->path;
  out += path;
  if (u->has_query) {
    auto parsed = boost::urls::parse_uri(server_url);
    out += "?" + std::string(parsed->encoded_query());
  }
  return out;
}

bool is_loopback_url(std::string_view url) {
  auto u = split_url(url);
  if (!u) return false;
  return is_loopback_host(u->host);
}

void require_secure_url(std::string_view url, std::string_view what, bool allow_http) {
  auto u = split_url(url);
  if (!u) {
    throw OAuthError(std::string(what) + " '" + std::string(url) +
                     "' is not an absolute http(s) URL");
  }
  if (u->scheme == "https" || allow_http || is_loopback_url(url)) return;
  throw OAuthError(std::string(what) + " " + std::string(url) +
                   " does not use https (authorization servers must; http is accepted on "
                   "loopback only)");
}

// ---- metadata --------------------------------------------------------------------------------

ResourceMetadata parse_resource_metadata(std::string_view body, std::string_view url) {
  constexpr std::string_view what = "the protected resource metadata";
  json::object o = json_object(body, what, url);
  ResourceMetadata m;
  m.url = std::string(url);
  m.resource = string_member(o, "resource", what, url, true);
  auto servers = strings_member(o, "authorization_servers", what, url);
  if (!servers || servers->empty()) {
    throw OAuthError(std::string(what) + " at " + std::string(url) +
                     " names no authorization server (\"authorization_servers\")");
  }
  m.authorization_servers = std::move(*servers);
  m.scopes_supported = strings_member(o, "scopes_supported", what, url);
  return m;
}

ServerMetadata parse_server_metadata(std::string_view body, std::string_view url,
                                     std::string_view expected_issuer) {
  constexpr std::string_view what = "the authorization server metadata";
  json::object o = json_object(body, what, url);
  ServerMetadata m;
  m.url = std::string(url);
  m.issuer = string_member(o, "issuer", what, url, true);
  if (m.issuer != expected_issuer) {
    throw OAuthError(std::string(what) + " at " + std::string(url) + " is for issuer '" + m.issuer +
                     "', not '" + std::string(expected_issuer) +
                     "' (RFC 8414 §3.3): refusing to use it");
  }
  m.authorization_endpoint = string_member(o, "authorization_endpoint", what, url, true);
  m.token_endpoint = string_member(o, "token_endpoint", what, url, true);
  m.registration_endpoint = string_member(o, "registration_endpoint", what, url, false);
  m.scopes_supported = strings_member(o, "scopes_supported", what, url);
  m.token_endpoint_auth_methods_supported =
      strings_member(o, "token_endpoint_auth_methods_supported", what, url);
  m.code_challenge_methods_supported =
      strings_member(o, "code_challenge_methods_supported", what, url);
  m.client_id_metadata_document_supported = bool_member(o, "client_id_metadata_document_supported");
  m.iss_parameter_supported = bool_member(o, "authorization_response_iss_parameter_supported");
  return m;
}

ServerMetadata default_server_metadata(std::string_view base) {
  auto u = split_url(base);
  ServerMetadata m;
  std::string origin = u ? u->origin : std::string(base);
  m.issuer = origin;
  m.authorization_endpoint = origin + "/authorize";
  m.token_endpoint = origin + "/token";
  m.registration_endpoint = origin + "/register";
  // No metadata means nothing advertised; the 2025-03-26 spec had clients use PKCE anyway.
  m.code_challenge_methods_supported = std::vector<std::string>{"S256"};
  return m;
}

void require_pkce_s256(const ServerMetadata& as) {
  if (contains(as.code_challenge_methods_supported, "S256")) return;
  std::string said = "it does not list code_challenge_methods_supported";
  if (as.code_challenge_methods_supported) {
    said = "it supports only";
    for (const auto& m : *as.code_challenge_methods_supported) said += " " + m;
    if (as.code_challenge_methods_supported->empty()) said += " nothing";
  }
  throw OAuthError("the authorization server " + as.issuer + " does not support PKCE with S256 (" +
                   said + "); refusing to authorize without it");
}

// ---- scopes and registration -----------------------------------------------------------------

std::vector<std::string> split_scope(std::string_view scope) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < scope.size()) {
    while (i < scope.size() && (scope[i] == ' ' || scope[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < scope.size() && scope[i] != ' ' && scope[i] != '\t') ++i;
    if (i > start) {
      std::string s(scope.substr(start, i - start));
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
  }
  return out;
}

std::string scope_union(std::string_view a, std::string_view b) {
  std::vector<std::string> all = split_scope(a);
  for (auto& s : split_scope(b)) {
    if (std::find(all.begin(), all.end(), s) == all.end()) all.push_back(std::move(s));
  }
  std::string out;
  for (const auto& s : all) out += (out.empty() ? "" : " ") + s;
  return out;
}

bool scope_covers(std::string_view have, std::string_view needed) {
  auto h = split_scope(have);
  for (const auto& s : split_scope(needed)) {
    if (std::find(h.begin(), h.end(), s) == h.end()) return false;
  }
  return true;
}

std::string select_scope(std::string_view challenge_scope, const ResourceMetadata* prm,
                         std::string_view previous, const ServerMetadata& as, bool offline_access) {
  std::string scope;
  if (!split_scope(challenge_scope).empty()) {
    scope = scope_union(challenge_scope, "");
  } else if (prm && prm->scopes_supported) {
    for (const auto& s : *prm->scopes_supported) scope = scope_union(scope, s);
  }
  scope = scope_union(previous, scope);
  if (offline_access && !scope.empty() && contains(as.scopes_supported, "offline_access")) {
    scope = scope_union(scope, "offline_access");
  }
  return scope;
}

std::string choose_auth_method(const ServerMetadata& as, bool has_secret,
                               std::string_view preferred) {
  if (!preferred.empty()) return std::string(preferred);
  if (!has_secret) return "none";
  const auto& supported = as.token_endpoint_auth_methods_supported;
  // RFC 8414: when the server lists nothing, client_secret_basic is the default.
  if (!supported || contains(supported, "client_secret_basic")) return "client_secret_basic";
  if (contains(supported, "client_secret_post")) return "client_secret_post";
  return "client_secret_basic";
}

std::string registration_auth_method(const ServerMetadata& as) {
  const auto& supported = as.token_endpoint_auth_methods_supported;
  if (!supported || contains(supported, "none")) return "none";
  if (contains(supported, "client_secret_basic")) return "client_secret_basic";
  if (contains(supported, "client_secret_post")) return "client_secret_post";
  return "none";
}

std::string application_type_for(std::string_view redirect_uri) {
  return is_loopback_url(redirect_uri) || !split_url(redirect_uri) ? "native" : "web";
}

Registration parse_registration_response(int status, std::string_view media_type,
                                         std::string_view body, std::string_view endpoint) {
  constexpr std::string_view what = "dynamic client registration";
  if (status < 200 || status >= 300) {
    throw OAuthError(http_failure(what, endpoint, status, media_type, body));
  }
  json::object o = json_object(body, "the registration response", endpoint);
  Registration r;
  r.client_id = string_member(o, "client_id", "the registration response", endpoint, true);
  r.client_secret = string_member(o, "client_secret", "the registration response", endpoint, false);
  r.token_endpoint_auth_method =
      string_member(o, "token_endpoint_auth_method", "the registration response", endpoint, false);
  return r;
}

// ---- authorization request and response -----------------------------------------------------

std::string form_encode(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += percent_encode(k) + "=" + percent_encode(v);
  }
  return out;
}

std::string with_query(std::string_view url, const Params& params) {
  std::string base(url);
  std::string fragment;
  if (auto hash = base.find('#'); hash != std::string::npos) {
    fragment = base.substr(hash);
    base.resize(hash);
  }
  std::string q = form_encode(params);
  if (q.empty()) return base + fragment;
  char sep = base.find('?') == std::string::npos ? '?' : (base.back() == '?' ? '\0' : '&');
  if (sep != '\0') base += sep;
  return base + q + fragment;
}

Params query_params(std::string_view url) {
  Params out;
  auto q = url.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = url.substr(q + 1);
  if (auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string name = form_decode(pair.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1));
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

std::optional<std::string> param(const Params& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string check_authorization_response(std::string_view callback_url,
                                         std::string_view expected_state, std::string_view issuer,
                                         bool iss_advertised) {
  Params p = query_params(callback_url);
  auto state = param(p, "state");
  if (!state || !constant_time_equal(*state, expected_state)) {
    throw OAuthError(
        std::string("the authorization response ") +
        (state ? "has a state that does not match the request's" : "carries no state") +
        ": discarded (it may not answer mcpp's request)");
  }
  auto iss = param(p, "iss");
  if (iss) {
    // RFC 9207 §2.4: a simple string comparison, no normalization of any kind.
    if (*iss != issuer) {
      throw OAuthError("the authorization response comes from issuer '" + *iss + "', not from '" +
                       std::string(issuer) + "' that mcpp sent the user to (RFC 9207): discarded");
    }
  } else if (iss_advertised) {
    throw OAuthError("the authorization response carries no iss parameter although " +
                     std::string(issuer) +
                     " advertises authorization_response_iss_parameter_supported (RFC 9207): "
                     "discarded");
  }
  if (auto error = param(p, "error")) {
    std::string message = "the authorization server refused: " + *error;
    if (auto d = param(p, "error_description"); d && !d->empty()) message += ": " + *d;
    throw OAuthError(message);
  }
  auto code = param(p, "code");
  if (!code || code->empty()) throw OAuthError("the authorization response carries no code");
  return *code;
}

// ---- tokens ----------------------------------------------------------------------------------

TokenResponse parse_token_response(int status, std::string_view media_type, std::string_view body,
                                   std::string_view endpoint) {
  constexpr std::string_view what = "the token request";
  if (status < 200 || status >= 300) {
    throw OAuthError(http_failure(what, endpoint, status, media_type, body));
  }
  if (!media_type.empty() && media_type != "application/json" && !media_type.ends_with("+json")) {
    throw OAuthError("the token endpoint " + std::string(endpoint) +
                     " answered with Content-Type '" + std::string(media_type) +
                     "', not JSON: " + excerpt(body));
  }
  json::object o = json_object(body, "the token response", endpoint);
  if (std::string_view error = find_string(o, "error"); !error.empty()) {
    std::string message =
        "the token endpoint " + std::string(endpoint) + " refused: " + std::string(error);
    if (std::string_view d = find_string(o, "error_description"); !d.empty()) {
      message += ": " + std::string(d);
    }
    throw OAuthError(message);
  }
  TokenResponse t;
  t.access_token = string_member(o, "access_token", "the token response", endpoint, true);
  t.token_type = string_member(o, "token_type", "the token response", endpoint, false);
  if (t.token_type.empty()) t.token_type = "Bearer";
  if (lower(t.token_type) != "bearer") {
    throw OAuthError("the token endpoint " + std::string(endpoint) + " issued a token of type '" +
                     t.token_type + "', which mcpp does not support (only Bearer)");
  }
  t.token_type = "Bearer";
  t.refresh_token = string_member(o, "refresh_token", "the token response", endpoint, false);
  t.scope = string_member(o, "scope", "the token response", endpoint, false);
  if (const json::value* e = find(o, "expires_in"); e && !e->is_null()) {
    std::optional<std::int64_t> seconds;
    if (e->is_int64()) {
      seconds = e->get_int64();
    } else if (e->is_uint64()) {
      seconds = static_cast<std::int64_t>(std::min<std::uint64_t>(e->get_uint64(), 1ull << 40));
    } else if (e->is_double()) {
      seconds = static_cast<std::int64_t>(std::clamp(e->get_double(), 0.0, 1e12));
    } else if (e->is_string() && !e->get_string().empty() && e->get_string().size() < 12 &&
               std::all_of(e->get_string().begin(), e->get_string().end(),
                           [](char c) { return c >= '0' && c <= '9'; })) {
      seconds = std::stoll(std::string(e->get_string()));
    } else {
      throw OAuthError("the token response of " + std::string(endpoint) +
                       ": \"expires_in\" is not a number");
    }
    t.expires_in = std::max<std::int64_t>(*seconds, 0);
  }
  return t;
}

std::string basic_credentials(std::string_view client_id, std::string_view client_secret) {
  return "Basic " + [&] {
    std::string raw = percent_encode(client_id) + ":" + percent_encode(client_secret);
    // Standard base64 (with padding), not base64url.
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    while (i + 3 <= raw.size()) {
      unsigned v = (static_cast<unsigned char>(raw[i]) << 16) |
                   (static_cast<unsigned char>(raw[i + 1]) << 8) |
                   static_cast<unsigned char>(raw[i + 2]);
      out += kAlphabet[(v >> 18) & 63];
      out += kAlphabet[(v >> 12) & 63];
      out += kAlphabet[(v >> 6) & 63];
      out += kAlphabet[v & 63];
      i += 3;
    }
    if (raw.size() - i == 1) {
      unsigned v = static_cast<unsigned char>(raw[i]) << 16;
      out += kAlphabet[(v >> 18) & 63];
      out += kAlphabet[(v >> 12) & 63];
      out += "==";
    } else if (raw.size() - i == 2) {
      unsigned v = (static_cast<unsigned char>(raw[i]) << 16) |
                   (static_cast<unsigned char>(raw[i + 1]) << 8);
      out += kAlphabet[(v >> 18) & 63];
      out += kAlphabet[(v >> 12) & 63];
      out += kAlphabet[(v >> 6) & 63];
      out += '=';
    }
    return out;
  }();
}

}  // namespace mcpp::auth::oauth
