// Model-facing tool names: `connector__tool`, sanitized and shortened with a hash when needed.
#include "host/tool_names.hpp"

#include <cstdint>
#include <cstdio>

namespace mcpp::host {
namespace {

constexpr std::size_t kMaxName = 64;
constexpr std::size_t kHashSuffix = 9;  // '_' and 8 hex digits

bool allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// FNV-1a over both names with a separator no name contains; not a defence (the map checks
// collisions), only a spread.
std::uint32_t name_hash(std::string_view connector, std::string_view tool, unsigned salt) {
  std::uint64_t h = 0xcbf29ce484222325ULL ^ salt;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
  };
  mix(connector);
  mix(std::string_view("\0", 1));
  mix(tool);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

std::string hashed_name(std::string_view connector, std::string_view tool, unsigned salt) {
  std::string base;
  base.reserve(connector.size() + 2 + tool.size());
  for (char c : connector) base += allowed(c) ? c : '_';
  base += "__";
  for (char c : tool) base += allowed(c) ? c : '_';
  if (base.size() > kMaxName - kHashSuffix) base.resize(kMaxName - kHashSuffix);
  char suffix[kHashSuffix + 1];
  std::snprintf(suffix, sizeof suffix, "_%08x", name_hash(connector, tool, salt));
  return base + suffix;
}

}  // namespace

bool is_model_tool_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxName) return false;
  for (char c : name) {
    if (!allowed(c)) return false;
  }
  return true;
}

std::string model_tool_name(std::string_view connector, std::string_view tool) {
  std::string plain = std::string(connector) + "__" + std::string(tool);
  if (is_model_tool_name(plain)) return plain;
  return hashed_name(connector, tool, 0);
}

std::string ToolNameMap::add(const QualifiedTool& tool) {
  std::string name = model_tool_name(tool.connector, tool.tool);
  for (unsigned salt = 1;; ++salt) {
    auto [it, inserted] = by_name_.try_emplace(name, tool);
    if (inserted || it->second == tool) return name;
    name = hashed_name(tool.connector, tool.tool, salt);
  }
}

std::optional<QualifiedTool> ToolNameMap::find(std::string_view model_name) const {
  auto it = by_name_.find(std::string(model_name));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> ToolNameMap::name_of(const QualifiedTool& tool) const {
  for (const auto& [name, t] : by_name_) {
    if (t == tool) return name;
  }
  return std::nullopt;
}

}  // namespace mcpp::host
