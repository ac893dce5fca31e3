// Small pure pieces of the client: elicitation schema defaults, the resource_metadata of a
// WWW-Authenticate challenge, and the text of a tool result.
#include <gtest/gtest.h>

#include "mcpp/client.hpp"

namespace mcpp {
namespace {

TEST(ApplySchemaDefaults, FillsOnlyWhatIsMissing) {
  json::object schema = json::parse(R"({"type":"object","properties":{
      "name":{"type":"string","default":"John"},
      "age":{"type":"integer","default":30},
      "score":{"type":"number","default":95.5},
      "ok":{"type":"boolean","default":true},
      "tags":{"type":"array","default":["a"]},
      "plain":{"type":"string"}}})")
                            .as_object();
  json::object content{{"name", "Ada"}};
  apply_schema_defaults(schema, content);
  EXPECT_EQ(json::serialize(content),
            R"({"name":"Ada","age":30,"score":9.55E1,"ok":true,"tags":["a"]})");
  EXPECT_TRUE(content.at("age").is_int64());
}

TEST(ApplySchemaDefaults, IgnoresSchemasWithoutProperties) {
  json::object content{{"x", 1}};
  apply_schema_defaults(json::object{{"type", "object"}}, content);
  apply_schema_defaults(json::object{{"properties", "nonsense"}}, content);
  EXPECT_EQ(json::serialize(content), R"({"x":1})");
}

TEST(TransportErrorTest, ReadsResourceMetadataFromTheChallenge) {
  struct Case {
    std::string header;
    std::string expected;
  };
  std::vector<Case> cases = {
      {R"(Bearer resource_metadata="https://a.example/.well-known/oauth-protected-resource")",
       "https://a.example/.well-known/oauth-protected-resource"},
      {R"(Bearer realm="mcp", error="invalid_token", resource_metadata="https://b.example/prm")",
       "https://b.example/prm"},
      {R"(Bearer resource_metadata=https://c.example/prm, scope="x")", "https://c.example/prm"},
      {R"(Bearer realm="mcp")", ""},
      {R"(Bearer not_resource_metadata="https://d.example/")", ""},
      {"", ""},
  };
  for (const auto& c : cases) {
    TransportError e(TransportError::Kind::kHttpStatus, "HTTP 401", 401, c.header);
    EXPECT_EQ(e.resource_metadata(), c.expected) << c.header;
    EXPECT_EQ(e.www_authenticate(), c.header);
    EXPECT_EQ(e.http_status(), 401);
  }
}

TEST(CallToolResultTest, TextJoinsTheTextBlocks) {
  CallToolResult r;
  r.content = json::parse(R"([{"type":"text","text":"one"},{"type":"image","data":"AA=="},
                               {"type":"text","text":"two"}])")
                  .as_array();
  EXPECT_EQ(r.text(), "one\ntwo");
  EXPECT_EQ(CallToolResult{}.text(), "");
}

}  // namespace
}  // namespace mcpp
