// JSON Schema 2020-12 validation (our own; no packaged C++ library supports 2020-12).
// Schemas are compiled once into an immutable tree of nodes; validate() is then thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpp::schema {

namespace detail {
struct ValidatorImpl;
}

struct ValidationError {
  std::string
      instance_path;  // JSON Pointer into the instance, e.g. "/items/2/name" ("" for the root)
  std::string
      keyword_path;     // JSON Pointer into the schema, e.g. "/properties/items/items/required"
  std::string message;  // a sentence a person can act on, e.g. "missing required property \"name\""
};

// Resolves a URI (without fragment) to a schema document, or returns nullptr when unknown.
// Only called from compile(); the returned document is copied, so it need not outlive the call.
using SchemaLoader = std::function<const boost::json::value*(std::string_view uri)>;

// A compiled JSON Schema (draft 2020-12).
//
// Supported: every keyword of the core, applicator, unevaluated and validation vocabularies,
// "$vocabulary" of custom meta-schemas (loaded through the loader), and the 2020-12 meta-schemas
// themselves (built in, so "$ref": "https://json-schema.org/draft/2020-12/schema" works offline).
// "format", "content*" and the meta-data keywords are annotations only and never fail.
// For older schemas, the array form of "items" (with "additionalItems") and "dependencies" are
// understood too, and when "$schema" names draft-04/06/07 or 2019-09 also "$id": "#name" anchors
// and draft-04 boolean "exclusiveMinimum"/"exclusiveMaximum". Other pre-2020-12 semantics (e.g.
// siblings of "$ref" being ignored, "$recursiveRef") are not emulated. Patterns use our own
// ECMA-262 matcher (linear time, code-point based, with \p{..} general categories; backreferences
// and lookbehind are rejected at compile time).
//
// keyword_path in errors is the evaluation path through the schema (it includes "$ref" steps).
// Evaluation is bounded: more than 256 nested schema evaluations yield the error "schema nesting
// too deep", and at most 100 errors are reported per validate() call.
class Validator {
 public:
  // Compiles a schema (object or boolean). Throws std::invalid_argument with a clear message when
  // the schema itself is malformed (e.g. "$ref" not a string, unresolvable $ref, bad pattern,
  // a "$ref" cycle that would loop forever).
  static Validator compile(const boost::json::value& schema, SchemaLoader loader = {});

  // true when valid; when errors != nullptr, appends every error found (at least one when
  // invalid). The success path allocates nothing for errors: errors are gathered by a second
  // pass that only runs when the instance is invalid.
  bool validate(const boost::json::value& instance,
                std::vector<ValidationError>* errors = nullptr) const;

  // convenience: first error message formatted as "<instance_path or '(root)'>: <message>" or
  // empty when valid
  std::string first_error(const boost::json::value& instance) const;

 private:
  explicit Validator(std::shared_ptr<const detail::ValidatorImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const detail::ValidatorImpl> impl_;
};

}  // namespace mcpp::schema
