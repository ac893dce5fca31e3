// Fuzzes JWT and JWK handling. The first byte picks what the rest is:
//  0: a compact JWS. jwt_decode and jwt_verify fail only with JwtError; verify never accepts
//     it under our keys; a decoded token's claims signed again verify to the same claims.
//  1: a JWK (JSON). from_json fails only with JwtError; a key it accepts exports a public JWK
//     that imports to the same public JWK; its verify() of the input as data and signature
//     returns without throwing.
//  2: a JWK Set (JSON). parse_jwks never throws for a JSON value and keeps only usable keys;
//     to_jwks of them parses to the same number of keys.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/jwt.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace mcpp;
using namespace mcpp::auth;

const std::vector<Jwk>& our_keys() {
  static const std::vector<Jwk> keys = {Jwk::generate("ES256", "es"), Jwk::generate("EdDSA", "ed"),
                                        Jwk::generate("RS256", "rs")};
  return keys;
}

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

void fuzz_token(std::string_view token) {
  std::optional<DecodedJwt> decoded;
  try {
    decoded = jwt_decode(token);
  } catch (const JwtError&) {
  }
  try {
    jwt_verify(token, our_keys());
    fuzz::fail("a token we did not sign verified", token);
  } catch (const JwtError&) {
  }
  if (!decoded) return;
  for (const Jwk& key : our_keys()) {
    std::string signed_token = jwt_sign(decoded->claims, key);
    auto back = jwt_verify(signed_token, our_keys());
    fuzz::check(back.claims == decoded->claims, "claims survive sign and verify");
    fuzz::check(back.header.at("alg").as_string() == key.alg(), "the header names the alg");
  }
}

void fuzz_jwk(std::string_view text) {
  auto v = parse_json(text);
  if (!v || !v->is_object()) return;
  std::optional<Jwk> key;
  try {
    key = Jwk::from_json(v->get_object());
  } catch (const JwtError&) {
    return;
  }
  json::object pub = key->public_json();
  try {
    Jwk again = Jwk::from_json(pub);
    fuzz::check(again.public_json() == pub, "public JWK export/import is stable",
                json::serialize(pub));
    fuzz::check(!again.has_private(), "a public export has no private part");
  } catch (const JwtError& e) {
    fuzz::fail("an exported public JWK does not import", e.what());
  }
  fuzz::check(!key->verify(text, text), "the input is not its own signature");
  if (key->has_private()) {
    // Only keys OpenSSL accepted for signing: a signature of ours must verify.
    std::string sig;
    try {
      sig = key->sign("data");
    } catch (const JwtError&) {
      return;  // an inconsistent private key is refused at use
    }
    fuzz::check(key->verify("data", sig), "a key verifies its own signature");
  }
}

void fuzz_jwks(std::string_view text) {
  auto v = parse_json(text);
  if (!v) return;
  std::vector<Jwk> keys;
  try {
    keys = parse_jwks(*v);
  } catch (const JwtError&) {
    return;  // not a JWK Set at all
  }
  auto back = parse_jwks(json::value(to_jwks(keys)));
  fuzz::check(back.size() == keys.size(), "to_jwks/parse_jwks keeps every key");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest = fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      fuzz_token(rest);
      break;
    case 1:
      fuzz_jwk(rest);
      break;
    default:
      fuzz_jwks(rest);
      break;
  }
  return 0;
}
