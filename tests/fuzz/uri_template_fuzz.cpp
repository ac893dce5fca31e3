// Fuzzes RFC 6570 URI templates. Input: the template, a newline, a URI, then (after another
// newline) values for the variables, one per line. Invariants: a malformed template fails only
// with std::invalid_argument; variables() names each variable once; matching the URI and
// expanding with the values never throw; what the template expands to with no variables
// defined matches the template again; matched names are the template's variables; matching is
// deterministic.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "fuzz_check.hpp"
#include "protocol/uri_template.hpp"

namespace {

using namespace mcpp;

std::optional<UriTemplate> try_parse(std::string_view text) {
  try {
    return UriTemplate(text);
  } catch (const std::invalid_argument& e) {
    fuzz::check(std::string_view(e.what()).size() > 0, "a template error says why");
    return std::nullopt;
  }
}

void check_match(const UriTemplate& t, std::string_view uri) {
  auto m = t.match(uri);
  auto again = t.match(uri);
  fuzz::check(m.has_value() == again.has_value() && (!m || *m == *again),
              "matching is deterministic", uri);
  if (!m) return;
  std::set<std::string, std::less<>> names(t.variables().begin(), t.variables().end());
  for (const auto& [name, value] : *m) {
    fuzz::check(names.contains(name), "a match only names the template's variables", name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [tmpl_text, rest] = fuzz::split_once(fuzz::as_text(data, size), '\n');
  auto [uri, values] = fuzz::split_once(rest, '\n');
  auto t = try_parse(tmpl_text);
  if (!t) return 0;
  fuzz::check(t->str() == tmpl_text, "str() is the template");
  std::set<std::string, std::less<>> seen;
  for (const auto& name : t->variables()) {
    fuzz::check(seen.insert(name).second, "variables() lists a name once", name);
  }
  check_match(*t, uri);

  std::string bare = t->expand({});
  fuzz::check(t->match(bare).has_value(),
              "a template matches its own expansion with every variable undefined", bare);

  // Values from the input: variable i takes line i; every third one as a list, split on ','.
  UriTemplate::Variables vars;
  std::size_t i = 0;
  for (const auto& name : t->variables()) {
    if (values.empty()) break;
    auto [line, after] = fuzz::split_once(values, '\n');
    values = after;
    if (i++ % 3 == 2) {
      std::vector<std::string> list;
      for (std::string_view v = line;;) {
        auto [item, more] = fuzz::split_once(v, ',');
        list.emplace_back(item);
        if (more.data() == nullptr || item.size() == v.size()) break;
        v = more;
      }
      vars.emplace(name, std::move(list));
    } else {
      vars.emplace(name, std::string(line));
    }
  }
  std::string expanded = t->expand(vars);
  fuzz::check(t->expand(vars) == expanded, "expansion is deterministic");
  check_match(*t, expanded);
  return 0;
}
