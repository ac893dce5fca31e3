// Reading an access token's claims into an AuthInfo (see token_claims.hpp).
#include "auth/token_claims.hpp"

#include <algorithm>

namespace mcpp::auth {

std::vector<std::string> scopes_of(const json::object& claims) {
  std::vector<std::string> out;
  auto split = [&](std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t j = s.find(' ', i);
      if (j == std::string_view::npos) j = s.size();
      if (j > i) out.emplace_back(s.substr(i, j - i));
      i = j + 1;
    }
  };
  if (const json::value* s = find(claims, "scope"); s && s->is_string()) split(s->get_string());
  if (const json::value* s = find(claims, "scp")) {
    if (s->is_string()) split(s->get_string());
    if (s->is_array()) {
      for (const auto& v : s->get_array()) {
        if (v.is_string()) out.emplace_back(v.get_string());
      }
    }
  }
  return out;
}

std::optional<std::int64_t> int_claim(const json::object& claims, std::string_view name) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 53;
  const json::value* v = find(claims, name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return std::clamp(v->get_int64(), -kLimit, kLimit);
  if (v->is_uint64())
    return v->get_uint64() > std::uint64_t(kLimit) ? kLimit : std::int64_t(v->get_uint64());
  if (v->is_double()) {
    double d = v->get_double();
    if (!(d > -9.0e15 && d < 9.0e15)) return d > 0 ? kLimit : -kLimit;  // NaN too
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::shared_ptr<AuthInfo> info_from(json::object claims) {
  auto info = std::make_shared<AuthInfo>();
  info->subject = std::string(find_string(claims, "sub"));
  info->client_id = std::string(find_string(claims, "client_id"));
  if (info->client_id.empty()) info->client_id = std::string(find_string(claims, "azp"));
  info->issuer = std::string(find_string(claims, "iss"));
  info->scopes = scopes_of(claims);
  info->expires_at = int_claim(claims, "exp").value_or(0);
  info->claims = std::move(claims);
  return info;
}

}  // namespace mcpp::auth
