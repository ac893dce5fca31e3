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

std::string base64_encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  for (; i + 2 < in.size(); i += 3) {
    unsigned n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    unsigned n = byte(i) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned n = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace mcpp
