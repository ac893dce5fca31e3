// Latency of tools/call as a client sees it: N sequential calls of one tool through mcpp::Client,
// to a stdio server (a command after --) or a URL; prints min, median, p90, p99 in microseconds.
// bench/gateway.sh runs it against a child directly and through `mcpp gateway`.
//   call_latency [--calls N] [--warmup N] [--tool NAME] [--args JSON] (--url URL | -- CMD ARGS...)
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "mcpp/client.hpp"

namespace {

struct Options {
  int calls = 2000;
  int warmup = 200;
  std::string tool = "add";
  std::string args = R"({"a": 1, "b": 2})";
  std::string url;
  std::vector<std::string> command;
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

mcpp::Task<void> run(mcpp::Client& client, const Options& o, std::vector<double>& micros,
                     std::string& error) {
  try {
    if (o.url.empty()) {
      mcpp::StdioTarget t;
      t.command = o.command[0];
      t.args.assign(o.command.begin() + 1, o.command.end());
      co_await client.connect(std::move(t));
    } else {
      mcpp::HttpTarget t;
      t.url = o.url;
      co_await client.connect(std::move(t));
    }
    mcpp::json::object args = mcpp::json::parse(o.args).as_object();
    for (int i = 0; i < o.warmup + o.calls; ++i) {
      auto start = std::chrono::steady_clock::now();
      mcpp::CallToolResult r = co_await client.call_tool(o.tool, args);
      auto took = std::chrono::steady_clock::now() - start;
      if (r.is_error) throw std::runtime_error("the tool answered with an error: " + r.text());
      if (i >= o.warmup) micros.push_back(std::chrono::duration<double, std::micro>(took).count());
    }
    co_await client.close();
  } catch (const std::exception& e) {
    error = e.what();
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--calls") {
        o.calls = std::stoi(next());
      } else if (a == "--warmup") {
        o.warmup = std::stoi(next());
      } else if (a == "--tool") {
        o.tool = next();
      } else if (a == "--args") {
        o.args = next();
      } else if (a == "--url") {
        o.url = next();
      } else if (a == "--") {
        o.command.assign(argv + i + 1, argv + argc);
        break;
      } else {
        throw std::invalid_argument("unknown option " + a);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "call_latency: %s\n", e.what());
      return 2;
    }
  }
  if (o.url.empty() == o.command.empty() || o.calls < 1) {
    std::fprintf(stderr,
                 "usage: call_latency [--calls N] [--warmup N] [--tool T] [--args JSON] "
                 "(--url URL | -- CMD ARGS...)\n");
    return 2;
  }
  boost::asio::io_context io;
  mcpp::Client client(io.get_executor());
  std::vector<double> micros;
  std::string error;
  boost::asio::co_spawn(io, run(client, o, micros, error), boost::asio::detached);
  io.run();
  if (!error.empty()) {
    std::fprintf(stderr, "call_latency: %s\n", error.c_str());
    return 1;
  }
  std::printf("calls %d  min %.1f us  median %.1f us  p90 %.1f us  p99 %.1f us\n", o.calls,
              percentile(micros, 0), percentile(micros, 0.5), percentile(micros, 0.9),
              percentile(micros, 0.99));
  return 0;
}
