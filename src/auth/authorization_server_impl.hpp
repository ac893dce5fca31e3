// The authorization server's state and endpoints, shared by its source files:
// authorization_server.cpp (setup, keys, metadata, routing), authorize_endpoint.cpp (the
// authorization endpoint and its login page), token_endpoint.cpp (token and revocation) and
// client_registration.cpp (RFC 7591, client ID metadata documents).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/auth_pages.hpp"
#include "auth/auth_store.hpp"
#include "auth/authz_http.hpp"
#include "auth/jwt.hpp"
#include "auth/login_throttle.hpp"
#include "auth/password_check_pool.hpp"
#include "auth/password_hash.hpp"
#include "mcpp/auth/authorization_server.hpp"

namespace mcpp::auth {

// Threads that check password hashes, and how many checks may run or wait at once: more
// sign-ins at the same moment are asked to retry (503), so a flood of guesses queues nowhere.
inline constexpr std::size_t kPasswordCheckThreads = 2;
inline constexpr std::size_t kMaxPasswordChecks = 8;

// Cookie names of the login pages.
inline constexpr std::string_view kSessionCookie = "mcpp_session";
inline constexpr std::string_view kBrowserCookie = "mcpp_browser";

// A client lookup that failed, with what to tell the user.
struct ClientProblem {
  std::string message;
  int status = 400;  // of the error page
};

struct AuthorizationServer::Impl {
  explicit Impl(AuthorizationServerOptions options);

  AuthorizationServerOptions o;
  std::string issuer_path;  // "" or "/tenant": every endpoint's prefix
  std::string issuer_origin;
  bool secure_cookies = false;
  authz::AuthStore store;
  std::unique_ptr<UsersFile> users;

  // ---- time
  std::int64_t now() const;

  // ---- routing (authorization_server.cpp)
  Task<std::optional<HttpReply>> handle(const HttpRequestInfo& request);
  json::object metadata(bool openid) const;
  std::string endpoint(std::string_view name) const { return o.issuer + std::string(name); }
  void maybe_purge();
  std::atomic<std::int64_t> last_purge{0};

  // ---- signing keys (authorization_server.cpp)
  struct Keys {
    std::optional<Jwk> signing;
    std::vector<Jwk> published;
    std::int64_t next_check = 0;
    std::map<std::string, Jwk, std::less<>> parsed;  // by kid
  };
  std::mutex keys_mutex;
  Keys keys;
  // Rotates when due; returns the signing key (and the published keys in `published`).
  Jwk signing_key(std::vector<Jwk>* published = nullptr);

  // ---- revoked access tokens, in memory for the resource server's per-request check
  std::mutex revoked_mutex;
  std::unordered_map<std::string, std::int64_t> revoked;
  void note_revoked(const std::vector<authz::RevokedToken>& tokens);

  // ---- users and grants (authorization_server.cpp)
  // The user's current credential (UsersFile::credential; kAdminLinkCredential for "admin"
  // without a users file), std::nullopt for no such user.
  std::optional<std::string> current_credential(std::string_view subject);
  // Why the grant of a user with `credential` no longer holds ("" when it does).
  std::string credential_problem(std::string_view subject, std::string_view credential);
  // The database check of an access token's grant, cached kGrantRecheckSeconds per jti: "" when
  // it holds, else what is wrong.
  std::string check_grant(const std::string& jti, std::int64_t now);
  struct GrantCheck {
    std::string problem;
    std::int64_t checked_at = 0;
  };
  std::mutex grant_checks_mutex;
  std::unordered_map<std::string, GrantCheck> grant_checks;

  // ---- the authorization endpoint and login page (authorize_endpoint.cpp)
  Task<HttpReply> authorize(const HttpRequestInfo& request);
  HttpReply resume(const HttpRequestInfo& request);
  Task<HttpReply> decide(const HttpRequestInfo& request);
  HttpReply admin_login(const HttpRequestInfo& request, std::string_view secret);
  HttpReply consent_page(const authz::PendingRequest& pending, const authz::ClientRecord& client,
                         std::optional<std::string> subject, std::string error,
                         std::vector<std::pair<std::string, std::string>> extra_headers = {});
  // The signed-in user of the request's session cookie, with the credential they signed in with;
  // std::nullopt when none, or when that user was removed or changed password since.
  std::optional<authz::SessionRecord> session_of(const HttpRequestInfo& request);
  std::string cookie_header(std::string_view name, std::string_view value,
                            std::int64_t max_age) const;
  // Login throttling (per user name, and per non-loopback address), and the threads password
  // hashes are checked on (each one is ~0.1-0.5 s of CPU: never on the HTTP server's threads).
  LoginThrottle login_throttle;
  PasswordCheckPool password_checks{kPasswordCheckThreads, kMaxPasswordChecks};
  // The one-time admin link (no users file).
  std::mutex admin_mutex;
  std::string admin_secret;  // "" once used
  std::string admin_link;

  // ---- token and revocation endpoints (token_endpoint.cpp)
  HttpReply token(const HttpRequestInfo& request);
  HttpReply revoke(const HttpRequestInfo& request);
  // Client authentication (none, client_secret_post, client_secret_basic): the client, or the
  // error reply in `error`.
  std::optional<authz::ClientRecord> authenticate_client(const HttpRequestInfo& request,
                                                         const authz::Params& params,
                                                         HttpReply& error);
  // The tokens of a successful grant: made up front (`refresh` is the refresh token, "" when the
  // client gets none), stored by the store in the redemption's transaction, then signed and sent.
  // No token outlives `grant_ends` (approval + grant_lifetime).
  authz::Issuance new_issuance(const authz::ClientRecord& client, std::int64_t now,
                               std::int64_t grant_ends, std::string& refresh) const;
  HttpReply token_reply(const authz::Grant& grant, const authz::Issuance& issued,
                        const std::string& refresh, const std::string& access_scope,
                        std::int64_t now);

  // ---- clients (client_registration.cpp)
  HttpReply register_dynamic(const HttpRequestInfo& request);
  // A registered client, or the client ID metadata document at `client_id` (fetched or from
  // the cache). std::nullopt with `problem` set when there is none.
  Task<std::optional<authz::ClientRecord>> resolve_client(std::string client_id,
                                                          ClientProblem& problem);
  Task<std::optional<authz::ClientRecord>> fetch_client_document(const std::string& url,
                                                                 ClientProblem& problem);
  bool is_document_client_id(std::string_view client_id) const;
  // Documents that could not be fetched or used: url → (retry after, the message).
  std::mutex failed_fetches_mutex;
  std::unordered_map<std::string, std::pair<std::int64_t, std::string>> failed_fetches;
  void remember_failed_fetch(const std::string& url, const std::string& message);

  // ---- helpers
  std::vector<std::string> split_scope(std::string_view scope) const;
  // The configured resource `requested` names ("" asks for the default); nullopt if none.
  std::optional<std::string> match_resource(std::string_view requested) const;
};

}  // namespace mcpp::auth
