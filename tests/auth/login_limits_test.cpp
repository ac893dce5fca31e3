// The login form and registration under load from strangers: password hashes are checked off the
// HTTP server's I/O thread (on a bounded pool), registrations and open login pages are limited per
// address and per client with eviction that a flood cannot pin, a repeated form field is refused.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <future>
#include <thread>

#include "auth/password_check_pool.hpp"
#include "authorization_server_support.hpp"

namespace mcpp::auth::test {
namespace {

namespace asio = boost::asio;
using LoginLimits = AuthorizationServerTest;

// One HTTP request to the test server on 127.0.0.1:`port` from the local address `source`
// (the whole of 127.0.0.0/8 is this machine: each address is another "client address").
Reply send_from(const std::string& source, std::uint16_t port, http::verb verb,
                const std::string& target, const std::string& body = "",
                const std::string& content_type = "", const std::string& cookie = "") {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.open(asio::ip::tcp::v4());
  socket.bind({asio::ip::make_address(source), 0});
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  if (!cookie.empty()) req.set(http::field::cookie, cookie);
  req.body() = body;
  req.prepare_payload();
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  Reply out;
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.location = std::string(res[http::field::location]);
  for (const auto& f : res) {
    if (f.name() == http::field::set_cookie) out.set_cookies.emplace_back(f.value());
  }
  return out;
}

std::string registration_from(const std::string& source, std::uint16_t port) {
  json::value meta{{"redirect_uris", {"http://127.0.0.1:9/callback"}},
                   {"token_endpoint_auth_method", "none"}};
  Reply r = send_from(source, port, http::verb::post, "/register", json::serialize(meta),
                      "application/json");
  EXPECT_EQ(r.status, 201) << source << ": " << r.body;
  return r.status == 201 ? std::string(find_string(r.json(), "client_id")) : std::string();
}

// "name=value" of the first Set-Cookie.
std::string cookie_of(const Reply& r) {
  if (r.set_cookies.empty()) return {};
  const std::string& c = r.set_cookies.front();
  return c.substr(0, c.find(';'));
}

// ---- password hashes off the I/O thread --------------------------------------------------------

TEST(PasswordCheckPool, ChecksRunOnThePoolAndResumeOnTheCallersThread) {
  PasswordCheckPool pool(2, 4);
  asio::io_context io;
  std::thread::id check_thread, resumed_thread;
  std::optional<bool> answer;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        const std::function<bool()> check = [&] {
          check_thread = std::this_thread::get_id();
          return true;
        };
        answer = co_await pool.run(check);
        resumed_thread = std::this_thread::get_id();
      },
      asio::detached);
  io.run();  // the I/O thread is this one
  ASSERT_EQ(answer, std::optional<bool>(true));
  EXPECT_NE(check_thread, std::this_thread::get_id()) << "the hash ran on the I/O thread";
  EXPECT_NE(check_thread, std::thread::id());
  EXPECT_EQ(resumed_thread, std::this_thread::get_id());
}

TEST(PasswordCheckPool, AdmitsABoundedNumberOfChecks) {
  PasswordCheckPool pool(1, 2);
  asio::io_context io;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<std::optional<bool>> answers(3, std::optional<bool>(true));
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> Task<void> {
          const std::function<bool()> check = [released] {
            released.wait();
            return false;
          };
          answers[i] = co_await pool.run(check);
          // The third run is refused at once (two admitted: one running, one waiting); then the
          // admitted ones may finish.
          if (!answers[i]) release.set_value();
        },
        asio::detached);
  }
  io.run();
  EXPECT_EQ(answers[0], std::optional<bool>(false));
  EXPECT_EQ(answers[1], std::optional<bool>(false));
  EXPECT_EQ(answers[2], std::nullopt);
  EXPECT_EQ(pool.admitted(), 0u);
}

TEST(PasswordCheckPool, AnExceptionReachesTheCaller) {
  PasswordCheckPool pool(1, 1);
  asio::io_context io;
  std::string caught;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        try {
          const std::function<bool()> check = []() -> bool {
            throw std::runtime_error("PBKDF2 failed");
          };
          co_await pool.run(check);
        } catch (const std::exception& e) {
          caught = e.what();
        }
      },
      asio::detached);
  io.run();
  EXPECT_EQ(caught, "PBKDF2 failed");
  EXPECT_EQ(pool.admitted(), 0u);
}

// Through the server (one I/O thread): a request that arrives while a slow hash is being checked
// is answered before that sign-in is. With the hash on the I/O thread it waited for the hash.
TEST_F(LoginLimits, OtherRequestsAreAnsweredWhileAPasswordIsChecked) {
  // About a second of PBKDF2 (more on a busy machine; requests here wait without a deadline).
  std::ofstream(users_file_) << "slow:" << hash_password("x", 2'000'000) << "\n";
  start();
  add_client();
  Pkce pkce;
  Reply page = send_from("127.0.0.1", port(), http::verb::get, authorize_target(pkce));
  ASSERT_EQ(page.status, 200);
  std::atomic<bool> login_answered{false};
  int login_status = 0;
  std::thread login([&] {
    try {
      login_status =
          send_from("127.0.0.1", port(), http::verb::post, path_of(issuer) + "/authorize/decision",
                    form({{"request_id", hidden_value(page.body, "request_id")},
                          {"csrf", hidden_value(page.body, "csrf")},
                          {"username", "slow"},
                          {"password", "wrong"},
                          {"decision", "approve"}}),
                    "application/x-www-form-urlencoded", cookie_of(page))
              .status;
    } catch (const std::exception&) {
    }
    login_answered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  Reply jwks = send_from("127.0.0.1", port(), http::verb::get, path_of(issuer) + "/jwks.json");
  bool answered_first = !login_answered.load();
  login.join();
  EXPECT_EQ(jwks.status, 200);
  EXPECT_EQ(login_status, 401);
  EXPECT_TRUE(answered_first) << "the unrelated request waited for the password hash";
}

// ---- registrations ----------------------------------------------------------------------------

TEST_F(LoginLimits, AFloodOfRegistrationsFromOneAddressLeavesRoomForOthers) {
  start([](AuthorizationServerOptions& o) { o.max_clients = 30; });
  for (int i = 0; i < 80; ++i) registration_from("127.0.0.2", port());
  std::string mine = registration_from("127.0.0.3", port());
  ASSERT_FALSE(mine.empty());
  for (int i = 0; i < 80; ++i) registration_from("127.0.0.2", port());
  // The flood evicted its own registrations, not this one: it can still sign in.
  Pkce pkce;
  Reply page = send_from("127.0.0.3", port(), http::verb::get,
                         authorize_target(pkce, {}, mine, "http://127.0.0.1:9/callback"));
  EXPECT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("name=\"csrf\""), std::string::npos);
}

TEST_F(LoginLimits, RegistrationsInUseStayAndAreRefusedOnlyWhenAllAre) {
  start([](AuthorizationServerOptions& o) { o.max_clients = 2; });
  Browser b = browser();
  json::value meta{{"redirect_uris", {"http://127.0.0.1:9/callback"}},
                   {"token_endpoint_auth_method", "none"}};
  std::string a(find_string(b.post_json("/register", meta).json(), "client_id"));
  Pkce pkce;
  std::string code = query_of(approve(b, authorize_target(pkce, {}, a)))["code"];
  ASSERT_EQ(exchange(code, pkce, a).status, 200);  // a is in use now
  std::string c(find_string(b.post_json("/register", meta).json(), "client_id"));
  std::string d(find_string(b.post_json("/register", meta).json(), "client_id"));
  ASSERT_FALSE(d.empty()) << "c, never used, made room";
  EXPECT_EQ(b.get(authorize_target(pkce, {}, c)).status, 400) << "c is gone";
  code = query_of(approve(b, authorize_target(pkce, {}, d)))["code"];
  ASSERT_EQ(exchange(code, pkce, d).status, 200);
  Reply full = b.post_json("/register", meta);
  EXPECT_EQ(full.status, 503);
  EXPECT_EQ(full.error(), "temporarily_unavailable");
  EXPECT_EQ(b.get(authorize_target(pkce, {}, a)).status, 200);
}

TEST_F(LoginLimits, UnusedRegistrationsExpireAfterADay) {
  start();
  Browser b = browser();
  json::value meta{{"redirect_uris", {"http://127.0.0.1:9/callback"}},
                   {"token_endpoint_auth_method", "none"}};
  std::string unused(find_string(b.post_json("/register", meta).json(), "client_id"));
  std::string used(find_string(b.post_json("/register", meta).json(), "client_id"));
  Pkce pkce;
  std::string code = query_of(approve(b, authorize_target(pkce, {}, used)))["code"];
  Reply t = exchange(code, pkce, used);
  ASSERT_EQ(t.status, 200);
  skew += 86'400 + 601;                              // past a day and the purge interval
  b.get("/.well-known/oauth-authorization-server");  // a request runs the purge
  authz::AuthStore db((dir_ / "auth.sqlite").string());
  EXPECT_FALSE(db.client(unused)) << "never used: dropped after a day";
  EXPECT_TRUE(db.client(used));
}

// Per-address limits (not for loopback peers) and who makes room, at the store.
TEST(AdmissionLimits, RegistrationsPerAddressAndInAll) {
  authz::AuthStore store(":memory:");
  auto client = [](std::string id, std::string peer, std::int64_t at) {
    authz::ClientRecord c;
    c.client_id = std::move(id);
    c.auth_method = "none";
    c.source = "dcr";
    c.issued_at = at;
    c.registered_by = std::move(peer);
    return c;
  };
  authz::AdmissionLimits limits{6, 3, 0, true};
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(
        store.admit_registration(client("x" + std::to_string(i), "203.0.113.9", i), limits));
  }
  EXPECT_EQ(store.count_clients("dcr"), 3) << "the address keeps its 3 newest";
  EXPECT_FALSE(store.client("x0"));
  EXPECT_TRUE(store.client("x4"));
  EXPECT_TRUE(store.admit_registration(client("y0", "198.51.100.1", 10), limits));
  EXPECT_TRUE(store.admit_registration(client("y1", "198.51.100.1", 11), limits));
  EXPECT_TRUE(store.admit_registration(client("z0", "192.0.2.1", 12), limits));
  EXPECT_EQ(store.count_clients("dcr"), 6);
  // Full: the address with the most unused registrations (203.0.113.9) gives up its oldest.
  EXPECT_TRUE(store.admit_registration(client("z1", "192.0.2.1", 13), limits));
  EXPECT_FALSE(store.client("x2"));
  EXPECT_TRUE(store.client("y0"));
  // Loopback (limits.per_peer_applies false): no per-address limit, the total still holds.
  authz::AdmissionLimits loopback{6, 3, 0, false};
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(
        store.admit_registration(client("l" + std::to_string(i), "127.0.0.1", 20 + i), loopback));
  }
  EXPECT_EQ(store.count_clients("dcr"), 6);
  // Registrations in use are never evicted; when all are, nothing is admitted.
  for (const char* id :
       {"x0", "x1", "x2", "x3", "x4", "y0", "y1", "z0", "z1", "l0", "l1", "l2", "l3"}) {
    store.put_access_token(std::string("jti-") + id, "fam", id, 1'000'000);
  }
  EXPECT_FALSE(store.admit_registration(client("w", "192.0.2.7", 30), limits));
  EXPECT_FALSE(store.client("w"));
}

// ---- open login pages -------------------------------------------------------------------------

TEST_F(LoginLimits, AFloodOfLoginPagesFromOneAddressLeavesOthersSigningIn) {
  start([](AuthorizationServerOptions& o) { o.max_pending_requests = 20; });
  add_client();
  Pkce pkce;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(send_from("127.0.0.2", port(), http::verb::get, authorize_target(pkce)).status, 200);
  }
  Reply page = send_from("127.0.0.3", port(), http::verb::get, authorize_target(pkce));
  ASSERT_EQ(page.status, 200) << page.body;
  std::string browser_cookie = cookie_of(page);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(send_from("127.0.0.2", port(), http::verb::get, authorize_target(pkce)).status, 200);
  }
  Reply signed_in =
      send_from("127.0.0.3", port(), http::verb::post, path_of(issuer) + "/authorize/decision",
                form({{"request_id", hidden_value(page.body, "request_id")},
                      {"csrf", hidden_value(page.body, "csrf")},
                      {"username", "alice"},
                      {"password", kPassword},
                      {"decision", "approve"}}),
                "application/x-www-form-urlencoded", browser_cookie);
  EXPECT_EQ(signed_in.status, 303) << signed_in.body;
  EXPECT_FALSE(query_of(signed_in.location)["code"].empty()) << signed_in.location;
}

TEST(AdmissionLimits, LoginPagesPerAddressPerClientAndInAll) {
  authz::AuthStore store(":memory:");
  auto page = [](std::string id, std::string peer, std::string client, std::int64_t at) {
    authz::PendingRequest p;
    p.id = std::move(id);
    p.peer = std::move(peer);
    p.client_id = std::move(client);
    p.created_at = at;
    p.expires_at = at + 900;
    return p;
  };
  authz::AdmissionLimits limits{8, 3, 5, true};
  for (int i = 0; i < 5; ++i) {
    store.admit_request(page("a" + std::to_string(i), "203.0.113.9", "c1", i), limits, i);
  }
  EXPECT_EQ(store.count_requests(), 3) << "per address";
  EXPECT_FALSE(store.request("a1", 0));
  EXPECT_TRUE(store.request("a4", 0));
  // Per client: five of c1 at most, the address with the most of them gives way.
  store.admit_request(page("b0", "198.51.100.1", "c1", 10), limits, 10);
  store.admit_request(page("b1", "198.51.100.1", "c1", 11), limits, 11);
  store.admit_request(page("d0", "192.0.2.1", "c1", 12), limits, 12);
  EXPECT_FALSE(store.request("a2", 0)) << "203.0.113.9 held the most of c1";
  EXPECT_TRUE(store.request("b0", 0));
  EXPECT_TRUE(store.request("d0", 0));
  // In all (loopback: no per-address limit): the address with the most pages gives way.
  authz::AdmissionLimits loopback{8, 3, 100, false};
  for (int i = 0; i < 6; ++i) {
    store.admit_request(page("l" + std::to_string(i), "127.0.0.1", "c2", 20 + i), loopback, 20 + i);
  }
  EXPECT_EQ(store.count_requests(), 8);
  EXPECT_TRUE(store.request("d0", 0));
  EXPECT_FALSE(store.request("l0", 0));
  EXPECT_TRUE(store.request("l5", 0));
  // Expired pages make room before anyone's live one.
  store.admit_request(page("e0", "192.0.2.1", "c3", 2000), loopback, 2000);
  EXPECT_EQ(store.count_requests(), 1);
}

// ---- the login form ---------------------------------------------------------------------------

TEST_F(LoginLimits, ARepeatedDecisionIsRefused) {
  start();
  add_client();
  Pkce pkce;
  Browser b = browser();
  Reply page = b.get(authorize_target(pkce));
  std::string fields = form({{"request_id", hidden_value(page.body, "request_id")},
                             {"csrf", hidden_value(page.body, "csrf")},
                             {"username", "alice"},
                             {"password", kPassword}});
  for (const char* twice : {"decision=deny&decision=approve", "decision=approve&decision=deny",
                            "decision=approve&decision=approve"}) {
    Reply r = b.post_form(path_of(issuer) + "/authorize/decision", fields + "&" + twice);
    EXPECT_EQ(r.status, 400) << twice;
    EXPECT_TRUE(r.location.empty()) << twice << " → " << r.location;
    EXPECT_NE(r.body.find("decision more than once"), std::string::npos) << r.body;
  }
  // The request is still open: one decision goes through.
  Reply ok = b.post_form(path_of(issuer) + "/authorize/decision", fields + "&decision=approve");
  EXPECT_EQ(ok.status, 303);
  EXPECT_FALSE(query_of(ok.location)["code"].empty());
}

// RFC 9110 §11.1: authentication schemes are case-insensitive (Basic at the token endpoint).
TEST_F(LoginLimits, TheBasicSchemeIsCaseInsensitiveAtTheTokenEndpoint) {
  start();
  add_client("secret-client", {"http://127.0.0.1:9/callback"}, "s3cret");
  std::string b64 = base64url_encode("secret-client:s3cret");
  for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b64.size() % 4) b64 += '=';
  for (std::string scheme : {"basic ", "BASIC ", "bAsIc  "}) {
    Pkce pkce;
    Browser b = browser();
    std::string code = query_of(approve(b, authorize_target(pkce, {}, "secret-client")))["code"];
    Reply r = token({{"grant_type", "authorization_code"},
                     {"code", code},
                     {"redirect_uri", "http://127.0.0.1:9/callback"},
                     {"code_verifier", pkce.verifier}},
                    {{"Authorization", scheme + b64}});
    EXPECT_EQ(r.status, 200) << scheme << r.body;
  }
}

}  // namespace
}  // namespace mcpp::auth::test
