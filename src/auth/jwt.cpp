// JWK import/export and JWS (compact) signing and verification for RS256, ES256 and EdDSA on
// the OpenSSL 3 EVP API.
#include "auth/jwt.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <array>

#include "auth/crypto.hpp"

namespace mcpp::auth {

namespace {

enum class Kind { kRsa, kEc, kEd25519 };

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string member(const json::object& jwk, std::string_view name, bool required = true) {
  const json::value* v = find(jwk, name);
  if (!v) {
    if (required) throw JwtError("JWK: \"" + std::string(name) + "\" is missing");
    return {};
  }
  if (!v->is_string()) throw JwtError("JWK: \"" + std::string(name) + "\" must be a string");
  auto raw = base64url_decode(v->get_string());
  if (!raw || raw->empty()) {
    throw JwtError("JWK: \"" + std::string(name) + "\" is not base64url");
  }
  return *raw;
}

Bn to_bn(std::string_view big_endian) {
  Bn bn(BN_bin2bn(bytes(big_endian), static_cast<int>(big_endian.size()), nullptr));
  if (!bn) throw JwtError("JWK: out of memory");
  return bn;
}

std::string from_bn(const BIGNUM* bn, int pad = 0) {
  int n = pad > 0 ? pad : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(n), '\0');
  if (pad > 0) {
    if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), pad) != pad) {
      throw JwtError("JWK: number too large");
    }
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

std::string get_bn_param(EVP_PKEY* pkey, const char* name, int pad = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return {};
  Bn bn(raw);
  return from_bn(bn.get(), pad);
}

Pkey from_params(const char* type, OSSL_PARAM_BLD* bld, bool with_private) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &pkey, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                              params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!ok) throw JwtError(std::string("JWK: OpenSSL refused the ") + type + " key");
  return Pkey(pkey);
}

struct ParamBuilder {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::vector<Bn> keep;  // BIGNUMs must outlive the builder's to_param
  ~ParamBuilder() { OSSL_PARAM_BLD_free(bld); }
  void bn(const char* name, std::string_view value) {
    keep.push_back(to_bn(value));
    OSSL_PARAM_BLD_push_BN(bld, name, keep.back().get());
  }
};

Pkey rsa_from_jwk(const json::object& jwk, bool& has_private) {
  ParamBuilder b;
  std::string n = member(jwk, "n");
  if (n.size() < 256) throw JwtError("JWK: RSA keys must have at least 2048 bits");
  b.bn(OSSL_PKEY_PARAM_RSA_N, n);
  b.bn(OSSL_PKEY_PARAM_RSA_E, member(jwk, "e"));
  has_private = jwk.contains("d");
  if (has_private) {
    b.bn(OSSL_PKEY_PARAM_RSA_D, member(jwk, "d"));
    if (jwk.contains("p")) {
      b.bn(OSSL_PKEY_PARAM_RSA_FACTOR1, member(jwk, "p"));
      b.bn(OSSL_PKEY_PARAM_RSA_FACTOR2, member(jwk, "q"));
      b.bn(OSSL_PKEY_PARAM_RSA_EXPONENT1, member(jwk, "dp"));
      b.bn(OSSL_PKEY_PARAM_RSA_EXPONENT2, member(jwk, "dq"));
      b.bn(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, member(jwk, "qi"));
    }
  }
  return from_params("RSA", b.bld, has_private);
}

Pkey ec_from_jwk(const json::object& jwk, bool& has_private) {
  if (find_string(jwk, "crv") != "P-256") {
    throw JwtError("JWK: only the EC curve P-256 is supported (ES256)");
  }
  std::string x = member(jwk, "x"), y = member(jwk, "y");
  if (x.size() != 32 || y.size() != 32) throw JwtError("JWK: P-256 x and y must be 32 bytes");
  std::string point = "\x04" + x + y;
  ParamBuilder b;
  OSSL_PARAM_BLD_push_utf8_string(b.bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(b.bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  has_private = jwk.contains("d");
  if (has_private) b.bn(OSSL_PKEY_PARAM_PRIV_KEY, member(jwk, "d"));
  return from_params("EC", b.bld, has_private);
}

Pkey ed_from_jwk(const json::object& jwk, bool& has_private) {
  if (find_string(jwk, "crv") != "Ed25519") throw JwtError("JWK: only the OKP curve Ed25519");
  has_private = jwk.contains("d");
  EVP_PKEY* p = nullptr;
  if (has_private) {
    std::string d = member(jwk, "d");
    if (d.size() != 32) throw JwtError("JWK: Ed25519 d must be 32 bytes");
    p = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(d), d.size());
  } else {
    std::string x = member(jwk, "x");
    if (x.size() != 32) throw JwtError("JWK: Ed25519 x must be 32 bytes");
    p = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(x), x.size());
  }
  if (!p) throw JwtError("JWK: OpenSSL refused the Ed25519 key");
  return Pkey(p);
}

// ES256 signatures are r||s (RFC 7518 §3.4); OpenSSL speaks DER.
std::string der_to_raw(const std::string& der) {
  const unsigned char* p = bytes(der);
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) throw JwtError("ES256: OpenSSL produced an unreadable signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string out = from_bn(r, 32) + from_bn(s, 32);
  ECDSA_SIG_free(sig);
  return out;
}

std::optional<std::string> raw_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(bytes(raw), 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  int len = i2d_ECDSA_SIG(sig, nullptr);
  std::string der(static_cast<std::size_t>(len > 0 ? len : 0), '\0');
  unsigned char* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);
  return der;
}

json::value decode_part(std::string_view part, std::string_view what) {
  auto raw = base64url_decode(part);
  if (!raw) throw JwtError("JWT: the " + std::string(what) + " is not base64url");
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) {
    throw JwtError("JWT: the " + std::string(what) + " is not a JSON object");
  }
  return v;
}

}  // namespace

struct Jwk::Impl {
  Pkey pkey;
  Kind kind = Kind::kEc;
  std::string alg;
  std::string kid;
  bool has_private = false;
};

Jwk::Jwk(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Jwk Jwk::generate(std::string_view alg, std::string kid) {
  auto impl = std::make_shared<Impl>();
  impl->alg = std::string(alg);
  impl->kid = std::move(kid);
  impl->has_private = true;
  EVP_PKEY* p = nullptr;
  if (alg == "RS256") {
    impl->kind = Kind::kRsa;
    p = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  } else if (alg == "ES256") {
    impl->kind = Kind::kEc;
    p = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (alg == "EdDSA") {
    impl->kind = Kind::kEd25519;
    p = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    throw JwtError("unsupported JWS algorithm \"" + std::string(alg) +
                   "\" (RS256, ES256 or EdDSA)");
  }
  if (!p) throw JwtError("key generation failed for " + std::string(alg));
  impl->pkey.reset(p);
  return Jwk(std::move(impl));
}

Jwk Jwk::from_json(const json::object& jwk) {
  auto impl = std::make_shared<Impl>();
  std::string_view kty = find_string(jwk, "kty");
  std::string_view alg = find_string(jwk, "alg");
  if (kty == "RSA") {
    impl->kind = Kind::kRsa;
    impl->pkey = rsa_from_jwk(jwk, impl->has_private);
    impl->alg = alg.empty() ? "RS256" : std::string(alg);
    if (impl->alg != "RS256") throw JwtError("JWK: RSA keys are used with RS256 only");
  } else if (kty == "EC") {
    impl->kind = Kind::kEc;
    impl->pkey = ec_from_jwk(jwk, impl->has_private);
    impl->alg = alg.empty() ? "ES256" : std::string(alg);
    if (impl->alg != "ES256") throw JwtError("JWK: P-256 keys are used with ES256 only");
  } else if (kty == "OKP") {
    impl->kind = Kind::kEd25519;
    impl->pkey = ed_from_jwk(jwk, impl->has_private);
    impl->alg = alg.empty() ? "EdDSA" : std::string(alg);
    if (impl->alg != "EdDSA") throw JwtError("JWK: Ed25519 keys are used with EdDSA only");
  } else {
    throw JwtError("JWK: unsupported kty \"" + std::string(kty) + "\" (RSA, EC or OKP)");
  }
  impl->kid = std::string(find_string(jwk, "kid"));
  return Jwk(std::move(impl));
}

const std::string& Jwk::kid() const {
  return impl_->kid;
}
const std::string& Jwk::alg() const {
  return impl_->alg;
}
bool Jwk::has_private() const {
  return impl_->has_private;
}

json::object Jwk::public_json() const {
  EVP_PKEY* p = impl_->pkey.get();
  json::object o;
  switch (impl_->kind) {
    case Kind::kRsa:
      o["kty"] = "RSA";
      o["n"] = base64url_encode(get_bn_param(p, OSSL_PKEY_PARAM_RSA_N));
      o["e"] = base64url_encode(get_bn_param(p, OSSL_PKEY_PARAM_RSA_E));
      break;
    case Kind::kEc: {
      o["kty"] = "EC";
      o["crv"] = "P-256";
      std::array<unsigned char, 65> point{};
      size_t len = 0;
      if (EVP_PKEY_get_octet_string_param(p, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(),
                                          &len) != 1 ||
          len != 65 || point[0] != 4) {
        throw JwtError("JWK: cannot export the P-256 public key");
      }
      std::string_view all(reinterpret_cast<const char*>(point.data()), len);
      o["x"] = base64url_encode(all.substr(1, 32));
      o["y"] = base64url_encode(all.substr(33, 32));
      break;
    }
    case Kind::kEd25519: {
      o["kty"] = "OKP";
      o["crv"] = "Ed25519";
      std::array<unsigned char, 32> x{};
      size_t len = x.size();
      if (EVP_PKEY_get_raw_public_key(p, x.data(), &len) != 1) {
        throw JwtError("JWK: cannot export the Ed25519 public key");
      }
      o["x"] = base64url_encode(std::string_view(reinterpret_cast<const char*>(x.data()), len));
      break;
    }
  }
  if (!impl_->kid.empty()) o["kid"] = impl_->kid;
  o["alg"] = impl_->alg;
  o["use"] = "sig";
  return o;
}

json::object Jwk::private_json() const {
  if (!impl_->has_private) throw JwtError("JWK: this key has no private part");
  EVP_PKEY* p = impl_->pkey.get();
  json::object o = public_json();
  switch (impl_->kind) {
    case Kind::kRsa:
      o["d"] = base64url_encode(get_bn_param(p, OSSL_PKEY_PARAM_RSA_D));
      o["p"] = base64url_encode(get_bn_param(p, OSSL_PKEY_PARAM_RSA_FACTOR1));
      o["q"] = base64url_encode(get_bn_param(p, OSSL_PKEY_PARAM_RSA_FACTOR2));
      o["dp"] = base64url_encode(get_bn_param(p, OSSL_PKEY_PARAM_RSA_EXPONENT1));
      o["dq"] = base64url_encode(get_bn_param(p, OSSL_PKEY_PARAM_RSA_EXPONENT2));
      o["qi"] = base64url_encode(get_bn_param(p, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
      break;
    case Kind::kEc:
      o["d"] = base64url_encode(get_bn_param(p, OSSL_PKEY_PARAM_PRIV_KEY, 32));
      break;
    case Kind::kEd25519: {
      std::array<unsigned char, 32> d{};
      size_t len = d.size();
      if (EVP_PKEY_get_raw_private_key(p, d.data(), &len) != 1) {
        throw JwtError("JWK: cannot export the Ed25519 private key");
      }
      o["d"] = base64url_encode(std::string_view(reinterpret_cast<const char*>(d.data()), len));
      break;
    }
  }
  return o;
}

std::string Jwk::sign(std::string_view data) const {
  if (!impl_->has_private) throw JwtError("JWS: cannot sign with a public key");
  MdCtx ctx(EVP_MD_CTX_new());
  const EVP_MD* md = impl_->kind == Kind::kEd25519 ? nullptr : EVP_sha256();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, impl_->pkey.get()) != 1) {
    throw JwtError("JWS: signing failed to start");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, bytes(data), data.size()) != 1) {
    throw JwtError("JWS: signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(data),
                     data.size()) != 1) {
    throw JwtError("JWS: signing failed");
  }
  sig.resize(len);
  return impl_->kind == Kind::kEc ? der_to_raw(sig) : sig;
}

bool Jwk::verify(std::string_view data, std::string_view signature) const {
  std::string der;
  if (impl_->kind == Kind::kEc) {
    auto converted = raw_to_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  MdCtx ctx(EVP_MD_CTX_new());
  const EVP_MD* md = impl_->kind == Kind::kEd25519 ? nullptr : EVP_sha256();
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, impl_->pkey.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(data),
                          data.size()) == 1;
}

std::vector<Jwk> parse_jwks(const json::value& jwks) {
  const json::value* keys = find(jwks, "keys");
  if (!keys || !keys->is_array()) throw JwtError("JWKS: \"keys\" must be an array");
  std::vector<Jwk> out;
  for (const auto& k : keys->get_array()) {
    if (!k.is_object()) continue;
    std::string_view use = find_string(k, "use");
    if (!use.empty() && use != "sig") continue;
    try {
      out.push_back(Jwk::from_json(k.get_object()));
    } catch (const JwtError&) {
      // A key of a kind we do not use (another curve, an encryption key) is skipped.
    }
  }
  return out;
}

json::object to_jwks(const std::vector<Jwk>& keys) {
  json::array arr;
  for (const auto& k : keys) arr.push_back(k.public_json());
  return json::object{{"keys", std::move(arr)}};
}

std::string jwt_sign(const json::object& claims, const Jwk& key, std::string_view typ) {
  json::object header{{"alg", key.alg()}, {"typ", typ}};
  if (!key.kid().empty()) header["kid"] = key.kid();
  std::string input =
      base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(claims));
  std::string sig = key.sign(input);
  return input + "." + base64url_encode(sig);
}

DecodedJwt jwt_decode(std::string_view token) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    throw JwtError("JWT: not three dot-separated parts");
  }
  DecodedJwt d;
  d.header = decode_part(token.substr(0, first), "header").get_object();
  d.claims = decode_part(token.substr(first + 1, second - first - 1), "payload").get_object();
  auto sig = base64url_decode(token.substr(second + 1));
  if (!sig) throw JwtError("JWT: the signature is not base64url");
  d.signature = std::move(*sig);
  d.signing_input = std::string(token.substr(0, second));
  return d;
}

DecodedJwt jwt_verify(std::string_view token, const std::vector<Jwk>& keys) {
  DecodedJwt d = jwt_decode(token);
  std::string_view alg = find_string(d.header, "alg");
  if (alg.empty() || alg == "none") throw JwtError("JWT: unsigned tokens are refused");
  if (find(d.header, "crit")) throw JwtError("JWT: critical header extensions are not supported");
  std::string_view kid = find_string(d.header, "kid");
  const Jwk* chosen = nullptr;
  int candidates = 0;
  for (const auto& k : keys) {
    if (k.alg() != alg) continue;
    if (!kid.empty()) {
      if (k.kid() == kid) chosen = &k;
    } else {
      ++candidates;
      chosen = &k;
    }
  }
  if (!chosen) {
    throw JwtError(kid.empty() ? "JWT: no " + std::string(alg) + " key to check it with"
                               : "JWT: unknown key id \"" + std::string(kid) + "\"");
  }
  if (kid.empty() && candidates > 1) {
    // Without a kid, try each key of the algorithm.
    for (const auto& k : keys) {
      if (k.alg() == alg && k.verify(d.signing_input, d.signature)) return d;
    }
    throw JwtError("JWT: the signature does not verify");
  }
  if (!chosen->verify(d.signing_input, d.signature)) {
    throw JwtError("JWT: the signature does not verify");
  }
  return d;
}

}  // namespace mcpp::auth
