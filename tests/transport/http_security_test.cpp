// HTTP transport defenses: Host/Origin validation (DNS rebinding), slow and oversized requests,
// and the header parsing they rely on.
#include "transport/http_security.hpp"

#include <gtest/gtest.h>

#include "http_test_client.hpp"

namespace mcpp {
namespace {

using testing::HttpClient;
using testing::Response;
using testing::RunningHttpServer;
namespace http = testing::http;
using namespace std::chrono_literals;

json::value ping() {
  return HttpClient::request_body(1, "ping", {});
}

TEST(HttpSecurity, ForeignOriginIs403WithAJsonRpcError) {
  Server server;
  RunningHttpServer http(server);
  HttpClient c(http.port());
  c.initialize();
  Response r = c.post(ping(), {{"Origin", "https://evil.example"}});
  EXPECT_EQ(r.result(), http::status::forbidden);
  json::value v = testing::parse_body(r);
  EXPECT_NE(std::string(v.at("error").at("message").as_string()).find("Origin"), std::string::npos);
  // Local origins pass.
  EXPECT_EQ(c.post(ping(), {{"Origin", "http://localhost:6274"}}).result(), http::status::ok);
  EXPECT_EQ(c.post(ping(), {{"Origin", "http://127.0.0.1:3000"}}).result(), http::status::ok);
  EXPECT_EQ(c.post(ping(), {{"Origin", "null"}}).result(), http::status::forbidden);
}

TEST(HttpSecurity, AllowedOriginsOption) {
  Server server;
  HttpOptions o;
  o.allowed_origins = {"https://app.example.com"};
  RunningHttpServer http(server, o);
  HttpClient c(http.port());
  c.initialize();
  EXPECT_EQ(c.post(ping(), {{"Origin", "https://app.example.com"}}).result(), http::status::ok);
  EXPECT_EQ(c.post(ping(), {{"Origin", "http://localhost:1"}}).result(), http::status::forbidden);
}

TEST(HttpSecurity, ForeignHostIsRefused) {
  Server server;
  RunningHttpServer http(server);
  HttpClient c(http.port());
  Response r = c.post(ping(), {{"Host", "evil.example:80"}});
  EXPECT_EQ(r.result(), http::status::forbidden);
  EXPECT_NE(r.body().find("allowed_hosts"), std::string::npos);
  EXPECT_EQ(c.post(ping(), {{"Host", "localhost:1234"}}).result(), http::status::bad_request)
      << "a local Host passes the check (and then needs a session)";
  EXPECT_EQ(c.post(ping(), {{"Host", "[::1]:9"}}).result(), http::status::bad_request);
}

TEST(HttpSecurity, AllowedHostsOption) {
  Server server;
  HttpOptions o;
  o.allowed_hosts = {"mcp.example.com", "other.example:8443"};
  RunningHttpServer http(server, o);
  HttpClient c(http.port());
  EXPECT_EQ(c.post(ping(), {{"Host", "mcp.example.com:1"}}).result(), http::status::bad_request);
  EXPECT_EQ(c.post(ping(), {{"Host", "other.example:8443"}}).result(), http::status::bad_request);
  EXPECT_EQ(c.post(ping(), {{"Host", "other.example:1"}}).result(), http::status::forbidden);
  EXPECT_EQ(c.post(ping(), {{"Host", "127.0.0.1"}}).result(), http::status::forbidden);
}

TEST(HttpSecurity, HalfAHeaderIsDisconnectedAfterTheHeaderTimeout) {
  Server server;
  HttpOptions o;
  o.header_timeout = 300ms;
  RunningHttpServer http(server, o);
  HttpClient slow(http.port());
  auto start = std::chrono::steady_clock::now();
  slow.write_raw("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty");
  EXPECT_TRUE(slow.closed_by_server(3s));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
  // A silent connection too.
  HttpClient silent(http.port());
  EXPECT_TRUE(silent.closed_by_server(3s));
  // Others are served meanwhile.
  HttpClient c(http.port());
  c.initialize();
}

TEST(HttpSecurity, IdleKeepAliveConnectionsAreClosed) {
  Server server;
  HttpOptions o;
  o.idle_timeout = 200ms;
  RunningHttpServer http(server, o);
  HttpClient c(http.port());
  c.initialize();
  EXPECT_TRUE(c.closed_by_server(3s));
}

TEST(HttpSecurity, OversizedHeadersAre431) {
  Server server;
  HttpOptions o;
  o.max_header_bytes = 1024;
  RunningHttpServer http(server, o);
  HttpClient c(http.port());
  Response r = c.post(ping(), {{"X-Padding", std::string(4096, 'a')}});
  EXPECT_EQ(r.result(), http::status::request_header_fields_too_large);
}

TEST(HttpSecurity, MalformedHttpIs400) {
  Server server;
  RunningHttpServer http(server);
  HttpClient c(http.port());
  c.write_raw("BLAH\x01 / HTTP/9\r\n\r\n");
  EXPECT_TRUE(c.closed_by_server(3s));
  HttpClient ok(http.port());
  ok.initialize();
}

TEST(HttpSecurity, MaxConnections) {
  Server server;
  HttpOptions o;
  o.max_connections = 2;
  RunningHttpServer http(server, o);
  HttpClient a(http.port()), b(http.port());
  a.initialize();
  b.request(http::verb::get, "/nope", "", {});
  HttpClient third(http.port());
  EXPECT_TRUE(third.closed_by_server(3s));
}

TEST(HttpHeaders, AcceptMatching) {
  EXPECT_TRUE(accepts_media_type("application/json", "application/json"));
  EXPECT_TRUE(accepts_media_type("text/html, application/json;q=0.5", "application/json"));
  EXPECT_TRUE(accepts_media_type("*/*", "text/event-stream"));
  EXPECT_TRUE(accepts_media_type("text/*", "text/event-stream"));
  EXPECT_TRUE(accepts_media_type("Application/JSON", "application/json"));
  EXPECT_FALSE(accepts_media_type("application/json;q=0", "application/json"));
  EXPECT_FALSE(accepts_media_type("application/jsonx", "application/json"));
  EXPECT_FALSE(accepts_media_type("", "application/json"));
  EXPECT_TRUE(accepts_media_type("application/*;q=0.0, */*", "text/plain"));
}

TEST(HttpHeaders, ContentTypeMatching) {
  EXPECT_TRUE(is_media_type("application/json", "application/json"));
  EXPECT_TRUE(is_media_type("application/json; charset=utf-8", "application/json"));
  EXPECT_TRUE(is_media_type(" APPLICATION/json ", "application/json"));
  EXPECT_FALSE(is_media_type("text/json", "application/json"));
  EXPECT_FALSE(is_media_type("", "application/json"));
}

TEST(HttpHeaders, OriginPolicyWhenNotOnLoopback) {
  HttpOptions o;
  o.host = "0.0.0.0";
  OriginPolicy p(o);
  EXPECT_EQ(p.check_host("anything.example"), "");  // no Host check off loopback by default
  EXPECT_EQ(p.check_origin("https://mcp.example.com", "mcp.example.com"), "");
  EXPECT_NE(p.check_origin("https://evil.example", "mcp.example.com"), "");
  EXPECT_EQ(p.check_origin("", "mcp.example.com"), "");
}

// The one definition of loopback in mcpp: names and literals that could reach another machine
// (through DNS, a resolver's lenient parsing or a zone) are not loopback.
TEST(HttpHeaders, LoopbackNames) {
  struct Case {
    const char* host;
    bool loopback;
  };
  const Case cases[] = {
      {"127.0.0.1", true},
      {"127.1.2.3", true},
      {"127.255.255.255", true},
      {"::1", true},
      {"[::1]", true},
      {"0:0:0:0:0:0:0:1", true},
      {"[0000::0001]", true},
      {"::ffff:127.0.0.1", true},  // a dual-stack socket's IPv4 loopback peer
      {"[::ffff:127.9.8.7]", true},
      {"LocalHost", true},
      {"localhost", true},
      {"127.evil.example", false},
      {"127.0.0.1.nip.io", false},
      {"127.0.0.1.", false},
      {"127.1", false},  // inet_aton reads it as 127.0.0.1; a URL parser as a name
      {"127.0.1", false},
      {"0x7f.0.0.1", false},
      {"0177.0.0.1", false},
      {"127.00.0.1", false},
      {"127.0.0.256", false},
      {"127.0.0.1:80", false},
      {"127.0.0.1 ", false},
      {" 127.0.0.1", false},
      {"2130706433", false},
      {"1.2.3.4.127", false},
      {"::ffff:10.0.0.1", false},
      {"::2", false},
      {"::1%lo", false},
      {"[::1%25lo]", false},
      {"[::1", false},
      {"::", false},
      {"localhost.", false},
      {"x.localhost", false},
      {"localhost.evil.example", false},
      {"0.0.0.0", false},
      {"10.0.0.1", false},
      {"128.0.0.1", false},
      {"", false},
  };
  for (const auto& c : cases) EXPECT_EQ(is_loopback_host(c.host), c.loopback) << c.host;
}

}  // namespace
}  // namespace mcpp
