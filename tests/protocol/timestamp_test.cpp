// RFC 3339 UTC timestamps with milliseconds, as tasks and the audit log write them.
#include "protocol/timestamp.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

TEST(Timestamp, Rfc3339UtcWithMilliseconds) {
  EXPECT_EQ(mcpp::protocol::rfc3339_utc(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(mcpp::protocol::rfc3339_utc(system_clock::time_point{milliseconds(1764066600123)}),
            "2025-11-25T10:30:00.123Z");
  EXPECT_EQ(mcpp::protocol::rfc3339_utc(system_clock::time_point{milliseconds(951782400007)}),
            "2000-02-29T00:00:00.007Z");
  std::regex shape(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(mcpp::protocol::rfc3339_utc(system_clock::now()), shape));
}

}  // namespace
