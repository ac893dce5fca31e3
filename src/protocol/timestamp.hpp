// Timestamps as MCP and mcpp write them: RFC 3339 in UTC with milliseconds
// ("2025-11-25T10:30:00.123Z"), e.g. a task's createdAt and the audit log's entries.
#pragma once

#include <chrono>
#include <string>

namespace mcpp::protocol {

// `t` as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds).
std::string rfc3339_utc(std::chrono::system_clock::time_point t);

}  // namespace mcpp::protocol
