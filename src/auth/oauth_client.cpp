// OAuthClient: discovery, registration, the authorization code flow, refresh and step-up for
// the MCP servers a client talks to. Everything runs on the OAuthClient's strand; one flow at a
// time (others wait for it and then use its token).
#include "mcpp/auth/oauth_client.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "auth/crypto.hpp"
#include "auth/oauth_flow.hpp"
#include "client/http_client.hpp"
#include "client/www_authenticate.hpp"

namespace mcpp::auth {

namespace asio = boost::asio;
using namespace oauth;

namespace {

constexpr std::size_t kMaxBody = 1024 * 1024;
constexpr std::int64_t kExpirySkewSeconds = 30;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct HttpResult {
  int status = 0;
  std::string media_type;
  std::string body;
};

// (Built outside co_await expressions: GCC 12 miscompiles braced lists of strings in them.)
HttpHeaders json_accept() {
  HttpHeaders h;
  h.emplace_back("Accept", "application/json");
  return h;
}

HttpTarget connection_settings(const OAuthOptions& o) {
  HttpTarget t;
  t.connect_timeout = o.http_timeout;
  t.ca_file = o.ca_file;
  t.verify_tls = o.verify_tls;
  return t;
}

}  // namespace

struct OAuthClient::Impl : std::enable_shared_from_this<OAuthClient::Impl> {
  using Strand = asio::strand<asio::any_io_executor>;

  // What the client knows about one MCP server.
  struct Session {
    std::string server_url;
    std::string resource;  // sent as `resource` (RFC 8707)
    std::string issuer;
    std::optional<ResourceMetadata> prm;
    std::optional<ServerMetadata> as;
    std::optional<StoredClient> client;
    std::string client_secret;
    std::optional<StoredToken> token;
    std::string requested_scope;          // of the last authorization request
    bool token_from_flow = false;         // fresh from an authorization, never refreshed
    std::map<std::string, int> step_ups;  // by challenged scope
    bool loaded = false;
  };

  Impl(asio::any_io_executor ex, OAuthOptions o)
      : strand_(asio::make_strand(std::move(ex))),
        options_(std::move(o)),
        http_(strand_, connection_settings(options_)) {}

  Strand strand_;
  OAuthOptions options_;
  HttpClient http_;
  std::atomic<bool> interactive_{false};
  std::shared_ptr<asio::steady_timer> busy_;  // set while a flow or refresh runs
  std::map<std::string, Session> sessions_;
  bool warned_any_issuer_ = false;

  // ---- small helpers ----

  void progress(const std::string& what) const {
    if (options_.on_progress) options_.on_progress(what);
  }
  void warn(const std::string& what) const {
    if (options_.on_warning) options_.on_warning(what);
  }

  // One flow at a time: others wait until it ends.
  struct Busy {
    Impl* impl;
    std::shared_ptr<asio::steady_timer> timer;
    ~Busy() {
      if (impl->busy_ == timer) impl->busy_.reset();
      timer->cancel();
    }
  };
  Task<void> wait_idle() {
    while (busy_) {
      auto t = busy_;
      boost::system::error_code ec;
      co_await t->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  Busy begin_busy() {
    busy_ = std::make_shared<asio::steady_timer>(strand_, asio::steady_timer::time_point::max());
    return Busy{this, busy_};
  }

  Task<HttpResult> call(HttpClient::Method method, const std::string& url, HttpHeaders headers,
                        std::string body = {}) {
    auto response =
        co_await http_.send(method, url, headers, std::move(body), options_.http_timeout);
    HttpResult r;
    r.status = response->status();
    r.media_type = response->media_type();
    r.body = co_await response->read_body(kMaxBody, options_.http_timeout);
    co_return r;
  }

  std::string preregistered_secret(const std::string& issuer, const std::string& client_id) const {
    for (const auto& c : options_.clients) {
      if ((c.issuer == issuer || c.issuer.empty()) && c.client_id == client_id) {
        return c.client_secret;
      }
    }
    return {};
  }

  Session& session(const std::string& server_url) {
    Session& s = sessions_[server_url];
    if (s.loaded) return s;
    s.loaded = true;
    s.server_url = server_url;
    if (!options_.token_store) return s;
    try {
      auto entry = options_.token_store->server(server_url);
      if (!entry) return s;
      s.issuer = entry->issuer;
      s.resource = entry->resource;
      s.token = options_.token_store->token(entry->issuer, entry->resource);
      s.client = options_.token_store->client(entry->issuer);
      if (s.client) {
        s.client_secret = s.client->registration == "pre-registered"
                              ? preregistered_secret(s.issuer, s.client->client_id)
                              : s.client->client_secret;
      }
      if (s.token) s.requested_scope = s.token->requested_scope;
    } catch (const std::exception& e) {
      warn(std::string(e.what()) + "; continuing without stored tokens");
    }
    return s;
  }

  void save_token(Session& s) {
    if (!options_.token_store || !s.token) return;
    try {
      options_.token_store->set_server(s.server_url, {s.issuer, s.resource});
      options_.token_store->set_token(s.issuer, s.resource, *s.token);
    } catch (const std::exception& e) {
      warn(std::string(e.what()) + "; the token is kept in memory only");
    }
  }

  void save_client(const Session& s) {
    if (!options_.token_store || !s.client) return;
    try {
      options_.token_store->set_client(s.issuer, *s.client);
    } catch (const std::exception& e) {
      warn(std::string(e.what()) + "; the registration is kept in memory only");
    }
  }

  void drop_token(Session& s) {
    s.token.reset();
    s.token_from_flow = false;
    if (!options_.token_store || s.issuer.empty()) return;
    try {
      options_.token_store->forget_token(s.issuer, s.resource);
    } catch (const std::exception& e) {
      warn(e.what());
    }
  }

  // Another process (a parallel CLI run) may have refreshed or replaced the token since it was
  // loaded: take the stored one when it differs from `refused`. (Refreshing with a refresh token
  // already rotated away could make the server revoke them all.)
  bool adopt_stored(Session& s, const std::string& refused) {
    if (!options_.token_store || s.issuer.empty()) return false;
    try {
      auto stored = options_.token_store->token(s.issuer, s.resource);
      if (!stored || stored->access_token.empty() || "Bearer " + stored->access_token == refused ||
          (s.token && stored->access_token == s.token->access_token)) {
        return false;
      }
      if (needs_refresh(*stored) && stored->refresh_token.empty()) return false;
      s.token = stored;
      s.token_from_flow = false;
      return true;
    } catch (const std::exception& e) {
      warn(e.what());
      return false;
    }
  }

  static bool needs_refresh(const StoredToken& t) {
    return t.expires_at != 0 && t.expires_at - kExpirySkewSeconds <= now_seconds();
  }
  static bool expired(const StoredToken& t) {
    return t.expires_at != 0 && t.expires_at <= now_seconds();
  }

  // ---- the token endpoint ----

  Task<TokenResponse> token_request(const Session& s, const std::string& endpoint, Params p) {
    if (!s.client) throw OAuthError("no client registration for " + s.issuer);
    HttpHeaders h{{"Content-Type", "application/x-www-form-urlencoded"},
                  {"Accept", "application/json"}};
    const std::string& method = s.client->token_endpoint_auth_method;
    bool secret_needed = method == "client_secret_basic" || method == "client_secret_post";
    if (secret_needed && s.client_secret.empty()) {
      throw OAuthError("the client " + s.client->client_id + " authenticates with " + method +
                       " at " + s.issuer + ", but mcpp has no secret for it");
    }
    if (method == "client_secret_basic") {
      h.emplace_back("Authorization", basic_credentials(s.client->client_id, s.client_secret));
    } else {
      p.emplace_back("client_id", s.client->client_id);
      if (method == "client_secret_post") p.emplace_back("client_secret", s.client_secret);
    }
    auto r = co_await call(HttpClient::Method::kPost, endpoint, std::move(h), form_encode(p));
    co_return parse_token_response(r.status, r.media_type, r.body, endpoint);
  }

  StoredToken stored_from(const TokenResponse& t, const std::string& requested,
                          const StoredToken* previous) const {
    StoredToken out;
    out.access_token = t.access_token;
    out.token_type = t.token_type;
    out.refresh_token =
        t.refresh_token.empty() && previous ? previous->refresh_token : t.refresh_token;
    out.requested_scope = requested;
    out.scope = !t.scope.empty() ? t.scope : (previous ? previous->scope : requested);
    if (t.expires_in) out.expires_at = now_seconds() + *t.expires_in;
    return out;
  }

  // Uses the refresh token; false (and the token dropped when the server refused it) when that
  // did not work. Never throws.
  Task<bool> refresh(Session& s) {
    if (s.token && adopt_stored(s, "Bearer " + s.token->access_token) && !needs_refresh(*s.token)) {
      co_return true;
    }
    if (!s.token || s.token->refresh_token.empty() || !s.client) co_return false;
    std::string endpoint = s.as ? s.as->token_endpoint : s.client->token_endpoint;
    if (endpoint.empty()) co_return false;
    progress("refreshing the access token for " + s.server_url + " at " + endpoint);
    Params p{{"grant_type", "refresh_token"}, {"refresh_token", s.token->refresh_token}};
    if (!s.resource.empty()) p.emplace_back("resource", s.resource);
    try {
      TokenResponse t = co_await token_request(s, endpoint, std::move(p));
      StoredToken previous = *s.token;
      s.token = stored_from(t, previous.requested_scope, &previous);
      s.token_from_flow = false;
      save_token(s);
      co_return true;
    } catch (const OAuthError& e) {
      warn("refreshing the token for " + s.server_url + " failed: " + e.what());
      drop_token(s);
    } catch (const std::exception& e) {
      warn("refreshing the token for " + s.server_url + " failed: " + e.what());
    }
    co_return false;
  }

  // ---- discovery ----

  Task<void> discover(Session& s, const std::string& header_url) {
    progress("discovering the authorization server of " + s.server_url);
    // The URL the server named in WWW-Authenticate, else the well-known ones (path-inserted,
    // then root).
    std::vector<std::string> candidates;
    std::string named = header_url.empty() ? std::string() : resolve_url(s.server_url, header_url);
    if (!header_url.empty() && (named.empty() || !split_url(named))) {
      throw OAuthError("the server's WWW-Authenticate names resource metadata at '" + header_url +
                       "', which is not an http(s) URL");
    }
    if (!named.empty()) {
      candidates.push_back(named);
    } else {
      candidates = resource_metadata_urls(s.server_url);
    }
    std::optional<ResourceMetadata> prm;
    std::string tried;
    for (const auto& url : candidates) {
      HttpResult r;
      try {
        r = co_await call(HttpClient::Method::kGet, url, json_accept());
      } catch (const TransportError& e) {
        tried += (tried.empty() ? "" : "; ") + url + ": " + e.what();
        continue;
      }
      if (r.status != 200) {
        tried += (tried.empty() ? "" : "; ") + url + ": HTTP " + std::to_string(r.status);
        continue;
      }
      prm = parse_resource_metadata(r.body, url);
      break;
    }
    if (!prm && !named.empty()) {
      throw OAuthError(
          "cannot read the protected resource metadata that the server's "
          "WWW-Authenticate names (" +
          tried + ")");
    }
    std::string issuer;
    if (prm) {
      if (!resource_covers(prm->resource, s.server_url)) {
        throw OAuthError("the protected resource metadata at " + prm->url + " is for " +
                         prm->resource + ", not for " + s.server_url +
                         ": refusing to authorize (its tokens would be for another server)");
      }
      issuer = prm->authorization_servers.front();
      s.resource = prm->resource;
    } else {
      // The 2025-03-26 spec had no protected resource metadata: the authorization server is on
      // the MCP server's origin.
      progress("no protected resource metadata (" + tried +
               "); looking for an authorization server on the server's own origin");
      auto parts = split_url(s.server_url);
      if (!parts) throw OAuthError("not an http(s) URL: " + s.server_url);
      issuer = parts->origin;
      s.resource = canonical_resource(s.server_url);
    }
    require_secure_url(issuer, "the authorization server", options_.allow_insecure_http);
    std::optional<ServerMetadata> as;
    std::string as_tried;
    for (const auto& url : server_metadata_urls(issuer)) {
      auto r = co_await call(HttpClient::Method::kGet, url, json_accept());
      if (r.status != 200) {
        as_tried +=
            (as_tried.empty() ? "" : ", ") + url + " (HTTP " + std::to_string(r.status) + ")";
        continue;
      }
      as = parse_server_metadata(r.body, url, issuer);
      break;
    }
    if (!as) {
      if (prm) {
        throw OAuthError("found no metadata for the authorization server " + issuer + " at " +
                         as_tried);
      }
      progress("no authorization server metadata (" + as_tried +
               "); using /authorize, /token and /register on " + issuer);
      as = default_server_metadata(issuer);
    }
    require_pkce_s256(*as);
    require_secure_url(as->authorization_endpoint, "the authorization endpoint",
                       options_.allow_insecure_http);
    require_secure_url(as->token_endpoint, "the token endpoint", options_.allow_insecure_http);
    if (!as->registration_endpoint.empty()) {
      require_secure_url(as->registration_endpoint, "the registration endpoint",
                         options_.allow_insecure_http);
    }
    if (!s.issuer.empty() && s.issuer != as->issuer) {
      warn("the authorization server of " + s.server_url + " changed from " + s.issuer + " to " +
           as->issuer + "; registering with the new one (credentials are not carried over)");
      s.token.reset();
      s.token_from_flow = false;
      s.client.reset();
      s.client_secret.clear();
      s.requested_scope.clear();
      s.step_ups.clear();
    }
    if (s.client && s.issuer != as->issuer) s.client.reset();
    s.issuer = as->issuer;
    s.prm = std::move(prm);
    s.as = std::move(as);
  }

  // ---- registration ----

  Task<void> ensure_client(Session& s) {
    const ServerMetadata& as = *s.as;
    // 1. Pre-registered credentials for this authorization server (or for any).
    const PreregisteredClient* pre = nullptr;
    for (const auto& c : options_.clients) {
      if (c.issuer == as.issuer) {
        pre = &c;
        break;
      }
    }
    if (!pre) {
      for (const auto& c : options_.clients) {
        if (c.issuer.empty()) {
          pre = &c;
          if (!warned_any_issuer_) {
            warned_any_issuer_ = true;
            warn("using the pre-registered client " + c.client_id + " with " + as.issuer +
                 " (it names no issuer)");
          }
          break;
        }
      }
    }
    if (pre) {
      StoredClient c;
      c.client_id = pre->client_id;
      c.token_endpoint_auth_method =
          choose_auth_method(as, !pre->client_secret.empty(), pre->token_endpoint_auth_method);
      c.registration = "pre-registered";
      c.token_endpoint = as.token_endpoint;
      s.client = c;
      s.client_secret = pre->client_secret;
      save_client(s);
      co_return;
    }
    if (!options_.clients.empty()) {
      warn("the pre-registered client credentials are for other authorization servers than " +
           as.issuer + "; not sending them there");
    }
    // A registration made earlier with this server (this run or a stored one).
    std::optional<StoredClient> known = s.client;
    if (!known && options_.token_store) {
      try {
        known = options_.token_store->client(as.issuer);
      } catch (const std::exception& e) {
        warn(e.what());
      }
    }
    bool cimd_usable = as.client_id_metadata_document_supported &&
                       !options_.client_metadata_url.empty() &&
                       split_url(options_.client_metadata_url) &&
                       split_url(options_.client_metadata_url)->scheme == "https" &&
                       split_url(options_.client_metadata_url)->path.size() > 1;
    if (known) {
      bool reuse =
          (known->registration == "dynamic" && known->redirect_uri == options_.redirect_uri) ||
          (known->registration == "metadata-document" && cimd_usable &&
           known->client_id == options_.client_metadata_url);
      if (reuse) {
        known->token_endpoint = as.token_endpoint;
        s.client = known;
        s.client_secret = known->client_secret;
        co_return;
      }
    }
    // 2. A client ID metadata document.
    if (cimd_usable) {
      StoredClient c;
      c.client_id = options_.client_metadata_url;
      c.token_endpoint_auth_method = "none";
      c.registration = "metadata-document";
      c.token_endpoint = as.token_endpoint;
      s.client = c;
      s.client_secret.clear();
      save_client(s);
      co_return;
    }
    // 3. Dynamic client registration.
    if (as.registration_endpoint.empty()) {
      std::string why = "it has no registration_endpoint";
      if (as.client_id_metadata_document_supported) {
        why += options_.client_metadata_url.empty()
                   ? " and no client ID metadata document URL is configured"
                   : " and the client ID metadata document URL is not an https URL with a path";
      } else {
        why += " and does not accept client ID metadata documents";
      }
      throw OAuthError("cannot register with the authorization server " + as.issuer + ": " + why +
                       "; configure pre-registered client credentials for it");
    }
    progress("registering with " + as.issuer + " at " + as.registration_endpoint);
    std::string method = registration_auth_method(as);
    json::object body{{"client_name", options_.client_name},
                      {"redirect_uris", json::array{json::value(options_.redirect_uri)}},
                      {"grant_types", json::array{"authorization_code", "refresh_token"}},
                      {"response_types", json::array{"code"}},
                      {"token_endpoint_auth_method", method},
                      {"application_type", options_.application_type.empty()
                                               ? application_type_for(options_.redirect_uri)
                                               : options_.application_type}};
    if (!options_.client_uri.empty()) body["client_uri"] = options_.client_uri;
    HttpHeaders h = json_accept();
    h.emplace_back("Content-Type", "application/json");
    auto r = co_await call(HttpClient::Method::kPost, as.registration_endpoint, std::move(h),
                           json::serialize(body));
    Registration reg =
        parse_registration_response(r.status, r.media_type, r.body, as.registration_endpoint);
    StoredClient c;
    c.client_id = reg.client_id;
    c.client_secret = reg.client_secret;
    c.token_endpoint_auth_method = reg.token_endpoint_auth_method;
    if (c.token_endpoint_auth_method.empty()) {
      c.token_endpoint_auth_method =
          method == "none" || reg.client_secret.empty() ? "none" : method;
    }
    c.redirect_uri = options_.redirect_uri;
    c.registration = "dynamic";
    c.token_endpoint = as.token_endpoint;
    s.client = c;
    s.client_secret = reg.client_secret;
    save_client(s);
  }

  // ---- the authorization code flow ----

  Task<void> authorize_flow(Session& s, const std::string& header_url,
                            const std::string& challenge_scope, bool rediscover) {
    if (!options_.user_agent) {
      throw OAuthError("the server " + s.server_url +
                       " wants authorization, and there is no user agent to authorize with "
                       "(OAuthOptions::user_agent)");
    }
    if (options_.redirect_uri.empty()) {
      throw OAuthError(
          "OAuthOptions::redirect_uri is empty: the authorization server needs "
          "somewhere to send the user back to");
    }
    if (rediscover || !s.as) co_await discover(s, header_url);
    co_await ensure_client(s);
    const ServerMetadata& as = *s.as;
    std::string previous = s.token ? s.token->requested_scope : s.requested_scope;
    std::string scope = select_scope(challenge_scope, s.prm ? &*s.prm : nullptr, previous, as,
                                     options_.offline_access);
    std::string verifier = random_token(32);
    std::string state = random_token(16);
    Params q{{"response_type", "code"},
             {"client_id", s.client->client_id},
             {"redirect_uri", options_.redirect_uri},
             {"code_challenge", pkce_challenge(verifier)},
             {"code_challenge_method", "S256"},
             {"state", state}};
    if (!scope.empty()) q.emplace_back("scope", scope);
    if (!s.resource.empty()) q.emplace_back("resource", s.resource);
    AuthorizationPrompt prompt;
    prompt.url = with_query(as.authorization_endpoint, q);
    prompt.redirect_uri = options_.redirect_uri;
    prompt.issuer = as.issuer;
    prompt.server_url = s.server_url;
    prompt.scope = scope;
    progress("authorizing with " + as.issuer + (scope.empty() ? "" : " for scope " + scope));
    std::string callback;
    {
      interactive_ = true;
      struct Done {
        std::atomic<bool>& flag;
        ~Done() { flag = false; }
      } done{interactive_};
      callback = co_await options_.user_agent(prompt);
    }
    std::string code =
        check_authorization_response(callback, state, as.issuer, as.iss_parameter_supported);
    Params p{{"grant_type", "authorization_code"},
             {"code", code},
             {"redirect_uri", options_.redirect_uri},
             {"code_verifier", verifier}};
    if (!s.resource.empty()) p.emplace_back("resource", s.resource);
    progress("exchanging the authorization code at " + as.token_endpoint);
    TokenResponse t = co_await token_request(s, as.token_endpoint, std::move(p));
    s.token = stored_from(t, scope, nullptr);
    s.requested_scope = scope;
    s.token_from_flow = true;
    save_token(s);
  }

  // ---- the provider ----

  Task<std::string> authorization(const std::string& server_url) {
    co_await wait_idle();
    Session& s = session(server_url);
    if (!s.token) co_return std::string();
    if (needs_refresh(*s.token)) {
      if (!s.token->refresh_token.empty()) {
        auto busy = begin_busy();
        if (!co_await refresh(s)) co_return std::string();
      } else if (expired(*s.token)) {
        co_return std::string();
      }
    }
    co_return "Bearer " + s.token->access_token;
  }

  Task<bool> on_challenge(const AuthChallenge& c) {
    co_await wait_idle();
    Session& s = session(c.server_url);
    std::string current = s.token ? "Bearer " + s.token->access_token : std::string();
    // Renewed by another request (or process) while this one was out: just send it again.
    if (!current.empty() && current != c.authorization) co_return true;
    if (c.status == 401 && adopt_stored(s, c.authorization)) co_return true;
    auto busy = begin_busy();
    auto challenges = parse_www_authenticate(c.www_authenticate);
    const HttpChallenge* bearer = find_challenge(challenges, "bearer");
    std::string header_url = bearer ? bearer->param("resource_metadata") : std::string();
    if (header_url.empty()) {
      for (const auto& ch : challenges) {
        if (ch.has("resource_metadata")) {
          header_url = ch.param("resource_metadata");
          break;
        }
      }
    }
    std::string scope = bearer ? bearer->param("scope") : std::string();
    std::string detail = bearer && !bearer->param("error_description").empty()
                             ? " (" + bearer->param("error_description") + ")"
                             : std::string();
    if (c.status == 403) {
      // Step-up: a token with more scopes.
      // The token was granted those scopes (a server that grants less must say so): asking
      // for them again would get the same token.
      if (s.token && !scope.empty() && scope_covers(s.token->scope, scope)) {
        throw OAuthError("the server refuses the token for want of scope '" + scope +
                         "', which it was granted" + detail + "; authorizing again would not help");
      }
      std::string key = scope_union(scope, "");
      if (++s.step_ups[key] > options_.max_step_ups) {
        throw OAuthError("the server still wants scope '" + scope + "' after " +
                         std::to_string(options_.max_step_ups) + " authorizations" + detail +
                         "; giving up");
      }
      co_await authorize_flow(s, header_url, scope, !s.as);
      co_return true;
    }
    // 401: refresh first when the refused token can be; else authorize from scratch
    // (re-reading the protected resource metadata: the authorization server may have changed).
    if (c.attempt == 0 && !c.authorization.empty() && s.token && !s.token->refresh_token.empty()) {
      if (co_await refresh(s)) co_return true;
    }
    if (c.attempt > 0 && s.token_from_flow && !c.authorization.empty() &&
        c.authorization == current) {
      throw OAuthError("the server refuses the access token " + s.issuer + " has just issued" +
                       detail);
    }
    co_await authorize_flow(s, header_url, scope, true);
    s.step_ups.clear();
    co_return true;
  }

  Task<void> authorize(const std::string& server_url) {
    co_await wait_idle();
    Session& s = session(server_url);
    if (s.token && !needs_refresh(*s.token)) co_return;
    auto busy = begin_busy();
    if (s.token && co_await refresh(s)) co_return;
    co_await authorize_flow(s, {}, {}, true);
  }
};

// ---- OAuthClient -------------------------------------------------------------------------------
// Each public method hands a coroutine of the Impl to the strand. (No lambda coroutines with
// captures here: GCC 12 destroys init-captured coroutine parameters twice.)

namespace {

Task<std::string> authorization_on(std::shared_ptr<OAuthClient::Impl> impl, std::string url) {
  try {
    co_return co_await impl->authorization(url);
  } catch (const std::exception& e) {
    impl->warn("no credentials for " + url + ": " + e.what());
  }
  co_return std::string();
}

Task<bool> on_challenge_on(std::shared_ptr<OAuthClient::Impl> impl, AuthChallenge c) {
  co_return co_await impl->on_challenge(c);
}

Task<void> authorize_on(std::shared_ptr<OAuthClient::Impl> impl, std::string url) {
  co_await impl->authorize(url);
}

Task<void> forget_on(std::shared_ptr<OAuthClient::Impl> impl, std::string url) {
  co_await impl->wait_idle();
  OAuthClient::Impl::Session& s = impl->session(url);
  s.token.reset();
  s.token_from_flow = false;
  if (impl->options_.token_store) {
    try {
      impl->options_.token_store->forget_server(url);
    } catch (const std::exception& e) {
      impl->warn(e.what());
    }
  }
}

Task<std::optional<StoredToken>> token_on(std::shared_ptr<OAuthClient::Impl> impl,
                                          std::string url) {
  co_await impl->wait_idle();
  co_return impl->session(url).token;
}

}  // namespace

OAuthClient::OAuthClient(asio::any_io_executor executor, OAuthOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

OAuthClient::~OAuthClient() = default;

Task<std::string> OAuthClient::authorization(std::string server_url) {
  return asio::co_spawn(impl_->strand_, authorization_on(impl_, std::move(server_url)),
                        asio::use_awaitable);
}

Task<bool> OAuthClient::on_challenge(AuthChallenge challenge) {
  return asio::co_spawn(impl_->strand_, on_challenge_on(impl_, std::move(challenge)),
                        asio::use_awaitable);
}

bool OAuthClient::authorizing() const {
  return impl_->interactive_;
}

Task<void> OAuthClient::authorize(std::string server_url) {
  return asio::co_spawn(impl_->strand_, authorize_on(impl_, std::move(server_url)),
                        asio::use_awaitable);
}

Task<void> OAuthClient::forget(std::string server_url) {
  return asio::co_spawn(impl_->strand_, forget_on(impl_, std::move(server_url)),
                        asio::use_awaitable);
}

Task<std::optional<StoredToken>> OAuthClient::token(std::string server_url) {
  return asio::co_spawn(impl_->strand_, token_on(impl_, std::move(server_url)),
                        asio::use_awaitable);
}

}  // namespace mcpp::auth
