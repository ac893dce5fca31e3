// Tool results turned into the text a model reads.
#include "host/tool_result_text.hpp"

namespace mcpp::host {
namespace {

std::string describe_binary(std::string_view what, std::string_view mime, std::size_t base64_size) {
  std::string out = "[";
  out += what;
  if (!mime.empty()) {
    out += " (";
    out += mime;
    out += ")";
  }
  out += ", about " + std::to_string(base64_size / 4 * 3) + " bytes, not shown]";
  return out;
}

}  // namespace

std::string content_block_text(const json::object& block) {
  std::string_view type = find_string(block, "type");
  if (type == "text") return std::string(find_string(block, "text"));
  if (type == "image" || type == "audio") {
    return describe_binary(type, find_string(block, "mimeType"), find_string(block, "data").size());
  }
  if (type == "resource_link") {
    std::string out = "[resource link: " + std::string(find_string(block, "uri"));
    if (auto name = find_string(block, "name"); !name.empty())
      out += " (" + std::string(name) + ")";
    return out + "]";
  }
  if (type == "resource") {
    const json::value* contents = find(block, "resource");
    if (!contents || !contents->is_object()) return "[embedded resource]";
    const auto& c = contents->get_object();
    std::string uri(find_string(c, "uri"));
    if (const json::value* text = find(c, "text"); text && text->is_string()) {
      return "[resource " + uri + "]\n" + std::string(text->get_string());
    }
    return describe_binary("resource " + uri, find_string(c, "mimeType"),
                           find_string(c, "blob").size());
  }
  return "";
}

std::string tool_result_text(const CallToolResult& result) {
  std::string text;
  bool has_text_block = false;
  for (const auto& item : result.content) {
    if (!item.is_object()) continue;
    if (find_string(item.get_object(), "type") == "text") has_text_block = true;
    std::string piece = content_block_text(item.get_object());
    if (piece.empty()) continue;
    if (!text.empty()) text += "\n";
    text += piece;
  }
  if (!has_text_block && result.structured_content) {
    std::string structured = json::serialize(*result.structured_content);
    text = text.empty() ? structured : structured + "\n" + text;
  }
  if (text.empty()) text = result.is_error ? "the tool failed without saying why" : "(no content)";
  return result.is_error ? "Error: " + text : text;
}

}  // namespace mcpp::host
