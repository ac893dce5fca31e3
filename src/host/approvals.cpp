// Classification of tool calls, the person's choices and the approval gate.
#include "host/approvals.hpp"

#include <algorithm>
#include <cctype>

namespace mcpp::host {
namespace {

std::optional<bool> bool_member(const json::object& object, std::string_view key) {
  const json::value* v = find(object, key);
  if (v && v->is_bool()) return v->get_bool();
  return std::nullopt;
}

}  // namespace

ToolTraits classify_tool(const json::object& annotations, bool trusted, bool accepted) {
  ToolTraits t;
  t.trusted = trusted;
  t.accepted = accepted;
  if (!trusted) {
    t.destructive = true;
    t.open_world = true;
    return t;
  }
  bool read_only = bool_member(annotations, "readOnlyHint").value_or(false);
  t.read = read_only && accepted;
  if (!read_only) t.destructive = bool_member(annotations, "destructiveHint").value_or(true);
  t.open_world = bool_member(annotations, "openWorldHint").value_or(true);
  return t;
}

bool allows(ApprovalChoice choice) {
  return choice == ApprovalChoice::kAllowOnce || choice == ApprovalChoice::kAllowForConversation;
}

bool remembered(ApprovalChoice choice) {
  return choice == ApprovalChoice::kAllowForConversation ||
         choice == ApprovalChoice::kDenyForConversation;
}

std::string_view to_string(ApprovalChoice choice) {
  switch (choice) {
    case ApprovalChoice::kAllowOnce:
      return "allow_once";
    case ApprovalChoice::kDenyOnce:
      return "deny_once";
    case ApprovalChoice::kAllowForConversation:
      return "allow_conversation";
    case ApprovalChoice::kDenyForConversation:
      return "deny_conversation";
  }
  return "deny_once";
}

std::optional<ApprovalChoice> parse_approval_choice(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "y" || lower == "yes" || lower == "allow_once") return ApprovalChoice::kAllowOnce;
  if (lower == "n" || lower == "no" || lower == "deny_once") return ApprovalChoice::kDenyOnce;
  if (lower == "a" || lower == "always" || lower == "allow_conversation") {
    return ApprovalChoice::kAllowForConversation;
  }
  if (lower == "never" || lower == "deny_conversation") return ApprovalChoice::kDenyForConversation;
  return std::nullopt;
}

void RememberedDecisions::remember(const QualifiedTool& tool, bool allow,
                                   std::string definition_hash) {
  decisions_[{tool.connector, tool.tool}] = Entry{allow, std::move(definition_hash)};
}

std::optional<bool> RememberedDecisions::find(const QualifiedTool& tool,
                                              std::string_view definition_hash) const {
  auto it = decisions_.find({tool.connector, tool.tool});
  if (it == decisions_.end() || it->second.definition_hash != definition_hash) return std::nullopt;
  return it->second.allow;
}

void RememberedDecisions::forget(const QualifiedTool& tool) {
  decisions_.erase({tool.connector, tool.tool});
}

GateDecision gate(const GateInput& input) {
  using Action = GateDecision::Action;
  if (input.readonly_conversation && !input.traits.read) return {Action::kRefuse, "readonly-mode"};
  if (input.policy == PolicyAction::kDeny) return {Action::kRefuse, "policy: " + input.policy_rule};
  if (input.remembered) {
    return *input.remembered ? GateDecision{Action::kRun, "remembered allow"}
                             : GateDecision{Action::kRefuse, "remembered deny"};
  }
  if (input.policy == PolicyAction::kAllow) return {Action::kRun, "policy: " + input.policy_rule};
  if (input.traits.read && input.policy != PolicyAction::kAsk) return {Action::kRun, "read"};
  return {Action::kAsk, ""};
}

}  // namespace mcpp::host
