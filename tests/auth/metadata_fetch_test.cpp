// Client ID metadata document fetches on their own: which addresses count as public, and that
// the fetch connects only to the addresses its one resolution returned (DNS rebinding), keeps to
// port 443, its deadline and its body limit.
#include "auth/metadata_fetch.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdio>
#include <filesystem>

#include "../transport/http_test_client.hpp"
#include "auth/crypto.hpp"

namespace mcpp::auth::authz {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

TEST(AuthzMetadataFetch, PublicAddresses) {
  struct Case {
    const char* address;
    bool is_public;
  };
  for (const Case& c : std::vector<Case>{
           {"93.184.216.34", true},
           {"8.8.8.8", true},
           {"2606:4700::1111", true},
           {"0.1.2.3", false},
           {"10.1.2.3", false},
           {"127.0.0.1", false},
           {"169.254.169.254", false},
           {"172.16.0.1", false},
           {"172.31.255.255", false},
           {"172.32.0.1", true},
           {"192.168.1.1", false},
           {"100.64.0.1", false},
           {"198.18.0.1", false},
           {"198.19.255.255", false},
           {"198.20.0.1", true},
           {"192.0.2.1", false},
           {"224.0.0.1", false},
           {"255.255.255.255", false},
           {"::", false},
           {"::1", false},
           {"::127.0.0.1", false},
           {"::ffff:127.0.0.1", false},
           {"::ffff:8.8.8.8", true},
           {"64:ff9b::7f00:1", false},
           {"64:ff9b:1::a00:1", false},
           {"2002:7f00:1::1", false},
           {"2001:0:4136:e378::1", false},
           {"2001:db8::1", false},
           {"fc00::1", false},
           {"fd12:3456::1", false},
           {"fe80::1", false},
           {"ff02::1", false},
       }) {
    EXPECT_EQ(is_public_address(asio::ip::make_address(c.address)), c.is_public) << c.address;
  }
}

class AuthzMetadataFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpOptions h;
    h.routes.push_back([this](const HttpRequestInfo& r) -> Task<std::optional<HttpReply>> {
      if (r.path != "/client.json") co_return std::nullopt;
      ++fetches;
      HttpReply reply;
      reply.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "max-age=77"}};
      reply.body = body;
      co_return reply;
    });
    // The fetch sends the Host of its URL, whatever it resolved to.
    h.allowed_hosts = {"rebind.example"};
    http = std::make_unique<mcpp::testing::RunningHttpServer>(mcp, h);
    loopback = tcp::endpoint(asio::ip::make_address("127.0.0.1"), http->port());
  }

  // Runs one fetch to completion; the error message, or "" with the result in `out`.
  std::string run(const std::string& url, DocumentFetchOptions options, FetchedDocument* out) {
    asio::io_context io;
    auto future = asio::co_spawn(
        io,
        [&]() -> Task<std::string> {
          try {
            FetchedDocument d = co_await fetch_document(url, options);
            if (out) *out = std::move(d);
            co_return std::string();
          } catch (const std::runtime_error& e) {
            co_return std::string(e.what());
          }
        },
        asio::use_future);
    io.run();
    return future.get();
  }

  // A resolver that answers `endpoints` for any name and counts its calls.
  DocumentFetchOptions resolving_to(std::vector<tcp::endpoint> endpoints) {
    DocumentFetchOptions o;
    o.resolve = [this, endpoints](std::string, std::string) -> Task<std::vector<tcp::endpoint>> {
      ++resolutions;
      co_return endpoints;
    };
    return o;
  }

  mcpp::Server mcp;
  std::unique_ptr<mcpp::testing::RunningHttpServer> http;
  tcp::endpoint loopback;
  std::string body = R"({"client_id":"x"})";
  std::atomic<int> fetches{0};
  int resolutions = 0;
};

// The connection goes to the addresses the one resolution returned: "rebind.example" is
// resolved once (here, to the test server) and never looked up again.
TEST_F(AuthzMetadataFetchTest, ConnectsOnlyToTheCheckedAddresses) {
  DocumentFetchOptions o = resolving_to({loopback});
  o.insecure = true;
  FetchedDocument d;
  std::string error = run("http://rebind.example/client.json", o, &d);
  ASSERT_EQ(error, "");
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.body, body);
  EXPECT_EQ(d.cache_control, "max-age=77");
  EXPECT_EQ(resolutions, 1);
  EXPECT_EQ(fetches.load(), 1);
}

TEST_F(AuthzMetadataFetchTest, PrivateAddressesAreRefusedBeforeConnecting) {
  // One public and one loopback address: refused, nothing is sent anywhere.
  DocumentFetchOptions o =
      resolving_to({tcp::endpoint(asio::ip::make_address("93.184.216.34"), 443), loopback});
  std::string error = run("https://rebind.example/client.json", o, nullptr);
  EXPECT_NE(error.find("private or loopback"), std::string::npos) << error;
  o = resolving_to({tcp::endpoint(asio::ip::make_address("::ffff:127.0.0.1"), 443)});
  error = run("https://rebind.example/client.json", o, nullptr);
  EXPECT_NE(error.find("private or loopback"), std::string::npos) << error;
  EXPECT_EQ(fetches.load(), 0);
}

TEST_F(AuthzMetadataFetchTest, OnlyHttpsOnPort443) {
  DocumentFetchOptions o = resolving_to({loopback});
  EXPECT_NE(run("https://client.example:8443/client.json", o, nullptr).find("443"),
            std::string::npos);
  EXPECT_NE(run("http://client.example/client.json", o, nullptr).find("https"), std::string::npos);
  EXPECT_EQ(resolutions, 0) << "refused before resolving";
}

TEST_F(AuthzMetadataFetchTest, BodyLimitStatusAndDeadline) {
  DocumentFetchOptions o = resolving_to({loopback});
  o.insecure = true;
  o.max_bytes = 10;
  std::string error = run("http://rebind.example/client.json", o, nullptr);
  EXPECT_NE(error.find("larger than 10 bytes"), std::string::npos) << error;
  FetchedDocument d;
  EXPECT_EQ(run("http://rebind.example/missing.json", o, &d), "");
  EXPECT_EQ(d.status, 404);

  // A server that accepts and never answers: the deadline ends the fetch.
  asio::io_context silent_io;
  tcp::acceptor silent(silent_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  o = resolving_to({silent.local_endpoint()});
  o.insecure = true;
  o.timeout = 300ms;
  auto started = std::chrono::steady_clock::now();
  error = run("http://rebind.example/client.json", o, nullptr);
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

// A self-signed certificate for the DNS name rebind.example, and its key, as PEM files.
struct TestCertificate {
  explicit TestCertificate(const std::filesystem::path& dir) {
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -300);
    X509_gmtime_adj(X509_getm_notAfter(x), 86'400);
    X509_set_pubkey(x, pkey);
    X509_NAME* subject = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("rebind.example"), -1, -1, 0);
    X509_set_issuer_name(x, subject);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:rebind.example");
    X509_add_ext(x, san, -1);
    X509_EXTENSION_free(san);
    X509_EXTENSION* ca =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(x, ca, -1);
    X509_EXTENSION_free(ca);
    X509_sign(x, pkey, EVP_sha256());
    if (FILE* f = std::fopen(cert.c_str(), "w")) {
      PEM_write_X509(f, x);
      std::fclose(f);
    }
    if (FILE* f = std::fopen(key.c_str(), "w")) {
      PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
      std::fclose(f);
    }
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
  std::string cert, key;
};

// Over TLS: the certificate must be trusted and name the URL's host (SNI and host-name
// verification use the URL's host, not the address it resolved to).
TEST_F(AuthzMetadataFetchTest, TlsChecksTheCertificateAgainstTheUrlsHost) {
  auto dir = std::filesystem::temp_directory_path() / ("mcpp-fetch-tls-" + random_token(6));
  std::filesystem::create_directories(dir);
  TestCertificate certificate(dir);
  HttpOptions h;
  h.tls_certificate_file = certificate.cert;
  h.tls_private_key_file = certificate.key;
  h.allowed_hosts = {"rebind.example", "other.example"};
  h.routes.push_back([this](const HttpRequestInfo& r) -> Task<std::optional<HttpReply>> {
    if (r.path != "/client.json") co_return std::nullopt;
    HttpReply reply;
    reply.body = body;
    co_return reply;
  });
  mcpp::testing::RunningHttpServer https(mcp, h);
  std::string port = std::to_string(https.port());
  DocumentFetchOptions o =
      resolving_to({tcp::endpoint(asio::ip::make_address("127.0.0.1"), https.port())});
  o.insecure = true;  // loopback, and a port other than 443
  o.ca_file = certificate.cert;
  FetchedDocument d;
  EXPECT_EQ(run("https://rebind.example:" + port + "/client.json", o, &d), "");
  EXPECT_EQ(d.body, body);
  std::string error = run("https://other.example:" + port + "/client.json", o, nullptr);
  EXPECT_NE(error.find("TLS"), std::string::npos) << "a certificate for another name: " << error;
  o.ca_file.clear();
  error = run("https://rebind.example:" + port + "/client.json", o, nullptr);
  EXPECT_NE(error.find("TLS"), std::string::npos) << "an untrusted certificate: " << error;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace mcpp::auth::authz
