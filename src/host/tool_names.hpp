// The names a model calls tools by: each connector's tools namespaced as `connector__tool` and
// mapped, reversibly, onto what OpenAI-compatible endpoints accept (^[a-zA-Z0-9_-]{1,64}$).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mcpp::host {

// A tool as the host knows it: the connector it belongs to and its MCP name.
struct QualifiedTool {
  std::string connector;
  std::string tool;
  friend bool operator==(const QualifiedTool&, const QualifiedTool&) = default;
};

// True when `name` is a valid model-facing tool name: 1 to 64 of [a-zA-Z0-9_-].
bool is_model_tool_name(std::string_view name);

// The model-facing name of `tool` of `connector`, the same for the same inputs: `connector__tool`
// when that is a valid name; otherwise its valid characters (others become '_'), cut to fit, and
// '_' followed by 8 hex digits of a hash of both names, so that names that differ only in
// characters the model cannot see, or beyond the 64th, stay apart.
std::string model_tool_name(std::string_view connector, std::string_view tool);

// The names offered to the model in one request, and the way back from a name it calls.
class ToolNameMap {
 public:
  // Adds a tool and returns its model-facing name. A tool added twice keeps its name; a second
  // tool whose name would collide with the first gets a name with a hash suffix instead.
  std::string add(const QualifiedTool& tool);
  // The tool a model-facing name stands for, or nothing for a name the model made up.
  std::optional<QualifiedTool> find(std::string_view model_name) const;
  // The model-facing name of a tool already added, or nothing.
  std::optional<std::string> name_of(const QualifiedTool& tool) const;
  std::size_t size() const { return by_name_.size(); }
  void clear() { by_name_.clear(); }

 private:
  std::unordered_map<std::string, QualifiedTool> by_name_;
};

}  // namespace mcpp::host
