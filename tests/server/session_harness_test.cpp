// The in-memory session harness itself: what escapes ServerSession::handle() must fail the test
// that sent the message instead of vanishing in a detached coroutine.
#include "session_harness.hpp"

#include <gtest/gtest.h>

namespace mcpp {
namespace {
using testing::SessionHarness;

// Not a std::exception: the session turns those into errors, so this one escapes handle().
struct EscapingFailure {
  int code = 0;
};

constexpr const char* kCallEscape =
    R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"escape"}})";

TEST(SessionHarnessTest, SendRethrowsWhatEscapesHandle) {
  Server server;
  server.add_tool({.name = "escape", .input_schema = {{"type", "object"}}},
                  [](const json::object&, Context&) -> Task<ToolResult> {
                    throw EscapingFailure{7};
                    co_return ToolResult{};
                  });
  SessionHarness h(server);
  h.initialize();
  try {
    h.send(kCallEscape);
    ADD_FAILURE() << "the exception escaping handle() was swallowed";
  } catch (const EscapingFailure& e) {
    EXPECT_EQ(e.code, 7);
  }
}

TEST(SessionHarnessTest, StartRethrowsFromThePollThatRunsIt) {
  Server server;
  server.add_tool({.name = "escape", .input_schema = {{"type", "object"}}},
                  [](const json::object&, Context&) -> Task<ToolResult> {
                    throw EscapingFailure{8};
                    co_return ToolResult{};
                  });
  SessionHarness h(server);
  h.initialize();
  json::value reply;
  EXPECT_THROW(h.start(kCallEscape, &reply), EscapingFailure);
}

}  // namespace
}  // namespace mcpp
