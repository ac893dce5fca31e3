// Policy rules for tool calls: `connector/tool-glob -> allow | ask | deny` (globs with `*` and
// `?` on each side of the '/'), read from a policy file (one rule per line, `allow
// payments/list_*`,
// `#` comments) and from the host store, and the decision they make for one tool. The most
// cautious matching rule wins: deny over ask over allow.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mcpp::host {

enum class PolicyAction { kAllow, kAsk, kDeny };

// "allow", "ask" or "deny".
std::string_view to_string(PolicyAction action);
// Parses "allow", "ask" or "deny"; nothing otherwise.
std::optional<PolicyAction> parse_policy_action(std::string_view text);

struct PolicyRule {
  std::string pattern;  // "connector/tool-glob"
  PolicyAction action = PolicyAction::kAsk;
  std::string source;  // where it came from: "store" or "FILE:LINE"
  // "deny payments/*"
  std::string text() const;
};

// A rule's text is bad: not "ACTION CONNECTOR/TOOL", an unknown action, an empty side.
class PolicyError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// True when `text` matches `glob`: `*` any run of characters (also none), `?` one character,
// everything else itself (case-sensitive).
bool glob_match(std::string_view glob, std::string_view text);

// Parses "ACTION CONNECTOR-GLOB/TOOL-GLOB" (spaces around are ignored). Throws PolicyError.
PolicyRule parse_policy_rule(std::string_view line, std::string source = "store");

// Parses a policy file: one rule per line, blank lines and `#` comments skipped. Throws
// PolicyError naming the file and line.
std::vector<PolicyRule> parse_policy_text(std::string_view text, std::string_view file);
// Reads and parses a policy file. Throws PolicyError (also when it cannot be read).
std::vector<PolicyRule> read_policy_file(const std::string& path);

// What the rules say about one tool: nothing when no rule matches (the engine then applies its
// default: reads run, writes ask), else the action of the most cautious matching rule and that
// rule.
struct PolicyDecision {
  std::optional<PolicyAction> action;
  std::optional<PolicyRule> rule;
};

PolicyDecision decide(const std::vector<PolicyRule>& rules, std::string_view connector,
                      std::string_view tool);

}  // namespace mcpp::host
