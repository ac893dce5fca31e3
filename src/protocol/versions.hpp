// MCP protocol revisions mcpp speaks, their negotiation and the features each one has.
#pragma once

#include <array>
#include <string_view>

namespace mcpp::protocol {

inline constexpr std::string_view k2024_11_05 = "2024-11-05";
inline constexpr std::string_view k2025_03_26 = "2025-03-26";
inline constexpr std::string_view k2025_06_18 = "2025-06-18";
inline constexpr std::string_view k2025_11_25 = "2025-11-25";
inline constexpr std::string_view k2026_07_28 = "2026-07-28";

// Stateful revisions (initialize + sessions), oldest first.
inline constexpr std::array<std::string_view, 4> kStatefulVersions = {k2024_11_05, k2025_03_26,
                                                                      k2025_06_18, k2025_11_25};
inline constexpr std::string_view kLatestStateful = k2025_11_25;

bool is_stateful_version(std::string_view v);
// Versions a client may put in MCP-Protocol-Version over HTTP.
bool is_known_version(std::string_view v);

// The version the server answers to an initialize that asked for `requested`: the same when
// supported, otherwise the latest stateful one (the client then decides whether to go on).
std::string_view negotiate(std::string_view requested);

// Feature gates. Revisions are ISO dates, so they compare as strings.
inline bool has_batches(std::string_view v) {
  return v == k2025_03_26;
}
inline bool has_structured_content(std::string_view v) {
  return v >= k2025_06_18;
}
inline bool has_elicitation(std::string_view v) {
  return v >= k2025_06_18;
}
inline bool has_titles(std::string_view v) {
  return v >= k2025_06_18;
}
inline bool has_icons(std::string_view v) {
  return v >= k2025_11_25;
}
inline bool has_url_elicitation(std::string_view v) {
  return v >= k2025_11_25;
}
inline bool has_audio(std::string_view v) {
  return v >= k2025_03_26;
}
inline bool has_annotations_on_tools(std::string_view v) {
  return v >= k2025_03_26;
}
inline bool has_resource_links(std::string_view v) {
  return v >= k2025_06_18;
}

}  // namespace mcpp::protocol
