// The gateway's config: the standard mcpServers keys through the shared parser, the gateway's
// own keys, and clear errors naming the file, server and key.
#include "gateway/gateway_config.hpp"

#include <gtest/gtest.h>

namespace mcpp::gateway {
namespace {

TEST(GatewayConfig, StandardAndGatewayKeys) {
  GatewayConfig c = parse_gateway_config(R"({"mcpServers": {
    "memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"],
               "env": {"MEMORY_FILE_PATH": "/tmp/m.json"},
               "tools": {"allow": ["read_*", "create_*"], "deny": ["create_relations"]},
               "prefix": "mem_", "isolation": "shared", "timeout": 2.5,
               "envPassthrough": ["HTTP_PROXY"], "restart": {"max": 2, "window": 30},
               "policy": {"create_*": "confirm", "delete_*": "deny", "read_graph": "allow"}},
    "remote": {"type": "sse", "url": "https://example.com/sse", "headers": {"X-Key": "env:KEY"}}
  }})",
                                         "servers.json");
  ASSERT_EQ(c.upstreams.size(), 2u);
  const UpstreamConfig& m = *c.find("memory");
  EXPECT_EQ(m.server.command, "npx");
  EXPECT_EQ(m.server.env.at("MEMORY_FILE_PATH"), "/tmp/m.json");
  EXPECT_EQ(m.prefix, "mem_");
  EXPECT_EQ(m.isolation, Isolation::kShared);
  EXPECT_EQ(m.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(m.env_passthrough, std::vector<std::string>{"HTTP_PROXY"});
  EXPECT_EQ(m.max_restarts, 2);
  EXPECT_EQ(m.restart_window, std::chrono::seconds(30));
  ASSERT_EQ(m.policy.size(), 3u);
  EXPECT_TRUE(m.exposes("read_graph"));
  EXPECT_TRUE(m.exposes("create_entities"));
  EXPECT_FALSE(m.exposes("create_relations")) << "deny wins";
  EXPECT_FALSE(m.exposes("delete_entities")) << "not allowed";
  EXPECT_TRUE(c.warnings.empty()) << "the gateway's keys are not unknown keys: " << c.warnings[0];

  const UpstreamConfig& r = *c.find("remote");
  EXPECT_EQ(r.server.transport, "sse");
  EXPECT_EQ(r.prefix, "remote__") << "default prefix";
  EXPECT_EQ(r.isolation, Isolation::kSession) << "default isolation";
  EXPECT_TRUE(r.exposes("anything"));
}

TEST(GatewayConfig, UnknownKeysAreWarningsNotErrors) {
  GatewayConfig c =
      parse_gateway_config(R"({"mcpServers": {"a": {"command": "x", "colour": "blue"}}})", "f");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("colour"), std::string::npos);
}

TEST(GatewayConfig, BadGatewayKeysNameTheServerAndKey) {
  struct Case {
    const char* json;
    const char* says;
  } cases[] = {
      {R"({"mcpServers": {"a": {"command": "x", "isolation": "per-user"}}})", "isolation"},
      {R"({"mcpServers": {"a": {"command": "x", "timeout": -1}}})", "timeout"},
      {R"({"mcpServers": {"a": {"command": "x", "timeout": "30s"}}})", "timeout"},
      {R"({"mcpServers": {"a": {"command": "x", "tools": "read_*"}}})", "tools"},
      {R"({"mcpServers": {"a": {"command": "x", "tools": {"only": []}}}})", "tools.only"},
      {R"({"mcpServers": {"a": {"command": "x", "policy": {"t": "maybe"}}}})", "policy.t"},
      {R"({"mcpServers": {"a": {"command": "x", "envPassthrough": "HOME"}}})", "envPassthrough"},
      {R"({"mcpServers": {"a": {"command": "x", "restart": {"max": -2}}}})", "restart.max"},
      {R"({"mcpServers": {"a": {"command": "x", "prefix": 3}}})", "prefix"},
  };
  for (const auto& c : cases) {
    try {
      parse_gateway_config(c.json, "servers.json");
      ADD_FAILURE() << "accepted " << c.json;
    } catch (const ServerConfigError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("servers.json"), std::string::npos) << what;
      EXPECT_NE(what.find("'a'"), std::string::npos) << what;
      EXPECT_NE(what.find(c.says), std::string::npos) << what;
    }
  }
}

TEST(GatewayConfig, NotJsonOrNoServersIsAnError) {
  EXPECT_THROW(parse_gateway_config("{oops", "f"), ServerConfigError);
  EXPECT_THROW(read_gateway_config("/nonexistent/servers.json"), ServerConfigError);
}

}  // namespace
}  // namespace mcpp::gateway
