// JSON Web Keys and JSON Web Tokens (JWS compact form) on OpenSSL 3: RS256, ES256 and EdDSA
// (Ed25519) keys generated, imported from and exported to JWK, tokens signed and verified.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mcpp/json.hpp"

namespace mcpp::auth {

// Raised for any malformed key or token and for every failed check; what() says which.
class JwtError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A signing key (private part present) or a verification key (public only).
class Jwk {
 public:
  // A fresh key pair for "RS256" (RSA 2048), "ES256" (P-256) or "EdDSA" (Ed25519).
  static Jwk generate(std::string_view alg, std::string kid);
  // From a JWK object (kty RSA/EC/OKP; private members d,p,q,... make it a signing key). `alg`
  // is taken from the JWK or, when absent, inferred (RSA → RS256, P-256 → ES256, Ed25519 →
  // EdDSA). Throws JwtError for unsupported or malformed keys.
  static Jwk from_json(const json::object& jwk);

  const std::string& kid() const;
  const std::string& alg() const;
  bool has_private() const;
  // The public JWK (kty, crv/n/e/x/y, kid, alg, use "sig").
  json::object public_json() const;
  // The JWK with its private members (to store a signing key). Throws when there is none.
  json::object private_json() const;

  // Signs `data` (JWS signing input) → raw signature (ES256: r||s, 64 bytes).
  std::string sign(std::string_view data) const;
  // True when `signature` is valid for `data` under this key.
  bool verify(std::string_view data, std::string_view signature) const;

  struct Impl;

 private:
  explicit Jwk(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

// A JWK Set: {"keys": [...]}; keys it cannot use (unknown kty, "use":"enc") are skipped.
std::vector<Jwk> parse_jwks(const json::value& jwks);
json::object to_jwks(const std::vector<Jwk>& keys);  // public members only

// Signs `claims` with `key`: header {"alg", "typ": typ, "kid"}. Compact serialization.
std::string jwt_sign(const json::object& claims, const Jwk& key, std::string_view typ = "JWT");

struct DecodedJwt {
  json::object header;
  json::object claims;
  std::string signing_input;  // base64url(header) "." base64url(payload)
  std::string signature;      // raw
};
// Splits and decodes a compact JWS without checking anything but its form.
DecodedJwt jwt_decode(std::string_view token);
// Decodes `token` and checks its signature with the key of `keys` whose kid matches (or the
// only key of a matching alg when the token has no kid). "alg":"none" and algorithms other than
// the key's are refused. Returns the decoded token; claims are not checked here.
DecodedJwt jwt_verify(std::string_view token, const std::vector<Jwk>& keys);

}  // namespace mcpp::auth
