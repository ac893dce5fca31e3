// Small building blocks of the auth layer: base64url and percent-encoding; on OpenSSL, SHA-256,
// HMAC, random tokens and constant-time comparison.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mcpp::auth {

// base64url without padding (RFC 4648 §5, as JWS and PKCE use it).
std::string base64url_encode(std::string_view bytes);
// Decodes base64url; padding is accepted but not required. std::nullopt on any invalid input.
std::optional<std::string> base64url_decode(std::string_view text);

// Percent-encodes every byte but the RFC 3986 unreserved ones (for form bodies, queries and
// HTTP Basic credentials, RFC 6749 §2.3.1).
std::string percent_encode(std::string_view s);

// Raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);
// Lowercase hex of SHA-256.
std::string sha256_hex(std::string_view data);
// Raw HMAC-SHA256.
std::string hmac_sha256(std::string_view key, std::string_view data);

// `bytes` bytes from the OS CSPRNG, as base64url (so 32 bytes give 43 characters).
std::string random_token(std::size_t bytes = 32);

// Compares without leaking where the first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);

// PKCE S256: base64url(SHA-256(verifier)).
std::string pkce_challenge(std::string_view verifier);

}  // namespace mcpp::auth
