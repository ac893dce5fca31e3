// Policy rules: globs, parsing (good and bad lines, files with comments) and decisions (the most
// cautious matching rule wins).
#include "host/policy.hpp"

#include <gtest/gtest.h>

namespace mcpp::host {
namespace {

struct GlobCase {
  const char* glob;
  const char* text;
  bool matches;
};

class Glob : public testing::TestWithParam<GlobCase> {};

TEST_P(Glob, Matches) {
  const auto& c = GetParam();
  EXPECT_EQ(glob_match(c.glob, c.text), c.matches) << c.glob << " vs " << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Table, Glob,
    testing::Values(GlobCase{"*", "", true}, GlobCase{"*", "anything", true},
                    GlobCase{"list_*", "list_files", true}, GlobCase{"list_*", "list_", true},
                    GlobCase{"list_*", "lis", false}, GlobCase{"delete_*", "undelete_x", false},
                    GlobCase{"*_file", "read_file", true}, GlobCase{"*_file", "read_files", false},
                    GlobCase{"?", "a", true}, GlobCase{"?", "", false}, GlobCase{"?", "ab", false},
                    GlobCase{"a*b*c", "aXXbYYc", true}, GlobCase{"a*b*c", "aXXbYY", false},
                    GlobCase{"a**", "a", true}, GlobCase{"exact", "exact", true},
                    GlobCase{"exact", "Exact", false},
                    GlobCase{"*a*a*a*b", "aaaaaaaaaaaaaaaa", false}));

struct RuleCase {
  const char* line;
  const char* pattern;  // nullptr: a PolicyError is expected
  PolicyAction action;
};

class RuleParsing : public testing::TestWithParam<RuleCase> {};

TEST_P(RuleParsing, ParsesOrRefuses) {
  const auto& c = GetParam();
  if (!c.pattern) {
    EXPECT_THROW(parse_policy_rule(c.line), PolicyError) << c.line;
    return;
  }
  PolicyRule rule = parse_policy_rule(c.line);
  EXPECT_EQ(rule.pattern, c.pattern);
  EXPECT_EQ(rule.action, c.action);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RuleParsing,
    testing::Values(RuleCase{"allow payments/list_*", "payments/list_*", PolicyAction::kAllow},
                    RuleCase{"  deny   */delete_*  ", "*/delete_*", PolicyAction::kDeny},
                    RuleCase{"ask github/*", "github/*", PolicyAction::kAsk},
                    RuleCase{"permit a/b", nullptr, {}}, RuleCase{"allow", nullptr, {}},
                    RuleCase{"allow ab", nullptr, {}}, RuleCase{"allow /b", nullptr, {}},
                    RuleCase{"allow a/", nullptr, {}}, RuleCase{"allow a/b/c", nullptr, {}},
                    RuleCase{"allow a/b c", nullptr, {}}, RuleCase{"", nullptr, {}}));

TEST(PolicyRules, UnknownActionSaysWhatIsExpected) {
  try {
    parse_policy_rule("permit a/b");
    FAIL();
  } catch (const PolicyError& e) {
    EXPECT_NE(std::string(e.what()).find("expected allow, ask or deny"), std::string::npos);
  }
}

TEST(PolicyRules, FileSkipsCommentsAndNamesTheBadLine) {
  auto rules = parse_policy_text(
      "# team policy\n\nallow payments/list_*  # reads\ndeny */delete_*\n", "p.txt");
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].source, "p.txt:3");
  EXPECT_EQ(rules[1].text(), "deny */delete_*");
  try {
    parse_policy_text("allow a/b\nallow nope\n", "p.txt");
    FAIL();
  } catch (const PolicyError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("p.txt:2: ", 0), 0u) << e.what();
  }
  EXPECT_THROW(read_policy_file("/nonexistent/policy"), PolicyError);
}

struct DecideCase {
  const char* what;
  std::vector<const char*> rules;
  const char* connector;
  const char* tool;
  std::optional<PolicyAction> expected;
  const char* deciding_rule;  // its text, or nullptr
};

class Decide : public testing::TestWithParam<DecideCase> {};

TEST_P(Decide, MostCautiousMatchingRuleWins) {
  const auto& c = GetParam();
  std::vector<PolicyRule> rules;
  for (const char* r : c.rules) rules.push_back(parse_policy_rule(r));
  PolicyDecision d = decide(rules, c.connector, c.tool);
  EXPECT_EQ(d.action, c.expected) << c.what;
  if (c.deciding_rule) {
    ASSERT_TRUE(d.rule) << c.what;
    EXPECT_EQ(d.rule->text(), c.deciding_rule) << c.what;
  } else {
    EXPECT_FALSE(d.rule) << c.what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, Decide,
    testing::Values(
        DecideCase{"no rules", {}, "a", "b", std::nullopt, nullptr},
        DecideCase{"no match", {"allow x/*"}, "a", "b", std::nullopt, nullptr},
        DecideCase{"allow",
                   {"allow payments/list_*"},
                   "payments",
                   "list_cards",
                   PolicyAction::kAllow,
                   "allow payments/list_*"},
        DecideCase{"deny wins over allow, whatever the order",
                   {"deny */delete_*", "allow payments/*"},
                   "payments",
                   "delete_card",
                   PolicyAction::kDeny,
                   "deny */delete_*"},
        DecideCase{"deny wins when last",
                   {"allow payments/*", "deny */delete_*"},
                   "payments",
                   "delete_card",
                   PolicyAction::kDeny,
                   "deny */delete_*"},
        DecideCase{"ask over allow",
                   {"allow github/*", "ask github/create_*"},
                   "github",
                   "create_issue",
                   PolicyAction::kAsk,
                   "ask github/create_*"},
        DecideCase{"connector glob",
                   {"allow git?ub/*"},
                   "github",
                   "x",
                   PolicyAction::kAllow,
                   "allow git?ub/*"},
        DecideCase{
            "connector must match too", {"deny github/*"}, "gitlab", "x", std::nullopt, nullptr}));

}  // namespace
}  // namespace mcpp::host
