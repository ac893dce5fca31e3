// Reading an access token's claims (a JWT's payload or an RFC 7662 introspection answer) into
// an AuthInfo: shared by the token verifiers of the resource server.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpp/json.hpp"
#include "mcpp/server.hpp"

namespace mcpp::auth {

// The scopes granted: "scope" (space-separated, RFC 8693/9068) and "scp" (a string or an array
// of strings, as some providers send), in that order.
std::vector<std::string> scopes_of(const json::object& claims);

// An integer (NumericDate) claim, clamped to ±2^53 so that adding leeway cannot overflow;
// std::nullopt when absent or not a number.
std::optional<std::int64_t> int_claim(const json::object& claims, std::string_view name);

// Who the token speaks for: sub, client_id (azp when absent), iss, the scopes, exp (0 when
// absent) and every claim.
std::shared_ptr<AuthInfo> info_from(json::object claims);

}  // namespace mcpp::auth
