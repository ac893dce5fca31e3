// The pure parts of client OAuth (no I/O): well-known URLs in the spec's order, metadata
// parsing and validation, scope selection, the authorization response check (state, RFC 9207
// iss), token responses, form and query encoding. OAuthClient (oauth_client.cpp) drives them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpp/auth/oauth_client.hpp"
#include "mcpp/json.hpp"

namespace mcpp::auth::oauth {

using Params = std::vector<std::pair<std::string, std::string>>;

// ---- URLs ----------------------------------------------------------------------------------

// An absolute http(s) URL taken apart. `origin` keeps the URL's spelling ("http://Host:8080").
struct UrlParts {
  std::string scheme;  // lowercase
  std::string host;    // lowercase, without brackets
  std::string port;    // as written ("" when absent)
  std::string origin;  // scheme://host[:port] as written
  std::string path;    // percent-encoded, may be ""
  bool has_query = false;
  bool has_fragment = false;
};
// std::nullopt unless `url` is an absolute http: or https: URL with a host.
std::optional<UrlParts> split_url(std::string_view url);

// Protected resource metadata (RFC 9728 §3.1) for an MCP server URL, in the order the spec
// has clients try them: path-inserted (when the URL has a path), then the root.
std::vector<std::string> resource_metadata_urls(std::string_view server_url);
// Authorization server metadata for an issuer: with a path, OAuth path-inserted, OpenID
// path-inserted, OpenID path-appended; without, OAuth then OpenID (RFC 8414 §3.1, §5).
std::vector<std::string> server_metadata_urls(std::string_view issuer);

// True when the resource identifier `resource` (from protected resource metadata) covers the
// MCP server at `server_url`: same scheme, host and port, and the server's path is the
// resource's path or below it.
bool resource_covers(std::string_view resource, std::string_view server_url);
// The server URL as a resource identifier (RFC 8707 §2): no fragment, lowercase scheme and
// host, no trailing slash on a bare origin.
std::string canonical_resource(std::string_view server_url);

bool is_loopback_url(std::string_view url);
// Throws OAuthError unless `url` is an absolute https URL (or http on loopback, or any http when
// `allow_http`). `what` names it in the message.
void require_secure_url(std::string_view url, std::string_view what, bool allow_http);

// ---- metadata --------------------------------------------------------------------------------

struct ResourceMetadata {
  std::string url;  // where it was found
  std::string resource;
  std::vector<std::string> authorization_servers;
  std::optional<std::vector<std::string>> scopes_supported;
};
// Parses a protected resource metadata document found at `url`. Throws OAuthError saying what
// is wrong (not JSON, not an object, no resource, no authorization servers, wrong types).
ResourceMetadata parse_resource_metadata(std::string_view body, std::string_view url);

struct ServerMetadata {
  std::string url;  // where it was found ("" for the 2025-03-26 default endpoints)
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string registration_endpoint;
  std::optional<std::vector<std::string>> scopes_supported;
  std::optional<std::vector<std::string>> token_endpoint_auth_methods_supported;
  std::optional<std::vector<std::string>> code_challenge_methods_supported;
  bool client_id_metadata_document_supported = false;
  bool iss_parameter_supported = false;  // authorization_response_iss_parameter_supported
};
// Parses authorization server metadata found at `url` and checks that its issuer is exactly
// `expected_issuer` (RFC 8414 §3.3). Throws OAuthError.
ServerMetadata parse_server_metadata(std::string_view body, std::string_view url,
                                     std::string_view expected_issuer);
// The 2025-03-26 fallback when a server publishes no metadata: /authorize, /token and
// /register on the origin of `base`.
ServerMetadata default_server_metadata(std::string_view base);
// Throws OAuthError unless the server supports PKCE with S256 (the spec has clients refuse
// otherwise).
void require_pkce_s256(const ServerMetadata& as);

// ---- scopes and registration -----------------------------------------------------------------

std::vector<std::string> split_scope(std::string_view scope);
// `a` then the scopes of `b` it lacks, space-separated.
std::string scope_union(std::string_view a, std::string_view b);
// True when every scope of `needed` is in `have`.
bool scope_covers(std::string_view have, std::string_view needed);
// The scope of an authorization request: the challenge's scope, else the resource's
// scopes_supported, else none; joined with `previous` (re-authorization keeps what was asked
// before); offline_access added when `offline_access`, the server lists it and the scope is not
// empty.
std::string select_scope(std::string_view challenge_scope, const ResourceMetadata* prm,
                         std::string_view previous, const ServerMetadata& as, bool offline_access);

// How to authenticate at the token endpoint: `preferred` when set, else the first the server
// supports of client_secret_basic / client_secret_post (with a secret) or none (without).
std::string choose_auth_method(const ServerMetadata& as, bool has_secret,
                               std::string_view preferred = {});
// The method to ask for in dynamic registration: none when the server supports it (or says
// nothing), else client_secret_basic, else client_secret_post.
std::string registration_auth_method(const ServerMetadata& as);
// "native" for a loopback redirect URI, "web" otherwise.
std::string application_type_for(std::string_view redirect_uri);

struct Registration {
  std::string client_id;
  std::string client_secret;
  std::string token_endpoint_auth_method;  // "" when the server did not say
};
// A dynamic registration response (RFC 7591 §3.2). Throws OAuthError, with the server's error
// when it sent one.
Registration parse_registration_response(int status, std::string_view media_type,
                                         std::string_view body, std::string_view endpoint);

// ---- authorization request and response -----------------------------------------------------

// `url` with `params` appended to its query (percent-encoded).
std::string with_query(std::string_view url, const Params& params);
// application/x-www-form-urlencoded.
std::string form_encode(const Params& params);
// The query parameters of a URL, decoded as application/x-www-form-urlencoded ('+' is a
// space); repeated names keep every value in order.
Params query_params(std::string_view url);
// The first value of `name`, or std::nullopt.
std::optional<std::string> param(const Params& params, std::string_view name);

// Checks the redirect back from the authorization server and returns its code. In order: the
// state must match (else refused without looking further); then RFC 9207: an `iss` present is
// compared to `issuer` as a plain string, and one missing is refused when the server
// advertised it; only then an `error` is reported, and a missing code refused.
std::string check_authorization_response(std::string_view callback_url,
                                         std::string_view expected_state, std::string_view issuer,
                                         bool iss_advertised);

// ---- tokens ----------------------------------------------------------------------------------

struct TokenResponse {
  std::string access_token;
  std::string token_type;
  std::string refresh_token;
  std::string scope;
  std::optional<std::int64_t> expires_in;
};
// A token endpoint's answer. Throws OAuthError: the server's error (error, error_description),
// a body that is not JSON, no access_token, a token type other than Bearer.
TokenResponse parse_token_response(int status, std::string_view media_type, std::string_view body,
                                   std::string_view endpoint);

// The HTTP Basic credentials of client_secret_basic (RFC 6749 §2.3.1: both parts form-encoded).
std::string basic_credentials(std::string_view client_id, std::string_view client_secret);

}  // namespace mcpp::auth::oauth
