// Pinning tool definitions: what of a tool the person accepted (name, title, description,
// inputSchema, outputSchema, annotations), canonicalised (sorted keys, no spaces) and hashed with
// SHA-256; and the difference between two listings of a connector's tools, with a readable
// field-by-field text diff of each changed tool (a line diff for descriptions).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mcpp/client.hpp"
#include "mcpp/json.hpp"

namespace mcpp::host {

// The pinned part of a tool: the fields above, taken from what the server sent (ToolInfo::raw),
// absent fields left out.
json::object tool_definition(const ToolInfo& tool);

// JSON text with object keys sorted (by bytes) at every level and no whitespace: the same text for
// the same value whatever order the server wrote its keys in.
std::string canonical_json(const json::value& value);

// Lower-case hex SHA-256 of canonical_json(definition): the pin.
std::string definition_hash(const json::object& definition);

// A readable account of how `after` differs from `before`, one block per field that changed
// ("description:" followed by "- old line" / "+ new line"; schemas and annotations as their
// canonical JSON per top-level property). Empty when they are equal.
std::string describe_tool_change(const json::object& before, const json::object& after);

// A line diff of two texts: unchanged lines prefixed "  ", removed "- ", added "+ ".
std::string line_diff(std::string_view before, std::string_view after);

struct ToolChange {
  std::string tool;
  std::string diff;  // describe_tool_change(accepted, latest)
};

// What a new listing of a connector's tools changed, against what the host knew.
struct ToolDiff {
  std::string connector;
  std::vector<std::string> added;    // new tools (accepted on first listing; see HostStore)
  std::vector<std::string> removed;  // no longer listed
  std::vector<ToolChange> changed;   // definition differs from the pin: not accepted yet
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
  // "+ tool" / "- tool" / "~ tool" lines, each change followed by its diff, indented.
  std::string text() const;
  json::object to_json() const;
};

// The difference between two listings of a connector's tools, without a store: each tool of
// `after` not in `before` is added, each of `before` not in `after` removed, and each whose
// definition hash differs changed (its diff against the one in `before`).
ToolDiff diff_tools(std::string_view connector, const std::vector<ToolInfo>& before,
                    const std::vector<ToolInfo>& after);

}  // namespace mcpp::host
