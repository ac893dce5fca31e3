// Private declarations shared by the json_schema*.cpp files: the compiled node tree, the pattern
// matcher, JSON value helpers and the built-in 2020-12 meta-schemas.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/json_schema.hpp"

namespace mcpp::schema::detail {

// ---------------------------------------------------------------------------------------------
// Unicode

// General categories in the order of the table in json_schema_unicode.cpp.
enum class GeneralCategory : std::uint8_t {
  kLu,
  kLl,
  kLt,
  kLm,
  kLo,
  kMn,
  kMc,
  kMe,
  kNd,
  kNl,
  kNo,
  kPc,
  kPd,
  kPs,
  kPe,
  kPi,
  kPf,
  kPo,
  kSm,
  kSc,
  kSk,
  kSo,
  kZs,
  kZl,
  kZp,
  kCc,
  kCf,
  kCs,
  kCo,
  kCn,
};
GeneralCategory general_category(char32_t cp);

// Decodes one code point of UTF-8 at text[pos]; malformed input yields U+FFFD over one byte.
char32_t decode_utf8(std::string_view text, std::size_t pos, std::size_t* length);
// Number of Unicode code points in UTF-8 text.
std::size_t count_code_points(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Patterns

// An ECMA-262 regular expression (the "u"-flag dialect, without flags) compiled for a Pike VM:
// matching is O(|text| * |pattern|) with no recursion on the text, and works on code points.
// Supported: alternation, groups (capturing, named, non-capturing), greedy and lazy quantifiers
// including {n,m}, classes with ranges, . \d \D \w \W \s \S \b \B ^ $, \p{..}/\P{..} for general
// categories, escapes \t \n \v \f \r \0 \cX \xHH \uHHHH \u{H..}, and lookahead (?= ) (?! ).
// Rejected with std::invalid_argument: backreferences, lookbehind, malformed syntax, and patterns
// that expand to more than 20000 instructions.
class Regex {
 public:
  static Regex compile(std::string_view pattern);
  // true when the pattern matches anywhere in text (patterns are not implicitly anchored).
  bool search(std::string_view text) const;
  const std::string& source() const { return source_; }

  struct Program;

 private:
  std::shared_ptr<const Program> program_;
  std::string source_;
};

// ---------------------------------------------------------------------------------------------
// URIs

// Resolves reference `ref` against `base` (RFC 3986 section 5.2); an empty base leaves relative
// references relative.
std::string resolve_uri(std::string_view base, std::string_view ref);
// Splits "uri#fragment" into the URI without fragment and the raw fragment.
std::pair<std::string, std::string> split_fragment(std::string_view uri);
// Decodes %XX escapes; malformed escapes are kept verbatim.
std::string percent_decode(std::string_view s);

// ---------------------------------------------------------------------------------------------
// JSON values

// Exact comparison of two JSON numbers of any representation (int64, uint64, double).
int compare_numbers(const boost::json::value& a, const boost::json::value& b);
// Equality as JSON Schema defines it: numbers by value (1 == 1.0), objects unordered.
bool json_equal(const boost::json::value& a, const boost::json::value& b);
// Hash consistent with json_equal.
std::size_t json_hash(const boost::json::value& v);
// true for int64/uint64 and for finite doubles without a fractional part.
bool is_integral(const boost::json::value& v);
// Short single-line rendering of a value for messages (truncated with "...").
std::string describe(const boost::json::value& v, std::size_t max_length = 80);
// JSON Pointer escaping of one reference token ("~" -> "~0", "/" -> "~1").
void append_pointer_token(std::string& out, std::string_view token);

// ---------------------------------------------------------------------------------------------
// Built-in meta-schemas

// The 2020-12 meta-schema documents by URI ("https://json-schema.org/draft/2020-12/schema" and
// its ".../meta/*" vocabularies), or nullptr.
const boost::json::value* builtin_metaschema(std::string_view uri);

// ---------------------------------------------------------------------------------------------
// Compiled schemas

inline constexpr std::uint8_t kTypeNull = 1;
inline constexpr std::uint8_t kTypeBoolean = 2;
inline constexpr std::uint8_t kTypeObject = 4;
inline constexpr std::uint8_t kTypeArray = 8;
inline constexpr std::uint8_t kTypeNumber = 16;
inline constexpr std::uint8_t kTypeString = 32;
inline constexpr std::uint8_t kTypeInteger = 64;

struct Node;

// A schema resource (the document root or a subschema with "$id"): the unit of dynamic scope.
struct Resource {
  std::string uri;
  // $dynamicAnchor names (interned ids) declared in this resource and the schemas they name.
  std::vector<std::pair<std::uint32_t, const Node*>> dynamic_anchors;

  const Node* find_dynamic_anchor(std::uint32_t id) const {
    for (const auto& [name, node] : dynamic_anchors) {
      if (name == id) return node;
    }
    return nullptr;
  }
};

struct NamedNode {
  std::string_view name;  // points into the owned schema document
  const Node* node = nullptr;
  bool from_dependencies = false;  // legacy "dependencies" rather than "dependentSchemas"
};

struct PatternNode {
  Regex regex;
  std::string_view source;
  const Node* node = nullptr;
};

struct DependentRequired {
  std::string_view name;
  std::vector<std::string_view> required;
  bool from_dependencies = false;  // legacy "dependencies" rather than "dependentRequired"
};

struct Node {
  enum class Kind : std::uint8_t { kTrue, kFalse, kSchema };
  Kind kind = Kind::kSchema;
  std::uint32_t index = 0;  // position in ValidatorImpl::nodes
  const Resource* resource = nullptr;
  bool tracks_properties = false;  // has unevaluatedProperties: collects evaluated properties
  bool tracks_items = false;       // has unevaluatedItems: collects evaluated items

  // core
  const Node* ref = nullptr;
  const Node* dynamic_ref = nullptr;  // the statically resolved target
  bool dynamic_ref_is_dynamic = false;
  std::uint32_t dynamic_anchor = 0;

  // validation
  std::uint8_t types = 0;  // kType* bits; 0 = any
  const boost::json::value* const_value = nullptr;
  const boost::json::array* enum_values = nullptr;
  const boost::json::value* minimum = nullptr;
  const boost::json::value* maximum = nullptr;
  const boost::json::value* exclusive_minimum = nullptr;
  const boost::json::value* exclusive_maximum = nullptr;
  const boost::json::value* multiple_of = nullptr;
  std::optional<std::uint64_t> min_length, max_length;
  std::optional<Regex> pattern;
  std::optional<std::uint64_t> min_items, max_items, min_contains, max_contains;
  std::optional<std::uint64_t> min_properties, max_properties;
  bool unique_items = false;
  std::vector<std::string_view> required;
  std::vector<DependentRequired> dependent_required;

  // applicators
  std::vector<const Node*> all_of, any_of, one_of, prefix_items;
  const Node* not_schema = nullptr;
  const Node* if_schema = nullptr;
  const Node* then_schema = nullptr;
  const Node* else_schema = nullptr;
  const Node* items = nullptr;  // applies to items after prefix_items
  const Node* contains = nullptr;
  const Node* additional_properties = nullptr;
  const Node* property_names = nullptr;
  const Node* unevaluated_items = nullptr;
  const Node* unevaluated_properties = nullptr;
  std::vector<NamedNode> properties;  // sorted by name
  std::vector<PatternNode> pattern_properties;
  std::vector<NamedNode> dependent_schemas;
  // Keyword names used in error paths (differ for the legacy array form of "items").
  std::string_view prefix_items_keyword = "prefixItems";
  std::string_view items_keyword = "items";
};

struct ValidatorImpl {
  std::deque<boost::json::value> documents;  // owned copies of every schema document
  std::deque<Node> nodes;
  std::deque<Resource> resources;
  const Node* root = nullptr;
};

std::shared_ptr<const ValidatorImpl> compile_schema(const boost::json::value& schema,
                                                    const SchemaLoader& loader);

}  // namespace mcpp::schema::detail
