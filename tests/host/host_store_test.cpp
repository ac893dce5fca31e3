// The host store: file permissions, connectors (validation, duplicates, secrets kept as env:NAME),
// tool syncing and pins (first listing accepted, later changes held until accepted, remembered
// decisions dropped on change), policy rules, conversations and config.
#include "host/host_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace mcpp::host {
namespace {

namespace fs = std::filesystem;

class HostStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("mcpp_host_store_" + std::to_string(::getpid()) + "_" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    path_ = (dir_ / "nested" / "host.sqlite").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ConnectorSpec stdio(std::string name) {
    ConnectorSpec s;
    s.name = std::move(name);
    s.command = "server";
    s.args = {"--flag"};
    return s;
  }

  static ToolInfo tool(const char* json_text) {
    ToolInfo t;
    t.raw = json::parse(json_text).as_object();
    t.name = std::string(find_string(t.raw, "name"));
    return t;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(HostStoreTest, CreatesAPrivateFileInAPrivateFolder) {
  HostStore store(path_);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_ / "nested").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(store.token_store_path(), (dir_ / "nested" / "tokens.json").string());
}

TEST_F(HostStoreTest, DefaultPathFollowsTheEnvironment) {
  const char* home = std::getenv("HOME");
  std::string saved_home = home ? home : "";
  ::setenv("MCPP_HOST_DB", "/x/h.sqlite", 1);
  EXPECT_EQ(HostStore::default_path(), "/x/h.sqlite");
  ::unsetenv("MCPP_HOST_DB");
  ::setenv("XDG_DATA_HOME", "/data", 1);
  EXPECT_EQ(HostStore::default_path(), "/data/mcpp/host.sqlite");
  ::unsetenv("XDG_DATA_HOME");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(HostStore::default_path(), "/home/u/.local/share/mcpp/host.sqlite");
  ::setenv("HOME", saved_home.c_str(), 1);
}

TEST_F(HostStoreTest, RefusesANewerSchema) {
  { HostStore store(path_); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    HostStore again(path_);
    FAIL();
  } catch (const HostStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("newer mcpp (schema 99"), std::string::npos);
  }
}

TEST_F(HostStoreTest, ConnectorsRoundTripWithSecretsUnresolved) {
  HostStore store(path_);
  ConnectorSpec s = stdio("fs");
  s.env = {{"TOKEN", "env:FS_TOKEN"}};
  s.cwd = "/tmp";
  s.description = "files";
  s.trusted = false;
  store.add_connector(s);
  ConnectorSpec r;
  r.name = "gh";
  r.url = "https://api.test/mcp";
  r.transport = "sse";
  r.auth = "headers";
  r.headers = {{"Authorization", "Bearer ${env:GH}"}};
  r.use_instructions = false;
  r.icon = "data:image/png;base64,iVBORw0KGgo=";
  store.add_connector(r);
  auto all = store.connectors();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "fs");
  EXPECT_EQ(all[0].env.at("TOKEN"), "env:FS_TOKEN");
  EXPECT_EQ(all[0].args, std::vector<std::string>{"--flag"});
  EXPECT_FALSE(all[0].trusted);
  EXPECT_FALSE(all[0].uses_instructions());
  EXPECT_EQ(all[1].headers, r.headers);
  EXPECT_EQ(all[1].transport, "sse");
  EXPECT_EQ(all[1].use_instructions, std::optional<bool>(false));
  EXPECT_EQ(all[1].icon, r.icon);
  store.set_connector_enabled("gh", false);
  EXPECT_FALSE(store.connector("gh").enabled);
  store.remove_connector("gh");
  EXPECT_FALSE(store.find_connector("gh"));
  EXPECT_THROW(store.remove_connector("gh"), HostStoreError);
}

TEST_F(HostStoreTest, DuplicateAndUnknownNamesAreClearErrors) {
  HostStore store(path_);
  store.add_connector(stdio("fs"));
  try {
    store.add_connector(stdio("fs"));
    FAIL();
  } catch (const HostStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("exists already"), std::string::npos);
  }
  try {
    store.connector("nope");
    FAIL();
  } catch (const HostStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("there are: fs"), std::string::npos) << e.what();
  }
}

struct BadSpec {
  const char* what;
  std::function<void(ConnectorSpec&)> change;
  const char* message;
};

class ConnectorValidation : public testing::TestWithParam<BadSpec> {};

TEST_P(ConnectorValidation, RefusesWithAClearMessage) {
  ConnectorSpec s;
  s.name = "ok";
  s.url = "https://h.test/mcp";
  GetParam().change(s);
  try {
    validate_connector(s);
    FAIL() << GetParam().what;
  } catch (const HostStoreError& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().message), std::string::npos)
        << GetParam().what << ": " << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConnectorValidation,
    testing::Values(
        BadSpec{"empty name", [](ConnectorSpec& s) { s.name = ""; }, "bad connector name"},
        BadSpec{"double underscore", [](ConnectorSpec& s) { s.name = "a__b"; }, "\"__\""},
        BadSpec{"space in name", [](ConnectorSpec& s) { s.name = "a b"; }, "bad connector name"},
        BadSpec{"icon http", [](ConnectorSpec& s) { s.icon = "http://x/i.png"; }, "bad icon"},
        BadSpec{"icon javascript", [](ConnectorSpec& s) { s.icon = "javascript:alert(1)"; },
                "bad icon"},
        BadSpec{"icon data html", [](ConnectorSpec& s) { s.icon = "data:text/html;base64,AAA="; },
                "base64 PNG"},
        BadSpec{"icon data not base64",
                [](ConnectorSpec& s) { s.icon = "data:image/png;base64,<svg>"; }, "not base64"},
        BadSpec{"icon quote", [](ConnectorSpec& s) { s.icon = "https://x/\"onload"; }, "bad icon"},
        BadSpec{"both url and command", [](ConnectorSpec& s) { s.command = "x"; },
                "either a URL or a command"},
        BadSpec{"neither", [](ConnectorSpec& s) { s.url.clear(); }, "either a URL or a command"},
        BadSpec{"ftp url", [](ConnectorSpec& s) { s.url = "ftp://h"; }, "not an http"},
        BadSpec{"url without a port after ':'",
                [](ConnectorSpec& s) { s.url = "http://127.0.0.1:/mcp"; }, "not an http"},
        BadSpec{"url without a host", [](ConnectorSpec& s) { s.url = "https:///mcp"; },
                "not an http"},
        BadSpec{"not a url", [](ConnectorSpec& s) { s.url = "http://a b/"; }, "not an http"},
        BadSpec{"transport", [](ConnectorSpec& s) { s.transport = "ws"; }, "unknown transport"},
        BadSpec{"auth", [](ConnectorSpec& s) { s.auth = "basic"; }, "unknown auth"},
        BadSpec{"headers auth without headers", [](ConnectorSpec& s) { s.auth = "headers"; },
                "needs at least one header"},
        BadSpec{"bad header name",
                [](ConnectorSpec& s) {
                  s.headers = {{"Bad Name", "v"}};
                },
                "bad header name"},
        BadSpec{"header line break",
                [](ConnectorSpec& s) {
                  s.headers = {{"X", "a\r\nEvil: 1"}};
                },
                "line break"},
        BadSpec{"oauth on a command",
                [](ConnectorSpec& s) {
                  s.url.clear();
                  s.command = "x";
                  s.auth = "oauth";
                },
                "for URL connectors"}));

TEST(ResolveSecret, EnvValuesAreResolvedAndMissingOnesNamed) {
  ::setenv("MCPP_TEST_SECRET", "s3cret", 1);
  EXPECT_EQ(resolve_secret("env:MCPP_TEST_SECRET", "x"), "s3cret");
  EXPECT_EQ(resolve_secret("Bearer ${env:MCPP_TEST_SECRET}!", "x"), "Bearer s3cret!");
  EXPECT_EQ(resolve_secret("plain", "x"), "plain");
  ::unsetenv("MCPP_TEST_MISSING");
  try {
    resolve_secret("env:MCPP_TEST_MISSING", "header Authorization of connector gh");
    FAIL();
  } catch (const HostStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("MCPP_TEST_MISSING is not set"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("connector gh"), std::string::npos);
  }
}

TEST_F(HostStoreTest, FirstListingIsAcceptedLaterChangesWaitForAccept) {
  HostStore store(path_);
  store.add_connector(stdio("fs"));
  auto read = tool(R"({"name":"read","description":"Reads a file","inputSchema":{"type":"object"},
                       "annotations":{"readOnlyHint":true}})");
  auto write = tool(R"({"name":"write","inputSchema":{"type":"object"}})");
  ToolDiff first = store.sync_tools("fs", {read, write});
  EXPECT_EQ(first.added, (std::vector<std::string>{"read", "write"}));
  EXPECT_TRUE(first.changed.empty());
  EXPECT_TRUE(store.find_tool("fs", "read")->read_only_hint());
  EXPECT_FALSE(store.find_tool("fs", "read")->changed());

  EXPECT_TRUE(store.sync_tools("fs", {write, read}).empty());  // same definitions: no diff

  auto conversation = store.create_conversation("c", {"fs"});
  store.remember_decision(conversation.id, "fs", "read", PolicyAction::kAllow);
  store.remember_decision(conversation.id, "fs", "write", PolicyAction::kAllow);

  auto changed_read = tool(R"({"name":"read","description":"Reads a file and mails it",
                               "inputSchema":{"type":"object"},
                               "annotations":{"readOnlyHint":true}})");
  auto added = tool(R"({"name":"delete","inputSchema":{"type":"object"}})");
  ToolDiff second = store.sync_tools("fs", {changed_read, added});
  EXPECT_EQ(second.added, std::vector<std::string>{"delete"});
  EXPECT_EQ(second.removed, std::vector<std::string>{"write"});
  ASSERT_EQ(second.changed.size(), 1u);
  EXPECT_EQ(second.changed[0].tool, "read");
  EXPECT_NE(second.changed[0].diff.find("+ Reads a file and mails it"), std::string::npos);

  auto record = store.find_tool("fs", "read");
  EXPECT_TRUE(record->changed());
  EXPECT_EQ(find_string(record->accepted, "description"), "Reads a file");  // the pin holds
  EXPECT_EQ(store.remembered_decision(conversation.id, "fs", "read"), std::nullopt);
  EXPECT_EQ(store.remembered_decision(conversation.id, "fs", "write"), PolicyAction::kAllow);
  EXPECT_TRUE(store.find_tool("fs", "write")->removed);

  // Still pending on the next listing, without new decisions being dropped meanwhile.
  store.remember_decision(conversation.id, "fs", "read", PolicyAction::kDeny);
  ToolDiff third = store.sync_tools("fs", {changed_read, added});
  EXPECT_EQ(third.changed.size(), 1u);
  EXPECT_EQ(store.remembered_decision(conversation.id, "fs", "read"), PolicyAction::kDeny);

  EXPECT_THROW(store.accept("fs", "nope"), HostStoreError);
  EXPECT_EQ(store.accept("fs", "read"), std::vector<std::string>{"read"});
  EXPECT_FALSE(store.find_tool("fs", "read")->changed());
  EXPECT_EQ(find_string(store.find_tool("fs", "read")->accepted, "description"),
            "Reads a file and mails it");
  EXPECT_TRUE(store.accept("fs").empty());

  // A removed tool that comes back unchanged is reported as added again.
  ToolDiff fourth = store.sync_tools("fs", {changed_read, added, write});
  EXPECT_EQ(fourth.added, std::vector<std::string>{"write"});
}

TEST_F(HostStoreTest, ToolToggles) {
  HostStore store(path_);
  store.add_connector(stdio("fs"));
  store.sync_tools("fs", {tool(R"({"name":"a","inputSchema":{"type":"object"}})")});
  store.set_tool_enabled("fs", "a", false);
  EXPECT_FALSE(store.find_tool("fs", "a")->enabled);
  EXPECT_FALSE(store.find_tool("fs", "a")->enabled);
  try {
    store.set_tool_enabled("fs", "b", false);
    FAIL();
  } catch (const HostStoreError& e) {
    EXPECT_NE(std::string(e.what()).find("it has: a"), std::string::npos) << e.what();
  }
  store.sync_tools("fs", {tool(R"({"name":"a","inputSchema":{"type":"object"}})")});
  EXPECT_FALSE(store.find_tool("fs", "a")->enabled);  // a listing keeps the person's toggle
  store.remove_connector("fs");
  EXPECT_TRUE(store.tools("fs").empty());
}

TEST_F(HostStoreTest, PolicyRules) {
  HostStore store(path_);
  EXPECT_TRUE(store.add_policy_rule(parse_policy_rule("deny */delete_*")));
  EXPECT_TRUE(store.add_policy_rule(parse_policy_rule("allow fs/read_*")));
  EXPECT_FALSE(store.add_policy_rule(parse_policy_rule("allow fs/read_*")));
  auto rules = store.policy_rules();
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].text(), "deny */delete_*");
  EXPECT_EQ(decide(rules, "fs", "delete_all").action, PolicyAction::kDeny);
  EXPECT_TRUE(store.remove_policy_rule(rules[0]));
  EXPECT_FALSE(store.remove_policy_rule(rules[0]));
  EXPECT_EQ(store.policy_rules().size(), 1u);
}

TEST_F(HostStoreTest, ConversationsMessagesAndToolCalls) {
  HostStore store(path_);
  auto c = store.create_conversation("first", {"fs", "gh"}, true);
  EXPECT_FALSE(c.id.empty());
  auto found = store.find_conversation(c.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->connectors, (std::vector<std::string>{"fs", "gh"}));
  EXPECT_TRUE(found->read_only);
  store.add_message({.conversation = c.id, .role = "user", .content = "hi"});
  store.add_message({.conversation = c.id,
                     .role = "assistant",
                     .tool_calls = R"([{"id":"1","name":"fs__read"}])"});
  auto messages = store.messages(c.id);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].content, "hi");
  EXPECT_LT(messages[0].id, messages[1].id);
  EXPECT_GT(messages[0].time_ms, 0);
  store.record_tool_call({.conversation = c.id,
                          .connector = "fs",
                          .tool = "read",
                          .arguments = "{}",
                          .result = R"({"content":[]})",
                          .duration_ms = 12,
                          .decision = "allow",
                          .decided_by = "read"});
  auto calls = store.tool_calls(c.id);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].decided_by, "read");
  EXPECT_EQ(calls[0].duration_ms, 12);
  EXPECT_THROW(store.add_message({.conversation = "nope", .role = "user"}), HostStoreError);
  EXPECT_THROW(store.remember_decision(c.id, "fs", "x", PolicyAction::kAsk), HostStoreError);
  store.set_conversation_title(c.id, "renamed");
  EXPECT_EQ(store.conversations().front().title, "renamed");
  store.remove_conversation(c.id);
  EXPECT_TRUE(store.messages(c.id).empty());
  EXPECT_TRUE(store.tool_calls(c.id).empty());
}

TEST_F(HostStoreTest, ConfigAndReopen) {
  {
    HostStore store(path_);
    store.set_config("model", "llama3");
    store.set_config("model", "qwen3");
    store.add_connector(stdio("fs"));
  }
  HostStore again(path_);
  EXPECT_EQ(again.config("model"), "qwen3");
  EXPECT_EQ(again.config("nope"), std::nullopt);
  EXPECT_EQ(again.all_config().size(), 1u);
  EXPECT_TRUE(again.find_connector("fs"));
}

}  // namespace
}  // namespace mcpp::host
