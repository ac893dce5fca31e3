// The host's two example connectors (examples/payments_server.cpp, examples/chat_server.cpp)
// driven through mcpp::Client over stdio: their read and write annotations, typed arguments, and
// the line each write appends to the file its environment names.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "mcpp/client.hpp"
#include "scripted_model_process.hpp"

namespace mcpp::host {
namespace {

namespace asio = boost::asio;
using testing::run_coroutine;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

StdioTarget example(const std::string& name, const std::string& env_name,
                    const std::filesystem::path& file) {
  StdioTarget t;
  t.command = std::string(MCPP_BINARY_DIR) + "/examples/" + name;
  t.env[env_name] = file.string();
  return t;
}

// Builds the arguments outside the co_await expression: GCC 12 cannot keep string literals of a
// co_await's arguments in the coroutine frame ("array used as initializer").
Task<CallToolResult> call(Client& client, std::string name, json::object arguments = {}) {
  co_return co_await client.call_tool(std::move(name), std::move(arguments));
}

const ToolInfo* find_tool(const std::vector<ToolInfo>& tools, std::string_view name) {
  for (const auto& t : tools) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

TEST(ExampleServers, PaymentsListsChargesAndLogsEachRefund) {
  auto ledger = std::filesystem::temp_directory_path() /
                ("payments_ledger_" + std::to_string(::getpid()) + ".txt");
  std::filesystem::remove(ledger);
  run_coroutine([&](asio::any_io_executor ex) -> Task<bool> {
    Client client(ex);
    StdioTarget target = example("payments_server", "PAYMENTS_LEDGER", ledger);
    co_await client.connect(std::move(target));
    EXPECT_NE(client.server().instructions.find("cents"), std::string::npos);
    auto tools = co_await client.list_tools();
    const ToolInfo* list = find_tool(tools, "list_charges");
    const ToolInfo* refund = find_tool(tools, "refund");
    EXPECT_TRUE(list && refund);
    if (!list || !refund) co_return false;
    EXPECT_EQ(list->annotations.at("readOnlyHint"), true);
    EXPECT_EQ(refund->annotations.at("readOnlyHint"), false);
    EXPECT_EQ(refund->annotations.at("destructiveHint"), false);
    EXPECT_EQ(refund->input_schema.at("required"), json::parse(R"(["charge_id","amount_cents"])"));

    CallToolResult charges = co_await call(client, std::string("list_charges"));
    EXPECT_FALSE(charges.is_error);
    EXPECT_TRUE(charges.structured_content);
    EXPECT_EQ(charges.structured_content->at("charges").as_array().size(), 2u);
    json::object part_of_ch_1{{"charge_id", "ch_1"}, {"amount_cents", 1250}};
    CallToolResult ok = co_await call(client, std::string("refund"), std::move(part_of_ch_1));
    EXPECT_FALSE(ok.is_error) << ok.text();
    json::object more_than_left{{"charge_id", "ch_1"}, {"amount_cents", 4000}};
    CallToolResult too_much =
        co_await call(client, std::string("refund"), std::move(more_than_left));
    EXPECT_TRUE(too_much.is_error);
    EXPECT_NE(too_much.text().find("between 1 and 2950"), std::string::npos) << too_much.text();
    json::object no_such_charge{{"charge_id", "ch_9"}, {"amount_cents", 1}};
    CallToolResult unknown =
        co_await call(client, std::string("refund"), std::move(no_such_charge));
    EXPECT_TRUE(unknown.is_error);
    co_await client.close();
    co_return true;
  });
  EXPECT_EQ(read_file(ledger), "refund ch_1 1250\n") << "only the refund that ran";
  std::filesystem::remove(ledger);
}

TEST(ExampleServers, ChatListsChannelsAndLogsEachPost) {
  auto log =
      std::filesystem::temp_directory_path() / ("chat_log_" + std::to_string(::getpid()) + ".txt");
  std::filesystem::remove(log);
  run_coroutine([&](asio::any_io_executor ex) -> Task<bool> {
    Client client(ex);
    StdioTarget target = example("chat_server", "CHAT_LOG", log);
    co_await client.connect(std::move(target));
    auto tools = co_await client.list_tools();
    const ToolInfo* list = find_tool(tools, "list_channels");
    const ToolInfo* post = find_tool(tools, "post_message");
    EXPECT_TRUE(list && post);
    if (!list || !post) co_return false;
    EXPECT_EQ(list->annotations.at("readOnlyHint"), true);
    EXPECT_EQ(post->annotations.at("readOnlyHint"), false);
    CallToolResult channels = co_await call(client, std::string("list_channels"));
    EXPECT_NE(channels.text().find("support"), std::string::npos) << channels.text();
    json::object to_billing{{"channel", "billing"}, {"text", "Refunded 12.50 to Ada"}};
    CallToolResult posted =
        co_await call(client, std::string("post_message"), std::move(to_billing));
    EXPECT_FALSE(posted.is_error) << posted.text();
    json::object to_random{{"channel", "random"}, {"text", "x"}};
    CallToolResult nowhere =
        co_await call(client, std::string("post_message"), std::move(to_random));
    EXPECT_TRUE(nowhere.is_error);
    co_await client.close();
    co_return true;
  });
  EXPECT_EQ(read_file(log), "#billing Refunded 12.50 to Ada\n");
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace mcpp::host
