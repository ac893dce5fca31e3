// Fuzzes the mcpServers config parser (src/client/server_config: `mcpp tools --config`,
// `mcpp connectors import`) and the gateway's keys on top of it (src/gateway/gateway_config).
// Invariants: a file is either read or refused with ServerConfigError (nothing else escapes);
// every server read has a name and a command or a URL; the gateway reads the same servers, in
// the same order, with a timeout in range and its tool filter answering without throwing.
#include <cstddef>
#include <cstdint>
#include <exception>

#include "client/server_config.hpp"
#include "fuzz_check.hpp"
#include "gateway/gateway_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpp;
  std::string_view text = fuzz::as_text(data, size);
  ServerConfig config;
  try {
    config = parse_server_config(text, "fuzz.json");
  } catch (const ServerConfigError&) {
    return 0;
  } catch (const std::exception& e) {
    fuzz::fail("parse_server_config threw something else than ServerConfigError", e.what());
  }
  for (const auto& s : config.servers) {
    fuzz::check(!s.name.empty(), "a server has a name");
    fuzz::check(!s.command.empty() || !s.url.empty(), "a server has a command or a URL", s.name);
  }
  gateway::GatewayConfig g;
  try {
    g = gateway::parse_gateway_config(text, "fuzz.json");
  } catch (const ServerConfigError&) {
    return 0;  // the gateway's own keys may be bad where the standard ones are fine
  } catch (const std::exception& e) {
    fuzz::fail("parse_gateway_config threw something else than ServerConfigError", e.what());
  }
  fuzz::check(g.upstreams.size() == config.servers.size(), "the gateway reads the same servers");
  for (std::size_t i = 0; i < g.upstreams.size(); ++i) {
    const auto& u = g.upstreams[i];
    fuzz::check(u.name() == config.servers[i].name, "in the same order", u.name());
    fuzz::check(u.timeout.count() > 0 && u.timeout.count() <= 86'400'000, "timeout in range");
    fuzz::check(u.max_restarts >= 0, "restarts not negative");
    (void)u.exposes("read_file");
    (void)u.exposes("");
  }
  return 0;
}
