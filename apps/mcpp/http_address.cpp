// Parses --http HOST:PORT.
#include "http_address.hpp"

#include <CLI/CLI.hpp>

std::pair<std::string, std::uint16_t> parse_http_address(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) {
    throw CLI::ValidationError("--http", "expected HOST:PORT, got " + s);
  }
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned long port = 0;
  try {
    port = std::stoul(s.substr(colon + 1));
  } catch (...) {
    port = 70000;
  }
  if (port > 65535) throw CLI::ValidationError("--http", "bad port in " + s);
  if (host.empty()) host = "127.0.0.1";
  return {host, static_cast<std::uint16_t>(port)};
}
