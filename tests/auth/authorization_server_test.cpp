// The embedded authorization server through a real socket: metadata, registration, the code
// flow through the HTML login form, PKCE and redirect checks, resources, refresh rotation and
// reuse detection, revocation, JWKS and key rotation, restarts, the admin link, client ID
// metadata documents.
#include <sqlite3.h>

#include "authorization_server_support.hpp"

namespace mcpp::auth::test {
namespace {

using AuthorizationServerFlow = AuthorizationServerTest;

// ---- metadata -------------------------------------------------------------------------------

TEST_F(AuthorizationServerFlow, MetadataDocuments) {
  start();
  Browser b = browser();
  for (std::string path :
       {"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"}) {
    Reply r = b.get(path);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.header("access-control-allow-origin"), "*");
    json::value m = r.json();
    EXPECT_EQ(find_string(m, "issuer"), issuer);
    EXPECT_EQ(find_string(m, "authorization_endpoint"), issuer + "/authorize");
    EXPECT_EQ(find_string(m, "token_endpoint"), issuer + "/token");
    EXPECT_EQ(find_string(m, "registration_endpoint"), issuer + "/register");
    EXPECT_EQ(find_string(m, "revocation_endpoint"), issuer + "/revoke");
    EXPECT_EQ(find_string(m, "jwks_uri"), issuer + "/jwks.json");
    EXPECT_EQ(m.at("code_challenge_methods_supported"), (json::array{"S256"}));
    EXPECT_EQ(m.at("response_types_supported"), (json::array{"code"}));
    EXPECT_EQ(m.at("grant_types_supported"), (json::array{"authorization_code", "refresh_token"}));
    EXPECT_EQ(m.at("token_endpoint_auth_methods_supported"),
              (json::array{"none", "client_secret_post", "client_secret_basic"}));
    EXPECT_EQ(m.at("scopes_supported"), (json::array{"mcp", "files:read", "files:write"}));
    EXPECT_EQ(m.at("client_id_metadata_document_supported"), true);
    EXPECT_EQ(m.at("authorization_response_iss_parameter_supported"), true);
    EXPECT_EQ(m.as_object().contains("subject_types_supported"),
              path.find("openid") != std::string::npos);
  }
  EXPECT_EQ(b.get("/.well-known/oauth-authorization-server/tenant").status, 404);
  EXPECT_EQ(b.send(http::verb::post, "/.well-known/oauth-authorization-server").status, 405);
  EXPECT_EQ(find_string(as().metadata(), "issuer"), issuer);
}

TEST_F(AuthorizationServerFlow, IssuerWithAPathServesThePathInsertedVariants) {
  start({}, "/tenant1");
  Browser b = browser();
  for (std::string path :
       {"/.well-known/oauth-authorization-server/tenant1",
        "/.well-known/openid-configuration/tenant1", "/tenant1/.well-known/openid-configuration"}) {
    Reply r = b.get(path);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(find_string(r.json(), "issuer"), issuer);
    EXPECT_EQ(find_string(r.json(), "token_endpoint"), origin + "/tenant1/token");
  }
  EXPECT_EQ(b.get("/.well-known/oauth-authorization-server").status, 404);
  add_client();
  Pkce pkce;
  std::string code = code_for(pkce);
  Reply t = exchange(code, pkce);
  EXPECT_EQ(t.status, 200) << t.body;
}

// ---- dynamic client registration ------------------------------------------------------------

TEST_F(AuthorizationServerFlow, DynamicRegistrationAcceptsValidClients) {
  start();
  Browser b = browser();
  Reply r = b.post_json("/register",
                        {{"client_name", "Native App"},
                         {"application_type", "native"},
                         {"redirect_uris", {"http://127.0.0.1:3000/cb", "https://app.example/cb"}},
                         {"token_endpoint_auth_method", "none"},
                         {"grant_types", {"authorization_code", "refresh_token"}},
                         {"scope", "mcp unknown-scope"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.cache_control, "no-store");
  json::value c = r.json();
  EXPECT_FALSE(find_string(c, "client_id").empty());
  EXPECT_FALSE(c.as_object().contains("client_secret"));
  EXPECT_EQ(find_string(c, "application_type"), "native");
  EXPECT_EQ(find_string(c, "client_name"), "Native App");
  EXPECT_EQ(find_string(c, "scope"), "mcp") << "unknown scopes are dropped";
  EXPECT_TRUE(c.at("client_id_issued_at").is_int64());

  // Web (the default type) with https and a loopback http URI; confidential by default.
  Reply w = b.post_json(
      "/register", {{"redirect_uris", {"https://app.example.com/cb", "http://localhost:8080/cb"}}});
  ASSERT_EQ(w.status, 201) << w.body;
  EXPECT_EQ(find_string(w.json(), "application_type"), "web");
  EXPECT_EQ(find_string(w.json(), "token_endpoint_auth_method"), "client_secret_basic");
  EXPECT_FALSE(find_string(w.json(), "client_secret").empty());
  EXPECT_EQ(w.json().at("client_secret_expires_at"), 0);
}

TEST_F(AuthorizationServerFlow, DynamicRegistrationRefusesBadMetadata) {
  start();
  Browser b = browser();
  struct Case {
    json::value body;
    std::string error;
  };
  std::vector<Case> cases = {
      {json::object{{"client_name", "x"}}, "invalid_redirect_uri"},
      {json::object{{"redirect_uris", json::array{}}}, "invalid_redirect_uri"},
      {json::object{{"redirect_uris", "https://a.example/cb"}}, "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"https://a.example/cb"}}, {"application_type", "desktop"}},
       "invalid_client_metadata"},
      {json::object{{"redirect_uris", {"com.example.app:/cb"}}, {"application_type", "web"}},
       "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"com.example.app:/cb"}}}, "invalid_redirect_uri"},
      // MCP: https or localhost only, also for native apps registering themselves.
      {json::object{{"redirect_uris", {"com.example.app:/cb"}}, {"application_type", "native"}},
       "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"http://app.example.com/cb"}}, {"application_type", "web"}},
       "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"http://app.example.com/cb"}},
                    {"application_type", "native"}},
       "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"javascript:alert(1)"}}, {"application_type", "native"}},
       "invalid_redirect_uri"},
      // Loopback is an address, not a name that starts with "127." (or a lenient spelling).
      {json::object{{"redirect_uris", {"http://127.evil.example/cb"}}}, "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"http://127.0.0.1.nip.io/cb"}}}, "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"http://127.1/cb"}}}, "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"http://0x7f.0.0.1/cb"}}}, "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"http://localhost./cb"}}}, "invalid_redirect_uri"},
      // Boost.URL 1.81 reads these as host 127.0.0.1 / [::1] and path ".evil.example/cb".
      {json::object{{"redirect_uris", {"http://127.0.0.1.evil.example/cb"}}},
       "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"http://127.0.0.1:80.evil.example/cb"}}},
       "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"http://[::1].evil.example/cb"}}}, "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"https://a.example/cb#frag"}}}, "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"not a uri"}}}, "invalid_redirect_uri"},
      {json::object{{"redirect_uris", {"https://a.example/cb"}}, {"grant_types", {"implicit"}}},
       "invalid_client_metadata"},
      {json::object{{"redirect_uris", {"https://a.example/cb"}}, {"response_types", {"token"}}},
       "invalid_client_metadata"},
      {json::object{{"redirect_uris", {"https://a.example/cb"}},
                    {"token_endpoint_auth_method", "private_key_jwt"}},
       "invalid_client_metadata"},
      {json::object{{"redirect_uris", {"https://a.example/cb"}}, {"client_name", 42}},
       "invalid_client_metadata"},
      {json::array{1, 2}, "invalid_client_metadata"},
  };
  for (const auto& c : cases) {
    Reply r = b.post_json("/register", c.body);
    EXPECT_EQ(r.status, 400) << json::serialize(c.body);
    EXPECT_EQ(r.error(), c.error) << json::serialize(c.body) << " → " << r.body;
    EXPECT_FALSE(find_string(r.json(), "error_description").empty());
  }
  Reply garbage =
      b.send(http::verb::post, "/register", "{not json", {{"Content-Type", "application/json"}});
  EXPECT_EQ(garbage.error(), "invalid_client_metadata");
  Reply wrong_type = b.post_form("/register", "redirect_uris=https://a.example/cb");
  EXPECT_EQ(wrong_type.error(), "invalid_client_metadata");
  EXPECT_EQ(b.get("/register").status, 405);
}

// At the caps the oldest unused entries make room (tests/auth/login_limits_test.cpp has the
// per-address rules): a flood cannot answer 503 to everyone else.
TEST_F(AuthorizationServerFlow, RegistrationsAndLoginPagesAreCapped) {
  start([](AuthorizationServerOptions& o) {
    o.max_clients = 2;
    o.max_pending_requests = 2;
  });
  add_client();
  Browser b = browser();
  json::value meta{{"redirect_uris", {"https://a.example/cb"}}};
  std::string first(find_string(b.post_json("/register", meta).json(), "client_id"));
  EXPECT_EQ(b.post_json("/register", meta).status, 201);
  EXPECT_EQ(b.post_json("/register", meta).status, 201) << "the oldest unused one made room";
  authz::AuthStore db((dir_ / "auth.sqlite").string());
  EXPECT_EQ(db.count_clients("dcr"), 2);
  EXPECT_FALSE(db.client(first));

  Pkce pkce;
  Reply oldest = b.get(authorize_target(pkce));
  EXPECT_EQ(oldest.status, 200);
  EXPECT_EQ(b.get(authorize_target(pkce)).status, 200);
  EXPECT_EQ(b.get(authorize_target(pkce)).status, 200);
  EXPECT_EQ(db.count_requests(), 2);
  Reply gone = b.post_form(path_of(issuer) + "/authorize/decision",
                           form({{"request_id", hidden_value(oldest.body, "request_id")},
                                 {"csrf", hidden_value(oldest.body, "csrf")},
                                 {"username", "alice"},
                                 {"password", kPassword},
                                 {"decision", "approve"}}));
  EXPECT_EQ(gone.status, 400);
  EXPECT_NE(gone.body.find("expired"), std::string::npos);
}

TEST_F(AuthorizationServerFlow, RegisteredClientCompletesTheFlow) {
  start();
  Browser b = browser();
  Reply reg = b.post_json("/register", {{"application_type", "native"},
                                        {"redirect_uris", {"http://127.0.0.1:9/callback"}},
                                        {"token_endpoint_auth_method", "none"}});
  ASSERT_EQ(reg.status, 201);
  std::string id(find_string(reg.json(), "client_id"));
  Pkce pkce;
  std::string location = approve(b, authorize_target(pkce, {}, id));
  Reply t = exchange(query_of(location)["code"], pkce, id);
  EXPECT_EQ(t.status, 200) << t.body;
  EXPECT_FALSE(find_string(t.json(), "refresh_token").empty());
}

// ---- the code flow --------------------------------------------------------------------------

TEST_F(AuthorizationServerFlow, CodeFlowThroughTheLoginForm) {
  start();
  add_client();
  Pkce pkce;
  Browser b = browser();
  Reply page = b.get(authorize_target(pkce, {{"scope", "mcp files:read"}}));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.content_type.find("text/html"), std::string::npos);
  EXPECT_EQ(page.cache_control, "no-store");
  EXPECT_EQ(page.header("x-frame-options"), "DENY");
  EXPECT_NE(page.body.find("Test Client"), std::string::npos) << "client name";
  EXPECT_NE(page.body.find("127.0.0.1"), std::string::npos) << "redirect host";
  EXPECT_NE(page.body.find("files:read"), std::string::npos) << "scopes";
  EXPECT_NE(page.body.find("name=\"password\""), std::string::npos);
  EXPECT_EQ(page.body.find("<script"), std::string::npos);
  // Enter in the password field submits the first button: Approve, not Deny.
  EXPECT_LT(page.body.find("value=\"approve\""), page.body.find("value=\"deny\""));
  std::string request_id = hidden_value(page.body, "request_id");
  std::string csrf = hidden_value(page.body, "csrf");
  ASSERT_FALSE(request_id.empty());
  ASSERT_FALSE(csrf.empty());

  // A wrong password shows the page again; the right one redirects with the code.
  std::string decision = path_of(issuer) + "/authorize/decision";
  Reply wrong = b.post_form(decision, form({{"request_id", request_id},
                                            {"csrf", csrf},
                                            {"username", "alice"},
                                            {"password", "nope"},
                                            {"decision", "approve"}}));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.body.find("Wrong user name or password"), std::string::npos);
  Reply ok = b.post_form(decision, form({{"request_id", request_id},
                                         {"csrf", csrf},
                                         {"username", "alice"},
                                         {"password", kPassword},
                                         {"decision", "approve"}}));
  ASSERT_EQ(ok.status, 303) << ok.body;
  ASSERT_TRUE(ok.location.starts_with("http://127.0.0.1:9/callback?")) << ok.location;
  auto q = query_of(ok.location);
  EXPECT_EQ(q["state"], "xyz-state");
  EXPECT_EQ(q["iss"], issuer);
  ASSERT_FALSE(q["code"].empty());
  EXPECT_EQ(q.count("error"), 0u);
  // The request is finished: the same form cannot be posted again.
  EXPECT_EQ(b.post_form(decision,
                        form({{"request_id", request_id}, {"csrf", csrf}, {"decision", "approve"}}))
                .status,
            400);

  Reply t = exchange(q["code"], pkce);
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.content_type, "application/json");
  EXPECT_EQ(t.cache_control, "no-store");
  json::value body = t.json();
  EXPECT_EQ(find_string(body, "token_type"), "Bearer");
  EXPECT_EQ(body.at("expires_in"), 600);
  EXPECT_EQ(find_string(body, "scope"), "mcp files:read");
  std::string access(find_string(body, "access_token"));
  EXPECT_FALSE(find_string(body, "refresh_token").empty());

  // The access token: an ES256 at+jwt verifiable with the published JWKS.
  DecodedJwt d = jwt_verify(access, fetched_jwks());
  EXPECT_EQ(find_string(d.header, "typ"), "at+jwt");
  EXPECT_EQ(find_string(d.header, "alg"), "ES256");
  EXPECT_FALSE(find_string(d.header, "kid").empty());
  EXPECT_EQ(find_string(d.claims, "iss"), issuer);
  EXPECT_EQ(find_string(d.claims, "sub"), "alice");
  EXPECT_EQ(find_string(d.claims, "aud"), resource);
  EXPECT_EQ(find_string(d.claims, "client_id"), "test-client");
  EXPECT_EQ(find_string(d.claims, "scope"), "mcp files:read");
  EXPECT_FALSE(find_string(d.claims, "jti").empty());
  EXPECT_EQ(d.claims.at("exp").as_int64() - d.claims.at("iat").as_int64(), 600);
  json::object claims = as().verify_access_token(access, resource);
  EXPECT_EQ(find_string(claims, "sub"), "alice");
  EXPECT_THROW(as().verify_access_token(access, origin + "/other-mcp"), JwtError);
  EXPECT_THROW(as().verify_access_token(access + "x", resource), JwtError);
  // Against several resources (the local verifier's /mcp and legacy /sse): any one will do.
  using Resources = std::vector<std::string>;
  EXPECT_EQ(
      find_string(as().verify_access_token(access, Resources{origin + "/other-mcp", resource}),
                  "sub"),
      "alice");
  EXPECT_THROW(as().verify_access_token(access, Resources{origin + "/other-mcp"}), JwtError);
  EXPECT_THROW(as().verify_access_token(access, Resources{}), JwtError);

  // Signed in now: the next authorization shows consent only.
  Reply again = b.get(authorize_target(pkce));
  EXPECT_EQ(again.body.find("name=\"password\""), std::string::npos);
  EXPECT_NE(again.body.find("alice"), std::string::npos);
}

TEST_F(AuthorizationServerFlow, DenyRedirectsWithAccessDenied) {
  start();
  add_client();
  Pkce pkce;
  Browser b = browser();
  Reply page = b.get(authorize_target(pkce));
  Reply r = b.post_form(path_of(issuer) + "/authorize/decision",
                        form({{"request_id", hidden_value(page.body, "request_id")},
                              {"csrf", hidden_value(page.body, "csrf")},
                              {"decision", "deny"}}));
  ASSERT_EQ(r.status, 303);
  auto q = query_of(r.location);
  EXPECT_EQ(q["error"], "access_denied");
  EXPECT_EQ(q["state"], "xyz-state");
  EXPECT_EQ(q["iss"], issuer);
  EXPECT_EQ(q.count("code"), 0u);
}

TEST_F(AuthorizationServerFlow, TheFormNeedsItsCsrfTokenAndTheSameBrowser) {
  start();
  add_client();
  Pkce pkce;
  Browser b = browser();
  Reply page = b.get(authorize_target(pkce));
  std::string id = hidden_value(page.body, "request_id");
  std::string csrf = hidden_value(page.body, "csrf");
  std::string decision = path_of(issuer) + "/authorize/decision";
  auto post = [&](Browser& who, std::string token, mcpp::testing::Headers h = {}) {
    return who.post_form(decision,
                         form({{"request_id", id},
                               {"csrf", token},
                               {"username", "alice"},
                               {"password", kPassword},
                               {"decision", "approve"}}),
                         std::move(h));
  };
  EXPECT_EQ(post(b, "forged").status, 403);
  Browser other = browser();  // no browser cookie
  EXPECT_EQ(post(other, csrf).status, 403);
  EXPECT_EQ(post(b, csrf, {{"Origin", "https://evil.example"}}).status, 403);
  EXPECT_EQ(post(b, csrf, {{"Origin", origin}}).status, 303);
}

// Failed sign-ins slow a user name down (a short, growing wait, never a lockout) and do not
// block the address: behind a tunnel every user comes from 127.0.0.1.
TEST_F(AuthorizationServerFlow, FailedSignInsSlowAUserNameDownWithoutLockingOthersOut) {
  start([this](AuthorizationServerOptions& o) {
    auto frozen = std::chrono::system_clock::now();
    o.clock = [this, frozen] { return frozen + std::chrono::seconds(skew.load()); };
  });
  add_client();
  Pkce pkce;
  auto attempt = [&](const std::string& user, const std::string& password) {
    Browser b = browser();
    Reply page = b.get(authorize_target(pkce));
    return b.post_form(path_of(issuer) + "/authorize/decision",
                       form({{"request_id", hidden_value(page.body, "request_id")},
                             {"csrf", hidden_value(page.body, "csrf")},
                             {"username", user},
                             {"password", password},
                             {"decision", "approve"}}));
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(attempt("bob", "wrong").status, 401);
  Reply r = attempt("Bob", "bobs secret");
  EXPECT_EQ(r.status, 429) << "even the right password waits";
  EXPECT_NE(r.body.find("Too many failed sign-ins. Wait 1 second"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("retry-after"), "1");
  // Many failures for other names from the same (loopback) address block nobody.
  for (int i = 0; i < 12; ++i) EXPECT_EQ(attempt("user" + std::to_string(i), "x").status, 401);
  EXPECT_EQ(attempt("alice", kPassword).status, 303);
  EXPECT_EQ(attempt(std::string(100, 'b'), "x").status, 401) << "a name too long to exist";
  // Each further failure doubles the wait, up to a minute.
  std::int64_t wait = 1;
  for (int i = 0; i < 10; ++i) {
    skew += wait;
    EXPECT_EQ(attempt("bob", "wrong").status, 401);
    Reply slowed = attempt("bob", "wrong");
    EXPECT_EQ(slowed.status, 429);
    wait = std::stoll(slowed.header("retry-after"));
    EXPECT_EQ(wait, std::min<std::int64_t>(std::int64_t{2} << i, 60));
  }
  skew += wait;
  EXPECT_EQ(attempt("bob", "bobs secret").status, 303);
  EXPECT_EQ(attempt("bob", "wrong").status, 401) << "a success starts over";
}

TEST_F(AuthorizationServerFlow, ARemovedUserIsSignedOut) {
  start();
  add_client();
  Pkce pkce;
  Browser b = browser();
  approve(b, authorize_target(pkce));
  Reply signed_in = b.get(authorize_target(pkce));
  EXPECT_EQ(signed_in.body.find("name=\"password\""), std::string::npos) << "session cookie";
  // alice leaves the users file.
  std::ofstream(users_file_) << "bob:" << hash_password("bobs secret", 1000) << "\n";
  std::filesystem::last_write_time(
      users_file_, std::filesystem::last_write_time(users_file_) + std::chrono::seconds(5));
  Reply page = b.get(authorize_target(pkce));
  EXPECT_NE(page.body.find("name=\"password\""), std::string::npos) << "signed out";
  Reply r = b.post_form(path_of(issuer) + "/authorize/decision",
                        form({{"request_id", hidden_value(page.body, "request_id")},
                              {"csrf", hidden_value(page.body, "csrf")},
                              {"decision", "approve"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.location.empty()) << "no code without signing in again";
  EXPECT_NE(r.body.find("Enter your user name and password"), std::string::npos);
}

// Internal errors (here SQLite's) are logged, never sent to clients.
TEST_F(AuthorizationServerFlow, ServerErrorsSayNothingInternal) {
  start();
  add_client();
  Pkce pkce;
  std::string code = code_for(pkce);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "auth.sqlite").string().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "DROP TABLE codes; DROP TABLE pending_requests", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  Reply r = exchange(code, pkce);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.error(), "server_error");
  EXPECT_EQ(r.body.find("codes"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("database"), std::string::npos) << r.body;
  Reply page = browser().get(authorize_target(pkce));
  EXPECT_EQ(page.status, 500);
  EXPECT_NE(page.content_type.find("text/html"), std::string::npos);
  EXPECT_EQ(page.body.find("pending_requests"), std::string::npos) << page.body;
}

// ---- PKCE, redirect URIs, resources, scopes ---------------------------------------------------

TEST_F(AuthorizationServerFlow, PkceIsRequiredAndOnlyS256) {
  start();
  add_client();
  Pkce pkce;
  Browser b = browser();
  auto error_of = [&](std::vector<std::pair<std::string, std::string>> extra) {
    Reply r = b.get(authorize_target(pkce, std::move(extra)));
    EXPECT_EQ(r.status, 303) << r.body;
    auto q = query_of(r.location);
    EXPECT_EQ(q["state"], "xyz-state");
    EXPECT_EQ(q["iss"], issuer);
    EXPECT_FALSE(q["error_description"].empty());
    return q["error"];
  };
  EXPECT_EQ(error_of({{"code_challenge_method", "plain"}}), "invalid_request");
  EXPECT_EQ(error_of({{"code_challenge_method", "<omit>"}}), "invalid_request");
  EXPECT_EQ(error_of({{"code_challenge", "<omit>"}}), "invalid_request");
  EXPECT_EQ(error_of({{"code_challenge", "short"}}), "invalid_request");

  // Token requests: no verifier, a wrong one, a malformed one.
  std::string code = code_for(pkce);
  Reply missing = token({{"grant_type", "authorization_code"},
                         {"code", code},
                         {"redirect_uri", "http://127.0.0.1:9/callback"},
                         {"client_id", "test-client"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.error(), "invalid_grant");
  Pkce other;
  Reply wrong = exchange(code_for(pkce), other);
  EXPECT_EQ(wrong.error(), "invalid_grant");
  Reply plain = token({{"grant_type", "authorization_code"},
                       {"code", code_for(pkce)},
                       {"redirect_uri", "http://127.0.0.1:9/callback"},
                       {"client_id", "test-client"},
                       {"code_verifier", pkce.challenge}});
  EXPECT_EQ(plain.error(), "invalid_grant") << "the challenge itself is not the verifier";
}

TEST_F(AuthorizationServerFlow, RedirectUriMustMatchExactly) {
  start();
  add_client("test-client", {"http://127.0.0.1:9/callback", "https://app.example.com/cb"});
  Pkce pkce;
  Browser b = browser();
  for (std::string bad : {"http://127.0.0.1:9/callback/", "http://127.0.0.1:9/other",
                          "https://app.example.com/cb?x=1", "https://evil.example/cb",
                          "http://localhost:9/callback", "https://app.example.com:444/cb"}) {
    Reply r = b.get(authorize_target(pkce, {{"redirect_uri", bad}}));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_TRUE(r.location.empty()) << "never redirected to an unregistered URI";
    EXPECT_NE(r.body.find("not one of its registered"), std::string::npos);
  }
  // Unknown client: an error page, no redirect.
  Reply unknown = b.get(authorize_target(pkce, {{"client_id", "nobody"}}));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(unknown.location.empty());
  // Several registered and none given: refused.
  EXPECT_EQ(b.get(authorize_target(pkce, {{"redirect_uri", "<omit>"}})).status, 400);
  // A loopback IP literal may use another port (RFC 8252 §7.3).
  Reply port = b.get(authorize_target(pkce, {{"redirect_uri", "http://127.0.0.1:4567/callback"}}));
  EXPECT_EQ(port.status, 200) << port.body;

  // The token request must repeat the authorization request's redirect_uri.
  std::string code = code_for(pkce);
  Reply t = token({{"grant_type", "authorization_code"},
                   {"code", code},
                   {"redirect_uri", "https://app.example.com/cb"},
                   {"code_verifier", pkce.verifier},
                   {"client_id", "test-client"}});
  EXPECT_EQ(t.error(), "invalid_grant");
}

TEST_F(AuthorizationServerFlow, ResourceIsBoundIntoTheToken) {
  start();
  add_client();
  Pkce pkce;
  Browser b = browser();
  Reply r = b.get(authorize_target(pkce, {{"resource", "https://elsewhere.example/mcp"}}));
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(query_of(r.location)["error"], "invalid_target");
  EXPECT_EQ(query_of(r.location)["iss"], issuer);

  // The second configured resource; its token says so, and the token request may not switch.
  std::string code = code_for(pkce, {{"resource", origin + "/other-mcp"}});
  Reply switched = token({{"grant_type", "authorization_code"},
                          {"code", code},
                          {"redirect_uri", "http://127.0.0.1:9/callback"},
                          {"code_verifier", pkce.verifier},
                          {"client_id", "test-client"},
                          {"resource", resource}});
  EXPECT_EQ(switched.error(), "invalid_target");

  code = code_for(pkce, {{"resource", origin + "/other-mcp"}});
  Reply t = token({{"grant_type", "authorization_code"},
                   {"code", code},
                   {"redirect_uri", "http://127.0.0.1:9/callback"},
                   {"code_verifier", pkce.verifier},
                   {"client_id", "test-client"}});
  ASSERT_EQ(t.status, 200) << t.body;
  std::string access(find_string(t.json(), "access_token"));
  EXPECT_EQ(find_string(jwt_decode(access).claims, "aud"), origin + "/other-mcp");
  EXPECT_NO_THROW(as().verify_access_token(access, origin + "/other-mcp"));
  EXPECT_THROW(as().verify_access_token(access, resource), JwtError);

  // Without `resource`, the first configured resource.
  code = code_for(pkce, {{"resource", "<omit>"}});
  t = token({{"grant_type", "authorization_code"},
             {"code", code},
             {"redirect_uri", "http://127.0.0.1:9/callback"},
             {"code_verifier", pkce.verifier},
             {"client_id", "test-client"}});
  EXPECT_EQ(
      find_string(jwt_decode(std::string(find_string(t.json(), "access_token"))).claims, "aud"),
      resource);
}

TEST_F(AuthorizationServerFlow, ScopesAreCheckedAndDefaulted) {
  start();
  add_client();
  Pkce pkce;
  Browser b = browser();
  Reply r = b.get(authorize_target(pkce, {{"scope", "mcp admin"}}));
  EXPECT_EQ(query_of(r.location)["error"], "invalid_scope");
  std::string code = code_for(pkce, {{"scope", "<omit>"}});
  Reply t = exchange(code, pkce);
  EXPECT_EQ(find_string(t.json(), "scope"), "mcp files:read files:write");
  // A refresh may narrow the scope of the access token, never widen it.
  std::string rt(find_string(t.json(), "refresh_token"));
  Reply narrow = token({{"grant_type", "refresh_token"},
                        {"refresh_token", rt},
                        {"client_id", "test-client"},
                        {"scope", "files:read"}});
  ASSERT_EQ(narrow.status, 200) << narrow.body;
  EXPECT_EQ(find_string(narrow.json(), "scope"), "files:read");
}

TEST_F(AuthorizationServerFlow, AuthorizationErrorsAreRedirectedWithIss) {
  start();
  add_client();
  Pkce pkce;
  Browser b = browser();
  Reply r = b.get(authorize_target(pkce, {{"response_type", "token"}}));
  EXPECT_EQ(query_of(r.location)["error"], "unsupported_response_type");
  r = b.get(authorize_target(pkce, {{"response_type", "<omit>"}}));
  EXPECT_EQ(query_of(r.location)["error"], "invalid_request");
  r = b.get(authorize_target(pkce) + "&scope=mcp&scope=mcp");
  EXPECT_EQ(query_of(r.location)["error"], "invalid_request");
  r = b.get(authorize_target(pkce, {{"state", "<omit>"}, {"response_type", "x"}}));
  EXPECT_EQ(query_of(r.location).count("state"), 0u);
  EXPECT_EQ(query_of(r.location)["iss"], issuer);
  EXPECT_EQ(b.get("/authorize?%zz").status, 400);
  EXPECT_EQ(b.get("/authorize").status, 400);
}

// Anyone may register a client (or publish a metadata document) naming any https URL: its
// errors before the user decides are shown, not redirected, or this server would be an open
// redirector. Loopback redirect URIs and pre-registered clients still get the error, and every
// client gets the answer once the user clicked.
TEST_F(AuthorizationServerFlow, ErrorsOfSelfRegisteredClientsAreNotRedirectedOffThisMachine) {
  start();
  add_client();
  Browser b = browser();
  auto register_client = [&](const std::string& redirect) {
    Reply reg = b.post_json("/register", {{"application_type", "native"},
                                          {"redirect_uris", {redirect}},
                                          {"token_endpoint_auth_method", "none"}});
    EXPECT_EQ(reg.status, 201) << reg.body;
    return std::string(find_string(reg.json(), "client_id"));
  };
  const std::string evil = "https://evil.example/landing";
  std::string remote = register_client(evil);
  std::string local = register_client("http://127.0.0.1:9/callback");
  Pkce pkce;
  for (std::vector<std::pair<std::string, std::string>> bad :
       {std::vector<std::pair<std::string, std::string>>{{"response_type", "token"}},
        {{"code_challenge", "<omit>"}},
        {{"code_challenge_method", "plain"}},
        {{"scope", "admin"}},
        {{"resource", "https://elsewhere.example/mcp"}},
        {{"state", std::string(3000, 's')}}}) {
    Reply r = b.get(authorize_target(pkce, bad, remote, evil));
    EXPECT_EQ(r.status, 400) << bad[0].first;
    EXPECT_TRUE(r.location.empty()) << r.location;
    EXPECT_NE(r.body.find("Nothing was sent back"), std::string::npos) << r.body;
    Reply loopback = b.get(authorize_target(pkce, bad, local));
    EXPECT_EQ(loopback.status, 303) << bad[0].first;
    EXPECT_FALSE(query_of(loopback.location)["error"].empty());
    Reply operator_client = b.get(authorize_target(pkce, bad));
    EXPECT_EQ(operator_client.status, 303) << bad[0].first;
  }
  // The user's answer still goes back to the client.
  Reply page = b.get(authorize_target(pkce, {}, remote, evil));
  ASSERT_EQ(page.status, 200) << page.body;
  Reply deny = b.post_form("/authorize/decision",
                           form({{"request_id", hidden_value(page.body, "request_id")},
                                 {"csrf", hidden_value(page.body, "csrf")},
                                 {"decision", "deny"}}));
  EXPECT_EQ(deny.status, 303);
  EXPECT_TRUE(deny.location.starts_with(evil + "?error=access_denied")) << deny.location;
}

// ---- codes ----------------------------------------------------------------------------------

TEST_F(AuthorizationServerFlow, CodesAreSingleUseAndReuseRevokesTheirTokens) {
  start();
  add_client();
  Pkce pkce;
  std::string code = code_for(pkce);
  Reply first = exchange(code, pkce);
  ASSERT_EQ(first.status, 200);
  std::string access(find_string(first.json(), "access_token"));
  std::string rt(find_string(first.json(), "refresh_token"));
  Reply second = exchange(code, pkce);
  EXPECT_EQ(second.status, 400);
  EXPECT_EQ(second.error(), "invalid_grant");
  // What the code gave is revoked.
  EXPECT_THROW(as().verify_access_token(access, resource), JwtError);
  EXPECT_TRUE(
      as().access_token_revoked(std::string(find_string(jwt_decode(access).claims, "jti"))));
  EXPECT_EQ(refresh(rt).error(), "invalid_grant");
}

// Whoever holds a code without its verifier (or as another client, or with another redirect
// URI) cannot burn it: the rightful client still redeems it.
TEST_F(AuthorizationServerFlow, AFailedRedemptionDoesNotSpendTheCode) {
  start();
  add_client();
  add_client("other-client");
  Pkce pkce;
  std::string code = code_for(pkce);
  Pkce wrong;
  EXPECT_EQ(exchange(code, wrong).error(), "invalid_grant");
  EXPECT_EQ(exchange(code, pkce, "other-client").error(), "invalid_grant");
  Reply no_verifier = token({{"grant_type", "authorization_code"},
                             {"code", code},
                             {"redirect_uri", "http://127.0.0.1:9/callback"},
                             {"client_id", "test-client"}});
  EXPECT_EQ(no_verifier.error(), "invalid_grant");
  Reply other_redirect = token({{"grant_type", "authorization_code"},
                                {"code", code},
                                {"redirect_uri", "http://127.0.0.1:9/elsewhere"},
                                {"code_verifier", pkce.verifier},
                                {"client_id", "test-client"}});
  EXPECT_EQ(other_redirect.error(), "invalid_grant");
  Reply other_resource = token({{"grant_type", "authorization_code"},
                                {"code", code},
                                {"redirect_uri", "http://127.0.0.1:9/callback"},
                                {"code_verifier", pkce.verifier},
                                {"client_id", "test-client"},
                                {"resource", origin + "/other-mcp"}});
  EXPECT_EQ(other_resource.error(), "invalid_target");
  Reply ok = exchange(code, pkce);
  ASSERT_EQ(ok.status, 200) << ok.body;
  // Once redeemed, it is spent: a second redemption revokes what it gave.
  EXPECT_EQ(exchange(code, pkce).error(), "invalid_grant");
  EXPECT_THROW(
      as().verify_access_token(std::string(find_string(ok.json(), "access_token")), resource),
      JwtError);
}

TEST_F(AuthorizationServerFlow, CodesExpire) {
  start();
  add_client();
  Pkce pkce;
  std::string code = code_for(pkce);
  skew += 61;
  EXPECT_EQ(exchange(code, pkce).error(), "invalid_grant");
  EXPECT_EQ(exchange("made-up", pkce).error(), "invalid_grant");
}

TEST_F(AuthorizationServerFlow, CodesBelongToTheirClient) {
  start();
  add_client();
  add_client("other-client");
  Pkce pkce;
  std::string code = code_for(pkce);
  EXPECT_EQ(exchange(code, pkce, "other-client").error(), "invalid_grant");
}

// ---- refresh tokens and revocation ----------------------------------------------------------

TEST_F(AuthorizationServerFlow, RefreshTokensRotateAndReuseRevokesTheFamily) {
  start();
  add_client();
  Pkce pkce;
  Reply t0 = exchange(code_for(pkce), pkce);
  std::string rt0(find_string(t0.json(), "refresh_token"));
  Reply t1 = refresh(rt0);
  ASSERT_EQ(t1.status, 200) << t1.body;
  EXPECT_EQ(t1.cache_control, "no-store");
  std::string rt1(find_string(t1.json(), "refresh_token"));
  std::string at1(find_string(t1.json(), "access_token"));
  EXPECT_NE(rt1, rt0);
  EXPECT_EQ(find_string(jwt_decode(at1).claims, "sub"), "alice");
  EXPECT_NO_THROW(as().verify_access_token(at1, resource));

  // rt0 again: a stolen copy. Everything of the family dies, rt1 included.
  Reply reuse = refresh(rt0);
  EXPECT_EQ(reuse.status, 400);
  EXPECT_EQ(reuse.error(), "invalid_grant");
  EXPECT_EQ(refresh(rt1).error(), "invalid_grant");
  EXPECT_THROW(as().verify_access_token(at1, resource), JwtError);

  // Another client cannot use (or burn) a refresh token.
  add_client("other-client");
  Reply t2 = exchange(code_for(pkce), pkce);
  std::string rt2(find_string(t2.json(), "refresh_token"));
  EXPECT_EQ(refresh(rt2, "other-client").error(), "invalid_grant");
  EXPECT_EQ(refresh(rt2).status, 200);
  EXPECT_EQ(refresh("garbage").error(), "invalid_grant");
}

TEST_F(AuthorizationServerFlow, RefreshTokensExpire) {
  start([](AuthorizationServerOptions& o) { o.refresh_token_ttl = std::chrono::hours(1); });
  add_client();
  Pkce pkce;
  std::string rt(find_string(exchange(code_for(pkce), pkce).json(), "refresh_token"));
  skew += 3601;
  EXPECT_EQ(refresh(rt).error(), "invalid_grant");
}

TEST_F(AuthorizationServerFlow, RevocationOfRefreshAndAccessTokens) {
  start();
  add_client();
  Pkce pkce;
  Reply t = exchange(code_for(pkce), pkce);
  std::string rt(find_string(t.json(), "refresh_token"));
  std::string at(find_string(t.json(), "access_token"));
  auto revoke = [&](std::vector<std::pair<std::string, std::string>> p) {
    Browser b = browser();
    return b.post_form("/revoke", form(p));
  };
  Reply r =
      revoke({{"token", rt}, {"token_type_hint", "refresh_token"}, {"client_id", "test-client"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(refresh(rt).error(), "invalid_grant");
  EXPECT_THROW(as().verify_access_token(at, resource), JwtError) << "its access tokens too";

  Reply t2 = exchange(code_for(pkce), pkce);
  std::string at2(find_string(t2.json(), "access_token"));
  std::string rt2(find_string(t2.json(), "refresh_token"));
  EXPECT_NO_THROW(as().verify_access_token(at2, resource));
  EXPECT_EQ(revoke({{"token", at2}, {"client_id", "test-client"}}).status, 200);
  EXPECT_THROW(as().verify_access_token(at2, resource), JwtError);
  EXPECT_EQ(refresh(rt2).status, 200) << "revoking an access token leaves the refresh token";

  EXPECT_EQ(revoke({{"token", "unknown"}, {"client_id", "test-client"}}).status, 200);
  EXPECT_EQ(revoke({{"token", "unknown"}}).error(), "invalid_client");
  EXPECT_EQ(revoke({{"client_id", "test-client"}}).error(), "invalid_request");
  EXPECT_EQ(revoke({{"token", "x"}, {"client_id", "nobody"}}).status, 401);
}

// ---- confidential clients -------------------------------------------------------------------

TEST_F(AuthorizationServerFlow, ConfidentialClientsAuthenticateWithTheirSecret) {
  start();
  add_client("secret-client", {"http://127.0.0.1:9/callback"}, "s3cret");
  Pkce pkce;
  Browser b = browser();
  std::string code = query_of(approve(b, authorize_target(pkce, {}, "secret-client")))["code"];
  std::vector<std::pair<std::string, std::string>> params{
      {"grant_type", "authorization_code"},
      {"code", code},
      {"redirect_uri", "http://127.0.0.1:9/callback"},
      {"code_verifier", pkce.verifier}};
  Reply none = token(params);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.error(), "invalid_client");
  auto basic = [](std::string id, std::string secret) {
    std::string raw = id + ":" + secret;
    std::string b64 = base64url_encode(raw);
    for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (b64.size() % 4) b64 += '=';
    return mcpp::testing::Headers{{"Authorization", "Basic " + b64}};
  };
  Reply wrong = token(params, basic("secret-client", "nope"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.error(), "invalid_client");
  EXPECT_NE(wrong.www_authenticate.find("Basic"), std::string::npos);
  Reply ok = token(params, basic("secret-client", "s3cret"));
  EXPECT_EQ(ok.status, 200) << ok.body;

  // client_secret_post works as well; both at once does not.
  std::string rt(find_string(ok.json(), "refresh_token"));
  Reply post = token({{"grant_type", "refresh_token"},
                      {"refresh_token", rt},
                      {"client_id", "secret-client"},
                      {"client_secret", "s3cret"}});
  EXPECT_EQ(post.status, 200) << post.body;
  Reply both =
      token({{"grant_type", "refresh_token"}, {"refresh_token", "x"}, {"client_secret", "s3cret"}},
            basic("secret-client", "s3cret"));
  EXPECT_EQ(both.error(), "invalid_request");
}

// ---- token endpoint input -------------------------------------------------------------------

TEST_F(AuthorizationServerFlow, TokenEndpointRefusesBadRequests) {
  start();
  add_client();
  Browser b = browser();
  EXPECT_EQ(b.get("/token").status, 405);
  Reply json_body = b.post_json("/token", {{"grant_type", "authorization_code"}});
  EXPECT_EQ(json_body.error(), "invalid_request");
  EXPECT_EQ(token({{"grant_type", "password"}, {"client_id", "test-client"}}).error(),
            "unsupported_grant_type");
  EXPECT_EQ(token({{"client_id", "test-client"}}).error(), "invalid_request");
  EXPECT_EQ(token({{"grant_type", "authorization_code"}, {"client_id", "test-client"}}).error(),
            "invalid_request");
  EXPECT_EQ(token({{"grant_type", "authorization_code"}}).error(), "invalid_client");
  Reply dup = b.post_form(
      "/token", "grant_type=refresh_token&grant_type=refresh_token&client_id=test-client");
  EXPECT_EQ(dup.error(), "invalid_request");
  Reply bad_escape = b.post_form("/token", "grant_type=%zz");
  EXPECT_EQ(bad_escape.error(), "invalid_request");
  Reply options = b.send(http::verb::options, "/token");
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.header("access-control-allow-origin"), "*");
}

// Many distinct parameters (the duplicate check was quadratic: a 3 MB body took minutes) and
// bodies larger than any OAuth request are refused at once on every form endpoint.
TEST_F(AuthorizationServerFlow, HugeFormsAreRefusedQuickly) {
  start();
  add_client();
  auto pairs = [](std::size_t n) {
    std::string body;
    for (std::size_t i = 0; i < n; ++i) body += "p" + std::to_string(i) + "=&";
    return body;
  };
  std::string huge = pairs(350'000);  // about 3 MB
  Browser b = browser();
  auto started = std::chrono::steady_clock::now();
  for (std::string path : {"/token", "/revoke"}) {
    Reply r = b.post_form(path, huge);
    EXPECT_EQ(r.status, 413) << path << " " << r.body.substr(0, 300);
    EXPECT_EQ(r.error(), "invalid_request") << path;
  }
  for (std::string path : {"/authorize", "/authorize/decision"}) {
    EXPECT_EQ(b.post_form(path, huge).status, 413) << path;
  }
  // Within 64 KiB but more than 256 parameters.
  std::string many = pairs(300) + "grant_type=authorization_code&client_id=test-client";
  Reply r = b.post_form("/token", many);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error(), "invalid_request");
  EXPECT_NE(find_string(r.json(), "error_description").find("256"), std::string::npos) << r.body;
  EXPECT_EQ(b.post_form("/revoke", many).error(), "invalid_request");
  EXPECT_EQ(b.post_form("/authorize/decision", many).status, 400);
  EXPECT_EQ(b.get("/authorize?" + pairs(300) + "client_id=test-client").status, 400);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST_F(AuthorizationServerFlow, GarbageNeverCrashesAndGetsAClearAnswer) {
  start();
  add_client();
  Pkce pkce;
  struct Case {
    http::verb verb;
    std::string target;
    std::string body;
    std::string content_type;
  };
  std::string long_value(5000, 'a');
  std::vector<Case> cases = {
      {http::verb::get, authorize_target(pkce, {{"state", "\xff\xfe"}}), "", ""},
      {http::verb::get, authorize_target(pkce) + "&state=%FF", "", ""},
      {http::verb::get, authorize_target(pkce, {{"state", long_value}}), "", ""},
      {http::verb::get, authorize_target(pkce, {{"client_id", long_value}}), "", ""},
      {http::verb::get, "/authorize?client_id=test-client&redirect_uri=%", "", ""},
      {http::verb::get, "/authorize?&&&=&=", "", ""},
      {http::verb::post, "/authorize", "client_id=x", "text/plain"},
      {http::verb::post, "/authorize", "client_id=test-client",
       "application/x-www-form-urlencoded"},
      {http::verb::get, "/authorize/resume", "", ""},
      {http::verb::get, "/authorize/resume?request_id=%FF", "", ""},
      {http::verb::post, "/authorize/decision", "", ""},
      {http::verb::post, "/authorize/decision", "request_id=x&csrf=y&decision=approve",
       "application/x-www-form-urlencoded"},
      {http::verb::post, "/authorize/decision", "%%%", "application/x-www-form-urlencoded"},
      {http::verb::put, "/authorize/decision", "", ""},
      {http::verb::post, "/token", std::string("grant_type=authorization_code&code=\0\1", 37),
       "application/x-www-form-urlencoded"},
      {http::verb::post, "/token",
       "grant_type=refresh_token&refresh_token=" + long_value + "&client_id=test-client",
       "application/x-www-form-urlencoded"},
      {http::verb::post, "/revoke", "token=a.b.c&client_id=test-client",
       "application/x-www-form-urlencoded"},
      {http::verb::post, "/revoke", "token=eyJhbGciOiJub25lIn0.e30.&client_id=test-client",
       "application/x-www-form-urlencoded"},
      {http::verb::post, "/register", "[]", "application/json"},
      {http::verb::post, "/register", "{\"redirect_uris\":[\"\\ud800\"]}", "application/json"},
      {http::verb::post, "/register", std::string(70'000, ' '), "application/json"},
      {http::verb::delete_, "/token", "", ""},
      {http::verb::get, "/login/", "", ""},
      {http::verb::get, "/jwks.json/x", "", ""},
  };
  Browser b = browser();
  b.cookies["mcpp_session"] = "\"bogus\"";
  b.cookies["mcpp_browser"] = std::string(300, 'x');
  for (const auto& c : cases) {
    mcpp::testing::Headers h;
    if (!c.content_type.empty()) h.emplace_back("Content-Type", c.content_type);
    Reply r = b.send(c.verb, c.target, c.body, h);
    if (c.target != "/revoke") {  // RFC 7009: unknown tokens are "revoked" with 200
      EXPECT_GE(r.status, 300) << c.target.substr(0, 100) << " " << c.body.substr(0, 100);
    }
    EXPECT_LT(r.status, 500) << c.target.substr(0, 100) << " " << c.body.substr(0, 100) << " → "
                             << r.body.substr(0, 300);
    if (r.content_type == "application/json" && r.status >= 400) {
      EXPECT_TRUE(r.json().as_object().contains("error")) << r.body;
    }
  }
  // Still serving.
  std::string code = code_for(pkce);
  EXPECT_EQ(exchange(code, pkce).status, 200);
}

// ---- keys, JWKS and restarts ----------------------------------------------------------------

TEST_F(AuthorizationServerFlow, SigningKeysRotateAndStayPublishedWhileTheirTokensLive) {
  start([](AuthorizationServerOptions& o) { o.key_rotation = std::chrono::hours(1); });
  add_client();
  Pkce pkce;
  std::string old_token(find_string(exchange(code_for(pkce), pkce).json(), "access_token"));
  std::string old_kid(find_string(jwt_decode(old_token).header, "kid"));
  ASSERT_EQ(fetched_jwks().size(), 1u);

  skew += 3600 + 1;
  std::string new_token(find_string(exchange(code_for(pkce), pkce).json(), "access_token"));
  std::string new_kid(find_string(jwt_decode(new_token).header, "kid"));
  EXPECT_NE(new_kid, old_kid);
  std::vector<Jwk> keys = fetched_jwks();
  ASSERT_EQ(keys.size(), 2u) << "the previous key stays published";
  EXPECT_NO_THROW(jwt_verify(old_token, keys));
  EXPECT_NO_THROW(jwt_verify(new_token, keys));
  for (const auto& k : keys) EXPECT_FALSE(k.has_private());
  json::object jwks = as().jwks();
  for (const auto& k : jwks.at("keys").as_array()) {
    EXPECT_FALSE(k.as_object().contains("d")) << "no private members published";
  }

  // Once every token of the old key has expired, it is withdrawn.
  skew += 600 + 61;
  keys = fetched_jwks();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].kid(), new_kid);
  EXPECT_EQ(as().verification_keys().size(), 1u);
}

TEST_F(AuthorizationServerFlow, ARestartLosesNothing) {
  start();
  add_client();
  Pkce pkce;
  Reply t = exchange(code_for(pkce), pkce);
  std::string at(find_string(t.json(), "access_token"));
  std::string rt(find_string(t.json(), "refresh_token"));
  std::vector<Jwk> before = fetched_jwks();
  // A code issued before the restart and redeemed after.
  std::string pending_code = code_for(pkce);
  // A revoked token stays revoked.
  Reply t2 = exchange(code_for(pkce), pkce);
  std::string revoked_at(find_string(t2.json(), "access_token"));
  Browser b = browser();
  b.post_form("/revoke", form({{"token", revoked_at}, {"client_id", "test-client"}}));

  stop_as();
  EXPECT_EQ(browser().get("/.well-known/oauth-authorization-server").status, 404);
  start();  // same database, no client registered again

  EXPECT_NO_THROW(as().verify_access_token(at, resource));
  EXPECT_NO_THROW(jwt_verify(at, fetched_jwks()));
  EXPECT_EQ(fetched_jwks()[0].kid(), before[0].kid());
  EXPECT_THROW(as().verify_access_token(revoked_at, resource), JwtError);
  Reply r = refresh(rt);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(exchange(pending_code, pkce).status, 200);
  // The session cookie of the browser survives too (a consent page without password fields).
}

// ---- the one-time admin link ----------------------------------------------------------------

TEST_F(AuthorizationServerFlow, AdminLinkSignsInOnce) {
  start([](AuthorizationServerOptions& o) { o.users_file.clear(); });
  add_client();
  std::optional<std::string> link = as().admin_link();
  ASSERT_TRUE(link.has_value());
  ASSERT_TRUE(link->starts_with(issuer + "/login/")) << *link;

  Pkce pkce;
  Browser b = browser();
  Reply page = b.get(authorize_target(pkce));
  EXPECT_EQ(page.body.find("name=\"password\""), std::string::npos);
  EXPECT_NE(page.body.find("admin link"), std::string::npos);
  // Approving before signing in is refused.
  Reply early = b.post_form(path_of(issuer) + "/authorize/decision",
                            form({{"request_id", hidden_value(page.body, "request_id")},
                                  {"csrf", hidden_value(page.body, "csrf")},
                                  {"decision", "approve"}}));
  EXPECT_EQ(early.status, 403);

  // The link signs this browser in and leads back to the waiting request.
  Reply login = b.get(target_of(*link));
  ASSERT_EQ(login.status, 303) << login.body;
  EXPECT_NE(login.location.find("/authorize/resume?request_id="), std::string::npos);
  EXPECT_FALSE(as().admin_link().has_value());
  Reply resumed = b.get(login.location);
  ASSERT_EQ(resumed.status, 200);
  EXPECT_NE(resumed.body.find("admin"), std::string::npos);
  Reply ok = b.post_form(path_of(issuer) + "/authorize/decision",
                         form({{"request_id", hidden_value(resumed.body, "request_id")},
                               {"csrf", hidden_value(resumed.body, "csrf")},
                               {"decision", "approve"}}));
  ASSERT_EQ(ok.status, 303);
  auto q = query_of(ok.location);
  Reply t = exchange(q["code"], pkce);
  ASSERT_EQ(t.status, 200);
  EXPECT_EQ(
      find_string(jwt_decode(std::string(find_string(t.json(), "access_token"))).claims, "sub"),
      "admin");

  // Used: it stops working, in any browser.
  Browser other = browser();
  EXPECT_EQ(other.get(target_of(*link)).status, 404);
  EXPECT_EQ(other.get(path_of(issuer) + "/login/guess").status, 404);
}

TEST_F(AuthorizationServerFlow, AdminLinkWithoutAPendingRequestSaysSignedIn) {
  start([](AuthorizationServerOptions& o) { o.users_file.clear(); });
  Browser b = browser();
  Reply r = b.get(target_of(*as().admin_link()));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Signed in as admin"), std::string::npos);
  EXPECT_FALSE(r.set_cookies.empty());
}

// ---- client ID metadata documents -----------------------------------------------------------

class ClientDocumentTest : public AuthorizationServerTest {
 protected:
  // Serves `document` at /client.json (with `client_id` filled in unless told otherwise).
  void serve_document(json::object document, std::string cache_control = "max-age=600") {
    document_ = std::move(document);
    cache_control_ = std::move(cache_control);
    extra_routes.push_back([this](const HttpRequestInfo& r) -> Task<std::optional<HttpReply>> {
      if (r.path != "/client.json") co_return std::nullopt;
      ++fetches;
      HttpReply reply;
      reply.headers = {{"Content-Type", "application/json"}, {"Cache-Control", cache_control_}};
      reply.body = json::serialize(document_);
      co_return reply;
    });
  }
  std::string document_url() const { return origin + "/client.json"; }
  json::object document_;
  std::string cache_control_;
  std::atomic<int> fetches{0};
};

TEST_F(ClientDocumentTest, AnHttpsUrlClientIdIsFetchedValidatedAndCached) {
  start([](AuthorizationServerOptions& o) { o.allow_insecure_metadata_fetch = true; });
  serve_document({{"client_id", document_url()},
                  {"client_name", "Document Client"},
                  {"redirect_uris", {"http://127.0.0.1:9/callback"}},
                  {"token_endpoint_auth_method", "none"}});
  Pkce pkce;
  Browser b = browser();
  Reply page = b.get(authorize_target(pkce, {}, document_url()));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("Document Client"), std::string::npos);
  // Who vouches for it: the document's host, shown prominently.
  EXPECT_NE(page.body.find("published by <strong class=\"host\">127.0.0.1</strong>"),
            std::string::npos)
      << page.body;
  std::string location = approve(b, authorize_target(pkce, {}, document_url()));
  Reply t = exchange(query_of(location)["code"], pkce, document_url());
  EXPECT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(fetches.load(), 1) << "cached";
  skew += 601;
  b.get(authorize_target(pkce, {}, document_url()));
  EXPECT_EQ(fetches.load(), 2) << "fetched again once the cache expired";
}

TEST_F(ClientDocumentTest, ADocumentMustNameItselfAndItsRedirects) {
  start([](AuthorizationServerOptions& o) { o.allow_insecure_metadata_fetch = true; });
  serve_document({{"client_id", "https://other.example/client.json"},
                  {"redirect_uris", {"http://127.0.0.1:9/callback"}}});
  Pkce pkce;
  Browser b = browser();
  Reply r = b.get(authorize_target(pkce, {}, document_url()));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.location.empty());
  EXPECT_NE(r.body.find("client_id is not exactly the URL"), std::string::npos) << r.body;

  skew += 31;  // failed fetches are remembered for 30 s
  document_ = {{"client_id", document_url()},
               {"client_name", "Doc"},
               {"redirect_uris", {"https://app.example/cb"}}};
  r = b.get(authorize_target(pkce, {}, document_url()));
  EXPECT_EQ(r.status, 400) << "redirect URI not in the document";
  EXPECT_NE(r.body.find("not one of its registered"), std::string::npos) << r.body;
  skew += 601;  // that one was valid, and cached
  document_ = {{"client_id", document_url()}, {"redirect_uris", {"http://127.0.0.1:9/callback"}}};
  r = b.get(authorize_target(pkce, {}, document_url()));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("client_name is required"), std::string::npos) << r.body;
  skew += 31;
  document_ = {{"client_id", document_url()},
               {"client_name", "Doc"},
               {"redirect_uris", {"http://127.0.0.1:9/callback"}},
               {"token_endpoint_auth_method", "client_secret_basic"}};
  r = b.get(authorize_target(pkce, {}, document_url()));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("token_endpoint_auth_method"), std::string::npos) << r.body;
  EXPECT_EQ(b.get(authorize_target(pkce, {}, origin + "/missing.json")).status, 400);
}

TEST_F(ClientDocumentTest, PlainHttpAndPrivateAddressesAreRefusedByDefault) {
  start();
  serve_document(
      {{"client_id", document_url()}, {"redirect_uris", {"http://127.0.0.1:9/callback"}}});
  Pkce pkce;
  Browser b = browser();
  EXPECT_EQ(b.get(authorize_target(pkce, {}, document_url())).status, 400);
  Reply r = b.get(authorize_target(pkce, {}, "https://127.0.0.1/client.json"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("private or loopback"), std::string::npos) << r.body;
  r = b.get(authorize_target(pkce, {}, "https://localhost/client.json"));
  EXPECT_NE(r.body.find("private or loopback"), std::string::npos) << r.body;
  // Only the https port.
  r = b.get(
      authorize_target(pkce, {}, "https://127.0.0.1:" + std::to_string(port()) + "/client.json"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("port (443)"), std::string::npos) << r.body;
  EXPECT_EQ(fetches.load(), 0);
}

// Any https URL at /authorize makes the server fetch and store a document: they are capped
// (documents in use are kept; the others make room, oldest first) and purged once expired.
TEST_F(ClientDocumentTest, StoredDocumentsAreCappedAndPurged) {
  start([](AuthorizationServerOptions& o) {
    o.allow_insecure_metadata_fetch = true;
    o.max_client_documents = 2;
  });
  extra_routes.push_back([this](const HttpRequestInfo& r) -> Task<std::optional<HttpReply>> {
    if (!r.path.starts_with("/doc/")) co_return std::nullopt;
    HttpReply reply;
    reply.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "max-age=300"}};
    reply.body = json::serialize(json::object{{"client_id", origin + r.path},
                                              {"client_name", "Doc"},
                                              {"redirect_uris", {"http://127.0.0.1:9/callback"}}});
    co_return reply;
  });
  auto doc = [&](int n) { return origin + "/doc/" + std::to_string(n) + ".json"; };
  authz::AuthStore db((dir_ / "auth.sqlite").string());
  auto stored = [&](int n) { return db.client(doc(n)).has_value(); };
  Pkce pkce;
  Browser b = browser();
  // Fetched and stored, but no login page refers to them (the redirect URI is wrong).
  for (int n : {1, 2, 3}) {
    EXPECT_EQ(b.get(authorize_target(pkce, {}, doc(n), "http://127.0.0.1:9/x")).status, 400);
  }
  EXPECT_EQ(db.count_clients("document"), 2);
  EXPECT_FALSE(stored(1)) << "the oldest made room";
  EXPECT_TRUE(stored(2));
  EXPECT_TRUE(stored(3));
  // Login pages open for 4 and 5: they stay, and a sixth must wait.
  EXPECT_EQ(b.get(authorize_target(pkce, {}, doc(4))).status, 200);
  EXPECT_EQ(b.get(authorize_target(pkce, {}, doc(5))).status, 200);
  Reply full = b.get(authorize_target(pkce, {}, doc(6)));
  EXPECT_EQ(full.status, 503);
  EXPECT_TRUE(full.location.empty());
  EXPECT_NE(full.body.find("temporarily_unavailable"), std::string::npos) << full.body;
  EXPECT_TRUE(stored(4));
  EXPECT_TRUE(stored(5));
  EXPECT_FALSE(stored(6));
  // Later the pages and the cached documents have expired: the purge removes them.
  skew += 15 * 60 + 1;
  EXPECT_EQ(b.get("/jwks.json").status, 200);  // any request runs the purge when it is due
  EXPECT_EQ(db.count_clients("document"), 0);
  EXPECT_EQ(b.get(authorize_target(pkce, {}, doc(6))).status, 200);
}

TEST_F(ClientDocumentTest, FailedFetchesAreRememberedBriefly) {
  start([](AuthorizationServerOptions& o) { o.allow_insecure_metadata_fetch = true; });
  serve_document({{"client_id", "https://other.example/client.json"},
                  {"client_name", "Doc"},
                  {"redirect_uris", {"http://127.0.0.1:9/callback"}}});
  Pkce pkce;
  Browser b = browser();
  for (int i = 0; i < 5; ++i) {
    Reply r = b.get(authorize_target(pkce, {}, document_url()));
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("client_id is not exactly the URL"), std::string::npos) << r.body;
  }
  EXPECT_EQ(fetches.load(), 1);
  skew += 31;
  document_["client_id"] = document_url();
  EXPECT_EQ(b.get(authorize_target(pkce, {}, document_url())).status, 200);
  EXPECT_EQ(fetches.load(), 2);
}

}  // namespace
}  // namespace mcpp::auth::test
