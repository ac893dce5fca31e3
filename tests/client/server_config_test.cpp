// The shared mcpServers config parser: every host's format, warnings for unknown keys, and a clear
// error naming the server and key for each bad shape.
#include "client/server_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mcpp {
namespace {

struct GoodCase {
  const char* what;
  const char* text;
  ServerConfigEntry expected;
};

class ServerConfigFormats : public testing::TestWithParam<GoodCase> {};

TEST_P(ServerConfigFormats, ReadsTheServer) {
  const GoodCase& c = GetParam();
  ServerConfig config = parse_server_config(c.text, "f.json");
  ASSERT_EQ(config.servers.size(), 1u) << c.what;
  const ServerConfigEntry& e = config.servers.front();
  EXPECT_EQ(e.name, c.expected.name);
  EXPECT_EQ(e.command, c.expected.command);
  EXPECT_EQ(e.args, c.expected.args);
  EXPECT_EQ(e.env, c.expected.env);
  EXPECT_EQ(e.cwd, c.expected.cwd);
  EXPECT_EQ(e.url, c.expected.url);
  EXPECT_EQ(e.transport, c.expected.transport);
  EXPECT_EQ(e.headers, c.expected.headers);
  EXPECT_TRUE(config.warnings.empty()) << config.warnings.front();
}

INSTANTIATE_TEST_SUITE_P(
    Hosts, ServerConfigFormats,
    testing::Values(
        GoodCase{"Claude Desktop",
                 R"({"mcpServers":{"fs":{"command":"npx","args":["-y","pkg","/tmp"],
                     "env":{"TOKEN":"env:GH","N":3}}}})",
                 {.name = "fs",
                  .command = "npx",
                  .args = {"-y", "pkg", "/tmp"},
                  .env = {{"N", "3"}, {"TOKEN", "env:GH"}}}},
        GoodCase{"Cursor with cwd and url",
                 R"({"mcpServers":{"a":{"command":"srv","cwd":"/w","disabled":false}}})",
                 {.name = "a", .command = "srv", .cwd = "/w"}},
        GoodCase{"Cursor remote",
                 R"({"mcpServers":{"r":{"url":"https://x.test/mcp","headers":{"A":"b"}}}})",
                 {.name = "r", .url = "https://x.test/mcp", .headers = {{"A", "b"}}}},
        GoodCase{"VS Code servers with type http",
                 R"({"servers":{"gh":{"type":"http","url":"https://api.test/mcp",
                     "headers":{"Authorization":"Bearer env:T"}}}})",
                 {.name = "gh",
                  .url = "https://api.test/mcp",
                  .transport = "streamable-http",
                  .headers = {{"Authorization", "Bearer env:T"}}}},
        GoodCase{"VS Code stdio",
                 R"({"servers":{"s":{"type":"stdio","command":"x","args":[]}}})",
                 {.name = "s", .command = "x"}},
        GoodCase{"Inspector sse",
                 R"({"mcpServers":{"e":{"type":"sse","url":"http://h/sse"}}})",
                 {.name = "e", .url = "http://h/sse", .transport = "sse"}},
        GoodCase{"Cherry Studio",
                 R"({"mcpServers":{"c":{"type":"streamableHttp","baseUrl":"https://c.test/mcp",
                     "isActive":true,"name":"C"}}})",
                 {.name = "c", .url = "https://c.test/mcp", .transport = "streamable-http"}},
        GoodCase{"Windsurf",
                 R"({"mcpServers":{"w":{"serverUrl":"https://w.test/mcp"}}})",
                 {.name = "w", .url = "https://w.test/mcp"}}));

struct BadCase {
  const char* what;
  const char* text;
  const char* message;  // a part of the error
};

class ServerConfigErrors : public testing::TestWithParam<BadCase> {};

TEST_P(ServerConfigErrors, NamesTheProblem) {
  const BadCase& c = GetParam();
  try {
    parse_server_config(c.text, "f.json");
    FAIL() << c.what << ": no error";
  } catch (const ServerConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos)
        << c.what << ": " << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ServerConfigErrors,
    testing::Values(
        BadCase{"not JSON", "{", "f.json: not JSON"},
        BadCase{"not an object", "[]", "not a JSON object"},
        BadCase{"no servers", R"({"other":{}})", "no \"mcpServers\""},
        BadCase{"empty servers", R"({"mcpServers":{}})", "no \"mcpServers\""},
        BadCase{"servers not an object", R"({"mcpServers":[1]})", "must be an object of servers"},
        BadCase{"server not an object", R"({"mcpServers":{"a":3}})",
                "server 'a' must be an object"},
        BadCase{"args not strings", R"({"mcpServers":{"a":{"command":"x","args":[1]}}})",
                "server 'a': \"args\" must hold strings"},
        BadCase{"args not an array", R"({"mcpServers":{"a":{"command":"x","args":"-v"}}})",
                "\"args\" must be an array"},
        BadCase{"env not an object", R"({"mcpServers":{"a":{"command":"x","env":[]}}})",
                "server 'a': \"env\" must be an object"},
        BadCase{"env value an object", R"({"mcpServers":{"a":{"command":"x","env":{"K":{}}}}})",
                "\"env.K\" must be a string"},
        BadCase{"command not a string", R"({"mcpServers":{"a":{"command":["x"]}}})",
                "\"command\" must be a string"},
        BadCase{"neither", R"({"mcpServers":{"a":{"args":[]}}})",
                "server 'a' has neither \"command\" nor \"url\""},
        BadCase{"both", R"({"mcpServers":{"a":{"command":"x","url":"http://h"}}})", "choose one"},
        BadCase{"bad url", R"({"mcpServers":{"a":{"url":"ftp://h"}}})", "http:// or https://"},
        BadCase{"bad type", R"({"mcpServers":{"a":{"type":"ws","url":"http://h"}}})",
                "\"type\" is 'ws'"},
        BadCase{"headers not strings",
                R"({"mcpServers":{"a":{"url":"http://h","headers":{"X":[]}}}})",
                "\"headers.X\" must be a string"}));

TEST(ServerConfig, UnknownKeysAreWarningsNotErrors) {
  ServerConfig config = parse_server_config(
      R"({"mcpServers":{"a":{"command":"x","colour":"red"},"b":{"url":"http://h","disabled":true}}})",
      "f.json");
  ASSERT_EQ(config.servers.size(), 2u);
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_EQ(config.warnings.front(), "f.json: server 'a': unknown key \"colour\" ignored");
  EXPECT_EQ(config.names(), "a, b");
  ASSERT_NE(config.find("b"), nullptr);
  EXPECT_EQ(config.find("b")->url, "http://h");
  EXPECT_EQ(config.find("c"), nullptr);
}

TEST(ServerConfig, KeepsTheFileOrder) {
  ServerConfig config = parse_server_config(
      R"({"mcpServers":{"z":{"command":"1"},"a":{"command":"2"},"m":{"command":"3"}}})", "f");
  EXPECT_EQ(config.names(), "z, a, m");
}

TEST(ServerConfig, UnreadableFileIsAnError) {
  EXPECT_THROW(read_server_config("/nonexistent/mcp.json"), ServerConfigError);
}

}  // namespace
}  // namespace mcpp
