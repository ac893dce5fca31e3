// The host's own cost per tool call: a chat turn in which a model that answers at once (a
// function, no network) calls one read tool of an in-process mcpp::Server over HTTP on
// 127.0.0.1, then answers. BM_DirectCall is the same tool call through mcpp::Client alone; the
// difference between the two is what the engine adds (checks, schema validation, classification,
// policy, events, recording, the result's text, two model requests built). Recorded in memory or
// in the SQLite host store.
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <thread>

#include "host/chat_engine.hpp"
#include "host/conversation_log.hpp"
#include "host/tool_pins.hpp"
#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"

namespace {

namespace asio = boost::asio;
using namespace mcpp;
using namespace mcpp::host;

// An mcpp::Server with one read tool that answers at once, on a loopback port of its own thread.
class EchoServer {
 public:
  EchoServer() {
    server_.add_tool({.name = "echo",
                      .description = "Echoes its text",
                      .input_schema = {{"type", "object"},
                                       {"properties", {{"text", {{"type", "string"}}}}},
                                       {"required", json::array{"text"}}},
                      .annotations = {.read_only_hint = true}},
                     [](const json::object& a, Context&) -> Task<ToolResult> {
                       co_return ToolResult::text(std::string(find_string(a, "text")));
                     });
    HttpOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    http_ = std::make_unique<HttpServer>(server_, options);
    http_->listen();
    thread_ = std::thread([this] { http_->run(); });
  }
  ~EchoServer() {
    http_->stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_->port()) + "/mcp"; }

 private:
  Server server_;
  std::unique_ptr<HttpServer> http_;
  std::thread thread_;
};

// Runs `body(client)` on a fresh io_context with a connected client.
template <class Body>
void with_client(const EchoServer& server, Body body) {
  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        Client client(io.get_executor());
        HttpTarget target;
        target.url = server.url();
        co_await client.connect(std::move(target));
        co_await body(client);
        co_await client.close();
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
}

void BM_DirectCall(benchmark::State& state) {
  EchoServer server;
  with_client(server, [&](Client& client) -> Task<void> {
    json::object arguments;
    arguments["text"] = "hello";
    for (auto _ : state) {
      CallToolResult r = co_await client.call_tool("echo", arguments);
      benchmark::DoNotOptimize(r);
    }
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DirectCall)->UseRealTime();

// One turn: the model calls echo, gets its result, answers "done".
void BM_EngineTurnWithOneCall(benchmark::State& state) {
  EchoServer server;
  bool sqlite = state.range(0) == 1;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mcpp-host-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::unique_ptr<HostStore> store;
  if (sqlite) store = std::make_unique<HostStore>((dir / "host.sqlite").string());
  with_client(server, [&](Client& client) -> Task<void> {
    std::vector<ToolInfo> tools = co_await client.list_tools();
    ChatServices services;
    int step = 0;
    services.model = [&step](ModelRequest request, ModelTextHandler, std::stop_token,
                             ModelRetryHandler) -> Task<ModelReply> {
      ModelReply reply;
      if (step++ % 2 == 0) {
        reply.tool_calls.push_back({"call_1", request.tools.front().name, R"({"text":"hello"})"});
      } else {
        reply.content = "done";
      }
      co_return reply;
    };
    services.connectors = [&] {
      ChatConnector c;
      c.name = "bench";
      c.client = &client;
      for (const auto& info : tools) {
        c.tools.push_back({.info = info,
                           .enabled = true,
                           .accepted = true,
                           .definition_hash = definition_hash(tool_definition(info))});
      }
      return std::vector<ChatConnector>{c};
    };
    if (sqlite) {
      services.log = std::make_shared<StoreConversationLog>(*store);
    } else {
      services.log = std::make_shared<MemoryConversationLog>();
    }
    std::size_t events = 0;
    // (named, not temporaries in a co_await expression: GCC 12 destroys those twice)
    auto executor = co_await asio::this_coro::executor;
    ChatEngineOptions options;
    ChatEngine engine(executor, std::move(services), options,
                      [&events](const ChatEvent& e) { events += e.to_json().size(); });
    for (auto _ : state) {
      // A fresh conversation per turn keeps the history (and so the request) the same size.
      std::string id = engine.start({});
      TurnOutcome outcome = co_await engine.run_turn(id, "echo hello");
      if (outcome.outcome != "done") state.SkipWithError(outcome.error.c_str());
    }
    benchmark::DoNotOptimize(events);
  });
  store.reset();
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineTurnWithOneCall)->Arg(0)->Arg(1)->ArgName("sqlite")->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
