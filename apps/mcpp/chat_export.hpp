// Stored conversations for `mcpp chat --list` and `--export ID` (Markdown or JSON).
#pragma once

#include <string>

#include "host/host_store.hpp"

namespace mcpp::cli {

// One line per conversation: id, creation time (UTC), connectors, title.
std::string conversation_list(const host::HostStore& store);
// The conversation's messages and tool calls (with what decided each). Throws
// std::invalid_argument for an unknown id.
std::string export_conversation(const host::HostStore& store, const std::string& id,
                                const std::string& format);

}  // namespace mcpp::cli
