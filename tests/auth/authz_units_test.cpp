// Pieces of the authorization server on their own: form decoding, redirect URI rules, resource
// comparison, password hashes and the users file, the SQLite store's single-use semantics.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "auth/auth_store.hpp"
#include "auth/authz_http.hpp"
#include "auth/crypto.hpp"
#include "auth/login_throttle.hpp"
#include "auth/oauth_flow.hpp"
#include "auth/password_hash.hpp"

namespace mcpp::auth::authz {
namespace {

using mcpp::auth::LoginThrottle;

TEST(AuthzForms, DecodesAndFindsDuplicates) {
  auto p = Params::parse("a=1&b=x+y%21&c=&d");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->get("a"), "1");
  EXPECT_EQ(p->get("b"), "x y!");
  EXPECT_TRUE(p->has("c"));
  EXPECT_TRUE(p->has("d"));
  EXPECT_FALSE(p->has("e"));
  EXPECT_TRUE(p->duplicate().empty());
  EXPECT_EQ(Params::parse("a=1&b=2&a=3")->duplicate(), "a");
  // Found by tests/fuzz/oauth_form_fuzz: a repeated empty name came first and was reported as
  // "" (no duplicate), hiding a repeated parameter after it.
  EXPECT_EQ(Params::parse("=1&=2&decision=allow&decision=deny")->duplicate(), "decision");
  EXPECT_TRUE(Params::parse("=1&=2&a=3")->duplicate().empty());
  EXPECT_FALSE(Params::parse("a=%zz"));
  EXPECT_FALSE(Params::parse("a=%4"));
  // Values must be UTF-8 (they are stored as JSON and shown on pages).
  EXPECT_EQ(Params::parse("a=%C3%A9%E2%82%AC%F0%9F%98%80")->get("a"), "é€😀");
  EXPECT_FALSE(Params::parse("a=%FF"));
  EXPECT_FALSE(Params::parse("a=%C3"));
  EXPECT_FALSE(Params::parse("a=%C0%AF")) << "overlong";
  EXPECT_FALSE(Params::parse("a=%ED%A0%80")) << "surrogate";
  EXPECT_FALSE(Params::parse("%FF=1"));
  EXPECT_EQ(form_encode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
  EXPECT_EQ(add_query("https://x.example/cb", {{"code", "a b"}, {"state", "s"}}),
            "https://x.example/cb?code=a%20b&state=s");
  EXPECT_EQ(add_query("https://x.example/cb?keep=1#frag", {{"code", "c"}}),
            "https://x.example/cb?keep=1&code=c");
  EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST(AuthzForms, RefusesMoreThan256ParametersAndFindsDuplicatesInLinearTime) {
  auto pairs = [](std::size_t n, std::string_view sep = "&") {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += "p" + std::to_string(i) + "=x" + std::string(sep);
    return out;
  };
  EXPECT_TRUE(Params::parse(pairs(kMaxFormParams)));
  EXPECT_TRUE(Params::parse(pairs(kMaxFormParams, "&&&"))) << "empty items do not count";
  std::string why;
  EXPECT_FALSE(Params::parse(pairs(kMaxFormParams + 1), &why));
  EXPECT_NE(why.find("256"), std::string::npos) << why;
  EXPECT_FALSE(Params::parse("a=%zz", &why));
  EXPECT_NE(why.find("escape"), std::string::npos) << why;
  auto dup = Params::parse(pairs(200) + "p199=again");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->duplicate(), "p199");
  EXPECT_EQ(dup->get("p199"), "x") << "the first value";
}

TEST(AuthzRedirects, RulesPerApplicationType) {
  // web and native: registered by anyone (DCR); document: a client ID metadata document;
  // operator: a native client the operator pre-registered (private-use schemes allowed).
  struct Case {
    std::string uri;
    bool web, native, document, operator_native;
  };
  std::vector<Case> cases = {
      {"https://app.example.com/cb", true, true, true, true},
      {"http://localhost:3000/cb", true, true, true, true},
      {"http://127.0.0.1/cb", true, true, true, true},
      {"http://[::1]:8080/cb", true, true, true, true},
      {"http://app.example.com/cb", false, false, false, false},
      {"com.example.app:/oauth", false, false, false, true},
      {"myapp://callback", false, false, false, true},
      {"javascript:alert(1)", false, false, false, false},
      {"data:text/html,hi", false, false, false, false},
      {"file:///etc/passwd", false, false, false, false},
      {"https://app.example.com/cb#x", false, false, false, false},
      {"https://user:pw@app.example.com/cb", false, false, false, false},
      {"/relative/cb", false, false, false, false},
      {"", false, false, false, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(check_redirect_uri(c.uri, "web").empty(), c.web) << c.uri;
    EXPECT_EQ(check_redirect_uri(c.uri, "native").empty(), c.native) << c.uri;
    EXPECT_EQ(check_redirect_uri(c.uri, "").empty(), c.document) << c.uri;
    EXPECT_EQ(check_redirect_uri(c.uri, "native", true).empty(), c.operator_native) << c.uri;
  }
  EXPECT_NE(check_redirect_uri("myapp://cb", "native").find("loopback"), std::string::npos);
}

TEST(AuthzRedirects, MatchingIsExactButForLoopbackPorts) {
  EXPECT_TRUE(redirect_uri_matches("https://a.example/cb", "https://a.example/cb"));
  EXPECT_FALSE(redirect_uri_matches("https://a.example/cb", "https://a.example/cb/"));
  EXPECT_FALSE(redirect_uri_matches("https://a.example/cb", "https://A.example/cb"));
  EXPECT_FALSE(redirect_uri_matches("https://a.example:443/cb", "https://a.example:8443/cb"));
  EXPECT_TRUE(redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb"));
  EXPECT_TRUE(redirect_uri_matches("http://127.0.0.1:3000/cb", "http://127.0.0.1:4000/cb"));
  EXPECT_TRUE(redirect_uri_matches("http://[::1]:3000/cb", "http://[::1]:4000/cb"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1:3000/cb", "http://127.0.0.1:4000/other"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1:3000/cb", "http://localhost:3000/cb"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1:3000/cb?a=1", "http://127.0.0.1:4000/cb"));
  // A name that merely starts like a loopback address is another host (whatever the port).
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.1:80.evil.example/cb"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/cb", "http://127.0.0.1.evil.example/cb"));
}

// Boost.URL 1.81 splits "http://127.0.0.1.evil.example/cb" into host 127.0.0.1 and path
// ".evil.example/cb"; the auth layer refuses such URIs rather than take them for loopback.
TEST(AuthzRedirects, AnAddressFollowedByMoreNameIsNotThatAddress) {
  for (const char* uri : {"http://127.0.0.1.evil.example/cb", "http://127.0.0.1:80.evil.example/",
                          "http://[::1].evil.example/cb", "http://[::1]x/", "http://1.2.3.4x/"}) {
    EXPECT_FALSE(split_uri(uri)) << uri;
    EXPECT_FALSE(oauth::split_url(uri)) << uri;
    EXPECT_FALSE(oauth::is_loopback_url(uri)) << uri;
    EXPECT_NE(check_redirect_uri(uri, "native"), "") << uri;
  }
  for (const char* uri : {"http://127.0.0.1", "http://127.0.0.1:8080", "http://[::1]:9/cb",
                          "https://mcp.example.com", "https://mcp.example.com/mcp?x=1"}) {
    EXPECT_TRUE(split_uri(uri)) << uri;
    EXPECT_TRUE(oauth::split_url(uri)) << uri;
  }
  EXPECT_TRUE(oauth::is_loopback_url("http://127.0.0.1:8080/cb"));
  EXPECT_TRUE(oauth::is_loopback_url("http://[::1]/cb"));
  EXPECT_FALSE(oauth::is_loopback_url("http://127.1/cb"));
  EXPECT_FALSE(oauth::is_loopback_url("http://127.evil.example/cb"));
}

TEST(AuthzResources, CanonicalForm) {
  EXPECT_EQ(canonical_resource("HTTPS://MCP.Example.com/MCP"), "https://mcp.example.com/MCP");
  EXPECT_EQ(canonical_resource("https://mcp.example.com/"), "https://mcp.example.com");
  EXPECT_EQ(canonical_resource("https://mcp.example.com"), "https://mcp.example.com");
}

TEST(PasswordHash, HashAndVerify) {
  std::string h = hash_password("s3cret", 1000);
  EXPECT_TRUE(h.starts_with("pbkdf2-sha256$1000$"));
  EXPECT_TRUE(verify_password("s3cret", h));
  EXPECT_FALSE(verify_password("s3cret ", h));
  EXPECT_FALSE(verify_password("", h));
  EXPECT_NE(hash_password("s3cret", 1000), h) << "a fresh salt every time";
  EXPECT_FALSE(verify_password("s3cret", "pbkdf2-sha256$1000$abc"));
  EXPECT_FALSE(verify_password("s3cret", "md5$1$2$3"));
  EXPECT_FALSE(verify_password("s3cret", "pbkdf2-sha256$10$" + h.substr(h.find('$', 14) + 1)));
  EXPECT_THROW(hash_password("x", 10), std::invalid_argument);
}

TEST(UsersFile, ParsesAndReportsBadLines) {
  std::string h = hash_password("pw", 1000);
  auto users = UsersFile::parse("# comment\n\nalice:" + h + "\n  bob@example.com:" + h + "  \n");
  EXPECT_EQ(users.size(), 2u);
  EXPECT_TRUE(users.contains("bob@example.com"));
  auto message = [](const std::string& text) {
    try {
      UsersFile::parse(text);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message("alice\n").find("line 1"), std::string::npos);
  EXPECT_NE(message("ok:" + h + "\nbad user:" + h).find("line 2"), std::string::npos);
  EXPECT_NE(message("alice:plaintext").find("mcpp hash-password"), std::string::npos);
  EXPECT_NE(message("a:" + h + "\na:" + h).find("twice"), std::string::npos);
}

TEST(UsersFile, ChecksPasswordsAndReloads) {
  auto path = std::filesystem::temp_directory_path() / ("mcpp-users-" + random_token(6));
  { std::ofstream(path) << "alice:" << hash_password("pw", 1000) << "\n"; }
  UsersFile users(path);
  EXPECT_TRUE(users.check("alice", "pw"));
  EXPECT_FALSE(users.check("alice", "PW"));
  EXPECT_FALSE(users.check("mallory", "pw"));
  std::filesystem::last_write_time(
      path, std::filesystem::last_write_time(path) - std::chrono::seconds(5));
  { std::ofstream(path) << "carol:" << hash_password("pw2", 1000) << "\n"; }
  EXPECT_TRUE(users.check("carol", "pw2"));
  EXPECT_FALSE(users.check("alice", "pw"));
  std::filesystem::remove(path);
  EXPECT_THROW(UsersFile("/nonexistent/users.txt"), std::runtime_error);
}

TEST(AuthzLoginThrottle, GrowingDelayPerUserNameAndACapPerRemoteAddress) {
  LoginThrottle t;
  const std::int64_t t0 = 1'000'000;
  // Five failures cost nothing; the attempts are counted when they begin (concurrent guesses).
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(t.begin("carol", "127.0.0.1", t0)) << i;
  EXPECT_EQ(t.begin("CAROL", "127.0.0.1", t0), 1) << "names are not case-sensitive";
  EXPECT_FALSE(t.begin("carol", "127.0.0.1", t0 + 1));
  EXPECT_EQ(t.begin("carol", "127.0.0.1", t0 + 1), 2);
  EXPECT_FALSE(t.begin("carol", "127.0.0.1", t0 + 3));
  t.succeeded("carol", "127.0.0.1", t0 + 3);
  EXPECT_FALSE(t.begin("carol", "127.0.0.1", t0 + 3)) << "a success starts over";
  // Old failures are forgotten after the window.
  for (int i = 0; i < 5; ++i) t.begin("dave", "127.0.0.1", t0);
  EXPECT_TRUE(t.begin("dave", "127.0.0.1", t0));
  EXPECT_FALSE(t.begin("dave", "127.0.0.1", t0 + LoginThrottle::kWindow + 1));

  // A remote address: ten attempts in the window, whatever the names; loopback is not counted.
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(t.begin("u" + std::to_string(i), "203.0.113.9", t0));
  std::optional<std::int64_t> wait = t.begin("someone", "203.0.113.9", t0 + 10);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, LoginThrottle::kWindow - 10);
  EXPECT_FALSE(t.begin("someone", "198.51.100.7", t0 + 10)) << "another address";
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(t.begin("v" + std::to_string(i), "::1", t0));
  EXPECT_FALSE(t.begin("w", "::ffff:127.0.0.1", t0));
  // A success takes its own attempt back from the address.
  LoginThrottle u;
  for (int i = 0; i < 9; ++i) u.begin("x" + std::to_string(i), "203.0.113.9", t0);
  EXPECT_FALSE(u.begin("alice", "203.0.113.9", t0 + 1));
  u.succeeded("alice", "203.0.113.9", t0 + 1);
  EXPECT_FALSE(u.begin("y", "203.0.113.9", t0 + 2));
  EXPECT_TRUE(u.begin("z", "203.0.113.9", t0 + 2));

  EXPECT_TRUE(LoginThrottle::loopback_peer("127.0.0.1"));
  EXPECT_TRUE(LoginThrottle::loopback_peer("127.8.9.10"));
  EXPECT_TRUE(LoginThrottle::loopback_peer("::1"));
  EXPECT_FALSE(LoginThrottle::loopback_peer("10.0.0.1"));
  EXPECT_FALSE(LoginThrottle::loopback_peer("2001:db8::1"));
}

TEST(AuthStore, CodesAndRefreshTokensAreSingleUse) {
  auto path = std::filesystem::temp_directory_path() / ("mcpp-store-" + random_token(6));
  {
    AuthStore store(path.string());
    EXPECT_EQ(std::filesystem::status(path).permissions() &
                  (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
              std::filesystem::perms::none)
        << "the database is private";
    CodeRecord code;
    code.grant = {"c", "alice", "mcp", "https://r.example", "fam"};
    code.expires_at = 1000;
    store.put_code("h1", code);
    CodeRecord out;
    std::vector<RevokedToken> revoked;
    auto yes = [](const CodeRecord&) { return true; };
    auto no = [](const CodeRecord&) { return false; };
    Issuance issue{"c", "jti1", 2000, "r0", 5000};
    // A request the check refuses leaves the code unused.
    EXPECT_EQ(store.redeem_code("h1", 900, no, issue, out, revoked), Redemption::kRejected);
    EXPECT_EQ(out.grant.subject, "alice");
    EXPECT_EQ(store.redeem_code("h1", 900, yes, issue, out, revoked), Redemption::kOk);
    EXPECT_EQ(out.grant.subject, "alice");
    EXPECT_EQ(store.access_token_family("jti1"), "fam") << "issued in the same transaction";
    Grant g;
    // Another client presenting a used code changes nothing; the same client revokes.
    Issuance other{"someone-else", "jti9", 2000, "", 0};
    EXPECT_EQ(store.redeem_code("h1", 901, yes, other, out, revoked), Redemption::kRejected);
    EXPECT_TRUE(revoked.empty());
    EXPECT_EQ(store.redeem_code("h1", 901, yes, issue, out, revoked), Redemption::kReused);
    ASSERT_EQ(revoked.size(), 1u);
    EXPECT_EQ(revoked[0].jti, "jti1");
    EXPECT_EQ(store.rotate_refresh_token("r0", 902, {"c", "jti2", 2000, "", 0}, g, revoked),
              Redemption::kRevoked)
        << "the refresh token issued with the code was revoked with it";
    EXPECT_EQ(store.redeem_code("nope", 901, yes, issue, out, revoked), Redemption::kUnknown);
    code.expires_at = 100;
    store.put_code("h2", code);
    EXPECT_EQ(store.redeem_code("h2", 901, yes, issue, out, revoked), Redemption::kExpired);

    // Pending requests: one caller takes each (two Approve clicks mint one code).
    PendingRequest pending;
    pending.id = "req1";
    pending.expires_at = 1000;
    store.put_request(pending);
    EXPECT_TRUE(store.take_request("req1", 900));
    EXPECT_FALSE(store.take_request("req1", 900));
    pending.id = "req2";
    store.put_request(pending);
    EXPECT_FALSE(store.take_request("req2", 1000)) << "expired";

    code.grant.family = "fam2";
    store.put_refresh_token("r1", code.grant, 900, 5000);
    EXPECT_EQ(store.rotate_refresh_token("r1", 901, {"c", "jti3", 2000, "r2", 5000}, g, revoked),
              Redemption::kOk);
    EXPECT_EQ(g.family, "fam2");
    EXPECT_EQ(store.access_token_family("jti3"), "fam2");
    store.put_refresh_token("r3", code.grant, 901, 950);
    EXPECT_EQ(store.rotate_refresh_token("r3", 960, {"c", "x", 0, "", 0}, g, revoked),
              Redemption::kExpired);
    EXPECT_EQ(store.rotate_refresh_token("r1", 902, {"c", "jti4", 2000, "r4", 5000}, g, revoked),
              Redemption::kReused);
    ASSERT_EQ(revoked.size(), 1u);
    EXPECT_EQ(revoked[0].jti, "jti3") << "the access token the rotation issued";
    EXPECT_EQ(store.rotate_refresh_token("r2", 903, {"c", "jti5", 2000, "r5", 5000}, g, revoked),
              Redemption::kRevoked)
        << "the reuse revoked the whole family, the rotation's new token included";
    EXPECT_EQ(store.access_token_family("jti4"), "") << "nothing issued for the replay";
    EXPECT_EQ(store.rotate_refresh_token("r9", 903, {"c", "x", 0, "", 0}, g, revoked),
              Redemption::kUnknown);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

}  // namespace
}  // namespace mcpp::auth::authz
