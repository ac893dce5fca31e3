// The connectors of a chat as the engine sees them, built from the connector pool (the Client,
// the server's instructions, its listed tools) and the host store (trust, instructions setting,
// each tool's enabled flag and pin). Shared by `mcpp chat` and the web console.
#pragma once

#include <string>
#include <vector>

#include "host/chat_engine.hpp"
#include "host/connector_pool.hpp"
#include "host/host_store.hpp"

namespace mcpp::host {

// The connected connectors among `names` (all connected ones when empty). A tool the store does
// not know yet counts as enabled and accepted; a tool whose definition changed since it was
// pinned is not accepted and carries the diff.
std::vector<ChatConnector> chat_connectors(ConnectorPool& pool, const HostStore& store,
                                           const std::vector<std::string>& names);

}  // namespace mcpp::host
