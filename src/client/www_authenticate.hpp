// Parsing of HTTP authentication challenges (the WWW-Authenticate header, RFC 9110 §11.6.1):
// several challenges, auth-params with token or quoted-string values, token68.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpp {

struct HttpChallenge {
  std::string scheme;   // lowercase ("bearer", "basic", ...)
  std::string token68;  // the token68 form ("Negotiate abc=="); empty when params are used
  std::vector<std::pair<std::string, std::string>> params;  // names lowercase, values unquoted

  // A parameter's value ("" when absent); `name` in lowercase. The first one wins.
  std::string param(std::string_view name) const;
  bool has(std::string_view name) const;
};

// Every challenge of a WWW-Authenticate value (several headers joined with ", " are one value).
// Lenient: a malformed part ends the parse and what came before it is returned.
std::vector<HttpChallenge> parse_www_authenticate(std::string_view header);

// The first challenge with scheme `scheme` (case-insensitive), or nullptr.
const HttpChallenge* find_challenge(const std::vector<HttpChallenge>& challenges,
                                    std::string_view scheme);

}  // namespace mcpp
