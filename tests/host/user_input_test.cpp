// "/connector:prompt args" and "@connector:uri" in a person's message.
#include "host/user_input.hpp"

#include <gtest/gtest.h>

namespace mcpp::host {
namespace {

const std::vector<std::string> kConnectors{"docs", "memory"};

TEST(PromptReference, ParsedOnlyForAKnownConnector) {
  auto ref =
      parse_prompt_reference(R"(/docs:summary topic="two words" level=3 and more)", kConnectors);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->connector, "docs");
  EXPECT_EQ(ref->prompt, "summary");
  EXPECT_EQ(ref->arguments.at("topic"), "two words");
  EXPECT_EQ(ref->arguments.at("level"), "3");
  EXPECT_EQ(ref->rest, "and more");
  EXPECT_TRUE(parse_prompt_reference("/memory:recall", kConnectors));
  for (const char* text : {"/other:p", "/docs:", "/:p", "/docs", "docs:p", "", "/tools"}) {
    EXPECT_FALSE(parse_prompt_reference(text, kConnectors)) << text;
  }
}

TEST(ResourceReferences, EveryKnownAtReference) {
  auto refs = find_resource_references(
      "compare @docs:file:///a.md with @memory:mem://x, mail@docs:nothing @other:y @docs:",
      kConnectors);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].connector, "docs");
  EXPECT_EQ(refs[0].uri, "file:///a.md");
  EXPECT_EQ(refs[1].connector, "memory");
  EXPECT_EQ(refs[1].uri, "mem://x,");
}

}  // namespace
}  // namespace mcpp::host
