// The --http HOST:PORT option of `mcpp serve` and `mcpp gateway`.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

// Splits "HOST:PORT" (HOST may be "[v6]"; empty HOST means 127.0.0.1); throws
// CLI::ValidationError when malformed.
std::pair<std::string, std::uint16_t> parse_http_address(const std::string& s);
