// Model-facing tool names: valid for OpenAI's pattern, stable, reversible, collision-free.
#include "host/tool_names.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace mcpp::host {
namespace {

TEST(ToolNames, PlainNamesAreConnectorDoubleUnderscoreTool) {
  EXPECT_EQ(model_tool_name("memory", "create_entities"), "memory__create_entities");
  EXPECT_EQ(model_tool_name("pay-ments", "refund"), "pay-ments__refund");
}

TEST(ToolNames, InvalidCharactersAndLongNamesAreHashedIntoThePattern) {
  struct Case {
    std::string connector, tool;
  } cases[] = {
      {"fs", "read.file"},     {"fs", "dir/list"}, {"docs", std::string(80, 'x')},
      {"caf\xc3\xa9", "menu"}, {"a", ""},
  };
  std::set<std::string> seen;
  for (const auto& c : cases) {
    std::string name = model_tool_name(c.connector, c.tool);
    EXPECT_TRUE(is_model_tool_name(name)) << name;
    EXPECT_LE(name.size(), 64u);
    EXPECT_EQ(name, model_tool_name(c.connector, c.tool)) << "stable";
    EXPECT_TRUE(seen.insert(name).second) << "distinct: " << name;
  }
  // Names that differ only in a character the model cannot see stay apart.
  EXPECT_NE(model_tool_name("fs", "read.file"), model_tool_name("fs", "read/file"));
  // ...and only beyond the 64th character too.
  EXPECT_NE(model_tool_name("docs", std::string(80, 'x') + "1"),
            model_tool_name("docs", std::string(80, 'x') + "2"));
}

TEST(ToolNames, PatternCheck) {
  EXPECT_TRUE(is_model_tool_name("a"));
  EXPECT_TRUE(is_model_tool_name(std::string(64, 'a')));
  EXPECT_FALSE(is_model_tool_name(std::string(65, 'a')));
  EXPECT_FALSE(is_model_tool_name(""));
  EXPECT_FALSE(is_model_tool_name("a.b"));
  EXPECT_FALSE(is_model_tool_name("a b"));
}

TEST(ToolNameMap, MapsBackAndRefusesMadeUpNames) {
  ToolNameMap map;
  std::string n1 = map.add({"memory", "read_graph"});
  std::string n2 = map.add({"fs", "read.file"});
  EXPECT_EQ(map.find(n1), (QualifiedTool{"memory", "read_graph"}));
  EXPECT_EQ(map.find(n2), (QualifiedTool{"fs", "read.file"}));
  EXPECT_EQ(map.add({"memory", "read_graph"}), n1) << "adding again keeps the name";
  EXPECT_EQ(map.size(), 2u);
  EXPECT_FALSE(map.find("memory__delete_all"));
  EXPECT_EQ(map.name_of({"fs", "read.file"}), n2);
  EXPECT_FALSE(map.name_of({"fs", "other"}));
}

TEST(ToolNameMap, CollidingPlainNamesGetDistinctNames) {
  // "a__b" + "c" and "a" + "b__c" both read "a__b__c".
  ToolNameMap map;
  std::string n1 = map.add({"a__b", "c"});
  std::string n2 = map.add({"a", "b__c"});
  EXPECT_EQ(n1, "a__b__c");
  EXPECT_NE(n1, n2);
  EXPECT_TRUE(is_model_tool_name(n2));
  EXPECT_EQ(map.find(n2), (QualifiedTool{"a", "b__c"}));
  EXPECT_EQ(map.find(n1), (QualifiedTool{"a__b", "c"}));
}

}  // namespace
}  // namespace mcpp::host
