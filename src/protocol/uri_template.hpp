// RFC 6570 URI templates: expansion (levels 1-4) and matching of concrete URIs.
// Matching runs a Pike VM over the compiled template, so it is O(|uri| * |template|), never
// exponential.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mcpp {

class UriTemplate {
 public:
  // A variable value: a string, a list, or an associative array (ordered key/value pairs).
  // An empty list or empty associative array counts as undefined, as RFC 6570 section 2.3 says.
  using Value = std::variant<std::string, std::vector<std::string>,
                             std::vector<std::pair<std::string, std::string>>>;
  using Variables = std::map<std::string, Value, std::less<>>;
  using Matches = std::map<std::string, std::string, std::less<>>;

  // Parses; throws std::invalid_argument with a clear message (position + reason) on a malformed
  // template.
  explicit UriTemplate(std::string_view tmpl);

  const std::string& str() const { return tmpl_; }
  // Variable names in order of first appearance (each name once).
  const std::vector<std::string>& variables() const { return variables_; }

  // Expansion per RFC 6570 levels 1-4: every operator (none, +, #, ., /, ;, ?, &), explode (*)
  // and prefix (:n, counted in Unicode code points of the UTF-8 value). Missing variables are
  // undefined. A prefix modifier on a list or associative value is ignored.
  std::string expand(const Variables& vars) const;

  // Matches a concrete URI against the whole template. On success returns variable -> decoded
  // value; variables the URI leaves out are absent. Rules:
  //  - {var}, {.var}, {/var}, {;var} never match across '/', '?' or '#'; {+var} and {#var} may
  //    cross '/' ({+var} stops before a later {?..}/{&..} query or {#..} fragment expression).
  //  - An expression with several variables is split on its separator; surplus pieces go to the
  //    first exploded variable, or else to the last variable.
  //  - Exploded and list values come back as their comma-separated decoded text
  //    ({/list*} on "/a/b" gives "a,b"; {?keys*} on "?k=v&j=w" gives "k=v,j=w").
  //  - {?..} and {&..} parameters match in any order and are all optional; likewise {;..}.
  //    A parameter no expression names fails the match unless an exploded variable takes it
  //    (as "name=value"); a repeated parameter yields its values joined with ','.
  //  - A variable that occurs more than once must match the same value everywhere.
  //  - Values are percent-decoded after splitting; a malformed '%' escape is kept verbatim.
  std::optional<Matches> match(std::string_view uri) const;

 private:
  struct VarSpec {
    std::string name;
    std::size_t prefix = 0;  // 0 = no prefix modifier
    bool explode = false;
  };
  struct Expression {
    char op = '\0';  // '\0' for simple string expansion
    std::vector<VarSpec> vars;
  };
  using Part = std::variant<std::string, Expression>;  // literal (already URI-encoded) or {...}

  // One instruction of the matching program.
  struct Inst {
    enum class Kind : std::uint8_t { kChar, kClass, kSplit, kJmp, kSave, kMatch };
    Kind kind = Kind::kMatch;
    unsigned char ch = 0;  // kChar
    std::uint32_t a =
        0;  // kClass: class index; kSplit: preferred target; kJmp: target; kSave: slot
    std::uint32_t b = 0;  // kSplit: other target
  };
  class Matcher;

  void parse();
  void compile();
  std::optional<Matches> extract(std::string_view uri, const std::vector<std::size_t>& caps) const;

  std::string tmpl_;
  std::vector<std::string> variables_;
  std::vector<Part> parts_;
  std::size_t expressions_ = 0;
  std::vector<Inst> program_;
  std::vector<std::bitset<256>> classes_;
};

}  // namespace mcpp
