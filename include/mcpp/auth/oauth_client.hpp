// Client OAuth for MCP servers over HTTP (the 2025-11-25 and 2026-07-28 authorization specs):
// protected resource and authorization server discovery, client registration (pre-registered,
// client ID metadata document, dynamic), the authorization code flow with PKCE S256, state,
// resource indicators and the RFC 9207 iss check, refresh, step-up, and a per-issuer token store.
//
//   auto oauth = std::make_shared<mcpp::auth::OAuthClient>(ex, options);
//   mcpp::HttpTarget target{.url = "https://example.com/mcp"};
//   target.auth = oauth;              // the client now answers 401/403 by authorizing
//   co_await client.connect(target);
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mcpp/client.hpp"

namespace mcpp::auth {

// Authorizing failed: discovery, registration, the user's answer, the token endpoint. what()
// says what went wrong and where.
class OAuthError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Client credentials the app registered with an authorization server ahead of time.
struct PreregisteredClient {
  // The issuer of the authorization server they belong to. Credentials are only ever sent to
  // that server; "" sends them to whichever server the MCP server names (not recommended).
  std::string issuer;
  std::string client_id;
  std::string client_secret;  // "" for a public client
  // "none", "client_secret_basic" or "client_secret_post"; "" chooses from the server's metadata.
  std::string token_endpoint_auth_method;
};

// What the user agent has to show: the authorization server's page.
struct AuthorizationPrompt {
  std::string url;           // the authorization request: open it in a browser
  std::string redirect_uri;  // where the authorization server sends the browser back
  std::string issuer;        // the authorization server
  std::string server_url;    // the MCP server access is asked for
  std::string scope;         // the scopes asked for ("" when none)
};

// Takes the user to `prompt.url` and returns the URL the authorization server redirected the
// browser to (the redirect URI with its code, state and iss parameters). Throw to give up.
using UserAgent = std::function<Task<std::string>(const AuthorizationPrompt& prompt)>;

// An access token as kept between runs.
struct StoredToken {
  std::string access_token;
  std::string token_type = "Bearer";
  std::string refresh_token;
  std::string scope;            // granted: the token response's, else the one asked for
  std::string requested_scope;  // what the last authorization asked for
  std::int64_t expires_at = 0;  // Unix time in seconds; 0 when the server did not say
};

// A registration with one authorization server.
struct StoredClient {
  std::string client_id;
  std::string client_secret;  // dynamic registration only; pre-registered secrets are not stored
  std::string token_endpoint_auth_method;  // "none", "client_secret_basic", "client_secret_post"
  std::string redirect_uri;                // the one registered (dynamic registration)
  std::string registration;                // "dynamic", "metadata-document" or "pre-registered"
  std::string token_endpoint;              // the server's, to refresh tokens in a later run
};

// Tokens and registrations by authorization server (issuer) and, for tokens, by resource; and
// which issuer serves which MCP server URL. Kept in memory, or in a JSON file only the user may
// read (mode 0600, in a directory of mode 0700) that every change rewrites atomically. Safe to
// use from several threads and processes (changes hold an flock on "<path>.lock").
class TokenStore {
 public:
  // `path` "" keeps everything in memory.
  explicit TokenStore(std::string path = {});
  ~TokenStore();
  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  // $XDG_CONFIG_HOME/mcpp/tokens.json, else $HOME/.config/mcpp/tokens.json ("" without either).
  static std::string default_path();
  const std::string& path() const;

  struct ServerEntry {
    std::string issuer;    // the authorization server that issued its tokens
    std::string resource;  // the resource identifier the tokens are bound to
  };

  // Each read throws OAuthError when the file exists but cannot be read or is not a token store;
  // each change also when the file cannot be written. Nothing is lost: a bad file is left alone.
  std::optional<ServerEntry> server(std::string_view server_url) const;
  void set_server(std::string_view server_url, const ServerEntry& entry);
  std::optional<StoredClient> client(std::string_view issuer) const;
  void set_client(std::string_view issuer, const StoredClient& client);
  std::optional<StoredToken> token(std::string_view issuer, std::string_view resource) const;
  void set_token(std::string_view issuer, std::string_view resource, const StoredToken& token);
  void forget_token(std::string_view issuer, std::string_view resource);
  // Forgets the server's entry and the tokens its issuer gave for its resource.
  void forget_server(std::string_view server_url);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

struct OAuthOptions {
  // The authorization code flow: where the browser comes back to (registered with the server)
  // and who takes the user to the authorization page. Without a user agent, only stored or
  // refreshed tokens are used.
  std::string redirect_uri;
  UserAgent user_agent;

  // Registration, in the spec's order of preference: pre-registered credentials for the
  // server's issuer; else a client ID metadata document (an https URL with a path, when the
  // server advertises client_id_metadata_document_supported); else dynamic registration.
  std::vector<PreregisteredClient> clients;
  std::string client_metadata_url;
  std::string client_name = "mcpp";
  std::string client_uri;        // optional, sent in dynamic registration
  std::string application_type;  // "" : "native" for a loopback redirect URI, else "web"

  // Ask for offline_access (a refresh token) when the authorization server lists it.
  bool offline_access = true;
  // How many times one request may step up its scopes after 403 insufficient_scope.
  int max_step_ups = 2;

  std::shared_ptr<TokenStore> token_store;  // null: tokens live as long as the OAuthClient

  // Every call to an authorization server or for metadata: connect and answer within this.
  std::chrono::milliseconds http_timeout{15'000};
  std::string ca_file;     // PEM certificates to trust instead of the system's
  bool verify_tls = true;  // false accepts any certificate (tests only)
  // Authorization servers must use https; true also accepts http:// ones that are not on
  // loopback (tests only; loopback http is always accepted).
  bool allow_insecure_http = false;

  // What the flow is doing ("discovering ...", "registering with ..."), for verbose output.
  std::function<void(std::string_view)> on_progress;
  // Problems that do not stop it (an unusable token store file, a server that changed).
  std::function<void(std::string_view)> on_warning;
};

// An HttpAuthProvider that authorizes with OAuth 2.1 when a server asks (401, or 403 with
// insufficient_scope) and sends the token with every request; tokens are refreshed when they
// expire or are refused. One OAuthClient may serve several servers and clients (it runs on its
// own strand). Create it with std::make_shared.
class OAuthClient final : public HttpAuthProvider {
 public:
  OAuthClient(boost::asio::any_io_executor executor, OAuthOptions options);
  ~OAuthClient() override;
  OAuthClient(const OAuthClient&) = delete;
  OAuthClient& operator=(const OAuthClient&) = delete;

  Task<std::string> authorization(std::string server_url) override;
  Task<bool> on_challenge(AuthChallenge challenge) override;
  bool authorizing() const override;

  // Authorizes for the server at `server_url` now (discovery from the well-known URIs), unless
  // it has a usable token already. Throws OAuthError.
  Task<void> authorize(std::string server_url);
  // Forgets the server's token, in memory and in the store.
  Task<void> forget(std::string server_url);
  // The token for the server, if any (after authorize() or a request).
  Task<std::optional<StoredToken>> token(std::string server_url);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// A user agent without a user: GETs the authorization URL and returns the Location it redirects
// to (following redirects on the authorization server's own origin, at most 5). For
// authorization servers that grant without a login page, as test servers do.
UserAgent redirect_following_user_agent(
    boost::asio::any_io_executor executor,
    std::chrono::milliseconds timeout = std::chrono::seconds(15));

// Receives the browser's return on http://127.0.0.1:PORT/callback (RFC 8252 §7.3), for apps on
// the user's machine: bind it, register redirect_uri(), open the authorization URL in a browser,
// then wait(). Answers the browser with a short page. Runs on the executor it is given.
class LoopbackRedirect {
 public:
  // Binds 127.0.0.1:`port` (0: a free port). Throws std::system_error.
  explicit LoopbackRedirect(boost::asio::any_io_executor executor, std::uint16_t port = 0,
                            std::string path = "/callback");
  ~LoopbackRedirect();
  LoopbackRedirect(const LoopbackRedirect&) = delete;
  LoopbackRedirect& operator=(const LoopbackRedirect&) = delete;

  std::uint16_t port() const;
  std::string redirect_uri() const;  // "http://127.0.0.1:PORT/callback"
  // The next request to the callback path, as a full URL with its query. Throws OAuthError after
  // `timeout`.
  Task<std::string> wait(std::chrono::milliseconds timeout);
  // Stops listening (a pending wait() throws). The destructor does it too; call it when the
  // listener is still referenced (by a user agent) but the io_context should run out of work.
  void close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mcpp::auth
