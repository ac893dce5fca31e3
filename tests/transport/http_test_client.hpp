// Test fixtures for the HTTP transport: an HttpServer on its own thread, and a small Beast client
// (one keep-alive connection) that sends requests and reads SSE responses event by event.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mcpp/server.hpp"
#include "mcpp/transport/http.hpp"

namespace mcpp::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

// An HttpServer on a free loopback port, run on a thread until the fixture is destroyed.
class RunningHttpServer {
 public:
  RunningHttpServer(Server& server, HttpOptions options = {}) {
    options.host = options.host.empty() ? "127.0.0.1" : options.host;
    options.port = 0;
    http_ = std::make_unique<HttpServer>(server, std::move(options));
    http_->listen();
    thread_ = std::thread([this] { http_->run(); });
  }
  ~RunningHttpServer() {
    http_->stop();
    thread_.join();
  }
  std::uint16_t port() const { return http_->port(); }
  HttpServer& http() { return *http_; }

 private:
  std::unique_ptr<HttpServer> http_;
  std::thread thread_;
};

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
  std::optional<long> retry;
  json::value json() const { return json::parse(data); }
};

using Headers = std::vector<std::pair<std::string, std::string>>;
using Response = http::response<http::string_body>;

// One client connection. Every call blocks (at most `timeout`) and fails the test on I/O errors
// only where it says so.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : port_(port), stream_(io_) {
    stream_.expires_after(5s);
    stream_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  // Added to every request (after the defaults).
  std::string session_id;
  std::string protocol_version;
  std::chrono::milliseconds timeout = 5s;

  // A JSON POST to /mcp with the headers a conforming client sends; `extra` overrides them.
  Response post(std::string body, const Headers& extra = {}, std::string target = "/mcp") {
    return request(http::verb::post, std::move(target), std::move(body), with_post_defaults(extra));
  }
  Response post(const json::value& body, const Headers& extra = {}, std::string target = "/mcp") {
    return post(json::serialize(body), extra, std::move(target));
  }

  // Sends a request and reads the whole response (use open() for streams that stay open).
  Response request(http::verb verb, std::string target, std::string body, const Headers& headers) {
    write(verb, std::move(target), std::move(body), headers);
    parser_.emplace();
    parser_->body_limit(64 * 1024 * 1024);
    run([&]() -> asio::awaitable<void> {
      stream_.expires_after(timeout);
      co_await http::async_read(stream_, buffer_, *parser_, asio::use_awaitable);
    });
    return parser_->release();
  }

  // Sends a request and reads the response head; its body is then read with next_event().
  Response open(http::verb verb, std::string target, std::string body, const Headers& headers) {
    write(verb, std::move(target), std::move(body), headers);
    parser_.emplace();
    parser_->body_limit(64 * 1024 * 1024);
    run([&]() -> asio::awaitable<void> {
      stream_.expires_after(timeout);
      co_await http::async_read_header(stream_, buffer_, *parser_, asio::use_awaitable);
    });
    consumed_ = 0;
    Response head;
    head.result(parser_->get().result());
    for (const auto& f : parser_->get()) head.set(f.name_string(), f.value());
    return head;
  }
  Response open_post(const json::value& body, const Headers& extra = {}) {
    return open(http::verb::post, "/mcp", json::serialize(body), with_post_defaults(extra));
  }
  Response open_get(const Headers& extra = {}, std::string target = "/mcp") {
    Headers h{{"Accept", "text/event-stream"}};
    h.insert(h.end(), extra.begin(), extra.end());
    return open(http::verb::get, std::move(target), "", h);
  }

  // The next SSE event of the open response; nullopt when it ended (or `wait` passed).
  std::optional<SseEvent> next_event(std::chrono::milliseconds wait = 5s) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      std::string& body = parser_->get().body();
      auto end = body.find("\n\n", consumed_);
      if (end != std::string::npos) {
        std::string_view block(body.data() + consumed_, end - consumed_);
        consumed_ = end + 2;
        if (auto e = parse_block(block)) return e;
        continue;  // a comment
      }
      if (parser_->is_done()) return std::nullopt;
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return std::nullopt;
      boost::system::error_code ec;
      run([&]() -> asio::awaitable<void> {
        stream_.expires_after(left);
        co_await http::async_read_some(stream_, buffer_, *parser_,
                                       asio::redirect_error(asio::use_awaitable, ec));
      });
      if (ec) return std::nullopt;
    }
  }
  // Text of the open response's body received so far.
  const std::string& raw_body() const { return parser_->get().body(); }
  bool response_done() const { return parser_ && parser_->is_done(); }

  // Waits until the server closes the connection; true when it did within `wait`.
  bool closed_by_server(std::chrono::milliseconds wait) {
    boost::system::error_code ec;
    run([&]() -> asio::awaitable<void> {
      char b[256];
      stream_.expires_after(wait);
      for (;;) {
        co_await stream_.async_read_some(asio::buffer(b),
                                         asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
    });
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  // Writes raw bytes on the connection.
  void write_raw(std::string_view bytes) {
    run([&]() -> asio::awaitable<void> {
      stream_.expires_after(timeout);
      co_await asio::async_write(stream_, asio::buffer(bytes), asio::use_awaitable);
    });
  }

  void close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  // JSON-RPC conveniences.
  json::value initialize(std::string version = "2025-11-25", json::object capabilities = {}) {
    Response r = post(json::value{{"jsonrpc", "2.0"},
                                  {"id", 0},
                                  {"method", "initialize"},
                                  {"params",
                                   {{"protocolVersion", version},
                                    {"capabilities", std::move(capabilities)},
                                    {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}});
    EXPECT_EQ(r.result(), http::status::ok) << r.body();
    session_id = std::string(r["Mcp-Session-Id"]);
    protocol_version = version;
    Response n = post(json::value{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    EXPECT_EQ(n.result(), http::status::accepted) << n.body();
    return json::parse(r.body());
  }

  static json::value request_body(json::value id, std::string_view method, json::object params) {
    return {{"jsonrpc", "2.0"},
            {"id", std::move(id)},
            {"method", method},
            {"params", std::move(params)}};
  }

 private:
  Headers with_post_defaults(const Headers& extra) const {
    Headers h{{"Content-Type", "application/json"},
              {"Accept", "application/json, text/event-stream"}};
    for (const auto& [k, v] : extra) {
      bool replaced = false;
      for (auto& [hk, hv] : h) {
        if (beast::iequals(hk, k)) hv = v, replaced = true;
      }
      if (!replaced) h.emplace_back(k, v);
    }
    return h;
  }

  void write(http::verb verb, std::string target, std::string body, const Headers& headers) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    if (!session_id.empty()) req.set("Mcp-Session-Id", session_id);
    if (!protocol_version.empty()) req.set("MCP-Protocol-Version", protocol_version);
    for (const auto& [k, v] : headers) {
      if (v.empty()) {
        req.erase(k);
      } else {
        req.set(k, v);
      }
    }
    req.body() = std::move(body);
    req.prepare_payload();
    run([&]() -> asio::awaitable<void> {
      stream_.expires_after(timeout);
      co_await http::async_write(stream_, req, asio::use_awaitable);
    });
  }

  static std::optional<SseEvent> parse_block(std::string_view block) {
    SseEvent e;
    bool any = false;
    bool has_data = false;
    while (!block.empty()) {
      auto nl = block.find('\n');
      std::string_view line = block.substr(0, nl);
      block = nl == std::string_view::npos ? std::string_view() : block.substr(nl + 1);
      if (line.empty() || line.front() == ':') continue;
      auto colon = line.find(':');
      std::string_view field = line.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
      if (value.starts_with(' ')) value.remove_prefix(1);
      any = true;
      if (field == "id") e.id = value;
      if (field == "event") e.event = value;
      if (field == "retry") e.retry = std::stol(std::string(value));
      if (field == "data") {
        if (has_data) e.data += '\n';
        e.data += value;
        has_data = true;
      }
    }
    if (!any) return std::nullopt;
    return e;
  }

  template <class MakeTask>
  void run(MakeTask make) {
    auto done = asio::co_spawn(io_, make(), asio::use_future);
    io_.restart();
    io_.run();
    done.get();
  }

  std::uint16_t port_;
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::size_t consumed_ = 0;
};

inline json::value parse_body(const Response& r) {
  return json::parse(r.body());
}

}  // namespace mcpp::testing
