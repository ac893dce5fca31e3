// The authorization endpoint (authorization code + PKCE S256, RFC 8707 resource, RFC 9207 iss)
// and the login and consent page behind it, with CSRF protection, login throttling and the
// one-time admin link.
#include <algorithm>
#include <cctype>

#include "auth/authorization_server_impl.hpp"
#include "auth/crypto.hpp"

namespace mcpp::auth {

using authz::ClientRecord;
using authz::html_reply;
using authz::Params;
using authz::PendingRequest;
using authz::render_notice;

namespace {

constexpr std::int64_t kBrowserCookieAge = 86'400;

HttpReply notice(int status, const std::string& title, const std::string& message) {
  return html_reply(status, render_notice(title, message));
}

// RFC 7636 §4.1: 43-128 characters of [A-Za-z0-9-._~].
bool valid_pkce_value(std::string_view v) {
  return v.size() >= 43 && v.size() <= 128 && std::all_of(v.begin(), v.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
                  c == '~';
         });
}

}  // namespace

std::string AuthorizationServer::Impl::cookie_header(std::string_view name, std::string_view value,
                                                     std::int64_t max_age) const {
  std::string c = std::string(name) + "=" + std::string(value) +
                  "; Path=" + (issuer_path.empty() ? "/" : issuer_path) +
                  "; Max-Age=" + std::to_string(max_age) + "; HttpOnly; SameSite=Lax";
  if (secure_cookies) c += "; Secure";
  return c;
}

std::optional<authz::SessionRecord> AuthorizationServer::Impl::session_of(
    const HttpRequestInfo& req) {
  std::string token = authz::cookie(req, kSessionCookie);
  if (token.empty() || token.size() > 200) return std::nullopt;
  std::optional<authz::SessionRecord> session = store.session(sha256_hex(token), now());
  // A user removed from the users file, or whose password changed, is signed out of every
  // browser.
  if (session && !credential_problem(session->subject, session->credential).empty()) {
    return std::nullopt;
  }
  return session;
}

HttpReply AuthorizationServer::Impl::consent_page(
    const PendingRequest& pending, const ClientRecord& client, std::optional<std::string> subject,
    std::string error, std::vector<std::pair<std::string, std::string>> extra_headers) {
  authz::ConsentPage page;
  page.action = issuer_path + "/authorize/decision";
  page.request_id = pending.id;
  page.csrf = pending.csrf;
  page.client_name = client.client_name;
  page.client_id = client.client_id;
  if (client.source == "document") {
    if (auto u = authz::split_uri(client.client_id)) page.client_host = u->host;
  }
  page.redirect_uri = pending.redirect_uri;
  page.resource = pending.resource;
  page.scopes = split_scope(pending.scope);
  page.signed_in_as = std::move(subject);
  page.password_login = users != nullptr;
  page.error = std::move(error);
  HttpReply r = html_reply(200, authz::render_consent(page));
  for (auto& h : extra_headers) r.headers.push_back(std::move(h));
  return r;
}

Task<HttpReply> AuthorizationServer::Impl::authorize(const HttpRequestInfo& req) {
  std::string why;
  auto params = Params::parse(req.query, &why);
  if (!params) {
    co_return notice(400, "Bad authorization request", "The request has " + why + ".");
  }
  const std::string& dup = params->duplicate();
  if (dup == "client_id" || dup == "redirect_uri") {
    co_return notice(400, "Bad authorization request", dup + " appears more than once.");
  }
  std::string client_id = params->get("client_id");
  if (client_id.empty()) {
    co_return notice(400, "Bad authorization request", "The request has no client_id.");
  }
  ClientProblem problem;
  std::optional<ClientRecord> client = co_await resolve_client(client_id, problem);
  if (!client) {
    co_return notice(problem.status,
                     problem.status == 503 ? "Try again later" : "Unknown application",
                     problem.message);
  }

  // Until the redirect URI is known to be registered, errors are shown here, never redirected.
  std::string redirect_uri;
  bool redirect_given = params->has("redirect_uri");
  if (redirect_given) {
    redirect_uri = params->get("redirect_uri");
    bool registered = std::any_of(
        client->redirect_uris.begin(), client->redirect_uris.end(),
        [&](const std::string& r) { return authz::redirect_uri_matches(r, redirect_uri); });
    if (!registered) {
      co_return notice(400, "Unregistered redirect URI",
                       "The application asked to send the answer to " + redirect_uri +
                           ", which is not one of its registered redirect URIs. Nothing was "
                           "sent there.");
    }
  } else if (client->redirect_uris.size() == 1) {
    redirect_uri = client->redirect_uris.front();
  } else {
    co_return notice(400, "Bad authorization request",
                     "The request has no redirect_uri and the application registered several.");
  }

  // Errors before the user has seen the page go back to the redirect URI only when that cannot
  // make this server an open redirector (OAuth 2.1 §7.12.2, RFC 9700 §4.11.2): for clients the
  // operator registered, and for loopback redirect URIs. Anyone can register a client (or publish
  // a metadata document) naming any https URL; their errors are shown here instead.
  auto redirect_parts = authz::split_uri(redirect_uri);
  const bool redirect_errors =
      client->source == "static" ||
      (redirect_parts && (redirect_parts->scheme == "http" || redirect_parts->scheme == "https") &&
       authz::is_loopback(redirect_parts->host));
  std::string state = params->get("state");
  auto fail = [&](std::string_view error, std::string_view description) {
    if (!redirect_errors) {
      return notice(error == "temporarily_unavailable" ? 503 : 400, "Authorization refused",
                    "The application's request cannot be granted: " + std::string(description) +
                        " (" + std::string(error) + "). Nothing was sent back to it.");
    }
    std::vector<std::pair<std::string, std::string>> q{
        {"error", std::string(error)}, {"error_description", std::string(description)}};
    if (params->has("state")) q.emplace_back("state", state);
    q.emplace_back("iss", o.issuer);  // RFC 9207
    return authz::redirect_reply(authz::add_query(redirect_uri, q));
  };
  if (!dup.empty()) co_return fail("invalid_request", dup + " appears more than once");
  if (state.size() > 2048) co_return fail("invalid_request", "state is too long");

  std::string response_type = params->get("response_type");
  if (response_type.empty()) co_return fail("invalid_request", "response_type is missing");
  if (response_type != "code") {
    co_return fail("unsupported_response_type", "only response_type=code is supported");
  }
  if (std::find(client->grant_types.begin(), client->grant_types.end(), "authorization_code") ==
      client->grant_types.end()) {
    co_return fail("unauthorized_client",
                   "the client did not register the authorization_code grant");
  }

  std::string challenge = params->get("code_challenge");
  std::string method = params->get("code_challenge_method");
  if (challenge.empty()) {
    co_return fail("invalid_request", "code_challenge is required (PKCE with S256)");
  }
  if (method != "S256") {
    co_return fail("invalid_request", method.empty()
                                          ? "code_challenge_method is required and must be S256"
                                          : "code_challenge_method must be S256");
  }
  if (!valid_pkce_value(challenge)) {
    co_return fail("invalid_request", "code_challenge must be 43-128 characters of base64url");
  }

  std::optional<std::string> resource = match_resource(params->get("resource"));
  if (!resource) {
    co_return fail("invalid_target", "this server issues tokens for " + o.resources.front() +
                                         (o.resources.size() > 1 ? " (and others)" : "") +
                                         ", not " + params->get("resource"));
  }

  std::vector<std::string> allowed =
      client->scope.empty() ? o.scopes_supported : split_scope(client->scope);
  std::vector<std::string> scopes = split_scope(params->get("scope"));
  for (const auto& s : scopes) {
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      co_return fail("invalid_scope", "scope \"" + s + "\" is not available to this client");
    }
  }
  if (scopes.empty()) scopes = allowed;
  std::string scope;
  for (const auto& s : scopes) scope += (scope.empty() ? "" : " ") + s;

  std::vector<std::pair<std::string, std::string>> headers;
  std::string browser = authz::cookie(req, kBrowserCookie);
  if (browser.size() < 20 || browser.size() > 100) {
    browser = random_token(24);
    headers.emplace_back("Set-Cookie", cookie_header(kBrowserCookie, browser, kBrowserCookieAge));
  }
  PendingRequest pending;
  pending.id = random_token(24);
  pending.browser = sha256_hex(browser);
  pending.csrf = random_token(24);
  pending.client_id = client->client_id;
  pending.redirect_uri = redirect_uri;
  pending.redirect_uri_given = redirect_given;
  pending.state = state;
  pending.scope = scope;
  pending.resource = *resource;
  pending.code_challenge = challenge;
  pending.created_at = now();
  pending.expires_at = pending.created_at + o.request_ttl.count();
  pending.peer = req.peer_address;
  store.admit_request(pending,
                      {static_cast<std::int64_t>(o.max_pending_requests),
                       static_cast<std::int64_t>(o.max_pending_requests_per_address),
                       static_cast<std::int64_t>(o.max_pending_requests_per_client),
                       !LoginThrottle::loopback_peer(req.peer_address)},
                      pending.created_at);
  std::optional<authz::SessionRecord> session = session_of(req);
  co_return consent_page(pending, *client,
                         session ? std::optional<std::string>(session->subject) : std::nullopt, "",
                         std::move(headers));
}

HttpReply AuthorizationServer::Impl::resume(const HttpRequestInfo& req) {
  auto params = Params::parse(req.query);
  std::optional<PendingRequest> pending;
  if (params) pending = store.request(params->get("request_id"), now());
  std::string browser = authz::cookie(req, kBrowserCookie);
  if (!pending || browser.empty() || pending->browser != sha256_hex(browser)) {
    return notice(400, "Sign-in expired",
                  "This sign-in page has expired or was opened in another browser. Go back to the "
                  "application and connect again.");
  }
  std::optional<ClientRecord> client = store.client(pending->client_id);
  if (!client) return notice(400, "Unknown application", "The application is not registered.");
  std::optional<authz::SessionRecord> session = session_of(req);
  return consent_page(*pending, *client,
                      session ? std::optional<std::string>(session->subject) : std::nullopt, "");
}

Task<HttpReply> AuthorizationServer::Impl::decide(const HttpRequestInfo& req) {
  if (authz::media_type(req) != "application/x-www-form-urlencoded") {
    co_return notice(400, "Bad request", "The form was not sent as a form.");
  }
  // Defense in depth beside the CSRF token: a browser that says where the form came from must
  // say it came from here.
  std::string_view origin = req.header("origin");
  if (!origin.empty() && origin != issuer_origin && origin != req.origin) {
    co_return notice(403, "Forbidden", "The form was sent from another site.");
  }
  std::string why;
  auto params = Params::parse(req.body, &why);
  if (!params) co_return notice(400, "Bad request", "The form has " + why + ".");
  // A repeated field (decision=deny&decision=approve) is ambiguous: refused, like every form.
  if (!params->duplicate().empty()) {
    co_return notice(400, "Bad request",
                     "The form has " + params->duplicate() + " more than once.");
  }
  std::string id = params->get("request_id");
  std::optional<PendingRequest> pending = store.request(id, now());
  if (!pending) {
    co_return notice(
        400, "Sign-in expired",
        "This sign-in page has expired. Go back to the application and connect again.");
  }
  std::string browser = authz::cookie(req, kBrowserCookie);
  if (browser.empty() || !constant_time_equal(sha256_hex(browser), pending->browser) ||
      !constant_time_equal(params->get("csrf"), pending->csrf)) {
    co_return notice(403, "Forbidden",
                     "This form was not opened in this browser (or cookies are blocked). Go back "
                     "to the application and connect again.");
  }
  std::optional<ClientRecord> client = store.client(pending->client_id);
  if (!client) co_return notice(400, "Unknown application", "The application is not registered.");

  auto answer = [&](std::vector<std::pair<std::string, std::string>> q) {
    if (!pending->state.empty()) q.emplace_back("state", pending->state);
    q.emplace_back("iss", o.issuer);
    return authz::redirect_reply(authz::add_query(pending->redirect_uri, q));
  };
  auto expired = [] {
    return notice(400, "Sign-in expired",
                  "This sign-in page has expired or was already answered. Go back to the "
                  "application and connect again.");
  };
  std::string decision = params->get("decision");
  if (decision == "deny") {
    if (!store.take_request(id, now())) co_return expired();
    co_return answer({{"error", "access_denied"}, {"error_description", "the user denied access"}});
  }
  if (decision != "approve") co_return notice(400, "Bad request", "Choose Approve or Deny.");

  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<authz::SessionRecord> signed_in = session_of(req);
  if (!signed_in) {
    if (!users) {
      HttpReply r = consent_page(*pending, *client, std::nullopt,
                                 "Sign in first with the one-time admin link.");
      r.status = 403;
      co_return r;
    }
    std::string username = params->get("username");
    std::string password = params->get("password");
    if (username.empty() || password.empty()) {
      co_return consent_page(*pending, *client, std::nullopt, "Enter your user name and password.");
    }
    if (username.size() > 64 || password.size() > 1024) {
      // No such user can exist (and the throttle does not keep names this long).
      HttpReply r = consent_page(*pending, *client, std::nullopt, "Wrong user name or password.");
      r.status = 401;
      co_return r;
    }
    // Busy before the throttle counts the attempt: a retry asked for is not a failure. (run()
    // below keeps the bound exact; the rare race between the two costs one counted attempt.)
    auto busy = [&] {
      HttpReply r = consent_page(*pending, *client, std::nullopt,
                                 "The server is busy checking other sign-ins. Try again.");
      r.status = 503;
      r.headers.emplace_back("Retry-After", "1");
      return r;
    };
    if (password_checks.full()) co_return busy();
    const std::int64_t t = now();
    if (std::optional<std::int64_t> wait = login_throttle.begin(username, req.peer_address, t)) {
      HttpReply r = consent_page(*pending, *client, std::nullopt,
                                 "Too many failed sign-ins. Wait " + std::to_string(*wait) +
                                     (*wait == 1 ? " second" : " seconds") + " and try again.");
      r.status = 429;
      r.headers.emplace_back("Retry-After", std::to_string(*wait));
      co_return r;
    }
    // The credential is read before the check: a password changed in between makes a grant
    // that no longer matches, never one that outlives the change.
    std::optional<std::string> credential = users->credential(username);
    // The hash is checked on the pool's threads; this coroutine resumes on its I/O thread.
    UsersFile* users_file = users.get();
    const std::function<bool()> check = [users_file, &username, &password] {
      return users_file->check(username, password);
    };
    std::optional<bool> matches = co_await password_checks.run(check);
    if (!matches) co_return busy();
    if (!*matches || !credential) {
      HttpReply r = consent_page(*pending, *client, std::nullopt, "Wrong user name or password.");
      r.status = 401;
      co_return r;
    }
    login_throttle.succeeded(username, req.peer_address, t);
    signed_in = authz::SessionRecord{username, *credential};
    std::string session = random_token(32);
    store.put_session(sha256_hex(session), *signed_in, now() + o.session_ttl.count());
    headers.emplace_back("Set-Cookie",
                         cookie_header(kSessionCookie, session, o.session_ttl.count()));
  }

  // One code per request: of two Approve clicks arriving together, one takes the request.
  if (!store.take_request(id, now())) {
    HttpReply r = expired();
    for (auto& h : headers) r.headers.push_back(std::move(h));
    co_return r;
  }
  std::string code = random_token(32);
  authz::CodeRecord record;
  record.grant = {client->client_id, signed_in->subject,    pending->scope, pending->resource,
                  random_token(16),  signed_in->credential, now()};
  record.redirect_uri = pending->redirect_uri;
  record.redirect_uri_given = pending->redirect_uri_given;
  record.code_challenge = pending->code_challenge;
  record.expires_at = now() + o.code_ttl.count();
  store.put_code(sha256_hex(code), record);
  HttpReply r = answer({{"code", code}});
  for (auto& h : headers) r.headers.push_back(std::move(h));
  co_return r;
}

HttpReply AuthorizationServer::Impl::admin_login(const HttpRequestInfo& req,
                                                 std::string_view secret) {
  {
    std::lock_guard lock(admin_mutex);
    if (admin_secret.empty() || !constant_time_equal(secret, admin_secret)) {
      return notice(404, "Link not valid",
                    "This sign-in link is not valid: it works once, and only until the server "
                    "restarts.");
    }
    admin_secret.clear();
  }
  std::string session = random_token(32);
  store.put_session(sha256_hex(session), {"admin", std::string(authz::kAdminLinkCredential)},
                    now() + o.session_ttl.count());
  std::string set_cookie = cookie_header(kSessionCookie, session, o.session_ttl.count());
  std::string browser = authz::cookie(req, kBrowserCookie);
  std::optional<std::string> latest;
  if (!browser.empty()) latest = store.latest_request(sha256_hex(browser), now());
  HttpReply r = latest ? authz::redirect_reply(issuer_path + "/authorize/resume?request_id=" +
                                               authz::form_encode(*latest))
                       : notice(200, "Signed in as admin",
                                "This browser is signed in. Go back to the application and "
                                "connect (or reload its sign-in page).");
  r.headers.emplace_back("Set-Cookie", set_cookie);
  return r;
}

}  // namespace mcpp::auth
