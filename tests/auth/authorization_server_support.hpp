// Fixtures of the authorization server tests: an AuthorizationServer behind a real HttpServer
// (recreated on the same database to test restarts), a browser that keeps cookies, and helpers
// for the login form, the token endpoint and PKCE.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>

#include "../transport/http_test_client.hpp"
#include "auth/auth_store.hpp"
#include "auth/authz_http.hpp"
#include "auth/crypto.hpp"
#include "auth/jwt.hpp"
#include "auth/password_hash.hpp"
#include "mcpp/auth/authorization_server.hpp"

namespace mcpp::auth::test {

namespace http = boost::beast::http;
using mcpp::testing::Response;
using namespace std::chrono_literals;

inline constexpr const char* kPassword = "correct horse battery staple";

// An HTTP response's interesting parts.
struct Reply {
  int status = 0;
  std::string body;
  std::string location;
  std::string content_type;
  std::string cache_control;
  std::string www_authenticate;
  std::vector<std::string> set_cookies;
  std::string header(std::string_view name) const {
    return headers.count(std::string(name)) ? headers.at(std::string(name)) : "";
  }
  std::map<std::string, std::string> headers;  // lowercase names (last value)
  json::value json() const { return json::parse(body); }
  std::string error() const {
    json::value v = json::parse(body);
    return std::string(find_string(v, "error"));
  }
};

// Query parameters of a URL (after '?').
inline std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  auto q = url.find('?');
  if (q == std::string::npos) return out;
  auto pairs = authz::parse_form(url.substr(q + 1));
  if (pairs) {
    for (auto& [k, v] : *pairs) out[k] = v;
  }
  return out;
}

inline std::string form(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += authz::form_encode(k) + "=" + authz::form_encode(v);
  }
  return out;
}

// A user agent on the server's port: keeps cookies, never follows redirects.
class Browser {
 public:
  explicit Browser(std::uint16_t port) : port_(port) {}

  Reply send(http::verb verb, const std::string& target, const std::string& body = "",
             mcpp::testing::Headers headers = {}) {
    mcpp::testing::HttpClient c(port_);
    std::string jar;
    for (const auto& [k, v] : cookies) jar += (jar.empty() ? "" : "; ") + k + "=" + v;
    if (!jar.empty()) headers.emplace_back("Cookie", jar);
    Response r = c.request(verb, target, body, headers);
    Reply out;
    out.status = static_cast<int>(r.result_int());
    out.body = r.body();
    for (const auto& f : r) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      out.headers[name] = std::string(f.value());
      if (name == "set-cookie") {
        std::string v(f.value());
        out.set_cookies.push_back(v);
        auto eq = v.find('=');
        auto semi = v.find(';');
        cookies[v.substr(0, eq)] = v.substr(eq + 1, semi - eq - 1);
      }
    }
    out.location = out.header("location");
    out.content_type = out.header("content-type");
    out.cache_control = out.header("cache-control");
    out.www_authenticate = out.header("www-authenticate");
    return out;
  }
  Reply get(const std::string& target) { return send(http::verb::get, target); }
  Reply post_form(const std::string& target, const std::string& body,
                  mcpp::testing::Headers headers = {}) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return send(http::verb::post, target, body, std::move(headers));
  }
  Reply post_json(const std::string& target, const json::value& body) {
    return send(http::verb::post, target, json::serialize(body),
                {{"Content-Type", "application/json"}});
  }

  std::map<std::string, std::string> cookies;

 private:
  std::uint16_t port_;
};

// The path and query of an absolute URL on the test server.
inline std::string target_of(const std::string& url) {
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}
// The path of an absolute URL, "" for none (so that path + "/token" is a target).
inline std::string path_of(const std::string& url) {
  std::string t = target_of(url);
  return t == "/" ? "" : t;
}

// A hidden input's value on a page.
inline std::string hidden_value(const std::string& html, const std::string& name) {
  std::smatch m;
  std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  return std::regex_search(html, m, re) ? m[1].str() : std::string();
}

struct Pkce {
  std::string verifier = random_token(32);
  std::string challenge = pkce_challenge(verifier);
};

// An AuthorizationServer served by an HttpServer on a free port; the AS can be destroyed and
// recreated on the same database while the HTTP server keeps running.
class AuthorizationServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mcpp-as-test-" + random_token(6));
    std::filesystem::create_directories(dir_);
    users_file_ = (dir_ / "users.txt").string();
    std::ofstream(users_file_) << "# test users\nalice:" << hash_password(kPassword, 1000)
                               << "\nbob:" << hash_password("bobs secret", 1000) << "\n";
  }
  void TearDown() override {
    http_.reset();
    as_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Starts the HTTP server (once) and the AS with `tweak` applied to the default options.
  void start(std::function<void(AuthorizationServerOptions&)> tweak = {},
             std::string issuer_path = "") {
    if (!http_) {
      HttpOptions h;
      h.routes.push_back([this](const HttpRequestInfo& r) -> Task<std::optional<HttpReply>> {
        for (auto& extra : extra_routes) {
          if (auto reply = co_await extra(r)) co_return reply;
        }
        AuthorizationServer* as = current_.load();
        if (!as) co_return std::nullopt;
        co_return co_await as->route()(r);
      });
      http_ = std::make_unique<mcpp::testing::RunningHttpServer>(mcp_, h);
      origin = "http://127.0.0.1:" + std::to_string(http_->port());
    }
    issuer = origin + issuer_path;
    resource = origin + "/mcp";
    AuthorizationServerOptions o;
    o.issuer = issuer;
    o.database_path = (dir_ / "auth.sqlite").string();
    o.resources = {resource, origin + "/other-mcp"};
    o.scopes_supported = {"mcp", "files:read", "files:write"};
    o.users_file = users_file_;
    o.clock = [this] {
      return std::chrono::system_clock::now() + std::chrono::seconds(skew.load());
    };
    if (tweak) tweak(o);
    current_.store(nullptr);
    as_.reset();
    as_ = std::make_unique<AuthorizationServer>(o);
    current_.store(as_.get());
  }
  void stop_as() {
    current_.store(nullptr);
    as_.reset();
  }

  std::uint16_t port() const { return http_->port(); }
  Browser browser() const { return Browser(http_->port()); }
  AuthorizationServer& as() { return *as_; }

  // Registers a public native client with one redirect URI.
  void add_client(const std::string& id = "test-client",
                  std::vector<std::string> redirects = {"http://127.0.0.1:9/callback"},
                  std::string secret = "") {
    ClientRegistration c;
    c.client_id = id;
    c.client_name = "Test Client";
    c.redirect_uris = std::move(redirects);
    c.client_secret = std::move(secret);
    as_->register_client(c);
  }

  // The authorization URL's path and query.
  std::string authorize_target(const Pkce& pkce,
                               std::vector<std::pair<std::string, std::string>> extra = {},
                               const std::string& client_id = "test-client",
                               const std::string& redirect = "http://127.0.0.1:9/callback") {
    std::vector<std::pair<std::string, std::string>> q{{"response_type", "code"},
                                                       {"client_id", client_id},
                                                       {"redirect_uri", redirect},
                                                       {"state", "xyz-state"},
                                                       {"code_challenge", pkce.challenge},
                                                       {"code_challenge_method", "S256"},
                                                       {"resource", resource}};
    for (auto& [k, v] : extra) {
      bool replaced = false;
      for (auto& [qk, qv] : q) {
        if (qk == k) qv = v, replaced = true;
      }
      if (!replaced) q.emplace_back(k, v);
    }
    std::vector<std::pair<std::string, std::string>> kept;
    for (auto& p : q) {
      if (p.second != "<omit>") kept.push_back(p);
    }
    return path_of(issuer) + "/authorize?" + form(kept);
  }

  // Opens the login page, signs in as alice and approves; returns the redirect (Location).
  std::string approve(Browser& b, const std::string& target, const std::string& user = "alice",
                      const std::string& password = kPassword) {
    Reply page = b.get(target);
    EXPECT_EQ(page.status, 200) << page.body;
    std::string body = form({{"request_id", hidden_value(page.body, "request_id")},
                             {"csrf", hidden_value(page.body, "csrf")},
                             {"username", user},
                             {"password", password},
                             {"decision", "approve"}});
    Reply r = b.post_form(path_of(issuer) + "/authorize/decision", body);
    EXPECT_EQ(r.status, 303) << r.body;
    return r.location;
  }

  // The code of a successful authorization (state and iss checked).
  std::string code_for(const Pkce& pkce,
                       std::vector<std::pair<std::string, std::string>> extra = {}) {
    Browser b = browser();
    std::string location = approve(b, authorize_target(pkce, std::move(extra)));
    auto q = query_of(location);
    EXPECT_EQ(q["state"], "xyz-state");
    EXPECT_EQ(q["iss"], issuer);
    EXPECT_FALSE(q["code"].empty()) << location;
    return q["code"];
  }

  Reply token(std::vector<std::pair<std::string, std::string>> params,
              mcpp::testing::Headers headers = {}) {
    Browser b = browser();
    return b.post_form(path_of(issuer) + "/token", form(params), std::move(headers));
  }
  Reply exchange(const std::string& code, const Pkce& pkce,
                 const std::string& client_id = "test-client") {
    return token({{"grant_type", "authorization_code"},
                  {"code", code},
                  {"redirect_uri", "http://127.0.0.1:9/callback"},
                  {"code_verifier", pkce.verifier},
                  {"client_id", client_id},
                  {"resource", resource}});
  }
  Reply refresh(const std::string& refresh_token, const std::string& client_id = "test-client") {
    return token({{"grant_type", "refresh_token"},
                  {"refresh_token", refresh_token},
                  {"client_id", client_id}});
  }

  // The published keys, fetched over HTTP.
  std::vector<Jwk> fetched_jwks() {
    Browser b = browser();
    Reply r = b.get(path_of(issuer) + "/jwks.json");
    EXPECT_EQ(r.status, 200);
    return parse_jwks(json::parse(r.body));
  }

  mcpp::Server mcp_;
  std::string origin;
  std::string issuer;
  std::string resource;
  std::atomic<std::int64_t> skew{0};  // seconds added to the AS's clock
  std::vector<HttpRoute> extra_routes;
  std::filesystem::path dir_;
  std::string users_file_;

 private:
  std::unique_ptr<mcpp::testing::RunningHttpServer> http_;
  std::unique_ptr<AuthorizationServer> as_;
  std::atomic<AuthorizationServer*> current_{nullptr};
};

}  // namespace mcpp::auth::test
