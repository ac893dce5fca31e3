// Test support for the client: run a coroutine to its end, an mcpp::Server served over HTTP on a
// free port, and a scripted HTTP server for the answers no real server gives on demand (401,
// 404 for a session, a stream that closes before the response).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <chrono>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mcpp/client.hpp"
#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"

namespace mcpp::testing {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Options that pin the stateful era (initialize and a session), for the tests of that era.
inline ClientOptions stateful_options() {
  ClientOptions o;
  o.era = ProtocolEra::kStateful;
  return o;
}

// Runs the coroutine `f(executor)` on a fresh io_context until it ends (at most `limit`) and
// returns its value or rethrows its exception.
template <class F>
auto run(F f, std::chrono::milliseconds limit = 30s) {
  asio::io_context io;
  using Awaitable = decltype(f(io.get_executor()));
  using T = typename Awaitable::value_type;
  std::exception_ptr error;
  bool done = false;
  if constexpr (std::is_void_v<T>) {
    asio::co_spawn(io, f(io.get_executor()), [&](std::exception_ptr e) {
      error = e;
      done = true;
    });
    io.run_for(limit);
    if (!done) throw std::runtime_error("the test coroutine did not finish in time");
    if (error) std::rethrow_exception(error);
  } else {
    std::optional<T> value;
    asio::co_spawn(io, f(io.get_executor()), [&](std::exception_ptr e, T v) {
      error = e;
      if (!e) value = std::move(v);
      done = true;
    });
    io.run_for(limit);
    if (!done) throw std::runtime_error("the test coroutine did not finish in time");
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
}

inline Task<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

// Waits (polling) until `condition` holds, at most `limit`; returns whether it did.
inline Task<bool> eventually(std::function<bool()> condition,
                             std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    co_await sleep_for(10ms);
  }
  co_return true;
}

// An mcpp::Server on a free loopback port, on its own thread.
class ServedOverHttp {
 public:
  explicit ServedOverHttp(Server& server, HttpOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    http_ = std::make_unique<HttpServer>(server, std::move(options));
    http_->listen();
    thread_ = std::thread([this] { http_->run(); });
  }
  ~ServedOverHttp() {
    http_->stop();
    thread_.join();
  }
  std::string url(std::string_view path = "/mcp", std::string_view scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(http_->port()) +
           std::string(path);
  }

 private:
  std::unique_ptr<HttpServer> http_;
  std::thread thread_;
};

// One request as the scripted server received it. Header names are lowercase.
struct Exchange {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;
  std::string body;
  json::value json() const { return body.empty() ? json::value() : json::parse(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A raw HTTP response.
inline std::string http_response(int status, std::string_view reason, std::string body = {},
                                 std::string_view content_type = "application/json",
                                 std::vector<std::string> extra_headers = {}) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  if (!body.empty()) out += "Content-Type: " + std::string(content_type) + "\r\n";
  for (const auto& h : extra_headers) out += h + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  return out + body;
}

// An SSE response that ends (closes) after `events`, without Content-Length.
inline std::string sse_response(std::string events, std::vector<std::string> extra_headers = {}) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";
  for (const auto& h : extra_headers) out += h + "\r\n";
  return out + "Connection: close\r\n\r\n" + events;
}

inline std::string json_result(const json::value& id, json::value result) {
  return json::serialize(
      json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

inline json::object initialize_result(std::string_view version = "2025-11-25") {
  return {{"protocolVersion", version},
          {"capabilities", json::object{{"tools", json::object()}}},
          {"serverInfo", json::object{{"name", "scripted"}, {"version", "1.0.0"}}}};
}

// A blocking HTTP/1.1 server on a free loopback port: each connection carries one request, whose
// raw response `script` returns; the connection is closed after it.
class ScriptedHttpServer {
 public:
  using Script = std::function<std::string(const Exchange&)>;

  explicit ScriptedHttpServer(Script script)
      : script_(std::move(script)),
        acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptedHttpServer() {
    stopping_ = true;
    boost::system::error_code ec;
    {
      // A blocking accept() does not notice close(): wake it with a connection.
      asio::ip::tcp::socket wake(io_);
      wake.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
    }
    thread_.join();
    acceptor_.close(ec);
    {
      std::lock_guard lock(mu_);
      for (auto& s : open_) s->close(ec);
    }
    for (auto& t : connections_) t.join();
  }

  std::string url(std::string_view path = "/mcp") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::vector<Exchange> exchanges() const {
    std::lock_guard lock(mu_);
    return exchanges_;
  }
  // The JSON-RPC methods POSTed, in order ("" for responses).
  std::vector<std::string> methods() const {
    std::vector<std::string> out;
    for (const auto& e : exchanges()) {
      if (e.method == "POST") out.emplace_back(find_string(e.json(), "method"));
    }
    return out;
  }

 private:
  void accept_loop() {
    for (;;) {
      auto socket = std::make_shared<asio::ip::tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stopping_) return;
      std::lock_guard lock(mu_);
      open_.push_back(socket);
      connections_.emplace_back([this, socket] { serve(*socket); });
    }
  }

  void serve(asio::ip::tcp::socket& socket) {
    boost::system::error_code ec;
    asio::streambuf buf;
    std::size_t n = asio::read_until(socket, buf, "\r\n\r\n", ec);
    if (ec) return;
    std::string head(asio::buffers_begin(buf.data()),
                     asio::buffers_begin(buf.data()) + static_cast<std::ptrdiff_t>(n));
    buf.consume(n);
    Exchange x;
    std::istringstream lines(head);
    std::string line;
    std::getline(lines, line);
    std::istringstream first(line);
    first >> x.method >> x.target;
    while (std::getline(lines, line) && line != "\r") {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
      while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
      x.headers[name] = value;
    }
    std::size_t length = 0;
    if (auto it = x.headers.find("content-length"); it != x.headers.end()) {
      length = std::stoul(it->second);
    }
    if (buf.size() < length)
      asio::read(socket, buf, asio::transfer_exactly(length - buf.size()), ec);
    x.body.assign(asio::buffers_begin(buf.data()),
                  asio::buffers_begin(buf.data()) + static_cast<std::ptrdiff_t>(length));
    {
      std::lock_guard lock(mu_);
      exchanges_.push_back(x);
    }
    std::string response = script_(x);
    asio::write(socket, asio::buffer(response), ec);
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  Script script_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Exchange> exchanges_;
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> open_;
  std::vector<std::thread> connections_;
};

}  // namespace mcpp::testing
