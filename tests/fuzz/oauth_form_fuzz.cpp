// Fuzzes the OAuth form and query parsing: the authorization server's form parser (token,
// revoke, authorize and consent endpoints) and the client's reading of the redirect back.
// Invariants: a decoded form, encoded again pair by pair, decodes to the same pairs; Params
// accepts exactly what parse_form accepts within the parameter cap and names the first repeated
// parameter; the client's query_params reads a valid query as the same pairs; checking an
// authorization response fails only with OAuthError; a redirect URI matches itself.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "auth/authz_http.hpp"
#include "auth/oauth_flow.hpp"
#include "fuzz_check.hpp"
#include "mcpp/auth/oauth_client.hpp"

namespace {

using namespace mcpp;
using namespace mcpp::auth;

std::size_t count_items(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t amp = std::min(text.find('&', start), text.size());
    if (amp > start) ++n;
    start = amp + 1;
  }
  return n;
}

void fuzz_form(std::string_view text) {
  auto pairs = authz::parse_form(text);
  std::string why;
  auto params = authz::Params::parse(text, &why);
  const bool within_cap = count_items(text) <= authz::kMaxFormParams;
  fuzz::check(params.has_value() == (pairs.has_value() && within_cap),
              "Params accepts what parse_form accepts, up to the cap", why);
  fuzz::check(params.has_value() || !why.empty(), "a refused form says why");
  if (!pairs) return;

  std::string encoded;
  for (const auto& [name, value] : *pairs) {
    if (!encoded.empty()) encoded += '&';
    encoded += authz::form_encode(name) + "=" + authz::form_encode(value);
  }
  auto again = authz::parse_form(encoded);
  // An empty name encodes to an empty "=value" item, which still decodes to that pair.
  fuzz::check(again.has_value() && *again == *pairs, "form decode/encode/decode is stable",
              encoded);

  if (params) {
    std::set<std::string, std::less<>> seen;
    std::string first_repeat;
    for (const auto& [name, value] : *pairs) {
      if (!name.empty() && !seen.insert(name).second && first_repeat.empty()) first_repeat = name;
      fuzz::check(params->has(name), "Params has every name");
    }
    fuzz::check(params->duplicate() == first_repeat, "duplicate() names the first repeat");
  }

  if (text.find('#') == std::string_view::npos) {
    auto from_query = oauth::query_params("https://client.example/cb?" + std::string(text));
    fuzz::check(from_query == *pairs, "the client reads a valid query as the server does",
                std::string(text));
  }
}

void fuzz_callback(std::string_view url) {
  try {
    std::string code = oauth::check_authorization_response(url, "st", "https://as.example", true);
    fuzz::check(!code.empty(), "an accepted response has a code");
  } catch (const OAuthError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  fuzz_form(text);
  fuzz_callback(text);
  if (authz::split_uri(text)) {
    fuzz::check(authz::redirect_uri_matches(text, text), "a redirect URI matches itself",
                std::string(text));
  }
  (void)authz::check_redirect_uri(text, "native");
  (void)authz::check_redirect_uri(text, "web");
  return 0;
}
