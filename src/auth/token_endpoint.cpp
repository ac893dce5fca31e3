// The token endpoint (authorization_code with PKCE S256, refresh_token with rotation and reuse
// detection) and the revocation endpoint (RFC 7009), with client authentication.
#include <algorithm>
#include <cctype>

#include "auth/authorization_server_impl.hpp"
#include "auth/crypto.hpp"
#include "mcpp/content.hpp"

namespace mcpp::auth {

using authz::ClientRecord;
using authz::oauth_error;
using authz::Params;
using authz::Redemption;

namespace {

bool valid_verifier(std::string_view v) {
  return v.size() >= 43 && v.size() <= 128 && std::all_of(v.begin(), v.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
                  c == '~';
         });
}

// The form of a token or revocation request (`what`), or the error that refuses it.
std::optional<Params> read_form(const HttpRequestInfo& req, std::string_view what,
                                HttpReply& error) {
  if (authz::media_type(req) != "application/x-www-form-urlencoded") {
    error = oauth_error(
        400, "invalid_request",
        "send the " + std::string(what) + " request as application/x-www-form-urlencoded");
    return std::nullopt;
  }
  std::string why;
  auto params = Params::parse(req.body, &why);
  if (!params) {
    error = oauth_error(400, "invalid_request", "the form body has " + why);
  } else if (!params->duplicate().empty()) {
    error = oauth_error(400, "invalid_request", params->duplicate() + " appears more than once");
    params.reset();
  }
  return params;
}

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

std::optional<ClientRecord> AuthorizationServer::Impl::authenticate_client(
    const HttpRequestInfo& req, const Params& params, HttpReply& error) {
  std::string client_id = params.get("client_id");
  std::string secret;
  bool basic = false;
  std::string_view authorization = req.header("authorization");
  // RFC 9110 §11.1: the scheme is case-insensitive, one or more spaces before the credentials.
  std::string scheme(authorization.substr(0, 6));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (authorization.size() > 6 && scheme == "basic ") {
    basic = true;
    std::string_view credentials = authorization.substr(6);
    while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
    auto decoded = base64_decode(credentials);
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    std::optional<std::string> id, pass;
    if (colon != std::string::npos) {
      // RFC 6749 §2.3.1: both halves are form-encoded first.
      id = authz::percent_decode(decoded->substr(0, colon), true);
      pass = authz::percent_decode(decoded->substr(colon + 1), true);
    }
    if (!id || !pass) {
      error = oauth_error(401, "invalid_client", "malformed Basic credentials");
      error.headers.emplace_back("WWW-Authenticate", "Basic realm=\"" + o.issuer + "\"");
      return std::nullopt;
    }
    if (params.has("client_secret")) {
      error = oauth_error(400, "invalid_request", "use one client authentication method, not two");
      return std::nullopt;
    }
    if (!client_id.empty() && client_id != *id) {
      error = oauth_error(400, "invalid_request", "client_id differs from the Basic credentials");
      return std::nullopt;
    }
    client_id = *id;
    secret = *pass;
  } else {
    secret = params.get("client_secret");
  }
  auto refuse = [&](std::string_view why) {
    error = oauth_error(401, "invalid_client", why);
    if (basic) error.headers.emplace_back("WWW-Authenticate", "Basic realm=\"" + o.issuer + "\"");
    return std::nullopt;
  };
  if (client_id.empty()) return refuse("client_id is missing");
  std::optional<ClientRecord> client = store.client(client_id);
  if (!client) return refuse("unknown client");
  if (client->secret_hash.empty()) {
    if (!secret.empty()) return refuse("this client is public: it has no secret");
    return client;
  }
  if (secret.empty()) return refuse("this client must authenticate with its secret");
  if (!constant_time_equal(sha256_hex(secret), client->secret_hash)) {
    return refuse("wrong client secret");
  }
  return client;
}

authz::Issuance AuthorizationServer::Impl::new_issuance(const ClientRecord& client,
                                                        std::int64_t now, std::int64_t grant_ends,
                                                        std::string& refresh) const {
  authz::Issuance issued;
  issued.client_id = client.client_id;
  issued.access_jti = random_token(16);
  issued.access_expires_at = std::min(now + o.access_token_ttl.count(), grant_ends);
  refresh.clear();
  if (has(client.grant_types, "refresh_token")) {
    refresh = random_token(32);
    issued.refresh_hash = sha256_hex(refresh);
    issued.refresh_expires_at = std::min(now + o.refresh_token_ttl.count(), grant_ends);
  }
  return issued;
}

HttpReply AuthorizationServer::Impl::token_reply(const authz::Grant& grant,
                                                 const authz::Issuance& issued,
                                                 const std::string& refresh,
                                                 const std::string& access_scope,
                                                 std::int64_t now) {
  Jwk key = signing_key();
  json::object claims{{"iss", o.issuer},
                      {"sub", grant.subject},
                      {"aud", grant.resource},
                      {"client_id", issued.client_id},
                      {"iat", now},
                      {"exp", issued.access_expires_at},
                      {"jti", issued.access_jti}};
  if (!access_scope.empty()) claims["scope"] = access_scope;
  std::string access_token = jwt_sign(claims, key, "at+jwt");
  json::object body{{"access_token", access_token},
                    {"token_type", "Bearer"},
                    {"expires_in", issued.access_expires_at - now}};
  if (!access_scope.empty()) body["scope"] = access_scope;
  if (!refresh.empty()) body["refresh_token"] = refresh;
  return authz::json_reply(200, body);
}

HttpReply AuthorizationServer::Impl::token(const HttpRequestInfo& req) {
  HttpReply error;
  std::optional<Params> params = read_form(req, "token", error);
  if (!params) return error;
  std::optional<ClientRecord> client = authenticate_client(req, *params, error);
  if (!client) return error;
  std::string grant_type = params->get("grant_type");
  if (grant_type.empty()) return oauth_error(400, "invalid_request", "grant_type is missing");
  if (grant_type != "authorization_code" && grant_type != "refresh_token") {
    return oauth_error(400, "unsupported_grant_type",
                       "supported: authorization_code, refresh_token");
  }
  if (!has(client->grant_types, grant_type)) {
    return oauth_error(400, "unauthorized_client",
                       "the client did not register the " + grant_type + " grant");
  }
  std::int64_t t = now();

  if (grant_type == "authorization_code") {
    std::string code = params->get("code");
    if (code.empty()) return oauth_error(400, "invalid_request", "code is missing");
    // Checked inside the redemption, before the code is spent: a request with the wrong client,
    // redirect URI or verifier leaves the code to its rightful owner.
    HttpReply refusal;
    auto accept = [&](const authz::CodeRecord& record) {
      if (record.grant.client_id != client->client_id) {
        refusal = oauth_error(400, "invalid_grant", "the code was issued to another client");
        return false;
      }
      std::string redirect_uri = params->get("redirect_uri");
      if (record.redirect_uri_given
              ? redirect_uri != record.redirect_uri
              : (!redirect_uri.empty() && redirect_uri != record.redirect_uri)) {
        refusal = oauth_error(400, "invalid_grant",
                              "redirect_uri differs from the authorization request's");
        return false;
      }
      std::string verifier = params->get("code_verifier");
      if (verifier.empty()) {
        refusal = oauth_error(400, "invalid_grant", "code_verifier is missing (PKCE is required)");
        return false;
      }
      if (!valid_verifier(verifier) ||
          !constant_time_equal(pkce_challenge(verifier), record.code_challenge)) {
        refusal =
            oauth_error(400, "invalid_grant", "code_verifier does not match the code_challenge");
        return false;
      }
      if (params->has("resource")) {
        std::optional<std::string> resource = match_resource(params->get("resource"));
        if (!resource || *resource != record.grant.resource) {
          refusal = oauth_error(
              400, "invalid_target",
              "resource differs from the authorization request's (" + record.grant.resource + ")");
          return false;
        }
      }
      // The user may have been removed (or changed password) since approving.
      std::string problem = credential_problem(record.grant.subject, record.grant.credential);
      if (!problem.empty()) {
        refusal = oauth_error(400, "invalid_grant", problem + "; sign in again");
        return false;
      }
      return true;
    };
    std::string refresh;
    // The code was approved at most code_ttl ago: the grant's lifetime starts about now.
    authz::Issuance issued = new_issuance(*client, t, t + o.grant_lifetime.count(), refresh);
    authz::CodeRecord record;
    std::vector<authz::RevokedToken> revoked_now;
    Redemption result = store.redeem_code(sha256_hex(code), t, accept, issued, record, revoked_now);
    note_revoked(revoked_now);
    switch (result) {
      case Redemption::kOk:
        return token_reply(record.grant, issued, refresh, record.grant.scope, t);
      case Redemption::kRejected:
        if (refusal.body.empty()) {
          refusal = oauth_error(400, "invalid_grant", "the code was issued to another client");
        }
        return refusal;
      case Redemption::kReused:
        return oauth_error(400, "invalid_grant",
                           "the code was already used; the tokens issued for it are revoked");
      case Redemption::kExpired:
        return oauth_error(400, "invalid_grant", "the code has expired");
      default:
        return oauth_error(400, "invalid_grant", "unknown code");
    }
  }

  // refresh_token
  std::string refresh = params->get("refresh_token");
  if (refresh.empty()) return oauth_error(400, "invalid_request", "refresh_token is missing");
  std::string hash = sha256_hex(refresh);
  std::optional<authz::Grant> known = store.refresh_token_grant(hash);
  if (!known || known->client_id != client->client_id) {
    // Another client's token is not touched (nor does the answer say it exists).
    return oauth_error(400, "invalid_grant", "unknown refresh token");
  }
  std::vector<std::string> granted = split_scope(known->scope);
  std::vector<std::string> requested = split_scope(params->get("scope"));
  for (const auto& s : requested) {
    if (!has(granted, s)) {
      return oauth_error(400, "invalid_scope", "scope \"" + s + "\" was not granted");
    }
  }
  if (params->has("resource")) {
    std::optional<std::string> resource = match_resource(params->get("resource"));
    if (!resource || *resource != known->resource) {
      return oauth_error(400, "invalid_target", "this refresh token is for " + known->resource);
    }
  }
  // The user must still exist with the password they approved with; the whole grant goes
  // otherwise (its access tokens too).
  if (std::string problem = credential_problem(known->subject, known->credential);
      !problem.empty()) {
    note_revoked(store.revoke_family(known->family, t));
    return oauth_error(400, "invalid_grant", problem + "; sign in again");
  }
  const std::int64_t grant_ends = known->auth_time + o.grant_lifetime.count();
  if (t >= grant_ends) {
    const std::int64_t lifetime = o.grant_lifetime.count();
    return oauth_error(400, "invalid_grant",
                       "this sign-in is older than the grant lifetime (" +
                           (lifetime % 86'400 == 0 ? std::to_string(lifetime / 86'400) + " days"
                                                   : std::to_string(lifetime) + " seconds") +
                           "); sign in again");
  }
  std::string new_refresh;
  authz::Issuance issued = new_issuance(*client, t, grant_ends, new_refresh);
  authz::Grant grant;
  std::vector<authz::RevokedToken> revoked_now;
  Redemption result = store.rotate_refresh_token(hash, t, issued, grant, revoked_now);
  note_revoked(revoked_now);
  switch (result) {
    case Redemption::kOk:
      break;
    case Redemption::kReused:
      return oauth_error(400, "invalid_grant",
                         "the refresh token was already used; every token of this grant is "
                         "revoked");
    case Redemption::kExpired:
      return oauth_error(400, "invalid_grant", "the refresh token has expired");
    case Redemption::kRevoked:
      return oauth_error(400, "invalid_grant", "the refresh token was revoked");
    default:
      return oauth_error(400, "invalid_grant", "unknown refresh token");
  }
  std::string access_scope;
  for (const auto& s : requested.empty() ? granted : requested) {
    access_scope += (access_scope.empty() ? "" : " ") + s;
  }
  return token_reply(grant, issued, new_refresh, access_scope, t);
}

HttpReply AuthorizationServer::Impl::revoke(const HttpRequestInfo& req) {
  HttpReply error;
  std::optional<Params> params = read_form(req, "revocation", error);
  if (!params) return error;
  std::optional<ClientRecord> client = authenticate_client(req, *params, error);
  if (!client) return error;
  std::string token = params->get("token");
  if (token.empty()) return oauth_error(400, "invalid_request", "token is missing");
  std::int64_t t = now();
  // RFC 7009 §2.2: unknown tokens, and tokens of other clients, get 200 too (nothing leaks).
  if (std::optional<authz::Grant> grant = store.refresh_token_grant(sha256_hex(token))) {
    if (grant->client_id == client->client_id) note_revoked(store.revoke_family(grant->family, t));
  } else if (std::count(token.begin(), token.end(), '.') == 2) {
    std::vector<Jwk> published;
    signing_key(&published);
    try {
      DecodedJwt d = jwt_verify(token, published);
      std::string_view jti = find_string(d.claims, "jti");
      const json::value* exp = find(d.claims, "exp");
      if (!jti.empty() && find_string(d.claims, "client_id") == client->client_id &&
          find_string(d.claims, "iss") == o.issuer && exp && exp->is_int64()) {
        store.revoke_access_token(jti, exp->get_int64());
        note_revoked({{std::string(jti), exp->get_int64()}});
      }
    } catch (const JwtError&) {
      // Not one of ours: nothing to revoke.
    }
  }
  return authz::json_reply(200, json::object{});
}

}  // namespace mcpp::auth
