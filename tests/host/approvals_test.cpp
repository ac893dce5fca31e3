// The approval rules: read or write, the person's answers, remembered decisions and the gate's
// order (read-only mode, policy deny, remembered, policy allow, read, ask).
#include "host/approvals.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mcpp::host {
namespace {

TEST(ClassifyTool, ReadNeedsReadOnlyHintTrustAndAcceptance) {
  json::object read_only{{"readOnlyHint", true}};
  EXPECT_TRUE(classify_tool(read_only, true, true).read);
  EXPECT_FALSE(classify_tool(read_only, false, true).read) << "untrusted connector";
  EXPECT_FALSE(classify_tool(read_only, true, false).read) << "definition changed";
  EXPECT_FALSE(classify_tool({}, true, true).read) << "no hint";
  EXPECT_FALSE(classify_tool({{"readOnlyHint", "true"}}, true, true).read) << "not a boolean";
}

TEST(ClassifyTool, WritesFollowTheSpecDefaults) {
  ToolTraits plain = classify_tool({}, true, true);
  EXPECT_TRUE(plain.destructive);
  EXPECT_TRUE(plain.open_world);
  ToolTraits additive =
      classify_tool({{"destructiveHint", false}, {"openWorldHint", false}}, true, true);
  EXPECT_FALSE(additive.destructive);
  EXPECT_FALSE(additive.open_world);
  ToolTraits untrusted =
      classify_tool({{"destructiveHint", false}, {"openWorldHint", false}}, false, true);
  EXPECT_TRUE(untrusted.destructive) << "an untrusted connector's hints are ignored";
  EXPECT_TRUE(untrusted.open_world);
  EXPECT_FALSE(untrusted.trusted);
  ToolTraits read = classify_tool({{"readOnlyHint", true}}, true, true);
  EXPECT_FALSE(read.destructive) << "a read destroys nothing";
}

TEST(ApprovalChoice, OneLineAnswersAndNames) {
  struct Case {
    const char* text;
    std::optional<ApprovalChoice> choice;
  } cases[] = {
      {"y", ApprovalChoice::kAllowOnce},
      {" Y \n", ApprovalChoice::kAllowOnce},
      {"n", ApprovalChoice::kDenyOnce},
      {"a", ApprovalChoice::kAllowForConversation},
      {"never", ApprovalChoice::kDenyForConversation},
      {"NEVER", ApprovalChoice::kDenyForConversation},
      {"allow_conversation", ApprovalChoice::kAllowForConversation},
      {"deny_once", ApprovalChoice::kDenyOnce},
      {"", std::nullopt},
      {"maybe", std::nullopt},
      {"yy", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_approval_choice(c.text), c.choice) << c.text;
  for (auto choice :
       {ApprovalChoice::kAllowOnce, ApprovalChoice::kDenyOnce,
        ApprovalChoice::kAllowForConversation, ApprovalChoice::kDenyForConversation}) {
    EXPECT_EQ(parse_approval_choice(to_string(choice)), choice);
  }
  EXPECT_TRUE(allows(ApprovalChoice::kAllowForConversation));
  EXPECT_FALSE(allows(ApprovalChoice::kDenyForConversation));
  EXPECT_TRUE(remembered(ApprovalChoice::kDenyForConversation));
  EXPECT_FALSE(remembered(ApprovalChoice::kAllowOnce));
}

TEST(RememberedDecisions, TiedToTheDefinitionHash) {
  RememberedDecisions d;
  QualifiedTool tool{"memory", "create_entities"};
  EXPECT_FALSE(d.find(tool, "h1"));
  d.remember(tool, true, "h1");
  EXPECT_EQ(d.find(tool, "h1"), true);
  EXPECT_FALSE(d.find(tool, "h2")) << "a changed definition loses the decision";
  EXPECT_FALSE(d.find({"memory", "delete_entities"}, "h1"));
  d.remember(tool, false, "h2");
  EXPECT_EQ(d.find(tool, "h2"), false);
  d.forget(tool);
  EXPECT_EQ(d.size(), 0u);
}

// Built field by field: GCC 12 at -O2 reports a false maybe-uninitialized on the string of
// brace-initialized GateInputs in an array (-Werror in the release build).
GateInput gate_input(ToolTraits traits, std::optional<PolicyAction> policy = std::nullopt,
                     std::string rule = {}, std::optional<bool> remembered = std::nullopt,
                     bool readonly = false) {
  GateInput in;
  in.traits = traits;
  in.policy = policy;
  in.policy_rule = std::move(rule);
  in.remembered = remembered;
  in.readonly_conversation = readonly;
  return in;
}

TEST(Gate, TheOrderOfTheRules) {
  using A = GateDecision::Action;
  ToolTraits read{.read = true}, write{.destructive = true};
  struct Case {
    const char* what;
    GateInput input;
    A action;
    std::string decided_by;
  };
  const std::vector<Case> cases = {
      {"a read runs", gate_input(read), A::kRun, "read"},
      {"a write asks", gate_input(write), A::kAsk, ""},
      {"policy deny wins over a read", gate_input(read, PolicyAction::kDeny, "deny m/*"),
       A::kRefuse, "policy: deny m/*"},
      {"policy deny wins over remembered allow",
       gate_input(write, PolicyAction::kDeny, "deny m/x", true), A::kRefuse, "policy: deny m/x"},
      {"policy allow runs a write", gate_input(write, PolicyAction::kAllow, "allow m/*"), A::kRun,
       "policy: allow m/*"},
      {"policy ask asks even for a read", gate_input(read, PolicyAction::kAsk, "m/*"), A::kAsk, ""},
      {"remembered allow", gate_input(write, std::nullopt, "", true), A::kRun, "remembered allow"},
      {"remembered deny beats policy allow", gate_input(write, PolicyAction::kAllow, "m/*", false),
       A::kRefuse, "remembered deny"},
      {"read-only mode refuses a write even when allowed",
       gate_input(write, PolicyAction::kAllow, "m/*", true, true), A::kRefuse, "readonly-mode"},
      {"read-only mode runs a read", gate_input(read, std::nullopt, "", std::nullopt, true),
       A::kRun, "read"},
  };
  for (const auto& c : cases) {
    GateDecision d = gate(c.input);
    EXPECT_EQ(d.action, c.action) << c.what;
    EXPECT_EQ(d.decided_by, c.decided_by) << c.what;
  }
}

}  // namespace
}  // namespace mcpp::host
