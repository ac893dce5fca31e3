// Access token claims read into an AuthInfo: the scope forms, the client id fallback and the
// clamped NumericDate claims, as both the JWT, introspection and in-process verifiers see them.
#include "auth/token_claims.hpp"

#include <gtest/gtest.h>

namespace mcpp::auth {
namespace {

using Scopes = std::vector<std::string>;

TEST(TokenClaims, ScopesFromScopeAndScp) {
  EXPECT_EQ(scopes_of(json::object{{"scope", "a  b c "}}), (Scopes{"a", "b", "c"}));
  EXPECT_EQ(scopes_of(json::object{{"scp", "x y"}}), (Scopes{"x", "y"}));
  EXPECT_EQ(scopes_of(json::object{{"scope", "a"}, {"scp", json::array{"b", 1, "c"}}}),
            (Scopes{"a", "b", "c"}));
  EXPECT_TRUE(scopes_of(json::object{{"scope", 7}}).empty());
  EXPECT_TRUE(scopes_of(json::object{}).empty());
}

TEST(TokenClaims, IntegerClaimsAreClamped) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 53;
  EXPECT_EQ(int_claim(json::object{{"exp", 1700000000}}, "exp"), 1700000000);
  EXPECT_EQ(int_claim(json::object{{"exp", 1.7e9}}, "exp"), 1700000000);
  EXPECT_EQ(int_claim(json::object{{"exp", std::uint64_t(1) << 63}}, "exp"), kLimit);
  EXPECT_EQ(int_claim(json::object{{"exp", -1e300}}, "exp"), -kLimit);
  EXPECT_EQ(int_claim(json::object{{"exp", "soon"}}, "exp"), std::nullopt);
  EXPECT_EQ(int_claim(json::object{}, "exp"), std::nullopt);
}

TEST(TokenClaims, InfoFromClaims) {
  json::object claims{{"sub", "alice"},      {"client_id", "app"}, {"azp", "other"},
                      {"iss", "https://as"}, {"scope", "r w"},     {"exp", 1700000000}};
  auto info = info_from(claims);
  EXPECT_EQ(info->subject, "alice");
  EXPECT_EQ(info->client_id, "app");
  EXPECT_EQ(info->issuer, "https://as");
  EXPECT_EQ(info->scopes, (Scopes{"r", "w"}));
  EXPECT_EQ(info->expires_at, 1700000000);
  EXPECT_EQ(info->claims, claims);

  auto bare = info_from(json::object{{"azp", "spa"}});
  EXPECT_EQ(bare->client_id, "spa") << "azp stands in for a missing client_id";
  EXPECT_TRUE(bare->subject.empty());
  EXPECT_TRUE(bare->scopes.empty());
  EXPECT_EQ(bare->expires_at, 0);
}

}  // namespace
}  // namespace mcpp::auth
