// Client OAuth, the parts with logic on their own: WWW-Authenticate parsing, the well-known URLs
// in the spec's order, the resource check, scope selection and union, the authorization
// response check (state, RFC 9207 iss), token and registration responses, form encoding, and
// the token store (file mode 0600, per-issuer keys, bad files left alone). Bad input must give a
// clear OAuthError, never a crash.
#include "mcpp/auth/oauth_client.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "auth/crypto.hpp"
#include "auth/oauth_flow.hpp"
#include "client/www_authenticate.hpp"

namespace mcpp::auth {
namespace {

using namespace oauth;

// The OAuthError message of `f()`, or "" when it did not throw one.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const OAuthError& e) {
    return e.what();
  }
  return {};
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// ---- WWW-Authenticate ---------------------------------------------------------------------------

TEST(WwwAuthenticate, ParsesABearerChallengeWithQuotedValues) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="mcp, the server", error="invalid_token", )"
      R"(error_description="Invalid Authorization header format, expected 'Bearer TOKEN'", )"
      R"(resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "mcp, the server");
  EXPECT_EQ(c[0].param("error"), "invalid_token");
  EXPECT_EQ(c[0].param("error_description"),
            "Invalid Authorization header format, expected 'Bearer TOKEN'");
  EXPECT_EQ(c[0].param("resource_metadata"),
            "https://mcp.example/.well-known/oauth-protected-resource/mcp");
}

TEST(WwwAuthenticate, UnescapesQuotedPairs) {
  auto c = parse_www_authenticate(R"(Bearer error_description="say \"hi\" \\ now")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("error_description"), R"(say "hi" \ now)");
}

TEST(WwwAuthenticate, SeparatesSeveralChallenges) {
  auto c = parse_www_authenticate(
      R"(Basic realm="legacy", Bearer error="insufficient_scope", scope="files:read files:write",)"
      R"( resource_metadata="https://a.example/prm", DPoP algs="ES256")");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "legacy");
  EXPECT_FALSE(c[0].has("scope"));
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].param("scope"), "files:read files:write");
  EXPECT_EQ(c[1].param("resource_metadata"), "https://a.example/prm");
  EXPECT_EQ(c[2].scheme, "dpop");
  EXPECT_EQ(c[2].param("algs"), "ES256");
  const HttpChallenge* bearer = find_challenge(c, "BEARER");
  ASSERT_NE(bearer, nullptr);
  EXPECT_EQ(bearer->param("error"), "insufficient_scope");
}

TEST(WwwAuthenticate, ReadsToken68AndBareSchemes) {
  auto c = parse_www_authenticate("Negotiate YWJjZA==, Bearer, Basic realm=simple");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "negotiate");
  EXPECT_EQ(c[0].token68, "YWJjZA==");
  EXPECT_TRUE(c[0].params.empty());
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_TRUE(c[1].params.empty());
  EXPECT_EQ(c[2].param("realm"), "simple");
}

TEST(WwwAuthenticate, IsCaseInsensitiveAndLenient) {
  auto c = parse_www_authenticate(
      R"(bEaReR Scope="a b" Resource_Metadata=https://x.example/prm?x=1, error = "e")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("scope"), "a b");
  EXPECT_EQ(c[0].param("resource_metadata"), "https://x.example/prm?x=1");
  EXPECT_EQ(c[0].param("error"), "e");
  // The first of a repeated parameter wins.
  EXPECT_EQ(parse_www_authenticate(R"(Bearer scope="a", scope="b")")[0].param("scope"), "a");
}

TEST(WwwAuthenticate, SurvivesGarbage) {
  for (std::string_view bad : {"", ",,, ,", "=", "\"", "Bearer \"", "Bearer realm=\"unterminated",
                               "Bearer a=, b=", "Bearer ===", "Bearer realm=\"x\" ???",
                               "\x01\x02\xff", "Bearer scope=\"\\"}) {
    auto c = parse_www_authenticate(bad);  // no crash, no hang
    for (const auto& ch : c) EXPECT_FALSE(ch.scheme.empty()) << bad;
  }
  auto c = parse_www_authenticate("Bearer realm=\"unterminated");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("realm"), "unterminated");
}

// ---- discovery URLs ---------------------------------------------------------------------------

TEST(DiscoveryUrls, ProtectedResourcePathInsertedThenRoot) {
  EXPECT_EQ(resource_metadata_urls("https://example.com/public/mcp"),
            (std::vector<std::string>{
                "https://example.com/.well-known/oauth-protected-resource/public/mcp",
                "https://example.com/.well-known/oauth-protected-resource"}));
  EXPECT_EQ(
      resource_metadata_urls("https://example.com:8443/mcp/?x=1#f"),
      (std::vector<std::string>{"https://example.com:8443/.well-known/oauth-protected-resource/mcp",
                                "https://example.com:8443/.well-known/oauth-protected-resource"}));
  EXPECT_EQ(resource_metadata_urls("http://127.0.0.1:9/"),
            (std::vector<std::string>{"http://127.0.0.1:9/.well-known/oauth-protected-resource"}));
  EXPECT_TRUE(resource_metadata_urls("not a url").empty());
  EXPECT_TRUE(resource_metadata_urls("ftp://example.com/mcp").empty());
}

TEST(DiscoveryUrls, AuthorizationServerOrderWithAndWithoutPath) {
  EXPECT_EQ(server_metadata_urls("https://auth.example.com/tenant1"),
            (std::vector<std::string>{
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/.well-known/openid-configuration/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration"}));
  EXPECT_EQ(
      server_metadata_urls("https://auth.example.com"),
      (std::vector<std::string>{"https://auth.example.com/.well-known/oauth-authorization-server",
                                "https://auth.example.com/.well-known/openid-configuration"}));
  // A terminating slash is not a path (RFC 8414 §3.1).
  EXPECT_EQ(server_metadata_urls("https://auth.example.com/"),
            server_metadata_urls("https://auth.example.com"));
  EXPECT_EQ(server_metadata_urls("https://auth.example.com/a/b/")[0],
            "https://auth.example.com/.well-known/oauth-authorization-server/a/b");
  EXPECT_TRUE(server_metadata_urls("").empty());
}

TEST(ResourceCheck, CoversTheServerAndNothingElse) {
  EXPECT_TRUE(resource_covers("https://mcp.example.com/mcp", "https://mcp.example.com/mcp"));
  EXPECT_TRUE(resource_covers("https://mcp.example.com", "https://mcp.example.com/mcp"));
  EXPECT_TRUE(resource_covers("https://mcp.example.com/", "https://mcp.example.com/mcp"));
  EXPECT_TRUE(
      resource_covers("https://MCP.example.com:443/api", "https://mcp.example.com/api/mcp"));
  EXPECT_TRUE(resource_covers("https://mcp.example.com/mcp/", "https://mcp.example.com/mcp"));
  EXPECT_FALSE(resource_covers("https://evil.example.com/mcp", "https://mcp.example.com/mcp"));
  EXPECT_FALSE(resource_covers("http://mcp.example.com/mcp", "https://mcp.example.com/mcp"));
  EXPECT_FALSE(resource_covers("https://mcp.example.com:8443/mcp", "https://mcp.example.com/mcp"));
  EXPECT_FALSE(resource_covers("https://mcp.example.com/mcpx", "https://mcp.example.com/mcp"));
  EXPECT_FALSE(resource_covers("https://mcp.example.com/mcp", "https://mcp.example.com/mcpx"));
  EXPECT_FALSE(resource_covers("https://mcp.example.com/other", "https://mcp.example.com/mcp"));
  EXPECT_FALSE(resource_covers("https://mcp.example.com/mcp#f", "https://mcp.example.com/mcp"));
  EXPECT_FALSE(resource_covers("mcp.example.com", "https://mcp.example.com/mcp"));
  EXPECT_FALSE(resource_covers("", "https://mcp.example.com/mcp"));
}

TEST(ResourceCheck, CanonicalServerUri) {
  EXPECT_EQ(canonical_resource("HTTPS://MCP.Example.com/mcp#frag"), "https://mcp.example.com/mcp");
  EXPECT_EQ(canonical_resource("https://mcp.example.com/"), "https://mcp.example.com");
  EXPECT_EQ(canonical_resource("https://mcp.example.com:8443"), "https://mcp.example.com:8443");
  EXPECT_EQ(canonical_resource("http://[::1]:9/mcp?a=b"), "http://[::1]:9/mcp?a=b");
}

TEST(ResourceCheck, AuthorizationServersMustUseHttpsOffLoopback) {
  EXPECT_NO_THROW(require_secure_url("https://as.example.com", "x", false));
  EXPECT_NO_THROW(require_secure_url("http://localhost:9000/as", "x", false));
  EXPECT_NO_THROW(require_secure_url("http://127.0.0.1:9000", "x", false));
  EXPECT_NO_THROW(require_secure_url("http://[::1]:9000", "x", false));
  EXPECT_NO_THROW(require_secure_url("http://as.example.com", "x", true));
  EXPECT_TRUE(
      contains(error_of([] { require_secure_url("http://as.example.com", "the AS", false); }),
               "does not use https"));
  EXPECT_TRUE(contains(error_of([] { require_secure_url("javascript:alert(1)", "the AS", true); }),
                       "not an absolute http(s) URL"));
}

// ---- metadata ---------------------------------------------------------------------------------

TEST(Metadata, ParsesProtectedResourceMetadata) {
  auto m = parse_resource_metadata(
      R"({"resource":"https://mcp.example/mcp","authorization_servers":["https://as.example"],)"
      R"("scopes_supported":["a","b"],"extra":{"x":1}})",
      "https://mcp.example/prm");
  EXPECT_EQ(m.resource, "https://mcp.example/mcp");
  EXPECT_EQ(m.authorization_servers, std::vector<std::string>{"https://as.example"});
  ASSERT_TRUE(m.scopes_supported);
  EXPECT_EQ(*m.scopes_supported, (std::vector<std::string>{"a", "b"}));
  auto none = parse_resource_metadata(
      R"({"resource":"https://m/","authorization_servers":["https://a"]})", "u");
  EXPECT_FALSE(none.scopes_supported);
}

TEST(Metadata, RefusesMalformedProtectedResourceMetadata) {
  struct Case {
    std::string body;
    std::string says;
  };
  std::vector<Case> cases = {
      {"<html>nope</html>", "is not JSON"},
      {"[1,2]", "not a JSON object"},
      {"{}", "has no \"resource\""},
      {R"({"resource":42,"authorization_servers":["https://a"]})", "\"resource\" is not a string"},
      {R"({"resource":"","authorization_servers":["https://a"]})", "\"resource\" is empty"},
      {R"({"resource":"https://m"})", "names no authorization server"},
      {R"({"resource":"https://m","authorization_servers":[]})", "names no authorization server"},
      {R"({"resource":"https://m","authorization_servers":"https://a"})", "not an array"},
      {R"({"resource":"https://m","authorization_servers":[1]})", "not an array of strings"},
      {R"({"resource":"https://m","authorization_servers":["https://a"],"scopes_supported":"a b"})",
       "\"scopes_supported\" is not an array"},
      {"", "is not JSON"},
  };
  for (const auto& c : cases) {
    std::string e = error_of([&] { parse_resource_metadata(c.body, "https://m/prm"); });
    EXPECT_TRUE(contains(e, c.says)) << c.body << " -> " << e;
    EXPECT_TRUE(contains(e, "https://m/prm")) << e;
  }
}

TEST(Metadata, ChecksTheIssuerOfAuthorizationServerMetadata) {
  std::string good =
      R"({"issuer":"https://as.example/t1","authorization_endpoint":"https://as.example/t1/a",)"
      R"("token_endpoint":"https://as.example/t1/t","code_challenge_methods_supported":["S256"],)"
      R"("authorization_response_iss_parameter_supported":true,)"
      R"("client_id_metadata_document_supported":true,"scopes_supported":["x","offline_access"]})";
  auto m = parse_server_metadata(good, "u", "https://as.example/t1");
  EXPECT_EQ(m.token_endpoint, "https://as.example/t1/t");
  EXPECT_TRUE(m.iss_parameter_supported);
  EXPECT_TRUE(m.client_id_metadata_document_supported);
  EXPECT_TRUE(m.registration_endpoint.empty());
  EXPECT_NO_THROW(require_pkce_s256(m));
  // Not the issuer the URL was built from: not even a trailing slash is forgiven.
  for (std::string_view expected : {"https://attacker.example", "https://as.example/t1/",
                                    "https://AS.example/t1", "https://as.example"}) {
    std::string e = error_of([&] { parse_server_metadata(good, "https://w/k", expected); });
    EXPECT_TRUE(contains(e, "refusing to use it")) << expected << ": " << e;
  }
  EXPECT_TRUE(contains(error_of([] {
                         parse_server_metadata(R"({"issuer":"https://a","token_endpoint":"t"})",
                                               "u", "https://a");
                       }),
                       "no \"authorization_endpoint\""));
  EXPECT_TRUE(contains(error_of([] { parse_server_metadata("{", "u", "https://a"); }), "not JSON"));
}

TEST(Metadata, RefusesAuthorizationServersWithoutPkceS256) {
  ServerMetadata m;
  m.issuer = "https://as.example";
  EXPECT_TRUE(contains(error_of([&] { require_pkce_s256(m); }),
                       "does not list code_challenge_methods_supported"));
  m.code_challenge_methods_supported = std::vector<std::string>{"plain"};
  EXPECT_TRUE(contains(error_of([&] { require_pkce_s256(m); }), "supports only plain"));
  m.code_challenge_methods_supported = std::vector<std::string>{};
  EXPECT_TRUE(contains(error_of([&] { require_pkce_s256(m); }), "refusing"));
}

// ---- scopes and registration
// ---------------------------------------------------------------------

TEST(Scopes, UnionKeepsOrderAndDropsDuplicates) {
  EXPECT_EQ(scope_union("a b", "b c"), "a b c");
  EXPECT_EQ(scope_union("", "  x\ty  x "), "x y");
  EXPECT_EQ(scope_union("a", ""), "a");
  EXPECT_TRUE(scope_covers("a b c", "c a"));
  EXPECT_FALSE(scope_covers("a b", "a d"));
  EXPECT_TRUE(scope_covers("", ""));
  EXPECT_EQ(split_scope("  "), std::vector<std::string>{});
}

TEST(Scopes, SelectionFollowsTheSpecsOrder) {
  ServerMetadata as;
  ResourceMetadata prm;
  prm.scopes_supported = std::vector<std::string>{"mcp:read", "mcp:write"};
  // 1. The challenge's scope.
  EXPECT_EQ(select_scope("mcp:basic", &prm, "", as, true), "mcp:basic");
  // 2. Else every scope the resource supports.
  EXPECT_EQ(select_scope("", &prm, "", as, true), "mcp:read mcp:write");
  // 3. Else none.
  ResourceMetadata bare;
  EXPECT_EQ(select_scope("", &bare, "", as, true), "");
  EXPECT_EQ(select_scope("", nullptr, "", as, true), "");
  // Re-authorization keeps what was asked before.
  EXPECT_EQ(select_scope("mcp:write", &prm, "mcp:basic", as, true), "mcp:basic mcp:write");
  // offline_access only when the authorization server lists it, and never alone.
  EXPECT_EQ(select_scope("mcp:basic", &prm, "", as, true), "mcp:basic");
  as.scopes_supported = std::vector<std::string>{"mcp:basic", "offline_access"};
  EXPECT_EQ(select_scope("mcp:basic", &prm, "", as, true), "mcp:basic offline_access");
  EXPECT_EQ(select_scope("mcp:basic", &prm, "", as, false), "mcp:basic");
  EXPECT_EQ(select_scope("", &bare, "", as, true), "");
}

TEST(Registration, TokenEndpointAuthMethods) {
  ServerMetadata as;  // lists nothing
  EXPECT_EQ(registration_auth_method(as), "none");
  EXPECT_EQ(choose_auth_method(as, false), "none");
  EXPECT_EQ(choose_auth_method(as, true), "client_secret_basic");
  as.token_endpoint_auth_methods_supported = std::vector<std::string>{"client_secret_post"};
  EXPECT_EQ(registration_auth_method(as), "client_secret_post");
  EXPECT_EQ(choose_auth_method(as, true), "client_secret_post");
  as.token_endpoint_auth_methods_supported =
      std::vector<std::string>{"client_secret_basic", "client_secret_post"};
  EXPECT_EQ(registration_auth_method(as), "client_secret_basic");
  EXPECT_EQ(choose_auth_method(as, true), "client_secret_basic");
  EXPECT_EQ(choose_auth_method(as, true, "client_secret_post"), "client_secret_post");
  as.token_endpoint_auth_methods_supported = std::vector<std::string>{"none", "private_key_jwt"};
  EXPECT_EQ(registration_auth_method(as), "none");
  EXPECT_EQ(application_type_for("http://127.0.0.1:5000/callback"), "native");
  EXPECT_EQ(application_type_for("http://localhost:3000/callback"), "native");
  EXPECT_EQ(application_type_for("https://app.example.com/callback"), "web");
}

TEST(Registration, ResponsesAndErrors) {
  auto r = parse_registration_response(
      201, "application/json",
      R"({"client_id":"abc","client_secret":"s","token_endpoint_auth_method":"client_secret_post"})",
      "https://as/register");
  EXPECT_EQ(r.client_id, "abc");
  EXPECT_EQ(r.client_secret, "s");
  EXPECT_EQ(r.token_endpoint_auth_method, "client_secret_post");
  std::string e = error_of([] {
    parse_registration_response(400, "application/json",
                                R"({"error":"invalid_redirect_uri","error_description":"no"})",
                                "https://as/register");
  });
  EXPECT_TRUE(contains(e, "HTTP 400, invalid_redirect_uri: no")) << e;
  e = error_of([] {
    parse_registration_response(500, "text/html", "<h1>oops</h1>", "https://as/register");
  });
  EXPECT_TRUE(contains(e, "HTTP 500 (text/html): <h1>oops</h1>")) << e;
  e = error_of([] { parse_registration_response(201, "application/json", "{}", "https://as/r"); });
  EXPECT_TRUE(contains(e, "no \"client_id\"")) << e;
}

// ---- the authorization response ---------------------------------------------------------------

constexpr std::string_view kIssuer = "http://localhost:4000";

std::string callback(std::string_view query) {
  return "http://localhost:3000/callback?" + std::string(query);
}

// The six RFC 9207 cases of the 2026-07-28 scenarios, and state.
TEST(AuthorizationResponse, IssSupportedAndCorrect) {
  EXPECT_EQ(
      check_authorization_response(callback("code=c1&state=s1&iss=http%3A%2F%2Flocalhost%3A4000"),
                                   "s1", kIssuer, true),
      "c1");
}

TEST(AuthorizationResponse, IssNotAdvertisedNorSent) {
  EXPECT_EQ(check_authorization_response(callback("code=c1&state=s1"), "s1", kIssuer, false), "c1");
}

TEST(AuthorizationResponse, IssAdvertisedButMissing) {
  std::string e = error_of(
      [] { check_authorization_response(callback("code=c1&state=s1"), "s1", kIssuer, true); });
  EXPECT_TRUE(contains(e, "carries no iss parameter")) << e;
}

TEST(AuthorizationResponse, IssWrong) {
  std::string e = error_of([] {
    check_authorization_response(callback("code=c1&state=s1&iss=https://evil.example.com"), "s1",
                                 kIssuer, true);
  });
  EXPECT_TRUE(contains(e, "'https://evil.example.com'")) << e;
}

TEST(AuthorizationResponse, IssUnexpectedIsStillCompared) {
  std::string e = error_of([] {
    check_authorization_response(callback("code=c1&state=s1&iss=https://evil.example.com"), "s1",
                                 kIssuer, false);
  });
  EXPECT_TRUE(contains(e, "discarded")) << e;
}

TEST(AuthorizationResponse, IssIsNotNormalized) {
  for (std::string_view iss : {"http://localhost:4000/", "HTTP://localhost:4000",
                               "http://LOCALHOST:4000", "http://localhost:4000%2F"}) {
    std::string e = error_of([&] {
      check_authorization_response(callback("code=c1&state=s1&iss=" + percent_encode(iss)), "s1",
                                   kIssuer, true);
    });
    EXPECT_TRUE(contains(e, "discarded")) << iss;
  }
}

TEST(AuthorizationResponse, StateMustMatchBeforeAnythingElse) {
  EXPECT_TRUE(contains(error_of([] {
                         check_authorization_response(callback("code=c&state=other"), "s1", kIssuer,
                                                      false);
                       }),
                       "does not match"));
  EXPECT_TRUE(contains(
      error_of([] { check_authorization_response(callback("code=c"), "s1", kIssuer, false); }),
      "carries no state"));
  EXPECT_TRUE(
      contains(error_of([] { check_authorization_response("not a url", "s1", kIssuer, false); }),
               "carries no state"));
}

TEST(AuthorizationResponse, ErrorsAreReportedOnlyFromTheRightIssuer) {
  std::string e = error_of([] {
    check_authorization_response(
        callback("error=access_denied&error_description=The+user+said+no&state=s1&iss=" +
                 percent_encode(kIssuer)),
        "s1", kIssuer, true);
  });
  EXPECT_TRUE(contains(e, "refused: access_denied: The user said no")) << e;
  // From another issuer the error is not acted on (nor shown).
  e = error_of([] {
    check_authorization_response(
        callback("error=access_denied&error_description=phish&state=s1&iss=https://evil"), "s1",
        kIssuer, true);
  });
  EXPECT_FALSE(contains(e, "phish")) << e;
  EXPECT_TRUE(contains(e, "evil")) << e;
  EXPECT_TRUE(contains(
      error_of([] { check_authorization_response(callback("state=s1"), "s1", kIssuer, false); }),
      "no code"));
}

TEST(FormEncoding, RoundTripsAndDecodesLeniently) {
  Params p{{"a b", "x/y?z=1&w"}, {"é", "+"}};
  std::string q = form_encode(p);
  EXPECT_EQ(q, "a%20b=x%2Fy%3Fz%3D1%26w&%C3%A9=%2B");
  EXPECT_EQ(query_params("https://x/?" + q), p);
  auto d = query_params("https://x/cb?a=1+2&b=%zz&c&=v&a=3#frag=1");
  EXPECT_EQ(param(d, "a"), "1 2");
  EXPECT_EQ(param(d, "b"), "%zz");
  EXPECT_EQ(param(d, "c"), "");
  EXPECT_FALSE(param(d, "frag"));
  EXPECT_EQ(with_query("https://as/authorize?prompt=login#x", {{"k", "v w"}}),
            "https://as/authorize?prompt=login&k=v%20w#x");
  EXPECT_EQ(with_query("https://as/authorize", {}), "https://as/authorize");
  // client_secret_basic: form-encoded parts, standard base64.
  EXPECT_EQ(basic_credentials("pre-registered-client", "pre-registered-secret"),
            "Basic cHJlLXJlZ2lzdGVyZWQtY2xpZW50OnByZS1yZWdpc3RlcmVkLXNlY3JldA==");
  EXPECT_EQ(basic_credentials("a:b", ""), "Basic YSUzQWI6");
}

// ---- token responses ----------------------------------------------------------------------------

TEST(TokenResponse, ParsesABearerToken) {
  auto t = parse_token_response(
      200, "application/json",
      R"({"access_token":"at","token_type":"bearer","expires_in":3600,"refresh_token":"rt",)"
      R"("scope":"a b"})",
      "https://as/token");
  EXPECT_EQ(t.access_token, "at");
  EXPECT_EQ(t.token_type, "Bearer");
  EXPECT_EQ(t.refresh_token, "rt");
  EXPECT_EQ(t.scope, "a b");
  EXPECT_EQ(t.expires_in, 3600);
  EXPECT_EQ(
      parse_token_response(200, "", R"({"access_token":"x","expires_in":"60"})", "t").expires_in,
      60);
  EXPECT_EQ(
      parse_token_response(200, "application/json", R"({"access_token":"x","expires_in":-5})", "t")
          .expires_in,
      0);
  EXPECT_FALSE(parse_token_response(200, "application/json", R"({"access_token":"x"})", "t")
                   .expires_in.has_value());
}

TEST(TokenResponse, GivesClearErrorsForBadAnswers) {
  struct Case {
    int status;
    std::string media;
    std::string body;
    std::string says;
  };
  std::vector<Case> cases = {
      {400, "application/json", R"({"error":"invalid_grant","error_description":"code used"})",
       "HTTP 400, invalid_grant: code used"},
      {401, "application/json", R"({"error":"invalid_client"})", "HTTP 401, invalid_client"},
      {502, "text/html", "<html>Bad gateway</html>", "HTTP 502 (text/html): <html>Bad gateway"},
      {200, "text/html", "<html>login</html>", "Content-Type 'text/html', not JSON"},
      {200, "application/json", "not json", "is not JSON"},
      {200, "application/json", "[]", "not a JSON object"},
      {200, "application/json", R"({"error":"slow_down"})", "refused: slow_down"},
      {200, "application/json", R"({"token_type":"Bearer"})", "no \"access_token\""},
      {200, "application/json", R"({"access_token":7})", "\"access_token\" is not a string"},
      {200, "application/json", R"({"access_token":"x","token_type":"DPoP"})",
       "of type 'DPoP', which mcpp does not support"},
      {200, "application/json", R"({"access_token":"x","expires_in":"soon"})",
       "\"expires_in\" is not a number"},
      {200, "application/json", R"({"access_token":"x","refresh_token":["r"]})",
       "\"refresh_token\" is not a string"},
  };
  for (const auto& c : cases) {
    std::string e = error_of(
        [&] { parse_token_response(c.status, c.media, c.body, "https://as.example/token"); });
    EXPECT_TRUE(contains(e, c.says)) << c.body << " -> " << e;
    EXPECT_TRUE(contains(e, "https://as.example/token")) << e;
  }
}

// ---- the token store
// ------------------------------------------------------------------------------

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mcpp-oauth-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "sub" / "tokens.json").string(); }
  static unsigned mode_of(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  }
  std::filesystem::path dir_;
};

StoredToken token(std::string access, std::string refresh = {}) {
  StoredToken t;
  t.access_token = std::move(access);
  t.refresh_token = std::move(refresh);
  t.scope = "a b";
  t.requested_scope = "a b";
  t.expires_at = 1'900'000'000;
  return t;
}

TEST_F(TokenStoreTest, WritesAFileOnlyTheUserCanRead) {
  TokenStore store(path());
  store.set_token("https://as1.example", "https://mcp.example/mcp", token("t1", "r1"));
  EXPECT_EQ(mode_of(path()), 0600u);
  EXPECT_EQ(mode_of((dir_ / "sub").string()), 0700u);
  EXPECT_FALSE(std::filesystem::exists(path() + ".tmp." + std::to_string(::getpid())));
}

TEST_F(TokenStoreTest, KeepsTokensPerIssuerAndResource) {
  {
    TokenStore store(path());
    store.set_token("https://as1.example", "https://mcp.example/mcp", token("t1", "r1"));
    store.set_token("https://as2.example", "https://mcp.example/mcp", token("t2"));
    store.set_token("https://as1.example", "https://other.example", token("t3"));
    StoredClient c;
    c.client_id = "dyn-1";
    c.client_secret = "s";
    c.token_endpoint_auth_method = "client_secret_basic";
    c.registration = "dynamic";
    c.redirect_uri = "http://127.0.0.1:5/callback";
    c.token_endpoint = "https://as1.example/token";
    store.set_client("https://as1.example", c);
    store.set_server("https://mcp.example/mcp", {"https://as1.example", "https://mcp.example/mcp"});
  }
  TokenStore again(path());  // a later run
  auto t1 = again.token("https://as1.example", "https://mcp.example/mcp");
  ASSERT_TRUE(t1);
  EXPECT_EQ(t1->access_token, "t1");
  EXPECT_EQ(t1->refresh_token, "r1");
  EXPECT_EQ(t1->scope, "a b");
  EXPECT_EQ(t1->expires_at, 1'900'000'000);
  EXPECT_EQ(again.token("https://as2.example", "https://mcp.example/mcp")->access_token, "t2");
  EXPECT_EQ(again.token("https://as1.example", "https://other.example")->access_token, "t3");
  EXPECT_FALSE(again.token("https://as3.example", "https://mcp.example/mcp"));
  auto c = again.client("https://as1.example");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->client_id, "dyn-1");
  EXPECT_EQ(c->token_endpoint, "https://as1.example/token");
  EXPECT_FALSE(again.client("https://as2.example"));
  auto s = again.server("https://mcp.example/mcp");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->issuer, "https://as1.example");
  again.forget_server("https://mcp.example/mcp");
  EXPECT_FALSE(again.server("https://mcp.example/mcp"));
  EXPECT_FALSE(again.token("https://as1.example", "https://mcp.example/mcp"));
  EXPECT_TRUE(again.token("https://as2.example", "https://mcp.example/mcp"));
  EXPECT_TRUE(again.client("https://as1.example")) << "the registration outlives the token";
}

TEST_F(TokenStoreTest, TightensAFileOthersCouldRead) {
  std::filesystem::create_directories(dir_ / "sub");
  { std::ofstream(path()) << R"({"version":1})"; }
  ::chmod(path().c_str(), 0644);
  TokenStore store(path());
  EXPECT_FALSE(store.server("x"));
  EXPECT_EQ(mode_of(path()), 0600u);
}

TEST_F(TokenStoreTest, LeavesABadFileAlone) {
  std::filesystem::create_directories(dir_ / "sub");
  for (std::string_view content : {"not json at all", "[1,2,3]", R"({"version": 99})"}) {
    { std::ofstream(path()) << content; }
    TokenStore store(path());
    std::string e = error_of([&] { store.server("https://mcp.example/mcp"); });
    EXPECT_TRUE(contains(e, path())) << e;
    e = error_of([&] { store.set_token("i", "r", token("t")); });
    EXPECT_TRUE(contains(e, "leaves it alone")) << e;
    std::ifstream in(path());
    std::string now((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(now, content);
  }
}

TEST_F(TokenStoreTest, IgnoresWrongTypesInsideTheFile) {
  std::filesystem::create_directories(dir_ / "sub");
  {
    std::ofstream(path()) << R"({"version":1,"servers":{"u":7},"issuers":{"i":{"tokens":[1],)"
                             R"("client":"x"}}})";
  }
  TokenStore store(path());
  EXPECT_FALSE(store.server("u"));
  EXPECT_FALSE(store.token("i", "r"));
  EXPECT_FALSE(store.client("i"));
  store.set_token("i", "r", token("t"));
  EXPECT_EQ(store.token("i", "r")->access_token, "t");
}

TEST_F(TokenStoreTest, InMemoryStoreNeedsNoFile) {
  TokenStore store;
  store.set_token("i", "r", token("t"));
  EXPECT_EQ(store.token("i", "r")->access_token, "t");
  EXPECT_TRUE(store.path().empty());
}

TEST(TokenStorePath, FollowsXdgThenHome) {
  std::string saved_xdg = std::getenv("XDG_CONFIG_HOME") ? std::getenv("XDG_CONFIG_HOME") : "";
  std::string saved_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("XDG_CONFIG_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(TokenStore::default_path(), "/xdg/mcpp/tokens.json");
  ::setenv("XDG_CONFIG_HOME", "relative", 1);  // not absolute: ignored, as the spec says
  EXPECT_EQ(TokenStore::default_path(), "/home/u/.config/mcpp/tokens.json");
  ::unsetenv("XDG_CONFIG_HOME");
  EXPECT_EQ(TokenStore::default_path(), "/home/u/.config/mcpp/tokens.json");
  if (saved_xdg.empty()) {
    ::unsetenv("XDG_CONFIG_HOME");
  } else {
    ::setenv("XDG_CONFIG_HOME", saved_xdg.c_str(), 1);
  }
  ::setenv("HOME", saved_home.c_str(), 1);
}

}  // namespace
}  // namespace mcpp::auth
