// Tool results as the text a model reads.
#include "host/tool_result_text.hpp"

#include <gtest/gtest.h>

namespace mcpp::host {
namespace {

CallToolResult result_of(json::array content, bool is_error = false,
                         std::optional<json::value> structured = std::nullopt) {
  CallToolResult r;
  r.content = std::move(content);
  r.is_error = is_error;
  r.structured_content = std::move(structured);
  return r;
}

TEST(ToolResultText, TextBlocksJoined) {
  EXPECT_EQ(tool_result_text(
                result_of({{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}})),
            "a\nb");
}

TEST(ToolResultText, StructuredContentWhenNoText) {
  EXPECT_EQ(tool_result_text(result_of({}, false, json::value{{"total", 3}})), "{\"total\":3}");
  EXPECT_EQ(tool_result_text(result_of({{{"type", "text"}, {"text", "three"}}}, false,
                                       json::value{{"total", 3}})),
            "three")
      << "text wins over structured content";
}

TEST(ToolResultText, ImagesAndAudioDescribedNotInlined) {
  std::string data(4000, 'A');
  std::string text = tool_result_text(
      result_of({{{"type", "image"}, {"data", data}, {"mimeType", "image/png"}},
                 {{"type", "audio"}, {"data", "AAAA"}, {"mimeType", "audio/wav"}}}));
  EXPECT_EQ(text.find(data), std::string::npos);
  EXPECT_NE(text.find("[image (image/png), about 3000 bytes, not shown]"), std::string::npos);
  EXPECT_NE(text.find("[audio (audio/wav)"), std::string::npos);
}

TEST(ToolResultText, ResourcesAndLinks) {
  std::string text = tool_result_text(
      result_of({{{"type", "resource_link"}, {"uri", "file:///a"}, {"name", "a"}},
                 {{"type", "resource"}, {"resource", {{"uri", "mem://x"}, {"text", "hello"}}}},
                 {{"type", "resource"}, {"resource", {{"uri", "mem://b"}, {"blob", "AAAA"}}}}}));
  EXPECT_NE(text.find("[resource link: file:///a (a)]"), std::string::npos);
  EXPECT_NE(text.find("[resource mem://x]\nhello"), std::string::npos);
  EXPECT_NE(text.find("[resource mem://b, about 3 bytes, not shown]"), std::string::npos);
}

TEST(ToolResultText, ErrorsMarked) {
  EXPECT_EQ(tool_result_text(result_of({{{"type", "text"}, {"text", "no such id"}}}, true)),
            "Error: no such id");
  EXPECT_EQ(tool_result_text(result_of({}, true)), "Error: the tool failed without saying why");
  EXPECT_EQ(tool_result_text(result_of({})), "(no content)");
}

}  // namespace
}  // namespace mcpp::host
