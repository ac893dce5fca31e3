// An OAuth 2.1 resource server for the HTTP transport: Protected Resource Metadata (RFC 9728),
// bearer tokens checked as JWTs against the issuer's JWKS or by introspection (RFC 7662), the
// audience bound to this server (RFC 8707), scopes per tool and tools callable without a token.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mcpp/client.hpp"
#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"

namespace mcpp::auth {

// The outcome of checking one bearer token.
struct TokenCheck {
  std::shared_ptr<const AuthInfo> info;  // set when the token is valid
  std::string error;                     // why it is not (for error_description)
};

// Checks bearer tokens. Implementations synchronise themselves (one verifier serves every
// connection thread) and never throw.
class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  virtual Task<TokenCheck> verify(std::string token) = 0;
};

struct JwtVerifierOptions {
  std::string issuer;                  // the required "iss"
  std::vector<std::string> audiences;  // accepted "aud" values: this server's resource URL
  // Where the keys are: a JWKS URL, else discovered from the issuer's metadata (RFC 8414, then
  // OpenID discovery). Keys are cached for `jwks_cache` and fetched again when a token names an
  // unknown key id (at most every `jwks_min_refresh`), so the issuer can rotate them.
  std::string jwks_uri;
  // Instead of fetching: the current JWKS of an authorization server in this process.
  std::function<json::value()> local_jwks;
  std::chrono::seconds jwks_cache{3600};
  std::chrono::seconds jwks_min_refresh{30};
  std::chrono::seconds leeway{30};  // clock skew allowed on exp/nbf
  // Accept only RFC 9068 tokens (typ "at+jwt"). Off by default: many providers send "JWT" or no
  // typ; other types (ID tokens, logout/DPoP proofs) are refused either way.
  bool require_at_jwt = false;
  // TLS trust and timeouts for the fetches (its URL is not used).
  HttpTarget http;
};
// Validates signature (RS256, ES256, EdDSA; never "none" or HMAC), typ, iss, aud, exp, nbf, sub.
// Scopes come from "scope" (space-separated) or "scp"; the client from "client_id" or "azp".
std::shared_ptr<TokenVerifier> make_jwt_verifier(JwtVerifierOptions options);

struct IntrospectionOptions {
  std::string endpoint;  // the RFC 7662 introspection endpoint
  std::string client_id;
  std::string client_secret;           // sent with HTTP Basic
  std::vector<std::string> audiences;  // the response's "aud" must name one of them
  std::string issuer;                  // when set, the response's "iss" must match
  std::chrono::seconds cache{60};      // active answers are reused this long (at most to exp)
  HttpTarget http;
};
std::shared_ptr<TokenVerifier> make_introspection_verifier(IntrospectionOptions options);

class AuthorizationServer;
// Tokens of an AuthorizationServer in this process, for one of `resources` (signature, claims
// and revocation checked directly). `as` must outlive the verifier.
std::shared_ptr<TokenVerifier> make_local_verifier(const AuthorizationServer& as,
                                                   std::vector<std::string> resources);

struct ResourceServerOptions {
  // The canonical URL of the MCP endpoint (e.g. https://mcp.example.com/mcp): the RFC 8707
  // resource tokens must be issued for, and where the metadata URL is derived from.
  std::string resource;
  // The URL of the legacy HTTP+SSE endpoint (e.g. https://mcp.example.com/sse) when the server
  // offers that transport: its clients name it as their resource. It gets its own metadata
  // document; requests to its path and to `legacy_messages_path` are challenged with it. The
  // verifier must accept tokens for it too (list both URLs as audiences).
  std::string legacy_resource;
  std::string legacy_messages_path = "/messages";
  std::vector<std::string> authorization_servers;  // issuer URLs, listed in the metadata
  std::vector<std::string> scopes_supported;
  // Scopes every request with a token must carry (403 insufficient_scope otherwise).
  std::vector<std::string> required_scopes;
  std::string resource_name;
  std::string resource_documentation;
  // "Mixed" authorization (ChatGPT's per-tool security schemes): without a token a client may
  // still initialize, discover, list tools and call tools declared ToolAccess::public_access()
  // or optional_token(); anything else answers 401 with the challenge. False: every request
  // needs a valid token.
  bool allow_anonymous = false;
  std::shared_ptr<TokenVerifier> verifier;
};

class ResourceServer {
 public:
  // `server` is consulted for each tool's ToolAccess; it must outlive the resource server.
  ResourceServer(const Server& server, ResourceServerOptions options);
  ~ResourceServer();

  // Adds the metadata route and the authorizer to `http`.
  void install(HttpOptions& http) const;
  // Serves the metadata at /.well-known/oauth-protected-resource<path of resource> and at the
  // root /.well-known/oauth-protected-resource.
  HttpRoute metadata_route() const;
  std::shared_ptr<HttpAuthorizer> authorizer() const;
  // The URL advertised in WWW-Authenticate (the path-inserted metadata URL).
  std::string metadata_url() const;
  json::object metadata() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mcpp::auth
