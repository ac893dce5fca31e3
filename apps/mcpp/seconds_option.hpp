// A command-line option given in seconds (--timeout, --auth-timeout), read as a duration.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace mcpp::cli {

// `text` as a number of seconds (fractions allowed), more than 0 and at most 10^7; `fallback`
// when `text` is empty. Throws std::invalid_argument "<option> expects seconds > 0, got '...'"
// otherwise.
std::chrono::milliseconds seconds_option(const std::string& text, std::string_view option,
                                         std::chrono::milliseconds fallback);

}  // namespace mcpp::cli
