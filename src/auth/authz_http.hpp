// HTTP pieces of the authorization server: form and query decoding, cookies, OAuth error and
// JSON replies, HTML escaping, and the redirect URI rules of each application type.
#pragma once

#include <boost/url/url_view.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpp/json.hpp"
#include "mcpp/transport/http.hpp"

namespace mcpp::auth::authz {

// False when a parsed URI's authority did not end where a browser's would: Boost.URL 1.81 reads
// "http://127.0.0.1.evil.example/cb" as host 127.0.0.1 and path ".evil.example/cb" (an address
// followed by more name, also "[::1]x"). After an authority the path is empty or starts with
// '/' (RFC 3986 §3.3, path-abempty); anything else is refused, never taken for the address.
inline bool authority_is_whole(const boost::urls::url_view& u) {
  if (!u.has_authority()) return true;
  std::string_view path = u.encoded_path();
  return path.empty() || path.front() == '/';
}

// application/x-www-form-urlencoded (also a query string) decoded into its pairs, in order.
// std::nullopt on a bad percent escape.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view text);
// Percent-decodes ('+' is a space when `plus_as_space`); std::nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space);
// Form-encodes one value (unreserved characters kept, the rest %XX).
std::string form_encode(std::string_view text);

// Most parameters a form may carry: no OAuth request needs more than a few dozen, and a bound
// keeps the work per request small.
inline constexpr std::size_t kMaxFormParams = 256;
// Largest form body the authorization server's endpoints read (/token, /revoke, /authorize,
// /authorize/decision): far more than any OAuth request needs.
inline constexpr std::size_t kMaxFormBytes = 64 * 1024;

// A decoded form with the OAuth rule that no parameter may appear twice.
class Params {
 public:
  // std::nullopt when the text is not a valid form (a bad escape, invalid UTF-8) or has more
  // than kMaxFormParams parameters; `why`, when given, then says which. `duplicate` names a
  // repeated parameter.
  static std::optional<Params> parse(std::string_view text, std::string* why = nullptr);
  // The value of `name`, "" when absent.
  std::string get(std::string_view name) const;
  bool has(std::string_view name) const;
  // The first parameter that appears more than once, "" when none does.
  const std::string& duplicate() const { return duplicate_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
  std::string duplicate_;
};

// The value of cookie `name` in a Cookie header, "" when absent.
std::string cookie(const HttpRequestInfo& request, std::string_view name);
// The media type of Content-Type, lowercase, without parameters.
std::string media_type(const HttpRequestInfo& request);

// A JSON reply with Cache-Control: no-store (every OAuth endpoint's answers).
HttpReply json_reply(int status, const json::value& body);
// An OAuth error reply (RFC 6749 §5.2): {"error", "error_description"}.
HttpReply oauth_error(int status, std::string_view error, std::string_view description);
// An HTML page with the security headers of the login pages.
HttpReply html_reply(int status, std::string body);
// A 303 redirect.
HttpReply redirect_reply(std::string_view location);

// `url` with `params` appended to its query (form-encoded).
std::string add_query(std::string_view url,
                      const std::vector<std::pair<std::string, std::string>>& params);

// HTML text escaping (also fit for attribute values in double quotes).
std::string html_escape(std::string_view text);

// The parts of an absolute URI the redirect rules look at.
struct UriParts {
  std::string scheme;  // lowercase
  std::string host;    // lowercase, without [] for IPv6
  std::string port;    // "" when absent
  std::string path;
  bool has_fragment = false;
  bool has_userinfo = false;
};
std::optional<UriParts> split_uri(std::string_view uri);
// mcpp::is_loopback_host (transport/http_security.hpp): "localhost", strict dotted-quad
// 127.0.0.0/8, ::1 (brackets or not).
bool is_loopback(std::string_view host);

// Checks one redirect URI for an application type ("web", "native", or "" for a client ID
// metadata document, which may use either kind): https, or http on loopback. Private-use
// schemes (com.example.app:/cb, RFC 8252 §7.1) only for native clients the operator registered
// (`private_use_scheme`): MCP requires https or localhost redirect URIs, and a scheme anyone may
// register gives no assurance where the answer goes. Returns an error description, "" when the
// URI is acceptable.
std::string check_redirect_uri(std::string_view uri, std::string_view application_type,
                               bool private_use_scheme = false);
// Does the redirect URI of a request match a registered one? Exact string match, except that
// the port of a loopback IP literal (http://127.0.0.1, http://[::1]) may differ (RFC 8252 §7.3).
bool redirect_uri_matches(std::string_view registered, std::string_view requested);

// A canonical resource identifier for comparison: lowercase scheme and host; the rest as is.
std::string canonical_resource(std::string_view uri);

}  // namespace mcpp::auth::authz
