// Content blocks (text, image, audio, resource links, embedded resources) and resource contents,
// built as the JSON the MCP spec defines.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mcpp/json.hpp"

namespace mcpp {

// Optional annotations on content and resources: audience ("user", "assistant"), priority 0..1,
// lastModified (ISO 8601).
struct Annotations {
  std::vector<std::string> audience;
  std::optional<double> priority;
  std::string last_modified;
  bool empty() const { return audience.empty() && !priority && last_modified.empty(); }
  json::object to_json() const;
};

struct Icon {
  std::string src;  // https: or data: URI
  std::string mime_type;
  std::vector<std::string> sizes;  // e.g. "48x48", "any"
  std::string theme;               // "light", "dark" or empty
  json::object to_json() const;
};

// Content blocks for tool results and prompt messages.
json::object text_content(std::string text, const Annotations& a = {});
json::object image_content(std::string base64_data, std::string mime_type,
                           const Annotations& a = {});
json::object audio_content(std::string base64_data, std::string mime_type,
                           const Annotations& a = {});
json::object resource_link(std::string uri, std::string name, std::string description = {},
                           std::string mime_type = {}, const Annotations& a = {});
// An embedded resource holds resource contents (see below).
json::object embedded_resource(json::object contents, const Annotations& a = {});

// Resource contents for resources/read and embedded resources.
json::object text_contents(std::string uri, std::string mime_type, std::string text);
json::object blob_contents(std::string uri, std::string mime_type, std::string base64_blob);

// Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);
// Decodes standard base64 (padding optional); std::nullopt on invalid input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mcpp
