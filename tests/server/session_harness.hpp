// Test harness: drives a ServerSession in memory, message by message, recording what it sends.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <mutex>

#include "server/session.hpp"

namespace mcpp::testing {

class RecordingSink final : public MessageSink {
 public:
  bool send(const json::value& message) override {
    std::lock_guard lock(mu);
    messages.push_back(message);
    return open;
  }
  std::vector<json::value> take() {
    std::lock_guard lock(mu);
    return std::exchange(messages, {});
  }
  std::mutex mu;
  std::vector<json::value> messages;
  bool open = true;
};

class SessionHarness {
 public:
  explicit SessionHarness(Server& server)
      : session(ServerSession::create(server, "test")),
        sink(std::make_shared<RecordingSink>()),
        standalone(std::make_shared<RecordingSink>()) {
    session->set_standalone_sink(standalone);
  }

  // Sends one payload (text) and runs until the session answers; returns the reply (null when
  // none).
  json::value send(std::string_view text) { return send_value(json::parse(text)); }
  // An exception escaping handle() is rethrown here, so the test that sent the payload fails.
  json::value send_value(json::value payload) {
    json::value reply;
    boost::asio::co_spawn(
        io, [&]() -> Task<void> { reply = co_await session->handle(payload, sink); },
        rethrow_failure);
    io.restart();
    io.run();
    return reply;
  }

  // Starts a request without waiting for its reply (for server->client round trips). An
  // exception escaping handle() is rethrown from the poll()/send() that runs it.
  void start(std::string_view text, json::value* reply) {
    json::value payload = json::parse(text);
    boost::asio::co_spawn(
        io,
        [this, payload, reply]() -> Task<void> {
          *reply = co_await session->handle(payload, sink);
        },
        rethrow_failure);
    io.restart();
    io.poll();
  }

  // The completion handler of every spawned handle(): rethrows what escaped it out of
  // io.run()/io.poll(), where GoogleTest reports it as a failure of the running test.
  static void rethrow_failure(std::exception_ptr failure) {
    if (failure) std::rethrow_exception(failure);
  }
  void poll() {
    io.restart();
    io.poll();
  }

  json::value initialize(std::string_view version = "2025-11-25",
                         std::string_view capabilities = "{}") {
    std::string msg =
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":")" +
        std::string(version) + R"(","capabilities":)" + std::string(capabilities) +
        R"(,"clientInfo":{"name":"test","version":"1"}}})";
    json::value r = send(msg);
    send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    return r;
  }

  boost::asio::io_context io;
  std::shared_ptr<ServerSession> session;
  std::shared_ptr<RecordingSink> sink;
  std::shared_ptr<RecordingSink> standalone;
};

inline int error_code(const json::value& reply) {
  const json::value* e = find(reply, "error");
  return e ? static_cast<int>(e->at("code").as_int64()) : 0;
}
inline std::string error_message(const json::value& reply) {
  const json::value* e = find(reply, "error");
  return e ? std::string(e->at("message").as_string()) : std::string();
}

}  // namespace mcpp::testing
