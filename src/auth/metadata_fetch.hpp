// Fetching client ID metadata documents without server-side request forgery: the host is
// resolved once, every address is checked, and the connection goes to exactly those addresses
// (no second lookup that DNS rebinding could answer differently); the connected peer is
// checked again. One HTTP/1.1 GET (TLS with SNI and host-name verification), a deadline and a
// body limit.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "mcpp/server.hpp"

namespace mcpp::auth::authz {

// False for addresses a metadata document may not be fetched from: loopback, unspecified,
// private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local, carrier-grade NAT (100.64/10),
// benchmarking (198.18/15), documentation, multicast and reserved ranges, and IPv6 forms that
// embed an IPv4 address (mapped, compatible, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4
// 2002::/16, Teredo 2001::/32), which could lead anywhere.
bool is_public_address(const boost::asio::ip::address& address);

struct DocumentFetchOptions {
  std::chrono::milliseconds timeout{5'000};  // the whole fetch after resolution
  std::size_t max_bytes = 64 * 1024;         // of the body
  // Tests and development: http: URLs, any port, loopback and private addresses.
  bool insecure = false;
  // PEM certificates to trust instead of the system's (tests).
  std::string ca_file;
  // Resolves a host and port; empty: the system resolver. (Tests substitute it.)
  std::function<Task<std::vector<boost::asio::ip::tcp::endpoint>>(std::string host,
                                                                  std::string port)>
      resolve;
};

struct FetchedDocument {
  int status = 0;
  std::string cache_control;
  std::string body;  // read only for status 200
};

// GETs `url` (https, port 443, public addresses only unless `insecure`). Throws
// std::runtime_error saying what went wrong, in words for the user ("... resolves to a private
// or loopback address.", "timed out", "larger than 65536 bytes").
Task<FetchedDocument> fetch_document(std::string url, const DocumentFetchOptions& options);

}  // namespace mcpp::auth::authz
