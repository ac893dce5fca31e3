// Fuzzes the WWW-Authenticate parser. Invariants: schemes and parameter names come back
// lowercase and non-empty, a challenge has a token68 or parameters but not both, no name
// repeats within a challenge, and writing the challenges back out in canonical form (quoted
// values) parses to the same challenges.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "client/www_authenticate.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace mcpp;

bool is_lower(std::string_view s) {
  for (char c : s) {
    if (std::isupper(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string canonical(const std::vector<HttpChallenge>& challenges) {
  std::string out;
  for (const auto& c : challenges) {
    if (!out.empty()) out += ", ";
    out += c.scheme;
    if (!c.token68.empty()) {
      out += ' ';
      out += c.token68;
      continue;
    }
    bool first = true;
    for (const auto& [name, value] : c.params) {
      out += first ? " " : ", ";
      first = false;
      out += name;
      out += "=\"";
      for (char ch : value) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
      }
      out += '"';
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view header = fuzz::as_text(data, size);
  auto challenges = parse_www_authenticate(header);
  for (const auto& c : challenges) {
    fuzz::check(!c.scheme.empty() && is_lower(c.scheme), "schemes are non-empty and lowercase",
                c.scheme);
    fuzz::check(c.token68.empty() || c.params.empty(), "token68 or parameters, not both");
    std::set<std::string, std::less<>> names;
    for (const auto& [name, value] : c.params) {
      fuzz::check(!name.empty() && is_lower(name), "parameter names are non-empty and lowercase",
                  name);
      fuzz::check(names.insert(name).second, "no parameter name repeats", name);
      fuzz::check(c.has(name) && c.param(name) == value, "param() finds each parameter", name);
    }
    fuzz::check(find_challenge(challenges, c.scheme) != nullptr, "find_challenge finds a scheme");
  }
  std::string text = canonical(challenges);
  auto again = parse_www_authenticate(text);
  fuzz::check(again.size() == challenges.size(), "the canonical form has as many challenges", text);
  for (std::size_t i = 0; i < again.size(); ++i) {
    fuzz::check(again[i].scheme == challenges[i].scheme, "the same scheme", text);
    fuzz::check(again[i].token68 == challenges[i].token68, "the same token68", text);
    fuzz::check(again[i].params == challenges[i].params, "the same parameters", text);
  }
  return 0;
}
