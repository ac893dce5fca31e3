// Client ID metadata document fetches: one resolution, checked addresses, a connection to
// exactly those, a deadline and a body limit (see metadata_fetch.hpp).
#include "auth/metadata_fetch.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <memory>
#include <stdexcept>

#include "auth/authz_http.hpp"

namespace mcpp::auth::authz {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

bool public_v4(const asio::ip::address_v4& a) {
  auto b = a.to_bytes();
  // 0/8 "this network", 10/8 private, 127/8 loopback, 224/4 multicast, 240/4 reserved.
  if (b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224) return false;
  if (b[0] == 169 && b[1] == 254) return false;                            // link-local
  if (b[0] == 172 && (b[1] & 0xf0) == 16) return false;                    // private
  if (b[0] == 192 && b[1] == 168) return false;                            // private
  if (b[0] == 100 && (b[1] & 0xc0) == 64) return false;                    // carrier-grade NAT
  if (b[0] == 198 && (b[1] & 0xfe) == 18) return false;                    // benchmarking
  if (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2)) return false;  // IETF, TEST-NET-1
  if (b[0] == 192 && b[1] == 88 && b[2] == 99) return false;               // 6to4 relays
  if (b[0] == 198 && b[1] == 51 && b[2] == 100) return false;              // TEST-NET-2
  if (b[0] == 203 && b[1] == 0 && b[2] == 113) return false;               // TEST-NET-3
  return true;
}

bool public_v6(const asio::ip::address_v6& a) {
  if (a.is_v4_mapped()) return public_v4(asio::ip::make_address_v4(asio::ip::v4_mapped, a));
  auto b = a.to_bytes();
  // Global unicast is 2000::/3. Everything else (::, ::1, IPv4-compatible, NAT64 64:ff9b::/96
  // and 64:ff9b:1::/48, 100::/64, unique local fc00::/7, link-local, multicast) is refused.
  if ((b[0] & 0xe0) != 0x20) return false;
  if (b[0] == 0x20 && b[1] == 0x02) return false;                                  // 6to4
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) return false;  // Teredo
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // docs
  return true;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string describe(const error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

// Sends the GET and reads the answer (the body only for 200).
template <class Stream>
Task<FetchedDocument> exchange(Stream& stream, const http::request<http::empty_body>& request,
                               const DocumentFetchOptions& o) {
  error_code ec;
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) throw std::runtime_error("it could not be fetched (" + describe(ec) + ").");
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  // The limit applies to the body of a 200 only (set after the header: a Content-Length beyond
  // it would otherwise fail the header read, and hide the status of an error page).
  parser.body_limit(boost::none);
  co_await http::async_read_header(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) throw std::runtime_error("it could not be fetched (" + describe(ec) + ").");
  FetchedDocument out;
  out.status = static_cast<int>(parser.get().result_int());
  out.cache_control = std::string(parser.get()[http::field::cache_control]);
  if (out.status != 200) co_return out;
  const auto too_large = [&] {
    return std::runtime_error("it is larger than " + std::to_string(o.max_bytes) + " bytes.");
  };
  if (parser.content_length() && *parser.content_length() > o.max_bytes) throw too_large();
  parser.body_limit(o.max_bytes);  // chunked, or up to the end of the stream
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == http::error::body_limit) throw too_large();
  if (ec) throw std::runtime_error("it could not be fetched (" + describe(ec) + ").");
  out.body = std::move(parser.get().body());
  co_return out;
}

}  // namespace

bool is_public_address(const asio::ip::address& address) {
  return address.is_v6() ? public_v6(address.to_v6()) : public_v4(address.to_v4());
}

Task<FetchedDocument> fetch_document(std::string url, const DocumentFetchOptions& o) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !authority_is_whole(*parsed)) {
    throw std::runtime_error("the client_id is not a valid URL.");
  }
  const boost::urls::url_view& u = *parsed;
  const std::string scheme = lowercase(u.scheme());
  const bool tls = scheme == "https";
  if (!tls && !(o.insecure && scheme == "http")) {
    throw std::runtime_error("only https URLs are fetched.");
  }
  const std::string host = lowercase(u.encoded_host_address());
  if (host.empty() || host.find('%') != std::string::npos) {
    throw std::runtime_error("the URL has no usable host.");
  }
  const std::string port = u.has_port() ? std::string(u.port()) : (tls ? "443" : "80");
  if (!o.insecure && port != "443") {
    throw std::runtime_error("the URL must use the https port (443).");
  }
  std::string target(u.encoded_target());
  if (target.empty()) target = "/";

  // One resolution; the connection goes to these addresses and no others.
  auto ex = co_await asio::this_coro::executor;
  std::vector<tcp::endpoint> endpoints;
  if (o.resolve) {
    endpoints = co_await o.resolve(host, port);
  } else {
    tcp::resolver resolver(ex);
    error_code ec;
    auto results =
        co_await resolver.async_resolve(host, port, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) throw std::runtime_error(host + " cannot be resolved (" + ec.message() + ").");
    for (const auto& r : results) endpoints.push_back(r.endpoint());
  }
  if (endpoints.empty()) throw std::runtime_error(host + " has no address.");
  const auto refused = [&](const tcp::endpoint& e) {
    return !o.insecure && !is_public_address(e.address());
  };
  if (std::any_of(endpoints.begin(), endpoints.end(), refused)) {
    throw std::runtime_error(host + " resolves to a private or loopback address.");
  }

  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, std::string(u.encoded_host_and_port()));
  request.set(http::field::accept, "application/json");
  request.set(http::field::user_agent, "mcpp-authorization-server");
  request.set(http::field::connection, "close");

  asio::ssl::context ssl(asio::ssl::context::tls_client);
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  std::unique_ptr<beast::tcp_stream> plain;
  if (tls) {
    ssl.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    ssl.set_verify_mode(asio::ssl::verify_peer);
    error_code ec;
    if (o.ca_file.empty()) {
      ssl.set_default_verify_paths(ec);
    } else {
      ssl.load_verify_file(o.ca_file, ec);
    }
    if (ec) throw std::runtime_error("it could not be fetched (TLS trust: " + ec.message() + ").");
    secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ex, ssl);
  } else {
    plain = std::make_unique<beast::tcp_stream>(ex);
  }
  beast::tcp_stream& lowest = tls ? beast::get_lowest_layer(*secure) : *plain;
  lowest.expires_after(o.timeout);  // one deadline for everything that follows

  error_code ec;
  co_await lowest.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) throw std::runtime_error("it could not be fetched (" + describe(ec) + ").");
  tcp::endpoint peer = lowest.socket().remote_endpoint(ec);
  if (ec || (!o.insecure && !is_public_address(peer.address()))) {
    throw std::runtime_error(host + " resolves to a private or loopback address.");
  }
  if (!tls) co_return co_await exchange(*plain, request, o);

  if (u.host_type() == boost::urls::host_type::name &&
      !::SSL_ctrl(secure->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(host.c_str()))) {
    throw std::runtime_error("it could not be fetched (TLS: cannot set the server name).");
  }
  secure->set_verify_callback(asio::ssl::host_name_verification(host));
  co_await secure->async_handshake(asio::ssl::stream_base::client,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) throw std::runtime_error("it could not be fetched (TLS: " + describe(ec) + ").");
  co_return co_await exchange(*secure, request, o);
}

}  // namespace mcpp::auth::authz
