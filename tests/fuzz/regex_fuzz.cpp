// Fuzzes the ECMA-262 pattern engine of JSON Schema's "pattern". Input: the pattern, a NUL byte,
// then the text. Invariants: compile fails only with std::invalid_argument; a pattern that
// compiles also compiles inside a non-capturing group, an alternation with a never-matching
// branch, and with "[\s\S]*" around it, and all of these search the same as the pattern.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "fuzz_check.hpp"
#include "protocol/json_schema_internal.hpp"

namespace {

using mcpp::schema::detail::Regex;

std::optional<Regex> try_compile(std::string_view pattern) {
  try {
    return Regex::compile(pattern);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [pattern, text] = mcpp::fuzz::split_once(mcpp::fuzz::as_text(data, size), '\0');
  auto re = try_compile(pattern);
  if (!re) return 0;
  mcpp::fuzz::check(re->source() == pattern, "source() is the pattern");
  const bool found = re->search(text);
  mcpp::fuzz::check(re->search(text) == found, "search is deterministic");

  std::string p(pattern);
  for (const std::string& variant :
       {"(?:" + p + ")", "(?:" + p + ")|[^\\s\\S]", "[\\s\\S]*?(?:" + p + ")[\\s\\S]*"}) {
    auto other = try_compile(variant);
    // The wrapped pattern is a few instructions longer, so only the size cap may refuse it.
    if (!other) continue;
    mcpp::fuzz::check(other->search(text) == found, "an equivalent pattern searches the same",
                      variant);
  }
  return 0;
}
