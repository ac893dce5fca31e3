// Client OAuth end to end: mcpp::Client with an OAuthClient against a scripted MCP server and
// authorization server on one port (401 → protected resource metadata → authorization server
// metadata → registration → PKCE code flow → token → the request again), stored tokens reused
// by a later OAuthClient, refresh on expiry and on 401, step-up on 403 with its limit, and
// authorization servers that answer badly (clear errors, no crash, no hang). Also the loopback
// redirect listener and the redirect-following user agent.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "../client/client_test_support.hpp"
#include "auth/crypto.hpp"
#include "auth/oauth_flow.hpp"
#include "client/http_client.hpp"
#include "mcpp/auth/oauth_client.hpp"

namespace mcpp::auth {
namespace {

using mcpp::testing::Exchange;
using mcpp::testing::http_response;
using mcpp::testing::initialize_result;
using mcpp::testing::json_result;
using mcpp::testing::run;
using mcpp::testing::ScriptedHttpServer;
using namespace std::chrono_literals;
namespace asio = boost::asio;

// A protected MCP server and its authorization server, scripted. Thread-safe (each request is
// served on its own thread).
struct Fake {
  std::mutex mu;
  std::string base;  // http://127.0.0.1:PORT
  // Behaviour.
  std::string challenge_scope = "mcp:read";
  std::string tool_scope;     // tools/call needs this scope (403 insufficient_scope otherwise)
  bool refuse_tools = false;  // tools/call always gets 403 insufficient_scope for tool_scope
  std::string withhold;       // a scope the authorization server never grants
  int expires_in = 3600;
  bool issue_refresh_token = true;
  bool advertise_iss = true;
  int token_status = 200;
  std::string token_media = "application/json";
  std::string token_body_override;  // set: the token endpoint answers this
  bool registration_fails = false;
  // What happened.
  std::map<std::string, std::vector<std::string>> valid;  // token -> scopes
  std::string code_challenge;
  std::string authorized_scope;
  int registrations = 0;
  int code_exchanges = 0;
  int refreshes = 0;
  int next_token = 1;
  std::vector<oauth::Params> token_forms;
  std::vector<std::string> token_authorization_headers;

  std::string prm_url() const { return base + "/.well-known/oauth-protected-resource/mcp"; }

  std::string issue(std::lock_guard<std::mutex>&, const std::string& scope) {
    std::string t = "at-" + std::to_string(next_token++);
    valid[t] = oauth::split_scope(scope);
    return t;
  }

  std::string token_answer(std::lock_guard<std::mutex>& lock, std::string scope) {
    if (!withhold.empty()) {
      std::string granted;
      for (const auto& one : oauth::split_scope(scope)) {
        if (one != withhold) granted = oauth::scope_union(granted, one);
      }
      scope = granted;
    }
    json::object o{
        {"access_token", issue(lock, scope)}, {"token_type", "Bearer"}, {"expires_in", expires_in}};
    if (!scope.empty()) o["scope"] = scope;
    if (issue_refresh_token) o["refresh_token"] = "rt-" + std::to_string(next_token);
    return json::serialize(o);
  }

  std::string serve(const Exchange& x) {
    std::lock_guard lock(mu);
    std::string path = x.target.substr(0, x.target.find('?'));
    if (x.method == "GET" && path == "/.well-known/oauth-protected-resource/mcp") {
      json::object prm{{"resource", base + "/mcp"},
                       {"authorization_servers", json::array{json::value(base)}},
                       {"scopes_supported", json::array{"mcp:read"}}};
      return http_response(200, "OK", json::serialize(prm));
    }
    if (x.method == "GET" && path == "/.well-known/oauth-authorization-server") {
      json::object m{{"issuer", base},
                     {"authorization_endpoint", base + "/authorize"},
                     {"token_endpoint", base + "/token"},
                     {"registration_endpoint", base + "/register"},
                     {"code_challenge_methods_supported", json::array{"S256"}},
                     {"token_endpoint_auth_methods_supported", json::array{"none"}},
                     {"scopes_supported", json::array{"mcp:read", "mcp:write", "offline_access"}},
                     {"authorization_response_iss_parameter_supported", advertise_iss}};
      return http_response(200, "OK", json::serialize(m));
    }
    if (x.method == "POST" && path == "/register") {
      ++registrations;
      if (registration_fails) {
        return http_response(400, "Bad Request",
                             R"({"error":"invalid_client_metadata","error_description":"no"})");
      }
      return http_response(201, "Created", R"({"client_id":"client-1"})");
    }
    if (x.method == "POST" && path == "/token") {
      oauth::Params form = oauth::query_params("?" + x.body);
      token_forms.push_back(form);
      token_authorization_headers.push_back(x.header("authorization"));
      if (!token_body_override.empty()) {
        return http_response(token_status, "X", token_body_override, token_media);
      }
      std::string grant = oauth::param(form, "grant_type").value_or("");
      if (grant == "authorization_code") {
        ++code_exchanges;
        std::string verifier = oauth::param(form, "code_verifier").value_or("");
        if (pkce_challenge(verifier) != code_challenge) {
          return http_response(400, "Bad Request", R"({"error":"invalid_grant"})");
        }
        return http_response(200, "OK", token_answer(lock, authorized_scope));
      }
      if (grant == "refresh_token") {
        ++refreshes;
        return http_response(200, "OK", token_answer(lock, authorized_scope));
      }
      return http_response(400, "Bad Request", R"({"error":"unsupported_grant_type"})");
    }
    if (path == "/mcp") {
      if (x.method != "POST") return http_response(405, "Method Not Allowed");
      std::string auth = x.header("authorization");
      std::string token = auth.starts_with("Bearer ") ? auth.substr(7) : std::string();
      auto it = valid.find(token);
      if (it == valid.end()) {
        return http_response(401, "Unauthorized", R"({"error":"invalid_token"})",
                             "application/json",
                             {"WWW-Authenticate: Bearer error=\"invalid_token\", scope=\"" +
                              challenge_scope + "\", resource_metadata=\"" + prm_url() + "\""});
      }
      json::value message = x.json();
      std::string method(find_string(message, "method"));
      const json::value* id = find(message, "id");
      if (!id) return http_response(202, "Accepted");
      if (method == "initialize") {
        return http_response(200, "OK", json_result(*id, initialize_result()));
      }
      if (method == "tools/call" && !tool_scope.empty() &&
          (refuse_tools ||
           std::find(it->second.begin(), it->second.end(), tool_scope) == it->second.end())) {
        return http_response(403, "Forbidden", R"({"error":"insufficient_scope"})",
                             "application/json",
                             {"WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"" +
                              tool_scope + "\", resource_metadata=\"" + prm_url() + "\""});
      }
      if (method == "tools/call") {
        json::object r{{"content", json::array{json::object{{"type", "text"}, {"text", "ok"}}}}};
        return http_response(200, "OK", json_result(*id, r));
      }
      return http_response(200, "OK", json_result(*id, json::object{{"tools", json::array()}}));
    }
    return http_response(404, "Not Found", "nothing here", "text/plain");
  }
};

// The browser: read the authorization request and come back with a code (as the user would
// after signing in).
struct Browser {
  std::shared_ptr<Fake> fake;
  int visits = 0;
  std::vector<oauth::Params> requests;
  std::string iss_override;  // set: sent as iss
};

Task<std::string> visit(std::shared_ptr<Browser> b, AuthorizationPrompt prompt) {
  ++b->visits;
  oauth::Params q = oauth::query_params(prompt.url);
  b->requests.push_back(q);
  {
    std::lock_guard lock(b->fake->mu);
    b->fake->code_challenge = oauth::param(q, "code_challenge").value_or("");
    b->fake->authorized_scope = oauth::param(q, "scope").value_or("");
  }
  std::string iss = b->iss_override.empty() ? prompt.issuer : b->iss_override;
  co_return oauth::with_query(
      prompt.redirect_uri,
      {{"code", "code-1"}, {"state", oauth::param(q, "state").value_or("")}, {"iss", iss}});
}

struct World {
  std::shared_ptr<Fake> fake = std::make_shared<Fake>();
  std::unique_ptr<ScriptedHttpServer> server;
  std::shared_ptr<Browser> browser = std::make_shared<Browser>();
  std::vector<std::string> warnings;

  World() {
    server =
        std::make_unique<ScriptedHttpServer>([f = fake](const Exchange& x) { return f->serve(x); });
    fake->base = server->url("");
    browser->fake = fake;
  }

  OAuthOptions options(std::shared_ptr<TokenStore> store = nullptr) {
    OAuthOptions o;
    o.redirect_uri = "http://127.0.0.1:1/callback";
    o.user_agent = [b = browser](const AuthorizationPrompt& p) { return visit(b, p); };
    o.token_store = std::move(store);
    o.http_timeout = 5s;
    o.on_warning = [this](std::string_view w) { warnings.emplace_back(w); };
    return o;
  }

  HttpTarget target(std::shared_ptr<OAuthClient> oauth) const {
    HttpTarget t;
    t.url = server->url("/mcp");
    t.transport = HttpTransportKind::kStreamableHttp;
    t.open_event_stream = false;
    t.auth = std::move(oauth);
    return t;
  }
};

ClientOptions stateful() {
  ClientOptions o;
  o.era = ProtocolEra::kStateful;
  o.request_timeout = 10s;
  return o;
}

TEST(OAuthFlow, AuthorizesOn401AndRetries) {
  World s;
  auto tools = run([&](asio::any_io_executor ex) -> Task<std::size_t> {
    auto oauth = std::make_shared<OAuthClient>(ex, s.options());
    Client client(ex, stateful());
    co_await client.connect(s.target(oauth));
    auto list = co_await client.list_tools();
    auto call = co_await client.call_tool("anything");
    EXPECT_EQ(call.text(), "ok");
    auto t = co_await oauth->token(s.server->url("/mcp"));
    EXPECT_TRUE(t && t->access_token == "at-1");
    co_await client.close();
    co_return list.size();
  });
  EXPECT_EQ(tools, 0u);
  EXPECT_EQ(s.browser->visits, 1);
  ASSERT_EQ(s.browser->requests.size(), 1u);
  const auto& q = s.browser->requests[0];
  EXPECT_EQ(oauth::param(q, "response_type"), "code");
  EXPECT_EQ(oauth::param(q, "client_id"), "client-1");
  EXPECT_EQ(oauth::param(q, "code_challenge_method"), "S256");
  EXPECT_EQ(oauth::param(q, "resource"), s.server->url("/mcp"));
  // The challenge's scope, and offline_access since the server lists it.
  EXPECT_EQ(oauth::param(q, "scope"), "mcp:read offline_access");
  EXPECT_EQ(oauth::param(q, "redirect_uri"), "http://127.0.0.1:1/callback");
  std::lock_guard lock(s.fake->mu);
  EXPECT_EQ(s.fake->registrations, 1);
  EXPECT_EQ(s.fake->code_exchanges, 1);
  ASSERT_EQ(s.fake->token_forms.size(), 1u);
  const auto& form = s.fake->token_forms[0];
  EXPECT_EQ(oauth::param(form, "resource"), s.server->url("/mcp"));
  EXPECT_EQ(oauth::param(form, "client_id"), "client-1");
  EXPECT_EQ(oauth::param(form, "redirect_uri"), "http://127.0.0.1:1/callback");
  EXPECT_FALSE(oauth::param(form, "client_secret"));
  EXPECT_TRUE(s.fake->token_authorization_headers[0].empty());
  // Every MCP request after the first carried the token.
  auto ex = s.server->exchanges();
  int with_token = 0;
  for (const auto& e : ex) {
    if (e.target == "/mcp" && e.header("authorization") == "Bearer at-1") ++with_token;
  }
  EXPECT_GE(with_token, 4);  // initialize again, initialized, tools/list, tools/call
}

TEST(OAuthFlow, StoredTokensAreReusedByALaterRun) {
  World s;
  auto dir =
      std::filesystem::temp_directory_path() / ("mcpp-oauth-flow-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto path = (dir / "tokens.json").string();
  for (int runs = 0; runs < 2; ++runs) {
    run([&](asio::any_io_executor ex) -> Task<void> {
      auto oauth = std::make_shared<OAuthClient>(ex, s.options(std::make_shared<TokenStore>(path)));
      Client client(ex, stateful());
      co_await client.connect(s.target(oauth));
      co_await client.list_tools();
      co_await client.close();
    });
  }
  EXPECT_EQ(s.browser->visits, 1) << "the second run used the stored token";
  TokenStore store(path);
  auto entry = store.server(s.server->url("/mcp"));
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->issuer, s.fake->base);
  EXPECT_EQ(store.token(entry->issuer, entry->resource)->access_token, "at-1");
  EXPECT_EQ(store.client(entry->issuer)->client_id, "client-1");
  std::filesystem::remove_all(dir);
}

TEST(OAuthFlow, RefreshesAnExpiredToken) {
  World s;
  s.fake->expires_in = 1;  // within the 30 s margin: refreshed before the next request
  run([&](asio::any_io_executor ex) -> Task<void> {
    auto oauth = std::make_shared<OAuthClient>(ex, s.options());
    Client client(ex, stateful());
    co_await client.connect(s.target(oauth));
    co_await client.list_tools();
    co_await client.close();
  });
  EXPECT_EQ(s.browser->visits, 1);
  std::lock_guard lock(s.fake->mu);
  EXPECT_GE(s.fake->refreshes, 1);
  const auto& last = s.fake->token_forms.back();
  EXPECT_EQ(oauth::param(last, "grant_type"), "refresh_token");
  EXPECT_EQ(oauth::param(last, "resource"), s.server->url("/mcp"));
  EXPECT_TRUE(oauth::param(last, "refresh_token")->starts_with("rt-"));
}

TEST(OAuthFlow, RefreshesWhenTheServerRefusesTheToken) {
  World s;
  run([&](asio::any_io_executor ex) -> Task<void> {
    auto oauth = std::make_shared<OAuthClient>(ex, s.options());
    Client client(ex, stateful());
    co_await client.connect(s.target(oauth));
    {
      std::lock_guard lock(s.fake->mu);
      s.fake->valid.clear();  // revoked
    }
    co_await client.list_tools();
    co_await client.close();
  });
  EXPECT_EQ(s.browser->visits, 1) << "a refresh, not a new authorization";
  std::lock_guard lock(s.fake->mu);
  EXPECT_EQ(s.fake->refreshes, 1);
}

TEST(OAuthFlow, AnotherProcesssRefreshIsAdoptedNotRepeated) {
  World s;
  auto dir =
      std::filesystem::temp_directory_path() / ("mcpp-oauth-adopt-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto path = (dir / "tokens.json").string();
  run([&](asio::any_io_executor ex) -> Task<void> {
    // Two "processes": each its own OAuthClient and TokenStore object on the same file.
    auto a = std::make_shared<OAuthClient>(ex, s.options(std::make_shared<TokenStore>(path)));
    auto b = std::make_shared<OAuthClient>(ex, s.options(std::make_shared<TokenStore>(path)));
    Client ca(ex, stateful());
    co_await ca.connect(s.target(a));
    Client cb(ex, stateful());
    co_await cb.connect(s.target(b));  // with the stored token
    {
      std::lock_guard lock(s.fake->mu);
      s.fake->valid.erase("at-1");
    }
    co_await ca.list_tools();  // refreshes: at-2, and the refresh token rotates
    co_await cb.list_tools();  // refused at-1: takes at-2 from the store, no refresh of its own
    auto tb = co_await b->token(s.server->url("/mcp"));
    EXPECT_TRUE(tb && tb->access_token == "at-2");
    co_await ca.close();
    co_await cb.close();
  });
  EXPECT_EQ(s.browser->visits, 1);
  std::lock_guard lock(s.fake->mu);
  EXPECT_EQ(s.fake->refreshes, 1);
  std::filesystem::remove_all(dir);
}

TEST(OAuthFlow, StepsUpOn403WithTheUnionOfScopes) {
  World s;
  s.fake->tool_scope = "mcp:write";
  run([&](asio::any_io_executor ex) -> Task<void> {
    auto oauth = std::make_shared<OAuthClient>(ex, s.options());
    Client client(ex, stateful());
    co_await client.connect(s.target(oauth));
    auto r = co_await client.call_tool("write");
    EXPECT_EQ(r.text(), "ok");
    co_await client.close();
  });
  ASSERT_EQ(s.browser->visits, 2);
  EXPECT_EQ(oauth::param(s.browser->requests[1], "scope"), "mcp:read offline_access mcp:write");
}

// The call fails with the provider's reason; returns it.
std::string failing_call(World& s) {
  std::string error;
  run([&](asio::any_io_executor ex) -> Task<void> {
    auto oauth = std::make_shared<OAuthClient>(ex, s.options());
    Client client(ex, stateful());
    co_await client.connect(s.target(oauth));
    try {
      co_await client.call_tool("admin");
      ADD_FAILURE() << "the call succeeded";
    } catch (const TransportError& e) {
      EXPECT_EQ(e.http_status(), 403);
      error = e.what();
    }
    co_await client.close();
  });
  return error;
}

TEST(OAuthFlow, StepUpStopsWhenTheServerKeepsGrantingLess) {
  World s;
  s.fake->tool_scope = "mcp:admin";
  s.fake->withhold = "mcp:admin";
  std::string error = failing_call(s);
  EXPECT_NE(error.find("still wants scope 'mcp:admin' after 2 authorizations"), std::string::npos)
      << error;
  EXPECT_EQ(s.browser->visits, 3);  // the first authorization and two step-ups
}

TEST(OAuthFlow, StepUpStopsWhenTheTokenAlreadyHasTheScope) {
  World s;
  s.fake->tool_scope = "mcp:read";
  s.fake->refuse_tools = true;
  std::string error = failing_call(s);
  EXPECT_NE(error.find("which it was granted"), std::string::npos) << error;
  EXPECT_EQ(s.browser->visits, 1);
}

TEST(OAuthFlow, AuthorizationServerErrorsAreClear) {
  struct Case {
    std::string name;
    std::function<void(Fake&)> setup;
    std::string says;
  };
  std::vector<Case> cases = {
      {"token error",
       [](Fake& f) {
         f.token_status = 400;
         f.token_body_override = R"({"error":"invalid_grant","error_description":"expired code"})";
       },
       "invalid_grant: expired code"},
      {"token HTML",
       [](Fake& f) {
         f.token_media = "text/html";
         f.token_body_override = "<html>Sign in</html>";
       },
       "not JSON"},
      {"token without access_token", [](Fake& f) { f.token_body_override = R"({"ok":true})"; },
       "no \"access_token\""},
      {"registration refused", [](Fake& f) { f.registration_fails = true; },
       "invalid_client_metadata: no"},
  };
  for (const auto& c : cases) {
    World s;
    c.setup(*s.fake);
    std::string error;
    int status = 0;
    run([&](asio::any_io_executor ex) -> Task<void> {
      auto oauth = std::make_shared<OAuthClient>(ex, s.options());
      Client client(ex, stateful());
      try {
        co_await client.connect(s.target(oauth));
      } catch (const TransportError& e) {
        error = e.what();
        status = e.http_status();
      }
    });
    EXPECT_EQ(status, 401) << c.name;
    EXPECT_NE(error.find("authorizing failed"), std::string::npos) << c.name << ": " << error;
    EXPECT_NE(error.find(c.says), std::string::npos) << c.name << ": " << error;
  }
}

TEST(OAuthFlow, AMismatchedResourceIsRefused) {
  World s;
  std::string error;
  run([&](asio::any_io_executor ex) -> Task<void> {
    auto oauth = std::make_shared<OAuthClient>(ex, s.options());
    Client client(ex, stateful());
    HttpTarget t = s.target(oauth);
    // The same server under another name: its metadata names 127.0.0.1, not localhost.
    t.url = "http://localhost:" + s.fake->base.substr(s.fake->base.rfind(':') + 1) + "/mcp";
    try {
      co_await client.connect(t);
    } catch (const TransportError& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find("refusing to authorize"), std::string::npos) << error;
  EXPECT_EQ(s.browser->visits, 0);
}

TEST(OAuthFlow, AWrongIssIsRefusedBeforeTheTokenRequest) {
  World s;
  s.browser->iss_override = "https://evil.example.com";
  std::string error;
  run([&](asio::any_io_executor ex) -> Task<void> {
    auto oauth = std::make_shared<OAuthClient>(ex, s.options());
    Client client(ex, stateful());
    try {
      co_await client.connect(s.target(oauth));
    } catch (const TransportError& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find("RFC 9207"), std::string::npos) << error;
  std::lock_guard lock(s.fake->mu);
  EXPECT_EQ(s.fake->code_exchanges, 0);
}

TEST(OAuthFlow, WithoutAUserAgentTheErrorSaysSo) {
  World s;
  std::string error;
  run([&](asio::any_io_executor ex) -> Task<void> {
    OAuthOptions o = s.options();
    o.user_agent = nullptr;
    auto oauth = std::make_shared<OAuthClient>(ex, std::move(o));
    Client client(ex, stateful());
    try {
      co_await client.connect(s.target(oauth));
    } catch (const TransportError& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find("no user agent"), std::string::npos) << error;
}

TEST(OAuthFlow, AnUnreachableAuthorizationServerFailsInTime) {
  // The MCP server names an authorization server nobody listens on.
  std::uint16_t dead_port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    dead_port = a.local_endpoint().port();
  }
  std::string dead = "http://127.0.0.1:" + std::to_string(dead_port);
  auto resource = std::make_shared<std::string>();
  ScriptedHttpServer server([dead, resource](const Exchange& x) {
    if (x.target == "/.well-known/oauth-protected-resource/mcp") {
      return http_response(
          200, "OK",
          R"({"resource":")" + *resource + R"(","authorization_servers":[")" + dead + R"("]})");
    }
    return http_response(401, "Unauthorized", "", "", {"WWW-Authenticate: Bearer"});
  });
  *resource = server.url("/mcp");
  std::string error;
  auto started = std::chrono::steady_clock::now();
  run([&](asio::any_io_executor ex) -> Task<void> {
    OAuthOptions o;
    o.redirect_uri = "http://127.0.0.1:1/callback";
    o.user_agent = [](const AuthorizationPrompt&) -> Task<std::string> { co_return ""; };
    o.http_timeout = 2s;
    auto oauth = std::make_shared<OAuthClient>(ex, std::move(o));
    Client client(ex, stateful());
    HttpTarget t;
    t.url = server.url("/mcp");
    t.auth = oauth;
    try {
      co_await client.connect(t);
    } catch (const TransportError& e) {
      error = e.what();
    }
  });
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_NE(
      error.find("authorizing failed: cannot connect to 127.0.0.1:" + std::to_string(dead_port)),
      std::string::npos)
      << error;
}

// ---- a real mcpp server, both HTTP transports
// ----------------------------------------------------

// Accepts "Bearer good-N" tokens; others get a 401 naming root protected resource metadata whose
// resource is the origin (so it covers /mcp and /sse alike).
class TokenGate : public HttpAuthorizer {
 public:
  explicit TokenGate(std::shared_ptr<std::string> origin) : origin_(std::move(origin)) {}
  Task<HttpAuthDecision> authorize_request(const HttpAuthRequest& request) override {
    HttpAuthDecision d;
    if (!request.authorization.starts_with("Bearer good-")) {
      HttpReply r;
      r.status = 401;
      r.headers.emplace_back("WWW-Authenticate", "Bearer resource_metadata=\"" + *origin_ +
                                                     "/.well-known/oauth-protected-resource\"");
      r.headers.emplace_back("Content-Type", "application/json");
      r.body = R"({"error":"invalid_token"})";
      d.refusal = std::move(r);
    }
    co_return d;
  }

 private:
  std::shared_ptr<std::string> origin_;
};

// Protected resource metadata, authorization server metadata and a token endpoint.
Task<std::optional<HttpReply>> oauth_routes(std::shared_ptr<std::string> origin,
                                            std::shared_ptr<std::atomic<int>> issued,
                                            HttpRequestInfo request) {
  HttpReply r;
  r.headers.emplace_back("Content-Type", "application/json");
  if (request.path == "/.well-known/oauth-protected-resource") {
    r.body = json::serialize(json::object{
        {"resource", *origin}, {"authorization_servers", json::array{json::value(*origin)}}});
  } else if (request.path == "/.well-known/oauth-authorization-server") {
    r.body =
        json::serialize(json::object{{"issuer", *origin},
                                     {"authorization_endpoint", *origin + "/authorize"},
                                     {"token_endpoint", *origin + "/token"},
                                     {"code_challenge_methods_supported", json::array{"S256"}}});
  } else if (request.path == "/token" && request.method == "POST") {
    r.body = json::serialize(json::object{{"access_token", "good-" + std::to_string(++*issued)},
                                          {"token_type", "Bearer"}});
  } else {
    co_return std::nullopt;
  }
  co_return r;
}

Task<std::string> approve(AuthorizationPrompt prompt) {
  oauth::Params q = oauth::query_params(prompt.url);
  co_return oauth::with_query(prompt.redirect_uri,
                              {{"code", "c"}, {"state", oauth::param(q, "state").value_or("")}});
}

TEST(OAuthFlow, WorksOverStreamableHttpAndLegacySse) {
  Server server({.info = {.name = "protected", .version = "1"}});
  server.add_tool({.name = "hello", .description = "Says hello"},
                  [](const json::object&, Context&) -> Task<ToolResult> {
                    co_return ToolResult::text("hello");
                  });
  auto origin = std::make_shared<std::string>();
  auto issued = std::make_shared<std::atomic<int>>(0);
  HttpOptions options;
  options.authorizer = std::make_shared<TokenGate>(origin);
  options.routes.push_back([origin, issued](const HttpRequestInfo& request) {
    return oauth_routes(origin, issued, request);
  });
  mcpp::testing::ServedOverHttp http(server, std::move(options));
  *origin = http.url("");
  for (auto kind : {HttpTransportKind::kStreamableHttp, HttpTransportKind::kLegacySse}) {
    std::string text = run([&](asio::any_io_executor ex) -> Task<std::string> {
      OAuthOptions o;
      o.redirect_uri = "http://127.0.0.1:1/callback";
      o.user_agent = [](const AuthorizationPrompt& p) { return approve(p); };
      o.client_metadata_url = "https://app.example/client.json";
      o.clients.push_back({.issuer = *origin, .client_id = "pre", .client_secret = ""});
      Client client(ex, stateful());
      HttpTarget t;
      t.url = http.url(kind == HttpTransportKind::kLegacySse ? "/sse" : "/mcp");
      t.transport = kind;
      t.auth = std::make_shared<OAuthClient>(ex, std::move(o));
      co_await client.connect(t);
      auto r = co_await client.call_tool("hello");
      co_await client.close();
      co_return r.text();
    });
    EXPECT_EQ(text, "hello") << (kind == HttpTransportKind::kLegacySse ? "sse" : "streamable");
  }
  EXPECT_EQ(issued->load(), 2);  // one sign-in per client
}

// ---- the user-agent helpers ---------------------------------------------------------------------

TEST(LoopbackRedirect, ReturnsTheCallbackUrl) {
  auto got = run([](asio::any_io_executor ex) -> Task<std::string> {
    LoopbackRedirect listener(ex);
    EXPECT_EQ(listener.redirect_uri(),
              "http://127.0.0.1:" + std::to_string(listener.port()) + "/callback");
    HttpTarget settings;
    auto http = std::make_shared<HttpClient>(ex, settings);
    std::string base = "http://127.0.0.1:" + std::to_string(listener.port());
    // A stray request first, then the browser's return.
    auto browser = [](std::shared_ptr<HttpClient> h, std::string b) -> Task<void> {
      auto other = co_await h->send(HttpClient::Method::kGet, b + "/favicon.ico", {}, {}, 2s);
      EXPECT_EQ(other->status(), 404);
      co_await other->read_body(4096, 2s);
      auto r =
          co_await h->send(HttpClient::Method::kGet, b + "/callback?code=c&state=s", {}, {}, 2s);
      EXPECT_EQ(r->status(), 200);
      std::string page = co_await r->read_body(65536, 2s);
      EXPECT_NE(page.find("close this window"), std::string::npos);
    };
    asio::co_spawn(ex, browser(http, base), asio::detached);
    co_return co_await listener.wait(5s);
  });
  EXPECT_TRUE(got.ends_with("/callback?code=c&state=s")) << got;
}

TEST(LoopbackRedirect, TimesOutWithAClearError) {
  std::string error;
  run([&](asio::any_io_executor ex) -> Task<void> {
    LoopbackRedirect listener(ex);
    try {
      co_await listener.wait(200ms);
    } catch (const OAuthError& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find("did not come back"), std::string::npos) << error;
}

TEST(RedirectFollowingUserAgent, ReturnsTheRedirectBack) {
  ScriptedHttpServer as([](const Exchange& x) {
    if (x.target.starts_with("/authorize")) {
      return http_response(302, "Found", "", "",
                           {"Location: http://localhost:3000/callback?code=c&state=s"});
    }
    return http_response(200, "OK", "<html>login page</html>", "text/html");
  });
  auto got = run([&](asio::any_io_executor ex) -> Task<std::string> {
    auto agent = redirect_following_user_agent(ex, 2s);
    AuthorizationPrompt p;
    p.url = as.url("/authorize?x=1");
    p.redirect_uri = "http://localhost:3000/callback";
    co_return co_await agent(p);
  });
  EXPECT_EQ(got, "http://localhost:3000/callback?code=c&state=s");
  std::string error;
  run([&](asio::any_io_executor ex) -> Task<void> {
    auto agent = redirect_following_user_agent(ex, 2s);
    AuthorizationPrompt p;
    p.url = as.url("/login");
    p.redirect_uri = "http://localhost:3000/callback";
    try {
      co_await agent(p);
    } catch (const OAuthError& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find("it wants a user"), std::string::npos) << error;
}

}  // namespace
}  // namespace mcpp::auth
