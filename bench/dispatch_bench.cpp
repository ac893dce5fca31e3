// Micro benchmarks of the request path without I/O: parse -> dispatch -> serialize of tools/call
// and tools/list on one in-memory session, and argument validation.
#include <benchmark/benchmark.h>

#include "protocol/json_schema.hpp"
#include "server/session_harness.hpp"

namespace {

struct AddArgs {
  double a;
  double b;
};
BOOST_DESCRIBE_STRUCT(AddArgs, (), (a, b))

void BM_ToolsCall(benchmark::State& state) {
  mcpp::Server server;
  server.tool("add", "Adds",
              [](const AddArgs& a, mcpp::Context&) { return std::to_string(a.a + a.b); });
  mcpp::testing::SessionHarness h(server);
  h.initialize();
  const std::string request =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}})";
  for (auto _ : state) {
    auto parsed = mcpp::jsonrpc::parse(request);
    mcpp::json::value reply = h.send_value(std::move(std::get<mcpp::json::value>(parsed)));
    std::string out = mcpp::json::serialize(reply);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ToolsCall);

void BM_ToolsList(benchmark::State& state) {
  mcpp::Server server;
  for (int i = 0; i < state.range(0); ++i) {
    server.tool("add" + std::to_string(i), "Adds two numbers",
                [](const AddArgs& a, mcpp::Context&) { return std::to_string(a.a + a.b); });
  }
  mcpp::testing::SessionHarness h(server);
  h.initialize();
  const std::string request = R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})";
  for (auto _ : state) {
    auto parsed = mcpp::jsonrpc::parse(request);
    mcpp::json::value reply = h.send_value(std::move(std::get<mcpp::json::value>(parsed)));
    std::string out = mcpp::json::serialize(reply);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ToolsList)->Arg(1)->Arg(50);

void BM_ParseOnly(benchmark::State& state) {
  const std::string request =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}})";
  for (auto _ : state) {
    auto parsed = mcpp::jsonrpc::parse(request);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseOnly);

void BM_ValidateArguments(benchmark::State& state) {
  auto v = mcpp::schema::Validator::compile(mcpp::schema_of<AddArgs>());
  mcpp::json::value args = mcpp::json::parse(R"({"a":2,"b":3})");
  for (auto _ : state) benchmark::DoNotOptimize(v.validate(args));
}
BENCHMARK(BM_ValidateArguments);

}  // namespace

BENCHMARK_MAIN();
