// Fuzzes JSON Schema 2020-12 compile and validate. Input: the schema (JSON), a NUL byte, then
// the instance (JSON). Invariants: compile fails only with std::invalid_argument and a message;
// validate never throws; validate with and without an error list agree; an invalid instance has
// between 1 and 100 errors, each with a message; first_error() is empty exactly when valid;
// validating twice gives the same answer; error paths are JSON Pointers.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "mcpp/json.hpp"
#include "protocol/json_schema.hpp"

namespace {

using namespace mcpp;

std::optional<json::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options opt;
  opt.max_depth = 64;
  auto v = json::parse(text, ec, {}, opt);
  if (ec) return std::nullopt;
  return v;
}

bool is_pointer(const std::string& p) {
  return p.empty() || p.front() == '/';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto [schema_text, instance_text] = fuzz::split_once(fuzz::as_text(data, size), '\0');
  auto schema_json = parse_json(schema_text);
  if (!schema_json) return 0;
  std::optional<schema::Validator> validator;
  try {
    // A loader that knows one remote document: the schema itself, under one URI. (Under every
    // URI it would be an endless supply of documents: each relative "$ref" a new one.)
    validator =
        schema::Validator::compile(*schema_json, [&](std::string_view uri) -> const json::value* {
          return uri == "https://fuzz.example/schema" ? &*schema_json : nullptr;
        });
  } catch (const std::invalid_argument& e) {
    fuzz::check(std::string_view(e.what()).size() > 0, "a compile error says why");
    return 0;
  }
  auto instance = parse_json(instance_text);
  if (!instance) instance = json::value(std::string(instance_text));

  const bool valid = validator->validate(*instance);
  std::vector<schema::ValidationError> errors;
  const bool valid_with_errors = validator->validate(*instance, &errors);
  fuzz::check(valid == valid_with_errors, "validate with and without errors agree",
              json::serialize(*instance));
  fuzz::check(validator->validate(*instance) == valid, "validate is deterministic");
  if (valid) {
    fuzz::check(errors.empty(), "a valid instance has no errors");
  } else {
    fuzz::check(!errors.empty() && errors.size() <= 100, "an invalid instance has 1..100 errors");
  }
  for (const auto& e : errors) {
    fuzz::check(!e.message.empty(), "every error says why");
    fuzz::check(is_pointer(e.instance_path), "instance_path is a JSON Pointer", e.instance_path);
    fuzz::check(is_pointer(e.keyword_path), "keyword_path is a JSON Pointer", e.keyword_path);
  }
  fuzz::check(validator->first_error(*instance).empty() == valid,
              "first_error() is empty exactly when valid");
  return 0;
}
