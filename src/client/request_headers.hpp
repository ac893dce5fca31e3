// The HTTP headers of the stateless era (2026-07-28) that mirror a request's body: Mcp-Method,
// Mcp-Name, and the Mcp-Param-{Name} headers of tool parameters marked `x-mcp-header` in the
// tool's inputSchema (SEP-2243), with the spec's value encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpp/json.hpp"

namespace mcpp {

// One parameter a tool mirrors into a header: Mcp-Param-{name} carries the value at `path` (a
// chain of property names from the arguments' root).
struct ParamHeader {
  std::string name;
  std::vector<std::string> path;
};

// The x-mcp-header annotations of a tool's inputSchema. Throws std::invalid_argument, saying
// why, when one breaks the spec's rules (empty or not an HTTP token, not on a string, integer or
// boolean property, not reachable through `properties` alone, or not unique ignoring case):
// such a tool must be left out of tools/list.
std::vector<ParamHeader> param_headers_of(const json::object& input_schema);

// A value as a header value: strings as they are, integers in decimal, booleans as true/false;
// Base64 in the `=?base64?...?=` form when it is not plain visible ASCII (non-ASCII, control
// characters, leading or trailing whitespace) or looks like that form. nullopt for null, objects,
// arrays and non-integral numbers (no header is sent).
std::optional<std::string> encode_header_value(const json::value& value);

// The Mcp-Param-* headers for a tools/call with `arguments`.
std::vector<std::pair<std::string, std::string>> param_headers_for(
    const std::vector<ParamHeader>& headers, const json::object& arguments);

// Mcp-Method and, for tools/call, prompts/get and resources/read, Mcp-Name for a request.
std::vector<std::pair<std::string, std::string>> standard_headers_for(const json::value& message);

}  // namespace mcpp
