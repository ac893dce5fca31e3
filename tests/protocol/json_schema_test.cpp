// Table-driven unit tests for the JSON Schema 2020-12 validator: keyword results and error
// paths/messages, schema compile errors, the pattern matcher, limits, loaders and threads.
#include "protocol/json_schema.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "protocol/json_schema_internal.hpp"

namespace mcpp::schema {
namespace {

namespace json = boost::json;

json::value parse(std::string_view text) {
  return json::parse(text);
}

Validator compile(std::string_view schema, SchemaLoader loader = {}) {
  return Validator::compile(parse(schema), std::move(loader));
}

// GoogleTest names for table rows: their description with non-alphanumerics replaced.
template <typename Case>
std::string case_name(const testing::TestParamInfo<Case>& param) {
  std::string name;
  for (const char c : std::string_view(param.param.name)) {
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// Keywords: validity, and for invalid instances the first error's paths and message.

struct KeywordCase {
  const char* name;
  const char* schema;
  const char* instance;
  bool valid;
  const char* instance_path = "";
  const char* keyword_path = "";
  const char* message = "";  // substring of the first error's message
};

const KeywordCase kKeywordCases[] = {
    {"type ok", R"({"type": "string"})", R"("x")", true},
    {"type mismatch", R"({"type": "string"})", "3", false, "", "/type",
     "expected type \"string\" but found integer"},
    {"type list", R"({"type": ["string", "null"]})", "{}", false, "", "/type",
     "expected one of the types \"null\", \"string\" but found object"},
    {"integer accepts 1.0", R"({"type": "integer"})", "1.0", true},
    {"integer rejects 1.5", R"({"type": "integer"})", "1.5", false, "", "/type",
     "expected type \"integer\" but found number"},
    {"number accepts uint64", R"({"type": "number"})", "18446744073709551615", true},
    {"const 1 == 1.0", R"({"const": 1})", "1.0", true},
    {"const nested numbers", R"({"const": {"a": [1, 2.0]}})", R"({"a": [1.0, 2]})", true},
    {"const false != 0", R"({"const": false})", "0", false, "", "/const", "value must be false"},
    {"enum numeric equality", R"({"enum": [1, "a"]})", "1.0", true},
    {"enum mismatch", R"({"enum": [1, "a"]})", "2", false, "", "/enum",
     "value must be one of: 1, \"a\""},
    {"empty enum", R"({"enum": []})", "2", false, "", "/enum", "no value is allowed"},
    {"multipleOf decimal", R"({"multipleOf": 0.0001})", "0.0075", true},
    {"multipleOf decimal mismatch", R"({"multipleOf": 0.0001})", "0.00751", false, "",
     "/multipleOf", "0.00751 is not a multiple of 0.0001"},
    {"multipleOf integer", R"({"multipleOf": 2})", "7", false, "", "/multipleOf",
     "7 is not a multiple of 2"},
    {"multipleOf tiny divisor", R"({"multipleOf": 1e-8})", "12391239123", true},
    {"multipleOf of 1.0 by 0.1", R"({"multipleOf": 0.1})", "0.3", true},
    {"multipleOf overflowing quotient", R"({"multipleOf": 0.5})", "1e308", true},
    {"multipleOf huge integer", R"({"multipleOf": 3})", "18446744073709551615", true},
    {"minimum uint64", R"({"minimum": 0})", "18446744073709551615", true},
    {"maximum int64 edge", R"({"maximum": 9223372036854775807})", "9223372036854775808", false, "",
     "/maximum", "9223372036854775808 is greater than the maximum of 9223372036854775807"},
    {"minimum double vs int", R"({"minimum": 1.5})", "1", false, "", "/minimum",
     "1 is less than the minimum of 1.5"},
    {"exclusiveMaximum", R"({"exclusiveMaximum": 10})", "10", false, "", "/exclusiveMaximum",
     "10 must be less than 10"},
    {"exclusiveMinimum", R"({"exclusiveMinimum": -1})", "-0.5", true},
    {"maxLength counts code points", R"({"maxLength": 2})", "\"\u65e5\u672c\"", true},
    {"maxLength too long", R"({"maxLength": 2})", "\"\u65e5\u672c\u8a9e\"", false, "", "/maxLength",
     "string is too long (3 characters; the maximum is 2)"},
    {"minLength emoji is one character", R"({"minLength": 2})", "\"\U0001F600\"", false, "",
     "/minLength", "string is too short (1 characters; the minimum is 2)"},
    {"pattern ok", R"({"pattern": "^[a-z]+$"})", R"("abc")", true},
    {"pattern mismatch", R"({"pattern": "^[a-z]+$"})", R"("abC")", false, "", "/pattern",
     "string does not match the pattern \"^[a-z]+$\""},
    {"pattern unicode category", R"({"pattern": "^\\p{Lu}"})", "\"\u00c9t\u00e9\"", true},
    {"pattern ignores non-strings", R"({"pattern": "^a$"})", "12", true},
    {"required", R"({"required": ["name"]})", "{}", false, "", "/required",
     "missing required property \"name\""},
    {"nested error paths",
     R"({"properties": {"items": {"type": "array",
          "items": {"properties": {"name": {"type": "string"}}}}}})",
     R"({"items": [{"name": "a"}, {"name": "b"}, {"name": 3}]})", false, "/items/2/name",
     "/properties/items/items/properties/name/type", "expected type \"string\""},
    {"path through $ref", R"({"$defs": {"n": {"type": "integer"}},
                              "properties": {"a": {"$ref": "#/$defs/n"}}})",
     R"({"a": "x"})", false, "/a", "/properties/a/$ref/type", "expected type \"integer\""},
    {"pointer escapes in paths", R"({"properties": {"a/b~c": {"type": "string"}}})",
     R"({"a/b~c": 1})", false, "/a~1b~0c", "/properties/a~1b~0c/type", "expected type"},
    {"additionalProperties false", R"({"properties": {"a": {}}, "additionalProperties": false})",
     R"({"a": 1, "b": 2})", false, "", "/additionalProperties", "property \"b\" is not allowed"},
    {"additionalProperties schema", R"({"additionalProperties": {"type": "integer"}})",
     R"({"x": "no"})", false, "/x", "/additionalProperties/type", "expected type \"integer\""},
    {"patternProperties", R"({"patternProperties": {"^x-": {"type": "string"}}})", R"({"x-a": 1})",
     false, "/x-a", "/patternProperties/^x-/type", "expected type"},
    {"unevaluatedProperties sees allOf",
     R"({"allOf": [{"properties": {"a": true}}], "unevaluatedProperties": false})", R"({"a": 1})",
     true},
    {"unevaluatedProperties rejects rest",
     R"({"allOf": [{"properties": {"a": true}}], "unevaluatedProperties": false})",
     R"({"a": 1, "b": 2})", false, "", "/unevaluatedProperties", "property \"b\" is not allowed"},
    {"unevaluatedItems after prefixItems", R"({"prefixItems": [true], "unevaluatedItems": false})",
     "[1, 2]", false, "", "/unevaluatedItems", "item 1 is not allowed"},
    {"prefixItems with items false", R"({"prefixItems": [{}, {}], "items": false})", "[1, 2, 3]",
     false, "", "/items", "array has 3 items but at most 2 are allowed"},
    {"items schema", R"({"items": {"type": "integer"}})", "[1, \"x\"]", false, "/1", "/items/type",
     "expected type \"integer\""},
    {"minItems", R"({"minItems": 2})", "[1]", false, "", "/minItems",
     "array has 1 items but at least 2 are required"},
    {"contains", R"({"contains": {"type": "string"}})", "[1, 2]", false, "", "/contains",
     "array has no item matching the \"contains\" schema"},
    {"minContains", R"({"contains": {"type": "string"}, "minContains": 2})", "[\"a\", 1]", false,
     "", "/minContains", "array has 1 items matching \"contains\" but at least 2 are required"},
    {"maxContains", R"({"contains": {"type": "string"}, "maxContains": 1})", "[\"a\", \"b\"]",
     false, "", "/maxContains", "at most 1 are allowed"},
    {"minContains 0 allows empty", R"({"contains": false, "minContains": 0})", "[]", true},
    {"uniqueItems numeric equality", R"({"uniqueItems": true})", "[1, 1.0]", false, "",
     "/uniqueItems", "items 0 and 1 are equal"},
    {"uniqueItems objects unordered", R"({"uniqueItems": true})",
     R"([{"a": 1, "b": 2}, {"b": 2, "a": 1}])", false, "", "/uniqueItems", "are equal"},
    {"uniqueItems distinct", R"({"uniqueItems": true})", R"([1, "1", [1], {"1": 1}, true])", true},
    {"dependentRequired", R"({"dependentRequired": {"card": ["billing"]}})", R"({"card": 1})",
     false, "", "/dependentRequired/card",
     "missing property \"billing\", which is required when \"card\" is present"},
    {"dependentSchemas", R"({"dependentSchemas": {"a": {"required": ["b"]}}})", R"({"a": 1})",
     false, "", "/dependentSchemas/a/required", "missing required property \"b\""},
    {"propertyNames", R"({"propertyNames": {"maxLength": 3}})", R"({"abcd": 1})", false, "",
     "/propertyNames", "property name \"abcd\" is not allowed: string is too long"},
    {"minProperties", R"({"minProperties": 1})", "{}", false, "", "/minProperties",
     "object has 0 properties but at least 1 are required"},
    {"anyOf none", R"({"anyOf": [{"type": "string"}, {"type": "null"}]})", "1", false, "", "/anyOf",
     "value does not match any of the 2 alternatives in \"anyOf\""},
    {"oneOf two", R"({"oneOf": [{"type": "integer"}, {"minimum": 0}]})", "1", false, "", "/oneOf",
     "matches more than one alternative in \"oneOf\" (0 and 1)"},
    {"oneOf exactly one", R"({"oneOf": [{"type": "integer"}, {"type": "string"}]})", "1", true},
    {"not", R"({"not": {"type": "string"}})", R"("x")", false, "", "/not",
     "value must not match the \"not\" schema"},
    {"if/then", R"({"if": {"required": ["a"]}, "then": {"required": ["b"]}})", R"({"a": 1})", false,
     "", "/then/required", "missing required property \"b\""},
    {"if/else", R"({"if": {"required": ["a"]}, "else": {"required": ["c"]}})", "{}", false, "",
     "/else/required", "missing required property \"c\""},
    {"false schema", "false", "1", false, "", "", "no value is allowed here"},
    {"true schema", "true", "{\"anything\": [1]}", true},
    {"format is annotation only", R"({"format": "email"})", R"("not an email")", true},
    {"content is annotation only", R"({"contentMediaType": "application/json",
        "contentSchema": {"type": "object"}})",
     R"("[1]")", true},
    {"unknown keywords ignored", R"({"x-custom": {"type": "string"}})", "1", true},
    {"draft-07 tuple items",
     R"({"$schema": "http://json-schema.org/draft-07/schema#",
         "items": [{"type": "string"}], "additionalItems": false})",
     R"(["a", 1])", false, "", "/additionalItems", "at most 1 are allowed"},
    {"draft-04 boolean exclusiveMaximum",
     R"({"$schema": "http://json-schema.org/draft-04/schema#",
         "maximum": 5, "exclusiveMaximum": true})",
     "5", false, "", "/exclusiveMaximum", "5 must be less than 5"},
    {"legacy dependencies", R"({"dependencies": {"a": ["b"], "c": {"required": ["d"]}}})",
     R"({"c": 1})", false, "", "/dependencies/c/required", "missing required property \"d\""},
    {"$defs via definitions", R"({"definitions": {"s": {"type": "string"}},
                                  "$ref": "#/definitions/s"})",
     "1", false, "", "/$ref/type", "expected type \"string\""},
    {"ref into unknown keyword", R"({"x-lib": {"s": {"type": "string"}}, "$ref": "#/x-lib/s"})",
     R"("ok")", true},
};

void PrintTo(const KeywordCase& c, std::ostream* os) {
  *os << c.name;
}

class JsonSchemaKeywordTest : public testing::TestWithParam<KeywordCase> {};

TEST_P(JsonSchemaKeywordTest, Validates) {
  const KeywordCase& c = GetParam();
  const Validator v = compile(c.schema);
  std::vector<ValidationError> errors;
  EXPECT_EQ(v.validate(parse(c.instance), &errors), c.valid);
  EXPECT_EQ(v.validate(parse(c.instance)), c.valid);
  if (c.valid) {
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(v.first_error(parse(c.instance)), "");
    return;
  }
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front().instance_path, c.instance_path);
  EXPECT_EQ(errors.front().keyword_path, c.keyword_path);
  EXPECT_NE(errors.front().message.find(c.message), std::string::npos)
      << "message: " << errors.front().message;
}

INSTANTIATE_TEST_SUITE_P(JsonSchemaKeywords, JsonSchemaKeywordTest,
                         testing::ValuesIn(kKeywordCases), case_name<KeywordCase>);

// ---------------------------------------------------------------------------------------------
// Malformed schemas are compile errors with a clear message.

struct CompileErrorCase {
  const char* name;
  const char* schema;
  const char* message;  // substring
};

const CompileErrorCase kCompileErrorCases[] = {
    {"ref not a string", R"({"$ref": 5})", "\"$ref\" must be a string"},
    {"ref unresolvable pointer", R"({"$ref": "#/$defs/missing"})", "cannot resolve"},
    {"ref unknown document", R"({"$ref": "https://example.com/x.json"})",
     "cannot resolve \"https://example.com/x.json\""},
    {"ref unknown anchor", R"({"$ref": "#nope"})", "cannot resolve"},
    {"ref to non-schema", R"({"$defs": {"n": 5}, "$ref": "#/$defs/n"})",
     "does not refer to a schema"},
    {"bad type name", R"({"type": "strin"})", "\"type\" must be one of"},
    {"negative minLength", R"({"minLength": -1})", "\"minLength\" must be a non-negative integer"},
    {"fractional maxItems", R"({"maxItems": 1.5})", "non-negative integer"},
    {"multipleOf zero", R"({"multipleOf": 0})", "\"multipleOf\" must be greater than 0"},
    {"enum not array", R"({"enum": 5})", "\"enum\" must be an array"},
    {"required not strings", R"({"required": [1]})", "\"required\" must be an array of strings"},
    {"subschema not a schema", R"({"properties": {"a": 5}})", "must be a schema"},
    {"allOf not array", R"({"allOf": {}})", "\"allOf\" must be an array of schemas"},
    {"root not a schema", "5", "a schema must be an object or a boolean"},
    {"malformed pattern", R"({"pattern": "(unclosed"})", "invalid regular expression"},
    {"backreference", R"({"pattern": "(a)\\1"})", "backreferences are not supported"},
    {"lookbehind", R"({"pattern": "(?<=a)b"})", "lookbehind assertions are not supported"},
    {"pattern too complex", R"({"pattern": "(a{1000}){1000}"})", "too complex"},
    {"malformed patternProperties key", R"({"patternProperties": {"[": {}}})",
     "invalid regular expression"},
    {"ref loop", R"({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
                     "$ref": "#/$defs/a"})",
     "infinite $ref loop"},
    {"self loop via allOf", R"({"allOf": [{"$ref": "#"}]})", "infinite $ref loop"},
    {"bad anchor", R"({"$anchor": "1bad"})", "\"$anchor\" must be a string that starts"},
    {"id with fragment", R"({"$id": "http://example.com/s#frag"})", "non-empty fragment"},
    {"duplicate id", R"({"$defs": {"a": {"$id": "http://x/a"}, "b": {"$id": "http://x/a"}}})",
     "duplicate schema identifier"},
    {"schema not a string", R"({"$schema": 1})", "\"$schema\" must be a string"},
    {"error names the location", R"({"properties": {"a": {"minimum": "1"}}})",
     "invalid schema at \"#/properties/a/minimum\": \"minimum\" must be a number"},
};

void PrintTo(const CompileErrorCase& c, std::ostream* os) {
  *os << c.name;
}

class JsonSchemaCompileErrorTest : public testing::TestWithParam<CompileErrorCase> {};

TEST_P(JsonSchemaCompileErrorTest, Throws) {
  const CompileErrorCase& c = GetParam();
  try {
    compile(c.schema);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(JsonSchemaErrors, JsonSchemaCompileErrorTest,
                         testing::ValuesIn(kCompileErrorCases), case_name<CompileErrorCase>);

TEST(JsonSchemaCompile, RejectsSchemasNestedTooDeeply) {
  json::value schema = json::object();
  for (int i = 0; i < 300; ++i) {
    json::object wrapper;
    wrapper["not"] = std::move(schema);
    schema = std::move(wrapper);
  }
  try {
    Validator::compile(schema);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("schema nesting too deep"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// The pattern matcher.

struct RegexCase {
  const char* pattern;
  const char* text;
  bool match;
};

const RegexCase kRegexCases[] = {
    {"a+", "baaa", true},
    {"^a+$", "baaa", false},
    {"", "anything", true},
    {"^$", "", true},
    {"^(a|b)*$", "abab", true},
    {"^(a|b)*$", "abcb", false},
    {"colou?r", "color", true},
    {"\\d{3}-\\d{4}", "call 555-1234", true},
    {"^\\w+$", "h\u00e9llo", false},
    {"^.$", "\u00e9", true},
    {"^.{2}$", "\U0001F600\U0001F600", true},
    {"^.$", "\n", false},
    {"[^a-c]", "abc", false},
    {"[\\s]", "a b", true},
    {"^\\S+$", "a\u00a0b", false},
    {"\\bfoo\\b", "a foo b", true},
    {"\\bfoo\\b", "afoo", false},
    {"\\Bfoo", "afoo", true},
    {"^(?=.*\\d)(?=.*[a-z]).{6,}$", "abc123", true},
    {"^(?=.*\\d)(?=.*[a-z]).{6,}$", "abcdef", false},
    {"^(?!foo)", "foobar", false},
    {"^(?!foo)", "barfoo", true},
    {"^\\p{L}+$", "\u03a9mega", true},
    {"^\\p{Letter}+$", "123", false},
    {"^\\P{L}+$", "123", true},
    {"^[\\p{N}]+$", "\u0661\u0662\u0663", true},
    {"^\\p{gc=Lu}$", "A", true},
    {"^\\u00e9$", "\u00e9", true},
    {"^\\u{1F600}$", "\U0001F600", true},
    {"^\\uD83D\\uDE00$", "\U0001F600", true},
    {"^\\x41$", "A", true},
    {"^\\cJ$", "\n", true},
    {"^\\0$", "", true},  // the text is a single NUL, see Matches
    {"^a{2,3}$", "aa", true},
    {"^a{2,3}$", "aaaa", false},
    {"^a{2,}$", "aaaa", true},
    {"^a{0}$", "", true},
    {"x{", "x{", true},
    {"a}", "a}", true},
    {"^a|b$", "xb", true},
    {"(?<year>\\d{4})", "in 2024", true},
    {"[a-]", "-", true},
    {"^[\\-\\]]+$", "-]", true},
    {"[\\b]", "\b", true},
    {"^\\.$", "a", false},
    {"^a*?b$", "aab", true},
    {"^(?:ab)+$", "ababab", true},
    {"^[^]$", "\n", true},
    {"^[]$", "a", false},
    {"^\\/\\*$", "/*", true},
};

void PrintTo(const RegexCase& c, std::ostream* os) {
  *os << c.pattern << " on " << c.text;
}

class JsonSchemaRegexTest : public testing::TestWithParam<RegexCase> {};

TEST_P(JsonSchemaRegexTest, Matches) {
  const RegexCase& c = GetParam();
  const detail::Regex r = detail::Regex::compile(c.pattern);
  const std::string_view text =
      std::string_view(c.pattern) == "^\\0$" ? std::string_view("\0", 1) : c.text;
  EXPECT_EQ(r.search(text), c.match) << "pattern " << c.pattern << " on \"" << c.text << "\"";
}

INSTANTIATE_TEST_SUITE_P(JsonSchemaPatterns, JsonSchemaRegexTest, testing::ValuesIn(kRegexCases));

TEST(JsonSchemaRegex, RejectsMalformedAndUnsupportedPatterns) {
  for (const char* p :
       {"(",        ")",       "[a",      "a**",      "*a",    "+",     "a{3,1}", "\\1",
        "\\k<x>",   "(?<=a)b", "(?<!a)b", "\\p{Foo}", "\\p",   "[z-a]", "\\q",    "\\c1",
        "(?P<n>x)", "(?i)x",   "\\",      "[\\d-z]",  "\\u12", "\\x4",  "(?<>x)", "a{99999999}"}) {
    EXPECT_THROW(detail::Regex::compile(p), std::invalid_argument) << p;
  }
}

TEST(JsonSchemaRegex, LongInputsRunInLinearTimeWithoutRecursion) {
  const std::string as(1 << 18, 'a');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(detail::Regex::compile("^(a|b)*$").search(as));
  EXPECT_FALSE(detail::Regex::compile("(a*)*b").search(std::string_view(as).substr(0, 100000)));
  EXPECT_FALSE(detail::Regex::compile("^(a|aa)+$").search(as + "b"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

// ---------------------------------------------------------------------------------------------
// Limits, loaders, vocabularies, the convenience API and threads.

TEST(JsonSchemaValidate, DeepRecursionIsAnErrorNotACrash) {
  const Validator v = compile(R"({"$defs": {"n": {"properties": {"a": {"$ref": "#/$defs/n"}}}},
                                  "$ref": "#/$defs/n"})");
  json::value instance = json::object();
  for (int i = 0; i < 400; ++i) {
    json::object wrapper;
    wrapper["a"] = std::move(instance);
    instance = std::move(wrapper);
  }
  std::vector<ValidationError> errors;
  EXPECT_FALSE(v.validate(instance, &errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.front().message.find("schema nesting too deep"), std::string::npos);
}

TEST(JsonSchemaValidate, ErrorsAreCappedAndAppended) {
  const Validator v = compile(R"({"items": {"type": "string"}})");
  json::array many;
  for (int i = 0; i < 1000; ++i) many.emplace_back(i);
  std::vector<ValidationError> errors(1, ValidationError{"/earlier", "", "kept"});
  EXPECT_FALSE(v.validate(json::value(std::move(many)), &errors));
  EXPECT_EQ(errors.size(), 101u);
  EXPECT_EQ(errors.front().message, "kept");
  EXPECT_EQ(errors[1].instance_path, "/0");
  EXPECT_EQ(errors.back().instance_path, "/99");
}

TEST(JsonSchemaValidate, ReportsEveryError) {
  const Validator v = compile(R"({"type": "object", "required": ["a", "b"],
                                  "properties": {"c": {"type": "string"}}})");
  std::vector<ValidationError> errors;
  EXPECT_FALSE(v.validate(parse(R"({"c": 1})"), &errors));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].message, "missing required property \"a\"");
  EXPECT_EQ(errors[1].message, "missing required property \"b\"");
  EXPECT_EQ(errors[2].instance_path, "/c");
}

TEST(JsonSchemaValidate, AnyOfListsTheAlternativesErrors) {
  const Validator v = compile(R"({"anyOf": [{"type": "string"}, {"minimum": 5}]})");
  std::vector<ValidationError> errors;
  EXPECT_FALSE(v.validate(parse("1"), &errors));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[1].keyword_path, "/anyOf/0/type");
  EXPECT_EQ(errors[2].keyword_path, "/anyOf/1/minimum");
}

TEST(JsonSchemaValidate, FirstErrorFormatsThePath) {
  const Validator v = compile(R"({"type": "object", "properties": {"a": {"type": "string"}}})");
  EXPECT_EQ(v.first_error(parse("[]")), "(root): expected type \"object\" but found array");
  EXPECT_EQ(v.first_error(parse(R"({"a": 1})")), "/a: expected type \"string\" but found integer");
  EXPECT_EQ(v.first_error(parse(R"({"a": "x"})")), "");
}

TEST(JsonSchemaValidate, LoaderDocumentsAreCopied) {
  std::optional<Validator> v;
  {
    std::map<std::string, json::value> remote;
    remote["https://example.com/person.json"] = parse(R"({"type": "object", "required": ["name"],
                  "properties": {"name": {"$ref": "defs.json#/$defs/name"}}})");
    remote["https://example.com/defs.json"] =
        parse(R"({"$defs": {"name": {"type": "string", "minLength": 1}}})");
    std::vector<std::string> asked;
    v = compile(R"({"$ref": "https://example.com/person.json"})",
                [&](std::string_view uri) -> const json::value* {
                  asked.emplace_back(uri);
                  auto it = remote.find(std::string(uri));
                  return it == remote.end() ? nullptr : &it->second;
                });
    EXPECT_EQ(asked, (std::vector<std::string>{"https://example.com/person.json",
                                               "https://example.com/defs.json"}));
  }
  EXPECT_TRUE(v->validate(parse(R"({"name": "Ada"})")));
  EXPECT_EQ(v->first_error(parse(R"({"name": ""})")),
            "/name: string is too short (0 characters; the minimum is 1)");
}

TEST(JsonSchemaValidate, BuiltInMetaSchemaValidatesSchemas) {
  const Validator meta = compile(R"({"$ref": "https://json-schema.org/draft/2020-12/schema"})");
  EXPECT_TRUE(meta.validate(parse(R"({"type": "string", "properties": {"a": {"minimum": 1}}})")));
  EXPECT_FALSE(meta.validate(parse(R"({"properties": {"a": {"minimum": "1"}}})")));
  EXPECT_FALSE(meta.validate(parse(R"({"type": 5})")));
}

TEST(JsonSchemaValidate, VocabulariesComeFromTheMetaSchema) {
  const json::value meta = parse(R"({
      "$id": "https://example.com/meta",
      "$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": true,
                      "https://json-schema.org/draft/2020-12/vocab/applicator": true,
                      "https://example.com/vocab/optional": false}})");
  const SchemaLoader loader = [&](std::string_view uri) -> const json::value* {
    return uri == "https://example.com/meta" ? &meta : nullptr;
  };
  const Validator v = compile(R"({"$schema": "https://example.com/meta",
                                  "properties": {"n": {"minimum": 10}, "x": false}})",
                              loader);
  EXPECT_TRUE(v.validate(parse(R"({"n": 1})")));   // validation vocabulary is off
  EXPECT_FALSE(v.validate(parse(R"({"x": 1})")));  // applicators still apply

  const json::value strict = parse(R"({
      "$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": true,
                      "https://example.com/vocab/required": true}})");
  EXPECT_THROW(compile(R"({"$schema": "https://example.com/strict"})",
                       [&](std::string_view) -> const json::value* { return &strict; }),
               std::invalid_argument);
}

TEST(JsonSchemaValidate, DynamicRefExtendsARecursiveSchema) {
  const json::value tree = parse(R"({
      "$id": "https://example.com/tree", "$dynamicAnchor": "node", "type": "object",
      "properties": {"data": true,
                     "children": {"type": "array", "items": {"$dynamicRef": "#node"}}}})");
  const Validator strict = compile(R"({"$id": "https://example.com/strict-tree",
                                       "$dynamicAnchor": "node", "$ref": "tree",
                                       "unevaluatedProperties": false})",
                                   [&](std::string_view) -> const json::value* { return &tree; });
  EXPECT_TRUE(strict.validate(parse(R"({"children": [{"data": 1}]})")));
  std::vector<ValidationError> errors;
  EXPECT_FALSE(strict.validate(parse(R"({"children": [{"daat": 1}]})"), &errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front().instance_path, "/children/0");
  EXPECT_EQ(errors.front().keyword_path,
            "/$ref/properties/children/items/$dynamicRef/unevaluatedProperties");
}

TEST(JsonSchemaValidate, LargeUniqueArraysAreFast) {
  const Validator v = compile(R"({"uniqueItems": true})");
  json::array items;
  for (int i = 0; i < 100000; ++i) items.emplace_back(i);
  EXPECT_TRUE(v.validate(json::value(items)));
  items.emplace_back(3.0);
  std::vector<ValidationError> errors;
  EXPECT_FALSE(v.validate(json::value(items), &errors));
  EXPECT_EQ(errors.front().message, "items 3 and 100000 are equal; items must be unique");
}

TEST(JsonSchemaValidate, CopiesShareTheCompiledSchema) {
  std::optional<Validator> original = compile(R"({"type": "integer"})");
  const Validator copy = *original;
  original.reset();
  EXPECT_TRUE(copy.validate(parse("3")));
  EXPECT_FALSE(copy.validate(parse("\"3\"")));
}

TEST(JsonSchemaValidate, ConcurrentValidation) {
  const Validator v = compile(R"({
      "type": "object", "required": ["name", "tags"],
      "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"},
                     "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"},
                              "uniqueItems": true}},
      "$defs": {"tag": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
      "unevaluatedProperties": false})");
  const json::value good = parse(R"({"name": "abc", "tags": ["a", 1]})");
  const json::value bad = parse(R"({"name": "ABC", "tags": ["a", "a", null], "x": 1})");
  std::vector<ValidationError> expected;
  ASSERT_FALSE(v.validate(bad, &expected));
  ASSERT_EQ(expected.size(), 6u);  // pattern, uniqueItems, anyOf (+2 alternatives), unevaluated
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        std::vector<ValidationError> errors;
        if (!v.validate(good) || v.validate(bad, &errors) || errors.size() != expected.size()) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace mcpp::schema
