// ChatConnectors from the pool's statuses and the store's tool records.
#include "host/chat_connectors.hpp"

#include <algorithm>

#include "host/tool_pins.hpp"

namespace mcpp::host {

std::vector<ChatConnector> chat_connectors(ConnectorPool& pool, const HostStore& store,
                                           const std::vector<std::string>& names) {
  std::vector<ChatConnector> out;
  for (const auto& status : pool.statuses()) {
    if (status.state != ConnectorState::kConnected) continue;
    if (!names.empty() && std::find(names.begin(), names.end(), status.name) == names.end()) {
      continue;
    }
    Client* client = pool.client(status.name);
    if (!client) continue;
    ChatConnector connector;
    connector.name = status.name;
    connector.client = client;
    connector.use_instructions = status.use_instructions;
    if (auto spec = store.find_connector(status.name)) connector.trusted = spec->trusted;
    std::vector<ToolRecord> records = store.tools(status.name);
    for (const auto& info : status.tools) {
      ConnectorTool tool;
      tool.info = info;
      auto record = std::find_if(records.begin(), records.end(),
                                 [&](const ToolRecord& r) { return r.name == info.name; });
      if (record != records.end()) {
        tool.enabled = record->enabled;
        tool.accepted = !record->changed();
        tool.definition_hash = record->latest_hash;
        if (!tool.accepted) tool.diff = describe_tool_change(record->accepted, record->latest);
      } else {
        tool.definition_hash = definition_hash(tool_definition(info));
      }
      connector.tools.push_back(std::move(tool));
    }
    out.push_back(std::move(connector));
  }
  return out;
}

}  // namespace mcpp::host
