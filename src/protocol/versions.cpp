// Protocol revision negotiation.
#include "protocol/versions.hpp"

#include <algorithm>

namespace mcpp::protocol {

bool is_stateful_version(std::string_view v) {
  return std::find(kStatefulVersions.begin(), kStatefulVersions.end(), v) !=
         kStatefulVersions.end();
}

bool is_known_version(std::string_view v) {
  return is_stateful_version(v) || v == k2026_07_28;
}

std::string_view negotiate(std::string_view requested) {
  return is_stateful_version(requested) ? requested : kLatestStateful;
}

}  // namespace mcpp::protocol
