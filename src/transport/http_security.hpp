// Checks every HTTP request passes before it reaches a session: DNS-rebinding protection (the
// Host and Origin headers against allow-lists) and media-type negotiation (Accept, Content-Type).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mcpp/transport/http.hpp"

namespace mcpp {

// The one definition of "loopback" in mcpp (the transport's DNS-rebinding defaults, `mcpp serve`'s
// "no auth needed on loopback", OAuth redirect URIs and issuers, login throttling of peers):
//   - "localhost", in any case, exactly (not "localhost." nor "x.localhost": names a resolver
//     may send elsewhere);
//   - an IPv4 address in 127.0.0.0/8 written as four decimal numbers 0-255 without leading
//     zeros ("127.0.0.1"; not "127.1", "0177.0.0.1", "0x7f.0.0.1", "127.evil.example");
//   - the IPv6 loopback ::1 in any spelling, bracketed or not ("[::1]", "0:0:0:0:0:0:0:1"), and
//     IPv4-mapped 127.0.0.0/8 (::ffff:127.0.0.1, how a dual-stack socket reports a local peer);
//     no zone ("::1%lo").
// `host` is a host name or address as it appears in a URL, a Host header or a peer address.
bool is_loopback_host(std::string_view host);

// Which Host and Origin headers a server answers (see HttpOptions::allowed_hosts/origins).
class OriginPolicy {
 public:
  explicit OriginPolicy(const HttpOptions& options);

  // An empty string when the Host header is allowed, otherwise a message saying why not.
  std::string check_host(std::string_view host) const;
  // An empty string when the Origin header (empty: absent) is allowed for a request to `host`.
  std::string check_origin(std::string_view origin, std::string_view host) const;

 private:
  bool loopback_;
  std::vector<std::string> hosts_;    // lowercase
  std::vector<std::string> origins_;  // lowercase
};

// True when an Accept header value accepts `media_type` (exact, "type/*" or "*/*"; q=0 refuses).
bool accepts_media_type(std::string_view accept, std::string_view media_type);
// True when a Content-Type header value is `media_type`, parameters such as charset aside.
bool is_media_type(std::string_view content_type, std::string_view media_type);

}  // namespace mcpp
