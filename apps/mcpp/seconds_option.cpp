// A command-line option given in seconds, read as a duration (see seconds_option.hpp).
#include "seconds_option.hpp"

#include <cstdint>
#include <stdexcept>

namespace mcpp::cli {

std::chrono::milliseconds seconds_option(const std::string& text, std::string_view option,
                                         std::chrono::milliseconds fallback) {
  if (text.empty()) return fallback;
  double seconds = -1;
  try {
    std::size_t used = 0;
    seconds = std::stod(text, &used);
    if (used != text.size()) seconds = -1;
  } catch (const std::exception&) {
    seconds = -1;
  }
  if (!(seconds > 0) || seconds > 1e7) {
    throw std::invalid_argument(std::string(option) + " expects seconds > 0, got '" + text + "'");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

}  // namespace mcpp::cli
