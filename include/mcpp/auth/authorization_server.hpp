// An embedded OAuth 2.1 authorization server for MCP servers: metadata (RFC 8414, OIDC
// discovery), client registration (RFC 7591, client ID metadata documents, pre-registration),
// authorization code + PKCE with a login and consent page, signed JWT access tokens (RFC 9068),
// rotating refresh tokens and revocation (RFC 7009), all kept in one SQLite file.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpp/json.hpp"
#include "mcpp/transport/http.hpp"

namespace mcpp::auth {

class Jwk;

struct AuthorizationServerOptions {
  // The issuer identifier: "https://host[:port][/path]", no query, fragment or trailing slash.
  // Every endpoint lives under it; the metadata documents at the RFC 8414 well-known paths.
  std::string issuer;
  // The SQLite file that keeps clients, codes, refresh tokens, signing keys and sessions.
  std::string database_path = "mcpp-auth.sqlite";
  // Canonical URIs of the protected resources tokens may be issued for (RFC 8707). A request
  // without `resource` gets the first; one naming another resource gets invalid_target.
  std::vector<std::string> resources;
  // Scopes clients may request; a request without `scope` is granted all of them.
  std::vector<std::string> scopes_supported = {"mcp"};
  // Users and their password hashes (see docs/authorization.md, `mcpp hash-password`). Empty:
  // no passwords; a one-time admin link (admin_link()) signs one browser in as "admin".
  std::string users_file;

  std::chrono::seconds access_token_ttl{600};
  // Each refresh token's lifetime (a client that does not refresh for this long signs in again).
  std::chrono::seconds refresh_token_ttl{std::chrono::hours(24 * 30)};
  // The longest a grant lives, counted from the user's approval and carried through every
  // refresh: no token of it outlives approval + grant_lifetime, then the user signs in again.
  std::chrono::seconds grant_lifetime{std::chrono::hours(24 * 90)};
  std::chrono::seconds code_ttl{60};
  std::chrono::seconds session_ttl{std::chrono::hours(12)};    // the login cookie
  std::chrono::seconds request_ttl{std::chrono::minutes(15)};  // to finish the login page
  std::chrono::seconds key_rotation{std::chrono::hours(24)};   // a new signing key this often
  std::string signing_alg = "ES256";                           // or "RS256", "EdDSA"

  bool dynamic_registration = true;          // POST /register (RFC 7591)
  bool client_id_metadata_documents = true;  // https:// client_ids fetched and validated
  // Tests and development only: client ID metadata documents may be fetched over http: and from
  // loopback addresses (otherwise only https:// to public addresses).
  bool allow_insecure_metadata_fetch = false;
  std::chrono::milliseconds metadata_fetch_timeout{5'000};
  std::size_t max_metadata_bytes = 64 * 1024;
  // Dynamically registered clients kept at most. Registrations never used for an authorization
  // (no code, token or grant) are dropped after a day, and make room at the limits: at
  // max_clients, the oldest unused one of the address that holds the most unused ones; at
  // max_unused_clients_per_address, the address's own oldest. A registration is refused (503)
  // only when every one is in use. Per-address limits skip loopback peers (behind a tunnel or
  // proxy every client comes from 127.0.0.1).
  std::size_t max_clients = 10'000;
  std::size_t max_unused_clients_per_address = 20;
  // Login pages open at once (each one a row, 15 minutes at most). At a limit the oldest page
  // makes room: of the same address (per address), of the same client from the address that
  // opened most of them (per client), of the address that opened the most (in all). Never
  // refused, so a flood from one address cannot lock others out.
  std::size_t max_pending_requests = 10'000;
  std::size_t max_pending_requests_per_address = 20;
  std::size_t max_pending_requests_per_client = 1'000;
  // Client ID metadata documents kept at most (anyone can make the server fetch one); at the
  // limit, documents no token or open login page refers to are dropped, oldest first.
  std::size_t max_client_documents = 1'000;

  // The current time (tests move it forward). Defaults to the system clock.
  std::function<std::chrono::system_clock::time_point()> clock;
};

// A client registered ahead of time (for hosts that do not register themselves, and tests).
struct ClientRegistration {
  std::string client_id;
  std::string client_secret;  // empty: a public client (token_endpoint_auth_method "none")
  std::string client_name;
  std::vector<std::string> redirect_uris;
  std::string application_type = "native";  // "native" or "web": which redirect URIs are valid
  std::vector<std::string> grant_types = {"authorization_code", "refresh_token"};
};

class AuthorizationServer {
 public:
  // How stale verify_access_token's view of the database may be: a grant revoked by another
  // process, or a user removed from the users file, is refused at most this long after.
  static constexpr int kGrantRecheckSeconds = 5;

  // Opens (or creates) the database and loads the users file. Throws std::runtime_error with a
  // clear message on a bad option, an unreadable users file or database.
  explicit AuthorizationServer(AuthorizationServerOptions options);
  ~AuthorizationServer();
  AuthorizationServer(const AuthorizationServer&) = delete;
  AuthorizationServer& operator=(const AuthorizationServer&) = delete;

  // Serves every path of the authorization server (put it in HttpOptions::routes). The route
  // refers to this object: keep it alive while the HTTP server runs. Thread-safe.
  HttpRoute route();

  const std::string& issuer() const;
  const std::vector<std::string>& resources() const;
  const std::vector<std::string>& scopes_supported() const;
  // The RFC 8414 metadata document.
  json::object metadata() const;

  // The public keys access tokens are signed with (the current key and those retired less than
  // an access token lifetime ago), as a JWK Set and as keys. Thread-safe.
  json::object jwks() const;
  std::vector<Jwk> verification_keys() const;

  // Checks an access token this server issued for `resource`: signature (published keys),
  // typ "at+jwt", iss, aud, exp (no leeway: same clock), iat (at most 60 s ahead), revocation,
  // and its grant in the database: not revoked (`mcpp auth revoke`, from any process), its user
  // still in the users file with the password they approved with. The database answer is cached
  // per token for at most kGrantRecheckSeconds (revocations in this process take effect at once).
  // Returns its claims; throws
  // JwtError (mcpp/auth/jwt.hpp in src/) saying what is wrong.
  json::object verify_access_token(std::string_view token, std::string_view resource) const;
  // The same for a token that may be for any of `resources` (e.g. the MCP endpoint and the legacy
  // /sse one): the signature is checked once, the audience against each.
  json::object verify_access_token(std::string_view token,
                                   const std::vector<std::string>& resources) const;
  // True when the access token with this jti was revoked (RFC 7009, or refresh token reuse).
  bool access_token_revoked(std::string_view jti) const;

  // Without a users file: the one-time sign-in URL (until it has been used), else nullopt.
  std::optional<std::string> admin_link() const;

  // Registers (or replaces) a client. Throws std::invalid_argument on invalid metadata (e.g. a
  // redirect URI its application type may not use).
  void register_client(const ClientRegistration& client);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mcpp::auth
