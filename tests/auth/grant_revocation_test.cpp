// What a user was granted ends when the user does: removal from the users file or a new password
// ends their access tokens (at the resource server, within kGrantRecheckSeconds) and their refresh
// tokens; a grant's refreshes stop a fixed lifetime after the sign-in; `mcpp auth revoke`'s store
// calls (from another handle on the database, as another process) end grants in a running server.
#include <sqlite3.h>

#include <thread>

#include "authorization_server_support.hpp"
#include "mcpp/auth/resource_server.hpp"

namespace mcpp::auth::test {
namespace {

using GrantRevocation = AuthorizationServerTest;
constexpr std::int64_t kRecheck = AuthorizationServer::kGrantRecheckSeconds;

struct Tokens {
  std::string access;
  std::string refresh;
};

Tokens tokens_of(const Reply& r) {
  EXPECT_EQ(r.status, 200) << r.body;
  return {std::string(find_string(r.json(), "access_token")),
          std::string(find_string(r.json(), "refresh_token"))};
}

// Rewrites the users file with `lines` and moves its modification time forward, so that the
// server's reload sees a change even within one timestamp tick.
void rewrite_users(const std::string& path, const std::string& lines) {
  auto before = std::filesystem::last_write_time(path);
  std::ofstream(path, std::ios::trunc) << lines;
  std::filesystem::last_write_time(path, before + std::chrono::seconds(5));
}

// A resource server for `resource` checking tokens with `as` (as `mcpp serve --auth builtin`).
class ProtectedServer {
 public:
  ProtectedServer(const AuthorizationServer& as, const std::string& resource) {
    ResourceServerOptions o;
    o.resource = resource;
    o.authorization_servers = {as.issuer()};
    o.verifier = make_local_verifier(as, {resource});
    rs_ = std::make_unique<ResourceServer>(server_, std::move(o));
    HttpOptions http;
    rs_->install(http);
    running_ = std::make_unique<mcpp::testing::RunningHttpServer>(server_, std::move(http));
  }
  // The HTTP status of an initialize request with this bearer token, and its WWW-Authenticate.
  std::pair<int, std::string> initialize(const std::string& access_token) {
    mcpp::testing::HttpClient c(running_->port());
    json::value init{{"jsonrpc", "2.0"},
                     {"id", 0},
                     {"method", "initialize"},
                     {"params",
                      {{"protocolVersion", "2025-11-25"},
                       {"capabilities", json::object{}},
                       {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}};
    Response r = c.post(init, {{"Authorization", "Bearer " + access_token}});
    return {static_cast<int>(r.result_int()), std::string(r["WWW-Authenticate"])};
  }

 private:
  Server server_;
  std::unique_ptr<ResourceServer> rs_;
  std::unique_ptr<mcpp::testing::RunningHttpServer> running_;
};

TEST_F(GrantRevocation, ARemovedUserLosesAccessTokensAndRefresh) {
  start();
  add_client();
  ProtectedServer mcp(as(), resource);
  Pkce pkce;
  Tokens t = tokens_of(exchange(code_for(pkce), pkce));
  EXPECT_EQ(mcp.initialize(t.access).first, 200);

  rewrite_users(users_file_, "bob:" + hash_password("bobs secret", 1000) + "\n");
  // The verdict on a token is cached at most kRecheck seconds (the stated staleness) ...
  EXPECT_EQ(mcp.initialize(t.access).first, 200);
  skew += kRecheck;
  // ... then the old access token is refused,
  auto [status, challenge] = mcp.initialize(t.access);
  EXPECT_EQ(status, 401);
  EXPECT_NE(challenge.find("invalid_token"), std::string::npos) << challenge;
  EXPECT_NE(challenge.find("no longer exists"), std::string::npos) << challenge;
  // and the refresh token mints nothing.
  Reply refused = refresh(t.refresh);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.error(), "invalid_grant");
  EXPECT_NE(refused.body.find("no longer exists"), std::string::npos) << refused.body;

  // Put back with the same hash line? A new line (new salt) is a new credential: still refused.
  rewrite_users(users_file_, "alice:" + hash_password(kPassword, 1000) + "\n");
  skew += kRecheck;
  EXPECT_EQ(mcp.initialize(t.access).first, 401);
  EXPECT_EQ(refresh(t.refresh).error(), "invalid_grant");
}

TEST_F(GrantRevocation, ARestartedServerRefusesARemovedUsersTokensAtOnce) {
  start();
  add_client();
  Pkce pkce;
  Tokens t = tokens_of(exchange(code_for(pkce), pkce));
  EXPECT_NO_THROW(as().verify_access_token(t.access, resource));
  rewrite_users(users_file_, "bob:" + hash_password("bobs secret", 1000) + "\n");
  start();  // the same database and users file
  EXPECT_THROW(as().verify_access_token(t.access, resource), JwtError);
  EXPECT_EQ(refresh(t.refresh).error(), "invalid_grant");
}

TEST_F(GrantRevocation, ANewPasswordEndsGrantsAndSignIns) {
  start();
  add_client();
  ProtectedServer mcp(as(), resource);
  Pkce pkce;
  Browser b = browser();
  std::string location = approve(b, authorize_target(pkce));
  Tokens t = tokens_of(exchange(query_of(location)["code"], pkce));
  // A second approval through the session cookie, before the change, made a code not yet spent.
  Reply page = b.get(authorize_target(pkce));
  ASSERT_EQ(page.body.find("name=\"password\""), std::string::npos) << "signed in by cookie";
  Reply approved = b.post_form(path_of(issuer) + "/authorize/decision",
                               form({{"request_id", hidden_value(page.body, "request_id")},
                                     {"csrf", hidden_value(page.body, "csrf")},
                                     {"decision", "approve"}}));
  ASSERT_EQ(approved.status, 303);
  std::string pending_code = query_of(approved.location)["code"];

  rewrite_users(users_file_, "alice:" + hash_password("a new password", 1000) +
                                 "\nbob:" + hash_password("bobs secret", 1000) + "\n");
  skew += kRecheck;
  auto [status, challenge] = mcp.initialize(t.access);
  EXPECT_EQ(status, 401);
  EXPECT_NE(challenge.find("password changed"), std::string::npos) << challenge;
  EXPECT_EQ(refresh(t.refresh).error(), "invalid_grant");
  EXPECT_EQ(exchange(pending_code, pkce).error(), "invalid_grant") << "approved with the old one";
  // The browser's session was made with the old password: it must sign in again.
  Reply again = b.get(authorize_target(pkce));
  EXPECT_NE(again.body.find("name=\"password\""), std::string::npos);
  // With the new password everything works again.
  Pkce pkce2;
  Browser b2 = browser();
  Tokens fresh = tokens_of(exchange(
      query_of(approve(b2, authorize_target(pkce2), "alice", "a new password"))["code"], pkce2));
  EXPECT_EQ(mcp.initialize(fresh.access).first, 200);
  EXPECT_EQ(refresh(fresh.refresh).status, 200);
}

TEST_F(GrantRevocation, RefreshesStopAtTheGrantLifetime) {
  start([](AuthorizationServerOptions& o) {
    o.grant_lifetime = std::chrono::hours(3);
    o.refresh_token_ttl = std::chrono::hours(2);
  });
  add_client();
  Pkce pkce;
  Tokens t = tokens_of(exchange(code_for(pkce), pkce));
  const std::int64_t signed_in = jwt_decode(t.access).claims.at("iat").as_int64();
  const std::int64_t grant_ends = signed_in + 3 * 3600;
  // Each refresh within the refresh token's two hours works and rotates ...
  for (std::int64_t step : {3000, 3000, 3000}) {
    skew += step;
    Reply r = refresh(t.refresh);
    ASSERT_EQ(r.status, 200) << "at +" << skew.load() << " s: " << r.body;
    t = tokens_of(r);
    EXPECT_LE(jwt_decode(t.access).claims.at("exp").as_int64(), grant_ends + 1);
  }
  // ... 2.5 h after the sign-in, the access token may not outlive the grant (ends in 30 min) ...
  skew += 1790;  // 10 s before the end
  Reply last = refresh(t.refresh);
  ASSERT_EQ(last.status, 200) << last.body;
  t = tokens_of(last);
  EXPECT_LE(jwt_decode(t.access).claims.at("exp").as_int64(), grant_ends + 1);
  EXPECT_LE(last.json().at("expires_in").as_int64(), 20);
  // ... and past it, the freshly rotated refresh token (two hours left on its own) is refused.
  skew += 30;
  Reply over = refresh(t.refresh);
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(over.error(), "invalid_grant");
  EXPECT_THROW(as().verify_access_token(t.access, resource), JwtError);
}

TEST_F(GrantRevocation, RevokingFromAnotherProcessReachesTheRunningServer) {
  start();
  add_client();
  add_client("other-client");
  ProtectedServer mcp(as(), resource);
  Pkce pkce;
  Tokens alice = tokens_of(exchange(code_for(pkce), pkce));
  Browser bb = browser();
  Tokens bob = tokens_of(
      exchange(query_of(approve(bb, authorize_target(pkce), "bob", "bobs secret"))["code"], pkce));
  Browser ob = browser();
  Tokens other = tokens_of(exchange(
      query_of(approve(ob, authorize_target(pkce, {}, "other-client"), "alice", kPassword))["code"],
      pkce, "other-client"));
  EXPECT_EQ(mcp.initialize(alice.access).first, 200);
  bob = tokens_of(refresh(bob.refresh));  // bob refreshed once: his grant has a last refresh

  // What `mcpp auth tokens` lists.
  authz::AuthStore cli((dir_ / "auth.sqlite").string());
  std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() +
                   skew.load();
  std::vector<authz::GrantRecord> grants = cli.grants(t);
  ASSERT_EQ(grants.size(), 3u);
  int refreshed = 0;
  for (const auto& g : grants) {
    EXPECT_FALSE(g.revoked);
    EXPECT_NEAR(g.auth_time, t, 10);
    EXPECT_GT(g.expires_at, t + 86'400);
    if (g.last_refresh != 0) {
      ++refreshed;
      EXPECT_EQ(g.subject, "bob");
    }
  }
  EXPECT_EQ(refreshed, 1);

  // `mcpp auth revoke --user alice`: both of alice's grants, not bob's.
  EXPECT_EQ(cli.revoke_grants(authz::GrantSelector::kUser, "alice", t), 2);
  EXPECT_EQ(mcp.initialize(alice.access).first, 200) << "cached for at most kRecheck seconds";
  skew += kRecheck;
  auto [status, challenge] = mcp.initialize(alice.access);
  EXPECT_EQ(status, 401);
  EXPECT_NE(challenge.find("revoked"), std::string::npos) << challenge;
  EXPECT_EQ(mcp.initialize(other.access).first, 401) << "never verified: refused at once";
  EXPECT_EQ(refresh(alice.refresh).error(), "invalid_grant");
  EXPECT_EQ(refresh(other.refresh, "other-client").error(), "invalid_grant");
  Reply bob_now = refresh(bob.refresh);
  EXPECT_EQ(bob_now.status, 200) << bob_now.body;
  bob = tokens_of(bob_now);
  EXPECT_EQ(mcp.initialize(bob.access).first, 200);
  // Revoked grants are listed as such.
  int revoked = 0;
  for (const auto& g : cli.grants(t)) revoked += g.revoked ? 1 : 0;
  EXPECT_EQ(revoked, 2);

  // --client, then --all.
  EXPECT_EQ(cli.revoke_grants(authz::GrantSelector::kClient, "other-client", t), 0);
  EXPECT_EQ(cli.revoke_grants(authz::GrantSelector::kClient, "test-client", t), 1);
  EXPECT_EQ(refresh(bob.refresh).error(), "invalid_grant");
  Tokens again = tokens_of(exchange(code_for(pkce), pkce));
  EXPECT_EQ(mcp.initialize(again.access).first, 200);
  EXPECT_EQ(cli.revoke_grants(authz::GrantSelector::kAll, "", t), 1);
  EXPECT_EQ(mcp.initialize(again.access).first, 200) << "cached";
  skew += kRecheck;
  EXPECT_EQ(mcp.initialize(again.access).first, 401);
}

TEST_F(GrantRevocation, RevokingAUserSignsTheirBrowsersOut) {
  start();
  add_client();
  Pkce pkce;
  Browser b = browser();
  approve(b, authorize_target(pkce));
  ASSERT_EQ(b.get(authorize_target(pkce)).body.find("name=\"password\""), std::string::npos);
  authz::AuthStore cli((dir_ / "auth.sqlite").string());
  cli.revoke_grants(authz::GrantSelector::kUser, "alice", 0);
  EXPECT_NE(b.get(authorize_target(pkce)).body.find("name=\"password\""), std::string::npos);
}

// A database of the version before grants were recorded (schema 1) is upgraded in place; its
// sessions and refresh tokens carry no credential, so their users sign in again.
TEST_F(GrantRevocation, AVersion1DatabaseIsUpgradedAndItsGrantsEnd) {
  std::string path = (dir_ / "auth.sqlite").string();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v1 = R"sql(
CREATE TABLE clients(
  client_id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, auth_method TEXT NOT NULL,
  application_type TEXT NOT NULL, client_name TEXT NOT NULL, redirect_uris TEXT NOT NULL,
  grant_types TEXT NOT NULL, scope TEXT NOT NULL, metadata TEXT NOT NULL, source TEXT NOT NULL,
  issued_at INTEGER NOT NULL, fetched_until INTEGER NOT NULL);
CREATE TABLE pending_requests(
  id TEXT PRIMARY KEY, browser TEXT NOT NULL, data TEXT NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL);
CREATE TABLE codes(
  code_hash TEXT PRIMARY KEY, family TEXT NOT NULL, data TEXT NOT NULL,
  expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE refresh_tokens(
  token_hash TEXT PRIMARY KEY, family TEXT NOT NULL, data TEXT NOT NULL,
  issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0,
  revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE access_tokens(
  jti TEXT PRIMARY KEY, family TEXT NOT NULL, client_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE signing_keys(
  kid TEXT PRIMARY KEY, private_jwk TEXT NOT NULL, created_at INTEGER NOT NULL,
  retired_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE sessions(
  session_hash TEXT PRIMARY KEY, subject TEXT NOT NULL, expires_at INTEGER NOT NULL);
INSERT INTO sessions VALUES('old-session', 'alice', 9999999999);
INSERT INTO refresh_tokens(token_hash, family, data, issued_at, expires_at) VALUES(
  'OLDHASH', 'fam1', '{"client_id":"test-client","subject":"alice","scope":"mcp",
  "resource":"r","family":"fam1"}', 1, 9999999999);
PRAGMA user_version = 1;
)sql";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  {
    authz::AuthStore store(path);
    std::optional<authz::SessionRecord> session = store.session("old-session", 0);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->subject, "alice");
    EXPECT_EQ(session->credential, "") << "matches no user";
    std::optional<authz::Grant> grant = store.refresh_token_grant("OLDHASH");
    ASSERT_TRUE(grant);
    EXPECT_EQ(grant->credential, "");
    EXPECT_EQ(grant->auth_time, 0);
    authz::PendingRequest page;
    page.id = "p";
    page.peer = "192.0.2.1";
    page.expires_at = 100;
    store.admit_request(page, {10, 10, 10, true}, 0);  // the new columns exist
  }
  start();  // the server opens the upgraded file
  add_client();
  Pkce pkce;
  Tokens t = tokens_of(exchange(code_for(pkce), pkce));
  EXPECT_NO_THROW(as().verify_access_token(t.access, resource));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* version = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &version, nullptr);
  ASSERT_EQ(sqlite3_step(version), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(version, 0), 2);
  sqlite3_finalize(version);
  sqlite3_close(db);
}

}  // namespace
}  // namespace mcpp::auth::test
