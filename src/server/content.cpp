// Builders for MCP content blocks and resource contents.
#include "mcpp/content.hpp"

namespace mcpp {

json::object Annotations::to_json() const {
  json::object o;
  if (!audience.empty()) {
    json::array a;
    for (const auto& s : audience) a.emplace_back(s);
    o["audience"] = std::move(a);
  }
  if (priority) o["priority"] = *priority;
  if (!last_modified.empty()) o["lastModified"] = last_modified;
  return o;
}

json::object Icon::to_json() const {
  json::object o;
  o["src"] = src;
  if (!mime_type.empty()) o["mimeType"] = mime_type;
  if (!sizes.empty()) {
    json::array a;
    for (const auto& s : sizes) a.emplace_back(s);
    o["sizes"] = std::move(a);
  }
  if (!theme.empty()) o["theme"] = theme;
  return o;
}

namespace {
json::object annotate(json::object o, const Annotations& a) {
  if (!a.empty()) o["annotations"] = a.to_json();
  return o;
}
}  // namespace

json::object text_content(std::string text, const Annotations& a) {
  return annotate({{"type", "text"}, {"text", std::move(text)}}, a);
}
json::object image_content(std::string data, std::string mime_type, const Annotations& a) {
  return annotate(
      {{"type", "image"}, {"data", std::move(data)}, {"mimeType", std::move(mime_type)}}, a);
}
json::object audio_content(std::string data, std::string mime_type, const Annotations& a) {
  return annotate(
      {{"type", "audio"}, {"data", std::move(data)}, {"mimeType", std::move(mime_type)}}, a);
}
json::object resource_link(std::string uri, std::string name, std::string description,
                           std::string mime_type, const Annotations& a) {
  json::object o{{"type", "resource_link"}, {"uri", std::move(uri)}, {"name", std::move(name)}};
  if (!description.empty()) o["description"] = std::move(description);
  if (!mime_type.empty()) o["mimeType"] = std::move(mime_type);
  return annotate(std::move(o), a);
}
json::object embedded_resource(json::object contents, const Annotations& a) {
  return annotate({{"type", "resource"}, {"resource", std::move(contents)}}, a);
}
json::object text_contents(std::string uri, std::string mime_type, std::string text) {
  json::object o{{"uri", std::move(uri)}, {"text", std::move(text)}};
  if (!mime_type.empty()) o["mimeType"] = std::move(mime_type);
  return o;
}
json::object blob_contents(std::string uri, std::string mime_type, std::string blob) {
  json::object o{{"uri", std::move(uri)}, {"blob", std::move(blob)}};
  if (!mime_type.empty()) o["mimeType"] = std::move(mime_type);
  return o;
}

}  // namespace mcpp
