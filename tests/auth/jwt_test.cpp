// JWK import/export and JWS sign/verify for RS256, ES256 and EdDSA, plus the checks that refuse
// forged, altered and unsigned tokens.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>

#include "auth/crypto.hpp"

namespace mcpp::auth {
namespace {

class JwtAlgTest : public ::testing::TestWithParam<const char*> {};

TEST_P(JwtAlgTest, SignsAndVerifiesThroughPublicJwk) {
  Jwk key = Jwk::generate(GetParam(), "k1");
  json::object claims{{"sub", "alice"}, {"aud", "https://mcp.example.com/mcp"}};
  std::string token = jwt_sign(claims, key, "at+jwt");
  // The verifier knows only the published key.
  std::vector<Jwk> published = parse_jwks(to_jwks({key}));
  ASSERT_EQ(published.size(), 1u);
  EXPECT_FALSE(published[0].has_private());
  DecodedJwt d = jwt_verify(token, published);
  EXPECT_EQ(find_string(d.claims, "sub"), "alice");
  EXPECT_EQ(find_string(d.header, "typ"), "at+jwt");
  EXPECT_EQ(find_string(d.header, "kid"), "k1");
  EXPECT_EQ(find_string(d.header, "alg"), GetParam());
}

TEST_P(JwtAlgTest, PrivateJwkRoundTripsAndStillSigns) {
  Jwk key = Jwk::generate(GetParam(), "k2");
  Jwk again = Jwk::from_json(key.private_json());
  EXPECT_TRUE(again.has_private());
  EXPECT_EQ(again.kid(), "k2");
  std::string token = jwt_sign(json::object{{"n", 1}}, again);
  EXPECT_NO_THROW(jwt_verify(token, {key}));
  EXPECT_EQ(json::serialize(again.public_json()), json::serialize(key.public_json()));
}

TEST_P(JwtAlgTest, AlteredPayloadIsRefused) {
  Jwk key = Jwk::generate(GetParam(), "k");
  std::string token = jwt_sign(json::object{{"sub", "alice"}}, key);
  auto dot1 = token.find('.');
  auto dot2 = token.find('.', dot1 + 1);
  std::string forged =
      token.substr(0, dot1 + 1) + base64url_encode(R"({"sub":"mallory"})") + token.substr(dot2);
  EXPECT_THROW(jwt_verify(forged, {key}), JwtError);
}

TEST_P(JwtAlgTest, AnotherKeyWithTheSameKidIsRefused) {
  Jwk key = Jwk::generate(GetParam(), "same");
  Jwk other = Jwk::generate(GetParam(), "same");
  std::string token = jwt_sign(json::object{{"sub", "alice"}}, other);
  EXPECT_THROW(jwt_verify(token, {key}), JwtError);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwtAlgTest, ::testing::Values("RS256", "ES256", "EdDSA"));

TEST(Jwt, UnsignedAndConfusedAlgorithmsAreRefused) {
  Jwk key = Jwk::generate("ES256", "k");
  std::string body = base64url_encode(R"({"sub":"alice"})");
  std::string none = base64url_encode(R"({"alg":"none"})") + "." + body + ".";
  EXPECT_THROW(jwt_verify(none, {key}), JwtError);
  // An HS256 token "signed" with the public key as a secret is not accepted by an ES256 key.
  std::string hs_input = base64url_encode(R"({"alg":"HS256","kid":"k"})") + "." + body;
  std::string hs =
      hs_input + "." + base64url_encode(hmac_sha256(json::serialize(key.public_json()), hs_input));
  EXPECT_THROW(jwt_verify(hs, {key}), JwtError);
}

TEST(Jwt, MalformedTokensGiveClearErrors) {
  Jwk key = Jwk::generate("ES256", "k");
  for (std::string bad : {"", "abc", "a.b", "a.b.c.d", "!!.e30.sig", "e30.!!.sig", "e30.e30.*"}) {
    try {
      jwt_verify(bad, {key});
      ADD_FAILURE() << "accepted " << bad;
    } catch (const JwtError& e) {
      EXPECT_NE(std::string(e.what()).find("JWT"), std::string::npos) << e.what();
    }
  }
  // A header that is JSON but not an object.
  std::string arr = base64url_encode("[1]") + "." + base64url_encode("{}") + ".c2ln";
  EXPECT_THROW(jwt_verify(arr, {key}), JwtError);
}

TEST(Jwt, UnknownKidIsNamed) {
  Jwk key = Jwk::generate("ES256", "old");
  Jwk fresh = Jwk::generate("ES256", "new");
  std::string token = jwt_sign(json::object{{"sub", "a"}}, fresh);
  try {
    jwt_verify(token, {key});
    FAIL();
  } catch (const JwtError& e) {
    EXPECT_NE(std::string(e.what()).find("\"new\""), std::string::npos);
  }
}

// RFC 8037 appendix A: the Ed25519 example key and signature (interoperability).
TEST(Jwt, Rfc8037Ed25519Example) {
  Jwk key = Jwk::from_json(json::object{{"kty", "OKP"},
                                        {"crv", "Ed25519"},
                                        {"d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"},
                                        {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}});
  std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  std::string expected =
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
  EXPECT_EQ(base64url_encode(key.sign(input)), expected);
  Jwk pub = Jwk::from_json(key.public_json());
  EXPECT_TRUE(pub.verify(input, *base64url_decode(expected)));
  EXPECT_EQ(find_string(key.public_json(), "x"), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
}

TEST(Jwk, BadKeysAreRefused) {
  EXPECT_THROW(Jwk::from_json(json::object{{"kty", "oct"}, {"k", "c2VjcmV0"}}), JwtError);
  EXPECT_THROW(Jwk::from_json(json::object{{"kty", "EC"}, {"crv", "P-384"}}), JwtError);
  EXPECT_THROW(Jwk::from_json(json::object{{"kty", "EC"}, {"crv", "P-256"}, {"x", "AA"}}),
               JwtError);
  EXPECT_THROW(Jwk::from_json(json::object{{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}}),
               JwtError);  // far too short
  // A point not on the curve.
  std::string x = base64url_encode(std::string(32, '\x01'));
  EXPECT_THROW(Jwk::from_json(json::object{{"kty", "EC"}, {"crv", "P-256"}, {"x", x}, {"y", x}}),
               JwtError);
  EXPECT_THROW(Jwk::generate("HS256", "k"), JwtError);
  // A JWKS skips keys it cannot use and keeps the rest.
  Jwk good = Jwk::generate("EdDSA", "ok");
  json::array keys{json::object{{"kty", "oct"}, {"k", "c2VjcmV0"}}, good.public_json()};
  EXPECT_EQ(parse_jwks(json::object{{"keys", keys}}).size(), 1u);
  EXPECT_THROW(parse_jwks(json::object{{"keys", 1}}), JwtError);
}

TEST(Crypto, Base64UrlAndPkce) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(*base64url_decode("-_8"), "\xfb\xff");
  EXPECT_FALSE(base64url_decode("a"));
  EXPECT_FALSE(base64url_decode("ab+/"));
  // RFC 7636 appendix B.
  EXPECT_EQ(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_EQ(random_token(32).size(), 43u);
  EXPECT_NE(random_token(), random_token());
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
}

}  // namespace
}  // namespace mcpp::auth
