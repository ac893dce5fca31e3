// Whether a proposed tool call runs, is refused, or needs the person: the classification of a
// call as a read or a write, the person's four choices, the decisions remembered for one
// conversation, and the gate that combines them with the policy (deny wins).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "host/policy.hpp"
#include "host/tool_names.hpp"
#include "mcpp/json.hpp"

namespace mcpp::host {

// What the host believes about a tool, from its annotations and its connector.
struct ToolTraits {
  bool read = false;         // readOnlyHint from a trusted connector, definition accepted
  bool destructive = false;  // a write that may destroy (destructiveHint, default true)
  bool open_world = false;   // reaches outside the server (openWorldHint, default true)
  bool trusted = true;       // false: the annotations were ignored
  bool accepted = true;      // false: the definition changed since it was pinned
};

// Classifies a tool. A read needs readOnlyHint true, a trusted connector and an accepted
// (pinned) definition; everything else is a write. The spec's defaults apply to writes:
// destructiveHint and openWorldHint are true unless said otherwise; an untrusted connector's
// writes count as destructive and open-world whatever they say.
ToolTraits classify_tool(const json::object& annotations, bool trusted, bool accepted);

// The person's answer to an approval question.
enum class ApprovalChoice {
  kAllowOnce,
  kDenyOnce,
  kAllowForConversation,
  kDenyForConversation,
};
bool allows(ApprovalChoice choice);
bool remembered(ApprovalChoice choice);
// "allow_once", "deny_once", "allow_conversation", "deny_conversation".
std::string_view to_string(ApprovalChoice choice);
// Parses the names of to_string and the one-line answers of `mcpp chat` on a pipe: "y" allow
// once, "n" deny once, "a" allow for the conversation, "never" deny for the conversation
// (case-insensitive, surrounding spaces ignored). Nothing for anything else.
std::optional<ApprovalChoice> parse_approval_choice(std::string_view text);

// The decisions a person made "for this conversation", per tool. A decision is tied to the
// definition it was made for: when the tool's definition hash changes, it no longer applies.
class RememberedDecisions {
 public:
  void remember(const QualifiedTool& tool, bool allow, std::string definition_hash);
  // The decision for `tool` when one was made for this definition.
  std::optional<bool> find(const QualifiedTool& tool, std::string_view definition_hash) const;
  void forget(const QualifiedTool& tool);
  std::size_t size() const { return decisions_.size(); }

 private:
  struct Entry {
    bool allow;
    std::string definition_hash;
  };
  std::map<std::pair<std::string, std::string>, Entry> decisions_;
};

// Everything the gate weighs for one call.
struct GateInput {
  ToolTraits traits;
  std::optional<PolicyAction> policy;  // the policy's verdict (policy.hpp: deny wins), if a rule
  std::string policy_rule;             // the rule that gave it ("deny payments/*"), for the record
  std::optional<bool> remembered;      // a decision for the conversation
  bool readonly_conversation = false;
};

// What the gate decided, and what decided it (recorded with the call): "read", "policy: <rule>",
// "remembered allow", "remembered deny", "readonly-mode"; empty when the person must be asked.
struct GateDecision {
  enum class Action { kRun, kRefuse, kAsk } action = Action::kAsk;
  std::string decided_by;
};

// The order: a write in a read-only conversation is refused; a policy deny refuses; a decision
// remembered for the conversation applies; a policy allow runs; a read runs unless a policy rule
// says ask; everything else asks the person.
GateDecision gate(const GateInput& input);

}  // namespace mcpp::host
