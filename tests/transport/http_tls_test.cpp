// HTTPS: a self-signed certificate made with the OpenSSL API, one initialize over TLS, and clear
// errors for bad TLS settings.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <filesystem>

#include "http_test_client.hpp"

namespace mcpp {
namespace {

using testing::RunningHttpServer;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

// Writes a self-signed EC certificate for CN=localhost and its key as PEM files.
void make_self_signed(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* f = std::fopen(cert_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

class HttpsServer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mcpp_tls_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
    cert_ = (dir_ / "cert.pem").string();
    key_ = (dir_ / "key.pem").string();
    make_self_signed(cert_, key_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string cert_;
  std::string key_;
};

TEST_F(HttpsServer, InitializeOverTls) {
  Server server;
  HttpOptions o;
  o.tls_certificate_file = cert_;
  o.tls_private_key_file = key_;
  RunningHttpServer https(server, o);

  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);  // self-signed
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  beast::get_lowest_layer(stream).expires_after(5s);
  http::response<http::string_body> res;
  auto done = asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await beast::get_lowest_layer(stream).async_connect(
            asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), https.port()),
            asio::use_awaitable);
        co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
        http::request<http::string_body> req{http::verb::post, "/mcp", 11};
        req.set(http::field::host, "localhost:" + std::to_string(https.port()));
        req.set(http::field::content_type, "application/json");
        req.set(http::field::accept, "application/json, text/event-stream");
        req.body() = json::serialize(json::value{
            {"jsonrpc", "2.0"},
            {"id", 1},
            {"method", "initialize"},
            {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object{}}}}});
        req.prepare_payload();
        co_await http::async_write(stream, req, asio::use_awaitable);
        beast::flat_buffer buffer;
        co_await http::async_read(stream, buffer, res, asio::use_awaitable);
      },
      asio::use_future);
  io.run();
  done.get();
  EXPECT_EQ(res.result(), http::status::ok) << res.body();
  EXPECT_EQ(res["Mcp-Session-Id"].size(), 32u);
  EXPECT_EQ(json::parse(res.body()).at("result").at("protocolVersion"), "2025-11-25");
}

TEST_F(HttpsServer, PlainHttpToATlsPortGetsNothing) {
  Server server;
  HttpOptions o;
  o.tls_certificate_file = cert_;
  o.tls_private_key_file = key_;
  RunningHttpServer https(server, o);
  testing::HttpClient plain(https.port());
  plain.write_raw("GET /mcp HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_TRUE(plain.closed_by_server(3s));
}

TEST_F(HttpsServer, BadTlsSettingsSayWhatIsWrong) {
  Server server;
  HttpOptions half;
  half.tls_certificate_file = cert_;
  EXPECT_THROW(HttpServer(server, half), std::invalid_argument);
  HttpOptions missing;
  missing.tls_certificate_file = (dir_ / "nope.pem").string();
  missing.tls_private_key_file = key_;
  try {
    HttpServer s(server, missing);
    FAIL() << "expected an error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mcpp
