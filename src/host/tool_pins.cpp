// Tool pins: canonical JSON, SHA-256 of a tool's definition, and readable diffs between two
// definitions (field by field, objects walked down to the values that differ, multi-line texts as
// line diffs).
#include "host/tool_pins.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <sstream>

#include "auth/crypto.hpp"

namespace mcpp::host {
namespace {

constexpr std::array kPinnedFields{"name",        "title",        "description",
                                   "inputSchema", "outputSchema", "annotations"};

void write_canonical(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      const json::object& o = v.get_object();
      std::vector<const json::key_value_pair*> members;
      members.reserve(o.size());
      for (const auto& kv : o) members.push_back(&kv);
      std::sort(members.begin(), members.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += '{';
      bool first = true;
      for (const auto* kv : members) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string(kv->key()));
        out += ':';
        write_canonical(kv->value(), out);
      }
      out += '}';
      break;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_canonical(item, out);
      }
      out += ']';
      break;
    }
    default:
      out += json::serialize(v);
  }
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// Appends "  " + every line of `text`, prefixed by `mark` ("- " or "+ ").
void add_marked(std::string& out, std::string_view mark, std::string_view text) {
  for (auto line : split_lines(text)) {
    out += "  ";
    out += mark;
    out += line;
    out += '\n';
  }
  if (text.empty()) {
    out += "  ";
    out += mark;
    out += "(empty)\n";
  }
}

// A value for a diff: strings as themselves, anything else as canonical JSON, absent as "(none)".
std::string shown(const json::value* v) {
  if (!v) return "(none)";
  if (v->is_string()) return std::string(v->get_string());
  return canonical_json(*v);
}

void diff_values(const std::string& path, const json::value* before, const json::value* after,
                 std::string& out) {
  if (!before && !after) return;
  if (before && after && *before == *after) return;
  if (before && after && before->is_object() && after->is_object()) {
    const auto& b = before->get_object();
    const auto& a = after->get_object();
    std::vector<std::string> keys;
    for (const auto& kv : b) keys.emplace_back(kv.key());
    for (const auto& kv : a) keys.emplace_back(kv.key());
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const auto& k : keys) diff_values(path + "." + k, find(b, k), find(a, k), out);
    return;
  }
  out += path + ":\n";
  bool multi_line = before && after && before->is_string() && after->is_string() &&
                    (shown(before).find('\n') != std::string::npos ||
                     shown(after).find('\n') != std::string::npos);
  if (multi_line) {
    const std::string diff = line_diff(shown(before), shown(after));
    for (auto line : split_lines(diff)) {
      out += "  ";
      out += line;
      out += '\n';
    }
    return;
  }
  add_marked(out, "- ", shown(before));
  add_marked(out, "+ ", shown(after));
}

}  // namespace

json::object tool_definition(const ToolInfo& tool) {
  json::object def;
  for (const char* field : kPinnedFields) {
    if (const json::value* v = find(tool.raw, field)) def[field] = *v;
  }
  if (!def.contains("name")) def["name"] = tool.name;
  return def;
}

std::string canonical_json(const json::value& value) {
  std::string out;
  write_canonical(value, out);
  return out;
}

std::string definition_hash(const json::object& definition) {
  return auth::sha256_hex(canonical_json(definition));
}

std::string line_diff(std::string_view before, std::string_view after) {
  auto a = split_lines(before);
  auto b = split_lines(after);
  // Longest common subsequence of lines; texts beyond the bound are shown as replaced whole.
  constexpr std::size_t kMaxLines = 2000;
  std::string out;
  if (a.size() > kMaxLines || b.size() > kMaxLines) {
    for (auto l : a) out += "- " + std::string(l) + "\n";
    for (auto l : b) out += "+ " + std::string(l) + "\n";
    return out;
  }
  std::vector<std::vector<std::uint32_t>> lcs(a.size() + 1,
                                              std::vector<std::uint32_t>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;) {
    for (std::size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      out += "  " + std::string(a[i]) + "\n";
      ++i;
      ++j;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out += "- " + std::string(a[i++]) + "\n";  // removals first, as diff(1) shows them
    } else {
      out += "+ " + std::string(b[j++]) + "\n";
    }
  }
  return out;
}

std::string describe_tool_change(const json::object& before, const json::object& after) {
  std::string out;
  for (const char* field : kPinnedFields) {
    diff_values(field, find(before, field), find(after, field), out);
  }
  return out;
}

ToolDiff diff_tools(std::string_view connector, const std::vector<ToolInfo>& before,
                    const std::vector<ToolInfo>& after) {
  ToolDiff diff;
  diff.connector = std::string(connector);
  std::map<std::string, json::object> old;
  for (const auto& t : before) old.emplace(t.name, tool_definition(t));
  std::set<std::string> seen;
  for (const auto& t : after) {
    if (!seen.insert(t.name).second) continue;
    auto it = old.find(t.name);
    if (it == old.end()) {
      diff.added.push_back(t.name);
      continue;
    }
    json::object now = tool_definition(t);
    if (definition_hash(now) != definition_hash(it->second)) {
      diff.changed.push_back({t.name, describe_tool_change(it->second, now)});
    }
  }
  for (const auto& [name, def] : old) {
    if (!seen.contains(name)) diff.removed.push_back(name);
  }
  return diff;
}

std::string ToolDiff::text() const {
  std::string out;
  for (const auto& t : added) out += "+ " + t + " (new)\n";
  for (const auto& t : removed) out += "- " + t + " (removed)\n";
  for (const auto& c : changed) {
    out += "~ " + c.tool + " (changed; not used until accepted)\n";
    for (auto line : split_lines(c.diff)) {
      out += "    ";
      out += line;
      out += '\n';
    }
  }
  return out;
}

json::object ToolDiff::to_json() const {
  json::object o;
  o["connector"] = connector;
  json::array a, r, c;
  for (const auto& t : added) a.emplace_back(t);
  for (const auto& t : removed) r.emplace_back(t);
  for (const auto& ch : changed) c.push_back(json::object{{"tool", ch.tool}, {"diff", ch.diff}});
  o["added"] = std::move(a);
  o["removed"] = std::move(r);
  o["changed"] = std::move(c);
  return o;
}

}  // namespace mcpp::host
