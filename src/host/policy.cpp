// Policy rules: parsing ("deny payments/*"), glob matching, and the most cautious decision of the
// rules that match a tool.
#include "host/policy.hpp"

#include <fstream>
#include <sstream>

namespace mcpp::host {
namespace {

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

int caution(PolicyAction a) {
  switch (a) {
    case PolicyAction::kAllow:
      return 0;
    case PolicyAction::kAsk:
      return 1;
    case PolicyAction::kDeny:
      return 2;
  }
  return 2;
}

}  // namespace

std::string_view to_string(PolicyAction action) {
  switch (action) {
    case PolicyAction::kAllow:
      return "allow";
    case PolicyAction::kAsk:
      return "ask";
    case PolicyAction::kDeny:
      return "deny";
  }
  return "deny";
}

std::optional<PolicyAction> parse_policy_action(std::string_view text) {
  if (text == "allow") return PolicyAction::kAllow;
  if (text == "ask") return PolicyAction::kAsk;
  if (text == "deny") return PolicyAction::kDeny;
  return std::nullopt;
}

std::string PolicyRule::text() const {
  return std::string(to_string(action)) + " " + pattern;
}

bool glob_match(std::string_view glob, std::string_view text) {
  // Iterative matching with one backtrack point for the last '*' (linear for typical patterns).
  std::size_t g = 0, t = 0;
  std::size_t star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g;
      ++t;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

PolicyRule parse_policy_rule(std::string_view line, std::string source) {
  std::string_view s = trim(line);
  auto space = s.find_first_of(" \t");
  if (space == std::string_view::npos) {
    throw PolicyError("bad policy rule '" + std::string(s) +
                      "': expected ACTION CONNECTOR/TOOL, e.g. 'deny payments/delete_*'");
  }
  std::string_view action_text = s.substr(0, space);
  std::string_view pattern = trim(s.substr(space));
  auto action = parse_policy_action(action_text);
  if (!action) {
    throw PolicyError("bad policy rule '" + std::string(s) + "': unknown action '" +
                      std::string(action_text) + "' (expected allow, ask or deny)");
  }
  auto slash = pattern.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == pattern.size() ||
      pattern.find('/', slash + 1) != std::string_view::npos ||
      pattern.find_first_of(" \t") != std::string_view::npos) {
    throw PolicyError("bad policy rule '" + std::string(s) + "': the pattern '" +
                      std::string(pattern) +
                      "' must be CONNECTOR/TOOL with one '/' (globs * and ?), e.g. 'github/*'");
  }
  return PolicyRule{std::string(pattern), *action, std::move(source)};
}

std::vector<PolicyRule> parse_policy_text(std::string_view text, std::string_view file) {
  std::vector<PolicyRule> rules;
  int number = 0;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    ++number;
    std::string_view content = line;
    if (auto hash = content.find('#'); hash != std::string_view::npos) {
      content = content.substr(0, hash);
    }
    if (trim(content).empty()) continue;
    std::string where = std::string(file) + ":" + std::to_string(number);
    try {
      rules.push_back(parse_policy_rule(content, where));
    } catch (const PolicyError& e) {
      throw PolicyError(where + ": " + e.what());
    }
  }
  return rules;
}

std::vector<PolicyRule> read_policy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PolicyError("cannot read the policy file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_policy_text(text.str(), path);
}

PolicyDecision decide(const std::vector<PolicyRule>& rules, std::string_view connector,
                      std::string_view tool) {
  PolicyDecision decision;
  for (const auto& rule : rules) {
    auto slash = rule.pattern.find('/');
    if (slash == std::string::npos) continue;
    std::string_view pattern = rule.pattern;
    if (!glob_match(pattern.substr(0, slash), connector) ||
        !glob_match(pattern.substr(slash + 1), tool)) {
      continue;
    }
    if (!decision.action || caution(rule.action) > caution(*decision.action)) {
      decision.action = rule.action;
      decision.rule = rule;
    }
  }
  return decision;
}

}  // namespace mcpp::host
