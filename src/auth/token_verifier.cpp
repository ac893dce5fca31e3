// Bearer token verifiers of the resource server: JWTs against the issuer's (cached, rotating)
// JWKS, and opaque tokens by RFC 7662 introspection.
#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <map>
#include <mutex>

#include "auth/crypto.hpp"
#include "auth/jwt.hpp"
#include "auth/token_claims.hpp"
#include "client/http_client.hpp"
#include "mcpp/auth/resource_server.hpp"

namespace mcpp::auth {

namespace asio = boost::asio;

namespace {

using Clock = std::chrono::system_clock;
constexpr std::chrono::seconds kFetchTimeout{10};
constexpr std::size_t kMaxDocument = 512 * 1024;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
}

TokenCheck refused(std::string why) {
  TokenCheck c;
  c.error = std::move(why);
  return c;
}

// GET (or POST a form to) a URL and parse a JSON object from a 200 answer. Throws
// std::runtime_error with a message naming the URL.
Task<json::value> fetch_json(const HttpTarget& target, std::string url, std::string form = {},
                             HttpHeaders headers = {}) {
  auto ex = co_await asio::this_coro::executor;
  HttpClient client(ex, target);
  headers.emplace_back("Accept", "application/json");
  HttpClient::Method method = HttpClient::Method::kGet;
  if (!form.empty()) {
    method = HttpClient::Method::kPost;
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  }
  // (Locals, not temporaries, next to co_await: GCC 12 mishandles temporaries there.)
  std::chrono::milliseconds timeout = kFetchTimeout;
  auto response = co_await client.send(method, url, headers, std::move(form), timeout);
  std::string body = co_await response->read_body(kMaxDocument, kFetchTimeout);
  if (response->status() != 200) {
    throw std::runtime_error(url + " answered HTTP " + std::to_string(response->status()));
  }
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) throw std::runtime_error(url + " did not answer a JSON object");
  co_return v;
}

// The well-known metadata URLs of an issuer, in the order RFC 8414 and OpenID Connect give.
std::vector<std::string> metadata_urls(const std::string& issuer) {
  auto url = boost::urls::parse_absolute_uri(issuer);
  if (!url) return {};
  std::string origin = std::string(url->scheme()) + "://" + std::string(url->encoded_authority());
  std::string path(url->encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.empty()) {
    return {origin + "/.well-known/oauth-authorization-server",
            origin + "/.well-known/openid-configuration"};
  }
  return {origin + "/.well-known/oauth-authorization-server" + path,
          origin + "/.well-known/openid-configuration" + path,
          origin + path + "/.well-known/openid-configuration"};
}

bool audience_matches(const json::value* aud, const std::vector<std::string>& accepted) {
  if (!aud) return false;
  auto one = [&](const json::value& v) {
    return v.is_string() && std::find(accepted.begin(), accepted.end(),
                                      std::string_view(v.get_string())) != accepted.end();
  };
  if (aud->is_string()) return one(*aud);
  if (aud->is_array()) {
    for (const auto& v : aud->get_array()) {
      if (one(v)) return true;
    }
  }
  return false;
}

// ---- JWT -------------------------------------------------------------------------------------

class JwtVerifier final : public TokenVerifier {
 public:
  explicit JwtVerifier(JwtVerifierOptions o) : o_(std::move(o)), jwks_uri_(o_.jwks_uri) {}

  Task<TokenCheck> verify(std::string token) override {
    DecodedJwt d;
    try {
      d = jwt_decode(token);
    } catch (const JwtError& e) {
      co_return refused(std::string("malformed token: ") + e.what());
    }
    // RFC 9068 access tokens say "at+jwt"; many providers say "JWT" or nothing. Other types
    // (ID tokens, logout or DPoP proofs, ...) are not access tokens.
    std::string typ(find_string(d.header, "typ"));
    std::transform(typ.begin(), typ.end(), typ.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    bool at_jwt = typ == "at+jwt" || typ == "application/at+jwt";
    if (!at_jwt && (o_.require_at_jwt || !(typ.empty() || typ == "jwt"))) {
      co_return refused("the token is not an access token (typ \"" + typ + "\")");
    }
    std::string kid(find_string(d.header, "kid"));
    std::vector<Jwk> keys;
    try {
      keys = co_await current_keys(kid);
    } catch (const std::exception& e) {
      co_return refused("cannot get the issuer's signing keys");
    }
    try {
      d = jwt_verify(token, keys);
    } catch (const JwtError& e) {
      co_return refused(e.what());
    }
    co_return check_claims(d.claims);
  }

 private:
  TokenCheck check_claims(const json::object& claims) const {
    if (find_string(claims, "iss") != o_.issuer) {
      return refused("the token was issued by \"" + std::string(find_string(claims, "iss")) +
                     "\", not by \"" + o_.issuer + "\"");
    }
    if (!audience_matches(find(claims, "aud"), o_.audiences)) {
      return refused(
          "the token is not for this resource (its audience is " +
          (find(claims, "aud") ? json::serialize(*find(claims, "aud")) : std::string("missing")) +
          ")");
    }
    auto exp = int_claim(claims, "exp");
    std::int64_t now = now_seconds(), leeway = o_.leeway.count();
    if (!exp) return refused("the token has no expiry (exp)");
    if (*exp + leeway <= now) return refused("the token has expired");
    if (auto nbf = int_claim(claims, "nbf"); nbf && *nbf - leeway > now) {
      return refused("the token is not valid yet (nbf)");
    }
    if (find_string(claims, "sub").empty()) return refused("the token has no subject (sub)");
    TokenCheck ok;
    ok.info = info_from(claims);
    return ok;
  }

  // The keys to check a token with: the cached set, fetched again when stale or when it does
  // not know `kid` (rotation) and the last fetch is not too recent.
  Task<std::vector<Jwk>> current_keys(const std::string& kid) {
    if (o_.local_jwks) co_return parse_jwks(o_.local_jwks());
    auto now = std::chrono::steady_clock::now();
    bool fetch = false;
    std::vector<Jwk> cached;
    std::string uri;
    {
      std::lock_guard lock(mu_);
      cached = keys_;
      uri = jwks_uri_;
      bool stale = !fetched_ || now - *fetched_ > o_.jwks_cache;
      bool unknown = !kid.empty() && std::none_of(keys_.begin(), keys_.end(),
                                                  [&](const Jwk& k) { return k.kid() == kid; });
      // At most one fetch per jwks_min_refresh, whatever the reason: a provider outage must not
      // turn every request into an outbound fetch.
      bool may_refresh = !attempted_ || now - *attempted_ > o_.jwks_min_refresh;
      fetch = (stale || unknown) && may_refresh;
      if (fetch) attempted_ = now;
    }
    if (!fetch) {
      if (cached.empty()) throw std::runtime_error("no keys yet (the last fetch failed)");
      co_return cached;
    }
    std::vector<Jwk> keys;
    bool failed = false;
    try {
      if (uri.empty()) uri = co_await discover_jwks_uri();
      json::value jwks = co_await fetch_json(o_.http, uri);
      keys = parse_jwks(jwks);
    } catch (const std::exception&) {
      // Keys already known stay usable while the issuer cannot be reached.
      if (cached.empty()) throw;
      failed = true;
    }
    if (failed) co_return cached;
    {
      std::lock_guard lock(mu_);
      keys_ = keys;
      fetched_ = now;
      jwks_uri_ = uri;
    }
    co_return keys;
  }

  Task<std::string> discover_jwks_uri() {
    std::string last_error = "the issuer URL is not an absolute http(s) URL";
    for (const std::string& url : metadata_urls(o_.issuer)) {
      try {
        json::value meta = co_await fetch_json(o_.http, url);
        if (find_string(meta, "issuer") != o_.issuer) {
          last_error = url + " names another issuer";
          continue;
        }
        std::string_view jwks = find_string(meta, "jwks_uri");
        if (jwks.empty()) {
          last_error = url + " has no jwks_uri";
          continue;
        }
        co_return std::string(jwks);
      } catch (const std::exception& e) {
        last_error = e.what();
      }
    }
    throw std::runtime_error(last_error);
  }

  const JwtVerifierOptions o_;
  std::mutex mu_;
  std::string jwks_uri_;  // given or discovered (guarded by mu_)
  std::vector<Jwk> keys_;
  std::optional<std::chrono::steady_clock::time_point> fetched_;
  std::optional<std::chrono::steady_clock::time_point> attempted_;
};

// ---- introspection ---------------------------------------------------------------------------

class IntrospectionVerifier final : public TokenVerifier {
 public:
  explicit IntrospectionVerifier(IntrospectionOptions o) : o_(std::move(o)) {}

  Task<TokenCheck> verify(std::string token) override {
    std::string key = sha256(token);
    std::int64_t now = now_seconds();
    {
      std::lock_guard lock(mu_);
      auto it = cache_.find(key);
      if (it != cache_.end()) {
        if (it->second.until > now) co_return it->second.check;
        cache_.erase(it);
      }
    }
    json::value answer;
    try {
      HttpHeaders headers;
      if (!o_.client_id.empty()) {
        headers.emplace_back("Authorization",
                             "Basic " + base64_encode(percent_encode(o_.client_id) + ":" +
                                                      percent_encode(o_.client_secret)));
      }
      std::string form = "token=" + percent_encode(token) + "&token_type_hint=access_token";
      answer = co_await fetch_json(o_.http, o_.endpoint, std::move(form), std::move(headers));
    } catch (const std::exception&) {
      co_return refused("the token could not be introspected");
    }
    TokenCheck check = judge(answer.get_object(), now);
    if (check.info) {
      std::int64_t until = now + o_.cache.count();
      if (check.info->expires_at > 0) until = std::min(until, check.info->expires_at);
      std::lock_guard lock(mu_);
      if (cache_.size() > 10'000) cache_.clear();
      cache_[key] = Entry{check, until};
    }
    co_return check;
  }

 private:
  TokenCheck judge(const json::object& r, std::int64_t now) const {
    const json::value* active = find(r, "active");
    if (!active || !active->is_bool() || !active->get_bool()) {
      return refused("the token is not active");
    }
    if (!o_.issuer.empty() && find_string(r, "iss") != o_.issuer) {
      return refused("the token was issued by another authorization server");
    }
    if (!audience_matches(find(r, "aud"), o_.audiences)) {
      return refused("the token is not for this resource");
    }
    if (auto exp = int_claim(r, "exp"); exp && *exp <= now) return refused("the token expired");
    std::string type(find_string(r, "token_type"));
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!type.empty() && type != "access_token" && type != "bearer") {
      return refused("the token is not an access token (token_type \"" + type + "\")");
    }
    std::shared_ptr<AuthInfo> info = info_from(r);
    // Sessions, tasks and multi-round-trip state are bound to the subject: it must not be empty.
    if (info->subject.empty()) {
      if (info->client_id.empty()) return refused("the token names neither a subject nor a client");
      info->subject = "client:" + info->client_id;
    }
    TokenCheck ok;
    ok.info = std::move(info);
    return ok;
  }

  struct Entry {
    TokenCheck check;
    std::int64_t until;
  };
  IntrospectionOptions o_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;
};

}  // namespace

std::shared_ptr<TokenVerifier> make_jwt_verifier(JwtVerifierOptions options) {
  if (options.issuer.empty()) throw std::invalid_argument("JWT verifier: the issuer is required");
  if (options.audiences.empty()) {
    throw std::invalid_argument("JWT verifier: at least one audience (the resource) is required");
  }
  return std::make_shared<JwtVerifier>(std::move(options));
}

std::shared_ptr<TokenVerifier> make_introspection_verifier(IntrospectionOptions options) {
  if (options.endpoint.empty()) {
    throw std::invalid_argument("introspection verifier: the endpoint is required");
  }
  if (options.audiences.empty()) {
    throw std::invalid_argument(
        "introspection verifier: at least one audience (the resource) is required");
  }
  return std::make_shared<IntrospectionVerifier>(std::move(options));
}

}  // namespace mcpp::auth
