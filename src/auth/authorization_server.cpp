// The authorization server: options, routing of its paths, metadata documents, signing keys
// (rotation, JWKS) and access token verification for a resource server in the same process.
#include "mcpp/auth/authorization_server.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>

#include "auth/authorization_server_impl.hpp"
#include "auth/crypto.hpp"

namespace mcpp::auth {

using authz::html_reply;
using authz::json_reply;
using authz::oauth_error;

namespace {

constexpr std::int64_t kPurgeInterval = 600;
constexpr std::int64_t kKeyGrace = 60;  // a retired key stays published this long past its tokens
constexpr std::int64_t kUnusedRegistrationSeconds = 86'400;  // registrations never used
constexpr std::size_t kMaxGrantChecks = 10'000;  // cached database answers (one per access token)

void check_options(AuthorizationServerOptions& o) {
  auto issuer = authz::split_uri(o.issuer);
  if (!issuer || (issuer->scheme != "http" && issuer->scheme != "https") || issuer->host.empty()) {
    throw std::runtime_error("authorization server: the issuer must be an http(s) URL, got \"" +
                             o.issuer + "\"");
  }
  if (o.issuer.find_first_of("?#") != std::string::npos || issuer->has_userinfo) {
    throw std::runtime_error("authorization server: the issuer has no query, fragment or user");
  }
  while (o.issuer.ends_with('/')) o.issuer.pop_back();
  if (o.resources.empty()) {
    throw std::runtime_error("authorization server: list at least one resource (the MCP URL)");
  }
  for (const auto& r : o.resources) {
    auto u = authz::split_uri(r);
    if (!u || u->has_fragment) {
      throw std::runtime_error("authorization server: \"" + r +
                               "\" is not an absolute URI without fragment");
    }
  }
  for (const auto& s : o.scopes_supported) {
    if (s.empty() || s.find_first_of(" \"\\") != std::string::npos) {
      throw std::runtime_error("authorization server: bad scope \"" + s + "\"");
    }
  }
  if (o.access_token_ttl.count() <= 0 || o.refresh_token_ttl.count() <= 0 ||
      o.code_ttl.count() <= 0 || o.key_rotation.count() <= 0 || o.session_ttl.count() <= 0 ||
      o.request_ttl.count() <= 0 || o.grant_lifetime.count() <= 0) {
    throw std::runtime_error("authorization server: lifetimes must be positive");
  }
}

std::optional<std::int64_t> integer_claim(const json::object& claims, std::string_view name) {
  const json::value* v = find(claims, name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() < (1ULL << 62))
    return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return std::nullopt;
}

HttpReply with_cors(HttpReply r) {
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

HttpReply preflight() {
  HttpReply r;
  r.status = 204;
  r.headers = {
      {"Access-Control-Allow-Origin", "*"},
      {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
      {"Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version"},
      {"Access-Control-Max-Age", "86400"}};
  return r;
}

HttpReply method_not_allowed(std::string_view allow) {
  HttpReply r = oauth_error(405, "invalid_request", "use " + std::string(allow));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

}  // namespace

AuthorizationServer::Impl::Impl(AuthorizationServerOptions options)
    : o((check_options(options), std::move(options))), store(o.database_path) {
  auto issuer = authz::split_uri(o.issuer);
  std::size_t authority = o.issuer.find("://") + 3;
  std::size_t path_start = o.issuer.find('/', authority);
  issuer_origin = o.issuer.substr(0, path_start);
  issuer_path = path_start == std::string::npos ? "" : o.issuer.substr(path_start);
  secure_cookies = issuer->scheme == "https";
  if (!o.users_file.empty()) {
    users = std::make_unique<UsersFile>(o.users_file);
  } else {
    admin_secret = random_token(32);
    admin_link = endpoint("/login/") + admin_secret;
  }
  std::int64_t t = now();
  std::vector<authz::RevokedToken> still_revoked = store.revoked_access_tokens(t);
  note_revoked(still_revoked);
  signing_key();  // the first key now, not on the first request
}

std::int64_t AuthorizationServer::Impl::now() const {
  auto t = o.clock ? o.clock() : std::chrono::system_clock::now();
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

void AuthorizationServer::Impl::maybe_purge() {
  std::int64_t t = now();
  std::int64_t last = last_purge.load();
  if (t - last < kPurgeInterval || !last_purge.compare_exchange_strong(last, t)) return;
  store.purge(t);
  store.purge_unused_registrations(t - kUnusedRegistrationSeconds);
  std::lock_guard lock(revoked_mutex);
  std::erase_if(revoked, [t](const auto& entry) { return entry.second <= t; });
}

void AuthorizationServer::Impl::note_revoked(const std::vector<authz::RevokedToken>& tokens) {
  std::lock_guard lock(revoked_mutex);
  for (const auto& r : tokens) revoked[r.jti] = r.expires_at;
}

// ---- users and grants -----------------------------------------------------------------------

std::optional<std::string> AuthorizationServer::Impl::current_credential(std::string_view subject) {
  if (users) return users->credential(subject);
  if (subject == "admin") return std::string(authz::kAdminLinkCredential);
  return std::nullopt;
}

std::string AuthorizationServer::Impl::credential_problem(std::string_view subject,
                                                          std::string_view credential) {
  std::optional<std::string> current = current_credential(subject);
  if (!current) return "the user " + std::string(subject) + " no longer exists";
  if (credential.empty() || !constant_time_equal(*current, credential)) {
    return "the user's password changed since this was granted";
  }
  return {};
}

std::string AuthorizationServer::Impl::check_grant(const std::string& jti, std::int64_t t) {
  {
    std::lock_guard lock(grant_checks_mutex);
    auto it = grant_checks.find(jti);
    if (it != grant_checks.end() && t - it->second.checked_at < kGrantRecheckSeconds &&
        t >= it->second.checked_at) {
      return it->second.problem;
    }
  }
  std::string problem;
  std::optional<authz::GrantStatus> status;
  try {
    status = store.grant_status(jti);
  } catch (const std::exception& e) {
    // Refused, not cached; the details are for the operator.
    std::cerr << "mcpp authorization server: checking a token's grant failed: " << e.what()
              << std::endl;
    return "its grant could not be checked; try again";
  }
  if (!status) {
    problem = "no record of this token's grant (sign in again)";
  } else if (status->revoked) {
    problem = "revoked";
  } else {
    problem = credential_problem(status->subject, status->credential);
  }
  std::lock_guard lock(grant_checks_mutex);
  if (grant_checks.size() >= kMaxGrantChecks) {
    std::erase_if(grant_checks, [t](const auto& entry) {
      return t - entry.second.checked_at >= kGrantRecheckSeconds;
    });
    if (grant_checks.size() >= kMaxGrantChecks) grant_checks.clear();
  }
  grant_checks[jti] = {problem, t};
  return problem;
}

// ---- signing keys ---------------------------------------------------------------------------

Jwk AuthorizationServer::Impl::signing_key(std::vector<Jwk>* published) {
  std::lock_guard lock(keys_mutex);
  std::int64_t t = now();
  if (keys.signing && t < keys.next_check) {
    if (published) *published = keys.published;
    return *keys.signing;
  }
  const std::int64_t retention = o.access_token_ttl.count() + kKeyGrace;
  store.delete_keys_retired_before(t - retention);
  auto load = [&] {
    std::vector<authz::KeyRecord> records = store.keys();
    for (const auto& r : records) {
      if (!keys.parsed.contains(r.kid)) {
        keys.parsed.emplace(r.kid, Jwk::from_json(json::parse(r.private_jwk).as_object()));
      }
    }
    return records;
  };
  std::vector<authz::KeyRecord> records = load();
  const authz::KeyRecord* current = nullptr;
  for (const auto& r : records) {
    if (r.retired_at == 0) current = &r;
  }
  bool rotate = !current || t - current->created_at >= o.key_rotation.count() ||
                keys.parsed.at(current->kid).alg() != o.signing_alg;
  if (rotate) {
    std::string kid = random_token(12);
    Jwk fresh = Jwk::generate(o.signing_alg, kid);
    store.put_key({kid, json::serialize(fresh.private_json()), t, 0});
    store.retire_keys_except(kid, t);
    records = load();
    current = &records.back();
    for (const auto& r : records) {
      if (r.kid == kid) current = &r;
    }
  }
  keys.signing = keys.parsed.at(current->kid);
  keys.published.clear();
  keys.next_check = current->created_at + o.key_rotation.count();
  for (const auto& r : records) {
    // Public halves only: the resource server has no use for the private keys.
    keys.published.push_back(Jwk::from_json(keys.parsed.at(r.kid).public_json()));
    if (r.retired_at != 0)
      keys.next_check = std::min(keys.next_check, r.retired_at + retention + 1);
  }
  std::erase_if(keys.parsed, [&](const auto& entry) {
    return std::none_of(records.begin(), records.end(),
                        [&](const authz::KeyRecord& r) { return r.kid == entry.first; });
  });
  if (published) *published = keys.published;
  return *keys.signing;
}

// ---- metadata -------------------------------------------------------------------------------

json::object AuthorizationServer::Impl::metadata(bool openid) const {
  json::array scopes;
  for (const auto& s : o.scopes_supported) scopes.emplace_back(s);
  json::array auth_methods{"none", "client_secret_post", "client_secret_basic"};
  json::object m{
      {"issuer", o.issuer},
      {"authorization_endpoint", endpoint("/authorize")},
      {"token_endpoint", endpoint("/token")},
      {"jwks_uri", endpoint("/jwks.json")},
      {"revocation_endpoint", endpoint("/revoke")},
  };
  if (o.dynamic_registration) m["registration_endpoint"] = endpoint("/register");
  m["scopes_supported"] = scopes;
  m["response_types_supported"] = json::array{"code"};
  m["response_modes_supported"] = json::array{"query"};
  m["grant_types_supported"] = json::array{"authorization_code", "refresh_token"};
  m["token_endpoint_auth_methods_supported"] = auth_methods;
  m["revocation_endpoint_auth_methods_supported"] = auth_methods;
  m["code_challenge_methods_supported"] = json::array{"S256"};
  m["authorization_response_iss_parameter_supported"] = true;
  m["client_id_metadata_document_supported"] = o.client_id_metadata_documents;
  if (openid) {
    // Required by OpenID Connect Discovery; no ID tokens are issued (no "openid" scope).
    m["subject_types_supported"] = json::array{"public"};
    m["id_token_signing_alg_values_supported"] = json::array{o.signing_alg};
  }
  return m;
}

// ---- routing --------------------------------------------------------------------------------

Task<std::optional<HttpReply>> AuthorizationServer::Impl::handle(const HttpRequestInfo& req) {
  const std::string& p = req.path;
  const std::string& prefix = issuer_path;
  try {
    maybe_purge();
    const bool get = req.method == "GET";
    const bool post = req.method == "POST";
    const bool options = req.method == "OPTIONS";
    bool oauth_metadata = p == "/.well-known/oauth-authorization-server" + prefix;
    bool openid_metadata = p == "/.well-known/openid-configuration" + prefix ||
                           (!prefix.empty() && p == prefix + "/.well-known/openid-configuration");
    if (oauth_metadata || openid_metadata) {
      if (options) co_return preflight();
      if (!get) co_return with_cors(method_not_allowed("GET"));
      HttpReply r = json_reply(200, metadata(openid_metadata));
      r.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "max-age=60"}};
      co_return with_cors(std::move(r));
    }
    if (!prefix.empty() &&
        !(p.starts_with(prefix) && p.size() > prefix.size() && p[prefix.size()] == '/')) {
      co_return std::nullopt;
    }
    std::string_view rest = std::string_view(p).substr(prefix.size());
    if (rest == "/jwks.json") {
      if (options) co_return preflight();
      if (!get) co_return with_cors(method_not_allowed("GET"));
      std::vector<Jwk> published;
      signing_key(&published);
      HttpReply r = json_reply(200, to_jwks(published));
      r.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "max-age=60"}};
      co_return with_cors(std::move(r));
    }
    // Form endpoints read at most kMaxFormBytes (the HTTP server admits far larger bodies).
    const bool form_route = rest == "/authorize" || rest == "/authorize/decision" ||
                            rest == "/token" || rest == "/revoke";
    if (form_route && req.body.size() > authz::kMaxFormBytes) {
      if (rest == "/token" || rest == "/revoke") {
        co_return with_cors(
            oauth_error(413, "invalid_request", "the request body is larger than 64 KiB"));
      }
      co_return html_reply(
          413, authz::render_notice("Request too large", "The form is larger than 64 KiB."));
    }
    if (rest == "/authorize") {
      if (get) co_return co_await authorize(req);
      if (post) {
        // OAuth 2.1 §4.1.1: the authorization request may also come as a form POST.
        if (authz::media_type(req) != "application/x-www-form-urlencoded") {
          co_return html_reply(
              400,
              authz::render_notice("Bad request", "Send the authorization request as a form."));
        }
        HttpRequestInfo as_get = req;
        as_get.query = req.body;
        co_return co_await authorize(as_get);
      }
      co_return method_not_allowed("GET, POST");
    }
    if (rest == "/authorize/resume") {
      if (!get) co_return method_not_allowed("GET");
      co_return resume(req);
    }
    if (rest == "/authorize/decision") {
      if (!post) co_return method_not_allowed("POST");
      co_return co_await decide(req);
    }
    if (rest == "/token" || rest == "/revoke" || (rest == "/register" && o.dynamic_registration)) {
      if (options) co_return preflight();
      if (!post) co_return with_cors(method_not_allowed("POST"));
      if (rest == "/token") co_return with_cors(token(req));
      if (rest == "/revoke") co_return with_cors(revoke(req));
      co_return with_cors(register_dynamic(req));
    }
    if (rest.starts_with("/login/")) {
      if (!get) co_return method_not_allowed("GET");
      co_return admin_login(req, rest.substr(7));
    }
    co_return std::nullopt;
  } catch (const std::exception& e) {
    // The details (SQLite's messages, paths) are for the operator, not for clients.
    std::cerr << "mcpp authorization server: " << req.method << " " << p.substr(0, 200)
              << " failed: " << e.what() << std::endl;
  }
  if (p.find("/authorize") != std::string::npos || p.find("/login/") != std::string::npos) {
    co_return html_reply(500, authz::render_notice("Server error",
                                                   "Something went wrong on the server. Try "
                                                   "again later."));
  }
  co_return with_cors(oauth_error(500, "server_error", "internal error; try again later"));
}

std::vector<std::string> AuthorizationServer::Impl::split_scope(std::string_view scope) const {
  std::vector<std::string> out;
  while (!scope.empty()) {
    auto sp = scope.find(' ');
    std::string_view item = scope.substr(0, sp);
    scope = sp == std::string_view::npos ? std::string_view() : scope.substr(sp + 1);
    if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) {
      out.emplace_back(item);
    }
  }
  return out;
}

std::optional<std::string> AuthorizationServer::Impl::match_resource(
    std::string_view requested) const {
  if (requested.empty()) return o.resources.front();
  std::string want = authz::canonical_resource(requested);
  for (const auto& r : o.resources) {
    if (authz::canonical_resource(r) == want) return r;
  }
  return std::nullopt;
}

// ---- the public API -------------------------------------------------------------------------

AuthorizationServer::AuthorizationServer(AuthorizationServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

AuthorizationServer::~AuthorizationServer() = default;

HttpRoute AuthorizationServer::route() {
  Impl* impl = impl_.get();
  return [impl](const HttpRequestInfo& request) { return impl->handle(request); };
}

const std::string& AuthorizationServer::issuer() const {
  return impl_->o.issuer;
}

const std::vector<std::string>& AuthorizationServer::resources() const {
  return impl_->o.resources;
}

const std::vector<std::string>& AuthorizationServer::scopes_supported() const {
  return impl_->o.scopes_supported;
}

json::object AuthorizationServer::metadata() const {
  return impl_->metadata(false);
}

json::object AuthorizationServer::jwks() const {
  return to_jwks(verification_keys());
}

std::vector<Jwk> AuthorizationServer::verification_keys() const {
  std::vector<Jwk> published;
  impl_->signing_key(&published);
  return published;
}

json::object AuthorizationServer::verify_access_token(std::string_view token,
                                                      std::string_view resource) const {
  return verify_access_token(token, std::vector<std::string>{std::string(resource)});
}

json::object AuthorizationServer::verify_access_token(
    std::string_view token, const std::vector<std::string>& resources) const {
  DecodedJwt d = jwt_verify(token, verification_keys());
  std::string typ(find_string(d.header, "typ"));
  std::transform(typ.begin(), typ.end(), typ.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (typ != "at+jwt" && typ != "application/at+jwt") {
    throw JwtError("access token: typ is not at+jwt");
  }
  const json::object& c = d.claims;
  if (find_string(c, "iss") != impl_->o.issuer) throw JwtError("access token: wrong issuer");
  std::vector<std::string> wanted;
  wanted.reserve(resources.size());
  for (const auto& r : resources) wanted.push_back(authz::canonical_resource(r));
  auto wanted_audience = [&](const json::value& a) {
    return a.is_string() && std::find(wanted.begin(), wanted.end(),
                                      authz::canonical_resource(a.get_string())) != wanted.end();
  };
  bool audience_ok = false;
  if (const json::value* aud = find(c, "aud")) {
    if (aud->is_string()) {
      audience_ok = wanted_audience(*aud);
    } else if (aud->is_array()) {
      for (const auto& a : aud->get_array()) {
        if (wanted_audience(a)) audience_ok = true;
      }
    }
  }
  if (!audience_ok) throw JwtError("access token: issued for another resource (aud)");
  std::int64_t t = impl_->now();
  auto exp = integer_claim(c, "exp");
  auto iat = integer_claim(c, "iat");
  if (!exp || t >= *exp) throw JwtError("access token: expired");
  if (!iat || *iat > t + 60) throw JwtError("access token: issued in the future");
  std::string_view jti = find_string(c, "jti");
  if (jti.empty()) throw JwtError("access token: no jti");
  if (access_token_revoked(jti)) throw JwtError("access token: revoked");
  std::string problem = impl_->check_grant(std::string(jti), t);
  if (!problem.empty()) throw JwtError("access token: " + problem);
  return c;
}

bool AuthorizationServer::access_token_revoked(std::string_view jti) const {
  std::lock_guard lock(impl_->revoked_mutex);
  return impl_->revoked.contains(std::string(jti));
}

std::optional<std::string> AuthorizationServer::admin_link() const {
  std::lock_guard lock(impl_->admin_mutex);
  if (impl_->admin_secret.empty()) return std::nullopt;
  return impl_->admin_link;
}

}  // namespace mcpp::auth
