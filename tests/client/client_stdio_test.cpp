// mcpp::Client over stdio: the built `mcpp serve --stdio` as the server, and small shell
// scripts for what a real server does rarely (exits at once, ignores SIGTERM, reads env and cwd).
#include <signal.h>

#include <filesystem>

#include "client_test_support.hpp"

namespace mcpp {
namespace {

using testing::run;
using namespace std::chrono_literals;

StdioTarget mcpp_serve() {
  StdioTarget t;
  t.command = MCPP_BINARY_DIR "/mcpp";
  t.args = {"serve", "--stdio", "--fixture", "conformance"};
  return t;
}

// A shell script that answers initialize (request id 1) with `server_info` built by the shell,
// then reads its input until it ends.
StdioTarget shell_server(std::string server_info_json, std::string after = "cat >/dev/null") {
  StdioTarget t;
  t.command = "/bin/sh";
  t.args = {"-c",
            "read line; printf '%s\\n' \"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"id\\\":1,\\\"result\\\":"
            "{\\\"protocolVersion\\\":\\\"2025-11-25\\\",\\\"capabilities\\\":{},"
            "\\\"serverInfo\\\":" +
                server_info_json + "}}\"; " + after};
  return t;
}

TEST(ClientOverStdio, ListsAndCallsToolsOfMcppServe) {
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    client.on_elicitation([](const ElicitationRequest&) -> Task<ElicitationResponse> {
      co_return ElicitationResponse::accept();
    });
    co_await client.connect(mcpp_serve());
    EXPECT_EQ(client.transport_name(), "stdio");
    EXPECT_EQ(find_string(client.server().server_info, "name"), "mcpp-conformance-fixture");
    auto tools = co_await client.list_tools();
    EXPECT_GE(tools.size(), 10u);
    CallToolResult r = co_await client.call_tool("test_simple_text");
    EXPECT_EQ(r.text(), "This is a simple text response for testing.");
    // A server->client request over stdio, answered with the schema's defaults filled in.
    CallToolResult e = co_await client.call_tool("test_elicitation_sep1034_defaults");
    EXPECT_NE(e.text().find(R"("age":30)"), std::string::npos) << e.text();
    EXPECT_NE(e.text().find(R"("verified":true)"), std::string::npos) << e.text();
    std::vector<Progress> progress;
    RequestOptions o;
    o.on_progress = [&](const Progress& p) { progress.push_back(p); };
    co_await client.call_tool("test_tool_with_progress", {}, o);
    EXPECT_EQ(progress.size(), 3u);
    auto prompts = co_await client.list_prompts();
    EXPECT_FALSE(prompts.empty());
    co_await client.close();
  });
}

TEST(ClientOverStdio, ReportsACommandThatDoesNotExist) {
  try {
    run([&](auto ex) -> Task<void> {
      Client client(ex, testing::stateful_options());
      StdioTarget t;
      t.command = "/nonexistent/mcp-server";
      co_await client.connect(t);
    });
    FAIL() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind(), TransportError::Kind::kUnreachable);
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

TEST(ClientOverStdio, ReportsAServerThatExitsWithItsStderr) {
  try {
    run([&](auto ex) -> Task<void> {
      Client client(ex, testing::stateful_options());
      StdioTarget t;
      t.command = "/bin/sh";
      t.args = {"-c", "echo 'missing API key' >&2; exit 3"};
      co_await client.connect(t);
    });
    FAIL() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind(), TransportError::Kind::kClosed);
    std::string what = e.what();
    EXPECT_NE(what.find("exited with status 3"), std::string::npos) << what;
    EXPECT_NE(what.find("missing API key"), std::string::npos) << what;
  }
}

TEST(ClientOverStdio, PassesEnvironmentAndWorkingDirectory) {
  std::string dir = std::filesystem::temp_directory_path().string();
  auto info = run([&](auto ex) -> Task<json::object> {
    Client client(ex, testing::stateful_options());
    StdioTarget t = shell_server(R"({\"name\":\"$MCPP_TEST_NAME\",\"version\":\"$(pwd)\"})");
    t.env["MCPP_TEST_NAME"] = "from-env";
    t.cwd = dir;
    std::vector<std::string> lines;
    t.on_stderr = [&](std::string_view l) { lines.emplace_back(l); };
    co_await client.connect(t);
    json::object i = client.server().server_info;
    co_await client.close();
    co_return i;
  });
  EXPECT_EQ(find_string(info, "name"), "from-env");
  EXPECT_EQ(std::filesystem::path(std::string(find_string(info, "version"))),
            std::filesystem::path(dir));
}

TEST(ClientOverStdio, StopsAServerThatIgnoresItsInputAndSigterm) {
  auto elapsed = run([&](auto ex) -> Task<std::chrono::milliseconds> {
    Client client(ex, testing::stateful_options());
    StdioTarget t = shell_server(R"({\"name\":\"stubborn\",\"version\":\"1\"})",
                                 "trap '' TERM; while true; do sleep 0.05; done");
    t.shutdown_grace = 150ms;
    co_await client.connect(t);
    auto start = std::chrono::steady_clock::now();
    co_await client.close();
    co_return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
  });
  EXPECT_GE(elapsed, 280ms);  // stdin closed, then SIGTERM, then SIGKILL
  EXPECT_LT(elapsed, 3s);
}

TEST(ClientOverStdio, NoticesWhenTheServerGoesAway) {
  std::string why;
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    client.on_disconnect([&](std::string_view w) { why = w; });
    co_await client.connect(
        shell_server(R"({\"name\":\"brief\",\"version\":\"1\"})", "read line; exit 0"));
    EXPECT_TRUE(co_await testing::eventually([&] { return !why.empty(); }));
    try {
      co_await client.ping();
      ADD_FAILURE() << "expected a TransportError";
    } catch (const TransportError& e) {
      EXPECT_EQ(e.kind(), TransportError::Kind::kClosed);
    }
  });
  EXPECT_NE(why.find("exited with status 0"), std::string::npos) << why;
}

// SIGPIPE's disposition as the process has it now.
void (*sigpipe_handler())(int) {
  struct sigaction current {};
  ::sigaction(SIGPIPE, nullptr, &current);
  return current.sa_handler;
}

TEST(ClientOverStdio, LeavesTheProcessSigpipeDispositionAlone) {
  struct sigaction dfl = {};
  struct sigaction saved = {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, &saved);
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    co_await client.connect(shell_server(R"({\"name\":\"plain\",\"version\":\"1\"})"));
    co_await client.close();
  });
  EXPECT_EQ(sigpipe_handler(), SIG_DFL) << "the client changed how the process takes SIGPIPE";
  ::sigaction(SIGPIPE, &saved, nullptr);
}

// With SIGPIPE at its default (fatal), writing to a server that closed its stdin must be an
// error the caller sees, not the end of the process.
TEST(ClientOverStdio, WritingToAServerThatClosedItsInputIsAnError) {
  struct sigaction dfl = {};
  struct sigaction saved = {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, &saved);
  run([&](auto ex) -> Task<void> {
    Client client(ex, testing::stateful_options());
    // The server reads notifications/initialized, then closes its input and says so.
    StdioTarget t = shell_server(R"({\"name\":\"deaf\",\"version\":\"1\"})",
                                 "read line; exec 0<&-; echo 'input closed' >&2; sleep 3");
    bool input_closed = false;
    t.on_stderr = [&](std::string_view line) {
      input_closed = input_closed || line == "input closed";
    };
    co_await client.connect(t);
    EXPECT_TRUE(co_await testing::eventually([&] { return input_closed; }));
    try {
      co_await client.ping();
      ADD_FAILURE() << "expected a TransportError";
    } catch (const TransportError& e) {
      EXPECT_EQ(e.kind(), TransportError::Kind::kClosed);
      EXPECT_NE(std::string(e.what()).find("cannot write to the server process"), std::string::npos)
          << e.what();
    }
    co_await client.close();
  });
  ::sigaction(SIGPIPE, &saved, nullptr);
}

}  // namespace
}  // namespace mcpp

// ---- the stateless era over stdio ----

namespace mcpp {
namespace {

TEST(ClientOverStdio, SpeaksTheStatelessEraWithMcppServe) {
  run([&](auto ex) -> Task<void> {
    Client client(ex);  // ProtocolEra::kAuto: mcpp serve speaks 2026-07-28
    co_await client.connect(mcpp_serve());
    EXPECT_TRUE(client.stateless());
    EXPECT_EQ(client.server().protocol_version, "2026-07-28");
    EXPECT_EQ(find_string(client.server().server_info, "name"), "mcpp-conformance-fixture");
    auto tools = co_await client.list_tools();
    EXPECT_GE(tools.size(), 10u);
    CallToolResult r = co_await client.call_tool("test_simple_text");
    EXPECT_EQ(r.text(), "This is a simple text response for testing.");
    co_await client.ping();
    co_await client.close();
  });
}

// A stateful server in sh: answers each request line by its id; `discover` is what it does with
// server/discover ("error": a JSON-RPC error; "silent": no answer).
StdioTarget stateful_shell_server(const std::string& discover) {
  std::string script = R"(
while read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
  case "$line" in
    *'"server/discover"'*)
      if [ "$0" = error ]; then
        printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"Method not found"}}\n' "$id"
      fi ;;
    *'"initialize"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"sh","version":"1"}}}\n' "$id" ;;
    *'"tools/list"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"t","inputSchema":{"type":"object"}}]}}\n' "$id" ;;
  esac
done)";
  StdioTarget t;
  t.command = "/bin/sh";
  // The mode is $0: a different command line, so the client's era cache does not mix them.
  t.args = {"-c", script, discover};
  return t;
}

TEST(ClientOverStdio, FallsBackToInitializeWhenDiscoverFailsOrGoesUnanswered) {
  for (std::string discover : {"error", "silent"}) {
    run([&](auto ex) -> Task<void> {
      ClientOptions o;
      o.discover_timeout = 300ms;
      Client client(ex, o);
      co_await client.connect(stateful_shell_server(discover));
      EXPECT_FALSE(client.stateless()) << discover;
      EXPECT_EQ(client.server().protocol_version, "2025-11-25");
      auto tools = co_await client.list_tools();
      EXPECT_EQ(tools.size(), 1u) << discover;
      co_await client.close();
    });
  }
}

}  // namespace
}  // namespace mcpp
