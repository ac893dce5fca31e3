// The resource server through real sockets: metadata, 401/403 challenges, JWT checks (issuer,
// audience, expiry, signature), per-tool scopes and public tools, sessions bound to their user,
// JWKS fetched, discovered and rotated, and introspection.
#include "mcpp/auth/resource_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "../transport/http_test_client.hpp"
#include "auth/jwt.hpp"

namespace mcpp::auth {
namespace {

using testing::HttpClient;
using testing::Response;
using testing::RunningHttpServer;
namespace http = boost::beast::http;

constexpr const char* kResource = "https://mcp.example.com/mcp";
constexpr const char* kIssuer = "https://as.example.com";
constexpr const char* kLegacyResource = "https://mcp.example.com/sse";

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::object claims(std::string sub, std::string scope = "", std::int64_t ttl = 300) {
  return json::object{{"iss", kIssuer},     {"sub", std::move(sub)}, {"aud", kResource},
                      {"exp", now() + ttl}, {"iat", now()},          {"scope", std::move(scope)},
                      {"client_id", "c1"}};
}

void add_tools(Server& server) {
  auto whoami = [](const json::object&, Context& ctx) -> Task<ToolResult> {
    co_return ToolResult::text(ctx.auth() ? ctx.auth()->subject : "anonymous");
  };
  Tool pub{.name = "public_echo"};
  pub.access = ToolAccess::public_access();
  server.add_tool(pub, whoami);
  Tool read{.name = "read_docs"};
  read.access = ToolAccess::token({"docs:read"});
  server.add_tool(read, whoami);
  Tool write{.name = "write_docs"};
  write.access = ToolAccess::token({"docs:write"});
  server.add_tool(write, whoami);
  server.add_tool(Tool{.name = "plain"}, whoami);
}

json::value call(std::string tool, int id = 2) {
  return HttpClient::request_body(id, "tools/call", json::object{{"name", std::move(tool)}});
}

std::string bearer(const std::string& token) {
  return "Bearer " + token;
}

json::value init_body() {
  return json::value{{"jsonrpc", "2.0"},
                     {"id", 0},
                     {"method", "initialize"},
                     {"params",
                      {{"protocolVersion", "2025-11-25"},
                       {"capabilities", json::object{}},
                       {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}};
}

// Initializes a session with `authorization` (may be empty).
void open_session(HttpClient& c, const std::string& authorization) {
  testing::Headers h;
  if (!authorization.empty()) h.emplace_back("Authorization", authorization);
  Response r = c.post(init_body(), h);
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  c.session_id = std::string(r["Mcp-Session-Id"]);
  c.protocol_version = "2025-11-25";
  Response n = c.post(json::value{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, h);
  ASSERT_EQ(n.result(), http::status::accepted) << n.body();
}

std::string tool_text(const Response& r) {
  json::value v = json::parse(r.body());
  const json::value* result = find(v, "result");
  if (!result) return "error: " + r.body();
  return std::string(find_string(result->at("content").at(0), "text"));
}

class ResourceServerTest : public ::testing::Test {
 protected:
  ResourceServerTest() : key_(Jwk::generate("ES256", "k1")) {}

  void start(bool allow_anonymous, std::vector<std::string> required = {}) {
    add_tools(server_);
    JwtVerifierOptions v;
    v.issuer = kIssuer;
    v.audiences = {kResource, kLegacyResource};
    v.local_jwks = [this] { return json::value(to_jwks({key_})); };
    ResourceServerOptions o;
    o.resource = kResource;
    o.legacy_resource = kLegacyResource;
    o.authorization_servers = {kIssuer};
    o.scopes_supported = {"docs:read", "docs:write"};
    o.required_scopes = std::move(required);
    o.allow_anonymous = allow_anonymous;
    o.resource_name = "Test docs";
    o.verifier = make_jwt_verifier(std::move(v));
    rs_ = std::make_unique<ResourceServer>(server_, std::move(o));
    HttpOptions http;
    rs_->install(http);
    running_ = std::make_unique<RunningHttpServer>(server_, std::move(http));
  }

  std::string token(json::object c) { return jwt_sign(c, key_, "at+jwt"); }

  Server server_;
  Jwk key_;
  std::unique_ptr<ResourceServer> rs_;
  std::unique_ptr<RunningHttpServer> running_;
};

TEST_F(ResourceServerTest, PublishesMetadataAtBothWellKnownPaths) {
  start(false);
  HttpClient c(running_->port());
  for (std::string path :
       {"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}) {
    Response r = c.request(http::verb::get, path, "", {});
    ASSERT_EQ(r.result(), http::status::ok) << path;
    json::value m = json::parse(r.body());
    EXPECT_EQ(find_string(m, "resource"), kResource);
    EXPECT_EQ(m.at("authorization_servers").at(0).as_string(), kIssuer);
    EXPECT_EQ(m.at("scopes_supported").as_array().size(), 2u);
    EXPECT_EQ(find_string(m, "resource_name"), "Test docs");
    EXPECT_EQ(r["Access-Control-Allow-Origin"], "*");
  }
  EXPECT_EQ(rs_->metadata_url(),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
  Response post = c.request(http::verb::post, "/.well-known/oauth-protected-resource", "x", {});
  EXPECT_EQ(post.result(), http::status::method_not_allowed);
}

TEST_F(ResourceServerTest, MissingTokenGets401WithTheMetadataUrl) {
  start(false);
  HttpClient c(running_->port());
  Response r = c.post(init_body());
  EXPECT_EQ(r.result(), http::status::unauthorized);
  std::string challenge(r["WWW-Authenticate"]);
  EXPECT_NE(challenge.find("Bearer resource_metadata=\"https://mcp.example.com/.well-known/"
                           "oauth-protected-resource/mcp\""),
            std::string::npos)
      << challenge;
  EXPECT_EQ(challenge.find("error="), std::string::npos) << challenge;  // RFC 6750 §3.1
  // GET and DELETE are checked too.
  EXPECT_EQ(c.request(http::verb::get, "/mcp", "", {{"Accept", "text/event-stream"}}).result(),
            http::status::unauthorized);
}

TEST_F(ResourceServerTest, LegacySseClientsGetTheirOwnResource) {
  start(false);
  HttpClient c(running_->port());
  Response r = c.request(http::verb::get, "/sse", "", {{"Accept", "text/event-stream"}});
  EXPECT_EQ(r.result(), http::status::unauthorized);
  std::string challenge(r["WWW-Authenticate"]);
  EXPECT_NE(challenge.find("/.well-known/oauth-protected-resource/sse\""), std::string::npos)
      << challenge;
  Response post = c.request(http::verb::post, "/messages?session_id=x", "{}",
                            {{"Content-Type", "application/json"}});
  EXPECT_EQ(post.result(), http::status::unauthorized);
  EXPECT_NE(std::string(post["WWW-Authenticate"]).find("oauth-protected-resource/sse"),
            std::string::npos);
  Response meta = c.request(http::verb::get, "/.well-known/oauth-protected-resource/sse", "", {});
  ASSERT_EQ(meta.result(), http::status::ok);
  EXPECT_EQ(find_string(json::parse(meta.body()), "resource"), kLegacyResource);
  // A token for the /sse resource opens the stream.
  json::object c2 = claims("alice");
  c2["aud"] = kLegacyResource;
  HttpClient s(running_->port());
  Response stream = s.open(http::verb::get, "/sse", "",
                           {{"Accept", "text/event-stream"}, {"Authorization", bearer(token(c2))}});
  EXPECT_EQ(stream.result(), http::status::ok);
  auto endpoint = s.next_event();
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->event, "endpoint");
}

TEST_F(ResourceServerTest, ValidTokenReachesTheHandler) {
  start(false);
  HttpClient c(running_->port());
  std::string auth = bearer(token(claims("alice", "docs:read docs:write")));
  open_session(c, auth);
  Response r = c.post(call("plain"), {{"Authorization", auth}});
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  EXPECT_EQ(tool_text(r), "alice");
}

// RFC 9110 §11.1: the scheme is case-insensitive, and one or more spaces separate it from the
// token.
TEST_F(ResourceServerTest, TheBearerSchemeIsCaseInsensitive) {
  start(false);
  std::string t = token(claims("alice"));
  for (std::string header : {"bearer " + t, "BEARER " + t, "bEaReR " + t, "Bearer   " + t}) {
    HttpClient c(running_->port());
    Response r = c.post(init_body(), {{"Authorization", header}});
    EXPECT_EQ(r.result(), http::status::ok) << header.substr(0, 10) << ": " << r.body();
  }
  for (std::string header : {"Bearer" + t, "Bearers " + t, "Bearer\t" + t}) {
    HttpClient c(running_->port());
    Response r = c.post(init_body(), {{"Authorization", header}});
    EXPECT_EQ(r.result(), http::status::bad_request) << header.substr(0, 10);
  }
}

TEST_F(ResourceServerTest, RefusedTokensGet401InvalidToken) {
  start(false);
  Jwk other = Jwk::generate("ES256", "k1");
  json::object wrong_aud = claims("alice");
  wrong_aud["aud"] = "https://other.example.com/mcp";
  json::object wrong_iss = claims("alice");
  wrong_iss["iss"] = "https://evil.example.com";
  json::object no_sub = claims("alice");
  no_sub.erase("sub");
  struct Case {
    std::string token;
    std::string why;
  } cases[] = {
      {token(wrong_aud), "not for this resource"},
      {token(claims("alice", "", -120)), "expired"},
      {token(wrong_iss), "issued by"},
      {jwt_sign(claims("alice"), other, "at+jwt"), "signature"},
      {token(no_sub), "subject"},
      {"not-a-jwt", "malformed"},
  };
  for (const auto& k : cases) {
    HttpClient c(running_->port());
    Response r = c.post(init_body(), {{"Authorization", bearer(k.token)}});
    EXPECT_EQ(r.result(), http::status::unauthorized) << k.why;
    std::string challenge(r["WWW-Authenticate"]);
    EXPECT_NE(challenge.find("error=\"invalid_token\""), std::string::npos) << challenge;
    EXPECT_NE(challenge.find(k.why), std::string::npos) << challenge;
    EXPECT_NE(r.body().find(k.why), std::string::npos) << r.body();
  }
  // Another scheme, or a malformed header: 400 invalid_request.
  HttpClient c(running_->port());
  Response r = c.post(init_body(), {{"Authorization", "Basic YWxpY2U6c2VjcmV0"}});
  EXPECT_EQ(r.result(), http::status::bad_request);
  EXPECT_NE(std::string(r["WWW-Authenticate"]).find("invalid_request"), std::string::npos);
}

TEST_F(ResourceServerTest, MissingToolScopeGets403ForStepUp) {
  start(false);
  HttpClient c(running_->port());
  std::string auth = bearer(token(claims("alice", "docs:read")));
  open_session(c, auth);
  Response ok = c.post(call("read_docs"), {{"Authorization", auth}});
  EXPECT_EQ(ok.result(), http::status::ok) << ok.body();
  Response r = c.post(call("write_docs"), {{"Authorization", auth}});
  EXPECT_EQ(r.result(), http::status::forbidden);
  std::string challenge(r["WWW-Authenticate"]);
  EXPECT_NE(challenge.find("error=\"insufficient_scope\""), std::string::npos) << challenge;
  EXPECT_NE(challenge.find("scope=\"docs:write\""), std::string::npos) << challenge;
  EXPECT_NE(challenge.find("resource_metadata="), std::string::npos) << challenge;
  // With the scope granted, the same call goes through.
  std::string upgraded = bearer(token(claims("alice", "docs:read docs:write")));
  EXPECT_EQ(tool_text(c.post(call("write_docs"), {{"Authorization", upgraded}})), "alice");
}

TEST_F(ResourceServerTest, ServerWideRequiredScopes) {
  start(false, {"mcp"});
  HttpClient c(running_->port());
  Response r =
      c.post(init_body(), {{"Authorization", bearer(token(claims("alice", "docs:read")))}});
  EXPECT_EQ(r.result(), http::status::forbidden);
  EXPECT_NE(std::string(r["WWW-Authenticate"]).find("scope=\"mcp\""), std::string::npos);
  HttpClient c2(running_->port());
  Response ok = c2.post(init_body(), {{"Authorization", bearer(token(claims("alice", "mcp")))}});
  EXPECT_EQ(ok.result(), http::status::ok) << ok.body();
}

TEST_F(ResourceServerTest, MixedAuthLetsAnonymousClientsUsePublicToolsOnly) {
  start(true);
  HttpClient c(running_->port());
  open_session(c, "");
  Response list = c.post(HttpClient::request_body(1, "tools/list", {}));
  ASSERT_EQ(list.result(), http::status::ok) << list.body();
  // Tools list their security schemes, at the top level and in _meta (ChatGPT).
  json::value listed = json::parse(list.body());
  for (const auto& t : listed.at("result").at("tools").as_array()) {
    std::string_view name = find_string(t, "name");
    const json::value* schemes = find(t, "securitySchemes");
    if (name == "plain") {
      EXPECT_EQ(schemes, nullptr);
      continue;
    }
    ASSERT_NE(schemes, nullptr) << name;
    EXPECT_EQ(json::serialize(*schemes), json::serialize(t.at("_meta").at("securitySchemes")));
    if (name == "public_echo") {
      EXPECT_EQ(json::serialize(*schemes), R"([{"type":"noauth"}])");
    }
    if (name == "read_docs") {
      EXPECT_EQ(json::serialize(*schemes), R"([{"type":"oauth2","scopes":["docs:read"]}])");
    }
  }
  EXPECT_EQ(tool_text(c.post(call("public_echo"))), "anonymous");
  for (std::string protected_tool : {"read_docs", "plain"}) {
    Response r = c.post(call(protected_tool));
    EXPECT_EQ(r.result(), http::status::unauthorized) << protected_tool;
  }
  Response read = c.post(call("read_docs"));
  EXPECT_NE(std::string(read["WWW-Authenticate"]).find("scope=\"docs:read\""), std::string::npos);
  // Anything but discovery and public tools needs a token.
  EXPECT_EQ(c.post(HttpClient::request_body(3, "resources/list", {})).result(),
            http::status::unauthorized);
  // A token still counts when sent: the handler sees who.
  std::string auth = bearer(token(claims("bob", "docs:read")));
  HttpClient c2(running_->port());
  open_session(c2, auth);
  EXPECT_EQ(tool_text(c2.post(call("public_echo"), {{"Authorization", auth}})), "bob");
}

TEST_F(ResourceServerTest, SessionsBelongToTheirUser) {
  start(false);
  HttpClient alice(running_->port());
  std::string alice_auth = bearer(token(claims("alice", "docs:read")));
  open_session(alice, alice_auth);
  HttpClient mallory(running_->port());
  mallory.session_id = alice.session_id;
  mallory.protocol_version = "2025-11-25";
  Response r = mallory.post(call("plain"), {{"Authorization", bearer(token(claims("mallory")))}});
  EXPECT_EQ(r.result(), http::status::not_found) << r.body();
  EXPECT_EQ(tool_text(alice.post(call("plain"), {{"Authorization", alice_auth}})), "alice");
}

TEST_F(ResourceServerTest, StatelessRequestsAreCheckedToo) {
  start(false);
  json::value body = HttpClient::request_body(
      1, "tools/call",
      json::object{{"name", "plain"},
                   {"_meta",
                    {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                     {"io.modelcontextprotocol/clientCapabilities", json::object{}},
                     {"io.modelcontextprotocol/clientInfo", {{"name", "t"}, {"version", "1"}}}}}});
  testing::Headers h{
      {"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", "tools/call"}, {"Mcp-Name", "plain"}};
  HttpClient c(running_->port());
  EXPECT_EQ(c.post(body, h).result(), http::status::unauthorized);
  h.emplace_back("Authorization", bearer(token(claims("carol"))));
  Response r = c.post(body, h);
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  EXPECT_EQ(tool_text(r), "carol");
}

TEST_F(ResourceServerTest, InputRequiredStateOnlyServesTheUserItWasGivenTo) {
  server_.add_tool(Tool{.name = "ask"}, [](const json::object&, Context& ctx) -> Task<ToolResult> {
    json::object schema{{"type", "object"}};
    ElicitResult r = co_await ctx.elicit("Sure?", std::move(schema));
    co_return ToolResult::text(r.action);
  });
  start(false);
  auto body = [](json::object extra) {
    json::object params{
        {"name", "ask"},
        {"_meta",
         {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
          {"io.modelcontextprotocol/clientCapabilities", {{"elicitation", json::object{}}}},
          {"io.modelcontextprotocol/clientInfo", {{"name", "t"}, {"version", "1"}}}}}};
    for (auto& [k, v] : extra) params[k] = v;
    return HttpClient::request_body(1, "tools/call", std::move(params));
  };
  auto headers = [&](const std::string& sub) {
    return testing::Headers{{"MCP-Protocol-Version", "2026-07-28"},
                            {"Mcp-Method", "tools/call"},
                            {"Mcp-Name", "ask"},
                            {"Authorization", bearer(token(claims(sub)))}};
  };
  HttpClient c(running_->port());
  Response first = c.post(body({}), headers("alice"));
  ASSERT_EQ(first.result(), http::status::ok) << first.body();
  json::value result = json::parse(first.body()).at("result");
  ASSERT_EQ(result.at("resultType"), "input_required") << first.body();
  std::string key(result.at("inputRequests").as_object().begin()->key());
  json::object retry{
      {"requestState", result.at("requestState")},
      {"inputResponses", {{key, {{"action", "accept"}, {"content", json::object{}}}}}}};
  Response stolen = c.post(body(retry), headers("mallory"));
  EXPECT_NE(stolen.body().find("-32602"), std::string::npos) << stolen.body();
  Response own = c.post(body(retry), headers("alice"));
  EXPECT_EQ(tool_text(own), "accept") << own.body();
}

// ---- keys fetched over HTTP ------------------------------------------------------------------

// An issuer on its own HttpServer: metadata and a JWKS that the test can rotate; counts fetches.
class FakeIssuer {
 public:
  FakeIssuer() {
    HttpOptions o;
    o.routes.push_back([this](const HttpRequestInfo& r) -> Task<std::optional<HttpReply>> {
      std::lock_guard lock(mu_);
      HttpReply reply;
      reply.headers = {{"Content-Type", "application/json"}};
      if (r.path == "/.well-known/oauth-authorization-server") {
        reply.body =
            json::serialize(json::object{{"issuer", issuer()}, {"jwks_uri", issuer() + "/jwks"}});
      } else if (r.path == "/jwks") {
        ++jwks_fetches;
        if (down) {
          reply.status = 503;
          co_return reply;
        }
        reply.body = json::serialize(to_jwks(keys_));
      } else if (r.path == "/introspect") {
        last_authorization = std::string(r.header("authorization"));
        bool good = r.body.find("token=good") != std::string::npos;
        bool refresh = r.body.find("token=refresh") != std::string::npos;
        bool service = r.body.find("token=service") != std::string::npos;
        bool anonymous = r.body.find("token=nobody") != std::string::npos;
        bool active = good || refresh || service || anonymous;
        json::object a{{"active", active}};
        if (active) {
          if (good || refresh) a["sub"] = "dave";
          if (service) a["client_id"] = "batch-job";
          a["aud"] = kResource;
          a["scope"] = "docs:read";
          a["exp"] = now() + 60;
          if (refresh) a["token_type"] = "refresh_token";
        }
        ++introspections;
        reply.body = json::serialize(a);
      } else {
        co_return std::nullopt;
      }
      co_return reply;
    });
    running_ = std::make_unique<RunningHttpServer>(empty_, std::move(o));
  }
  std::string issuer() const { return "http://127.0.0.1:" + std::to_string(running_->port()); }
  void set_keys(std::vector<Jwk> keys) {
    std::lock_guard lock(mu_);
    keys_ = std::move(keys);
  }

  std::atomic<int> jwks_fetches{0};
  std::atomic<bool> down{false};
  std::atomic<int> introspections{0};
  std::string last_authorization;

 private:
  std::mutex mu_;
  std::vector<Jwk> keys_;
  Server empty_;
  std::unique_ptr<RunningHttpServer> running_;
};

// Runs a verifier's coroutine to completion on a private io_context.
TokenCheck run_verify(TokenVerifier& v, std::string token) {
  boost::asio::io_context io;
  auto f = boost::asio::co_spawn(io, v.verify(std::move(token)), boost::asio::use_future);
  io.run();
  return f.get();
}

TEST(JwtVerifier, DiscoversFetchesCachesAndFollowsRotation) {
  FakeIssuer issuer;
  Jwk k1 = Jwk::generate("RS256", "k1");
  issuer.set_keys({k1});
  JwtVerifierOptions o;
  o.issuer = issuer.issuer();
  o.audiences = {kResource};
  o.jwks_min_refresh = std::chrono::seconds(0);
  auto v = make_jwt_verifier(o);
  json::object c = claims("erin");
  c["iss"] = issuer.issuer();
  TokenCheck first = run_verify(*v, jwt_sign(c, k1));
  ASSERT_TRUE(first.info) << first.error;
  EXPECT_EQ(first.info->subject, "erin");
  EXPECT_EQ(first.info->issuer, issuer.issuer());
  EXPECT_TRUE(run_verify(*v, jwt_sign(c, k1)).info);
  EXPECT_EQ(issuer.jwks_fetches.load(), 1);  // cached
  // The issuer rotates: a token under the new kid makes the verifier fetch again.
  Jwk k2 = Jwk::generate("EdDSA", "k2");
  issuer.set_keys({k1, k2});
  TokenCheck rotated = run_verify(*v, jwt_sign(c, k2));
  EXPECT_TRUE(rotated.info) << rotated.error;
  EXPECT_EQ(issuer.jwks_fetches.load(), 2);
  // An unknown key stays refused.
  Jwk stranger = Jwk::generate("ES256", "k3");
  TokenCheck bad = run_verify(*v, jwt_sign(c, stranger));
  EXPECT_FALSE(bad.info);
  EXPECT_NE(bad.error.find("k3"), std::string::npos) << bad.error;
}

TEST(JwtVerifier, KnownKeysOutliveAnIssuerOutage) {
  FakeIssuer issuer;
  Jwk k1 = Jwk::generate("ES256", "k1");
  issuer.set_keys({k1});
  JwtVerifierOptions o;
  o.issuer = issuer.issuer();
  o.audiences = {kResource};
  o.jwks_uri = issuer.issuer() + "/jwks";
  o.jwks_cache = std::chrono::seconds(0);  // always stale
  o.jwks_min_refresh = std::chrono::seconds(0);
  auto v = make_jwt_verifier(o);
  json::object c = claims("erin");
  c["iss"] = issuer.issuer();
  ASSERT_TRUE(run_verify(*v, jwt_sign(c, k1)).info);
  issuer.down = true;
  TokenCheck during = run_verify(*v, jwt_sign(c, k1));
  EXPECT_TRUE(during.info) << during.error;
  EXPECT_GE(issuer.jwks_fetches.load(), 2);
}

TEST(JwtVerifier, OnlyAccessTokenTypesAreAccepted) {
  Jwk key = Jwk::generate("ES256", "k");
  JwtVerifierOptions o;
  o.issuer = kIssuer;
  o.audiences = {kResource};
  o.local_jwks = [&] { return json::value(to_jwks({key})); };
  auto v = make_jwt_verifier(o);
  EXPECT_TRUE(run_verify(*v, jwt_sign(claims("a"), key, "at+jwt")).info);
  EXPECT_TRUE(run_verify(*v, jwt_sign(claims("a"), key, "JWT")).info);
  TokenCheck id_token = run_verify(*v, jwt_sign(claims("a"), key, "dpop+jwt"));
  EXPECT_FALSE(id_token.info);
  EXPECT_NE(id_token.error.find("not an access token"), std::string::npos) << id_token.error;
  o.require_at_jwt = true;
  auto strict = make_jwt_verifier(o);
  EXPECT_FALSE(run_verify(*strict, jwt_sign(claims("a"), key, "JWT")).info);
  EXPECT_TRUE(run_verify(*strict, jwt_sign(claims("a"), key, "at+jwt")).info);
  // Absurd dates do not overflow: a far-future nbf is "not yet", a far-past exp "expired".
  json::object future = claims("a");
  future["nbf"] = 1e300;
  EXPECT_FALSE(run_verify(*v, jwt_sign(future, key)).info);
  json::object past = claims("a");
  past["exp"] = -1e300;
  EXPECT_FALSE(run_verify(*v, jwt_sign(past, key)).info);
}

TEST(JwtVerifier, UnreachableIssuerIsAClearRefusal) {
  JwtVerifierOptions o;
  o.issuer = "http://127.0.0.1:1";
  o.audiences = {kResource};
  o.http.connect_timeout = std::chrono::milliseconds(500);
  auto v = make_jwt_verifier(o);
  Jwk k = Jwk::generate("ES256", "k");
  TokenCheck r = run_verify(*v, jwt_sign(claims("x"), k));
  EXPECT_FALSE(r.info);
  EXPECT_NE(r.error.find("keys"), std::string::npos) << r.error;
  EXPECT_THROW(make_jwt_verifier(JwtVerifierOptions{}), std::invalid_argument);
}

TEST(IntrospectionVerifier, AsksTheServerAndCachesActiveAnswers) {
  FakeIssuer issuer;
  IntrospectionOptions o;
  o.endpoint = issuer.issuer() + "/introspect";
  o.client_id = "rs";
  o.client_secret = "s3cret";
  o.audiences = {kResource};
  auto v = make_introspection_verifier(o);
  TokenCheck good = run_verify(*v, "good");
  ASSERT_TRUE(good.info) << good.error;
  EXPECT_EQ(good.info->subject, "dave");
  EXPECT_TRUE(good.info->has_scope("docs:read"));
  EXPECT_EQ(issuer.last_authorization, "Basic cnM6czNjcmV0");
  EXPECT_TRUE(run_verify(*v, "good").info);
  EXPECT_EQ(issuer.introspections.load(), 1);
  TokenCheck bad = run_verify(*v, "revoked");
  EXPECT_FALSE(bad.info);
  EXPECT_NE(bad.error.find("not active"), std::string::npos);
  // A refresh token is not an access token, even when the server says it is active.
  TokenCheck refresh = run_verify(*v, "refresh");
  EXPECT_FALSE(refresh.info);
  EXPECT_NE(refresh.error.find("not an access token"), std::string::npos) << refresh.error;
  // Without a subject, the client stands in (sessions and tasks are bound to it); with neither,
  // the token is refused.
  TokenCheck service = run_verify(*v, "service");
  ASSERT_TRUE(service.info) << service.error;
  EXPECT_EQ(service.info->subject, "client:batch-job");
  EXPECT_FALSE(run_verify(*v, "nobody").info);
  // An answer for another audience is refused.
  IntrospectionOptions other = o;
  other.audiences = {"https://other.example.com/mcp"};
  EXPECT_FALSE(run_verify(*make_introspection_verifier(other), "good").info);
}

}  // namespace
}  // namespace mcpp::auth
