// The model client against byte-exact answers from an in-test server (what the scripted endpoint
// cannot misbehave precisely enough: wrong content types, HTML, a data line that is not JSON, a
// stream that ends without [DONE], Retry-After as a date or in milliseconds).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <ctime>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "host/model_client.hpp"
#include "scripted_model_process.hpp"

namespace mcpp::host {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using testing::run_coroutine;

// Answers the n-th connection with answers[n] (the last one again after the end), byte for byte,
// then closes it. Counts the requests it read.
class CannedHttpServer {
 public:
  CannedHttpServer(asio::any_io_executor ex, std::vector<std::string> answers)
      : acceptor_(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        answers_(std::make_shared<std::vector<std::string>>(std::move(answers))),
        requests_(std::make_shared<int>(0)) {
    asio::co_spawn(ex, serve(acceptor_, answers_, requests_), asio::detached);
  }
  std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1";
  }
  int requests() const { return *requests_; }

 private:
  static Task<void> serve(tcp::acceptor& acceptor,
                          std::shared_ptr<std::vector<std::string>> answers,
                          std::shared_ptr<int> requests) {
    for (std::size_t n = 0;; ++n) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      std::string in;
      co_await asio::async_read_until(socket, asio::dynamic_buffer(in), "\r\n\r\n",
                                      asio::redirect_error(asio::use_awaitable, ec));
      std::size_t head_end = in.find("\r\n\r\n");
      std::size_t length_at = in.find("Content-Length: ");
      if (!ec && head_end != std::string::npos && length_at != std::string::npos) {
        std::size_t length = std::stoul(in.substr(length_at + 16));
        while (!ec && in.size() < head_end + 4 + length) {
          char buf[4096];
          std::size_t got = co_await socket.async_read_some(
              asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
          in.append(buf, got);
        }
      }
      ++*requests;
      const std::string& answer = (*answers)[std::min(n, answers->size() - 1)];
      co_await asio::async_write(socket, asio::buffer(answer),
                                 asio::redirect_error(asio::use_awaitable, ec));
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  tcp::acceptor acceptor_;
  std::shared_ptr<std::vector<std::string>> answers_;
  std::shared_ptr<int> requests_;
};

std::string http_answer(std::string status_line, std::string headers, std::string body) {
  return "HTTP/1.1 " + status_line + "\r\n" + headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// A stream answer without Content-Length: it ends when the connection closes.
std::string stream_until_close(std::string content_type, std::string body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: " + content_type + "\r\nConnection: close\r\n\r\n" +
         body;
}

std::string chunk(std::string_view delta_json, std::string_view finish = "null") {
  return "data: {\"choices\":[{\"index\":0,\"delta\":" + std::string(delta_json) +
         ",\"finish_reason\":" + std::string(finish) + "}]}\n\n";
}

struct Outcome {
  std::optional<ModelReply> reply;
  std::optional<ModelError> error;
  std::string text;
  std::vector<std::chrono::milliseconds> retry_waits;
  int requests = 0;
};

Outcome complete_against(std::vector<std::string> answers, ModelConfig config = {}) {
  Outcome out;
  run_coroutine([&](asio::any_io_executor ex) -> Task<bool> {
    CannedHttpServer server(ex, answers);
    config.base_url = server.base_url();
    if (config.model.empty()) config.model = "m";
    config.timeout = 5s;
    ModelClient client(ex, config);
    ModelRequest request;
    request.messages.push_back({.role = "user", .content = "hi"});
    try {
      out.reply = co_await client.complete(
          request, [&](std::string_view t) { out.text += t; }, {},
          [&](const ModelError&, std::chrono::milliseconds wait) {
            out.retry_waits.push_back(wait);
          });
    } catch (const ModelError& e) {
      out.error = e;
    }
    out.requests = server.requests();
    co_return true;
  });
  return out;
}

std::string what(const Outcome& o) {
  return o.error ? o.error->what() : "";
}

TEST(ModelClientWire, CancellingWhileConnectingStopsAtOnce) {
  // A TLS handshake that never ends: the server accepts and says nothing.
  std::optional<ModelError> error;
  auto started = std::chrono::steady_clock::now();
  run_coroutine([&](asio::any_io_executor ex) -> Task<bool> {
    tcp::acceptor silent(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket accepted(ex);
    silent.async_accept(accepted, [](boost::system::error_code) {});
    ModelConfig config;
    config.base_url = "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/v1";
    config.model = "m";
    config.connect_timeout = 10s;
    ModelClient client(ex, config);
    std::stop_source stop;
    asio::steady_timer later(ex, 200ms);
    later.async_wait([&](boost::system::error_code) { stop.request_stop(); });
    ModelRequest request;
    request.messages.push_back({.role = "user", .content = "hi"});
    std::stop_token token = stop.get_token();
    try {
      co_await client.complete(request, nullptr, token);
    } catch (const ModelError& e) {
      error = e;
    }
    co_return true;
  });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind(), ModelError::Kind::kCancelled) << error->what();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s) << "not the 10 s connect timeout";
}

TEST(ModelClientWire, AnHtmlPageIsNotAnAnswer) {
  Outcome o = complete_against(
      {http_answer("200 OK", "Content-Type: text/html\r\n", "<html><body>Welcome</body></html>")});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kBadResponse);
  EXPECT_NE(what(o).find("not JSON"), std::string::npos) << what(o);
  EXPECT_NE(what(o).find("OpenAI-compatible"), std::string::npos) << what(o);
}

TEST(ModelClientWire, AnEventStreamWithTheWrongContentTypeIsStillRead) {
  Outcome o = complete_against({stream_until_close(
      "text/plain", chunk(R"({"content":"Hel"})") + chunk(R"({"content":"lo"})") +
                        chunk("{}", "\"stop\"") + "data: [DONE]\n\n")});
  ASSERT_FALSE(o.error) << what(o);
  EXPECT_EQ(o.text, "Hello");
  EXPECT_EQ(o.reply->finish_reason, "stop");
}

TEST(ModelClientWire, ADataLineThatIsNotJsonIsABadResponse) {
  Outcome o = complete_against(
      {stream_until_close("text/event-stream", chunk(R"({"content":"a"})") + "data: {oops\n\n")});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kBadResponse);
  EXPECT_NE(what(o).find("{oops"), std::string::npos) << what(o);
  EXPECT_EQ(o.requests, 1);
}

TEST(ModelClientWire, AStreamThatEndsWithoutDoneOrFinishIsIncomplete) {
  Outcome o = complete_against(
      {stream_until_close("text/event-stream", chunk(R"({"content":"half an ans"})"))});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kStreamBroken);
  EXPECT_EQ(o.text, "half an ans");
  EXPECT_EQ(o.requests, 1) << "never retried once text was shown";
}

TEST(ModelClientWire, AStreamWithAFinishReasonButNoDoneIsAccepted) {
  Outcome o = complete_against({stream_until_close(
      "text/event-stream", chunk(R"({"content":"whole"})") + chunk("{}", "\"stop\""))});
  ASSERT_FALSE(o.error) << what(o);
  EXPECT_EQ(o.reply->content, "whole");
}

TEST(ModelClientWire, RetryAfterAsAnHttpDateAndInMilliseconds) {
  std::time_t later = std::time(nullptr) + 2;
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&later));
  std::string ok = stream_until_close(
      "text/event-stream", chunk(R"({"content":"ok"})", "\"stop\"") + "data: [DONE]\n\n");
  Outcome o = complete_against(
      {http_answer("503 Service Unavailable", "Retry-After: " + std::string(date) + "\r\n",
                   "overloaded"),
       http_answer("429 Too Many Requests", "retry-after-ms: 250\r\n", "{\"error\":\"slow down\"}"),
       ok});
  ASSERT_FALSE(o.error) << what(o);
  EXPECT_EQ(o.text, "ok");
  ASSERT_EQ(o.retry_waits.size(), 2u);
  EXPECT_GT(o.retry_waits[0], 0ms);
  EXPECT_LE(o.retry_waits[0], 2000ms);
  EXPECT_EQ(o.retry_waits[1], 250ms);
  EXPECT_EQ(o.requests, 3);
}

TEST(ModelClientWire, ARefusalWithAnHtmlBodyShowsTheStatusNotTheHtml) {
  Outcome o = complete_against(
      {http_answer("400 Bad Request", "Content-Type: text/html\r\n", "<html>nginx</html>")});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kBadRequest);
  EXPECT_EQ(o.error->http_status(), 400);
  EXPECT_EQ(what(o).find("<html>"), std::string::npos) << what(o);
  EXPECT_NE(what(o).find("HTTP 400"), std::string::npos) << what(o);
}

TEST(ModelClientWire, AMissingKeyIsSaidSo) {
  ModelConfig config;
  config.api_key_env = "GROQ_API_KEY";
  Outcome o = complete_against(
      {http_answer(
          "401 Unauthorized", "Content-Type: application/json\r\n",
          R"({"error":{"message":"You didn't provide an API key.","type":"invalid_request_error"}})")},
      config);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kAuth);
  EXPECT_NE(what(o).find("no API key was sent: set the environment variable GROQ_API_KEY"),
            std::string::npos)
      << what(o);
  EXPECT_NE(what(o).find("You didn't provide an API key."), std::string::npos) << what(o);
}

TEST(ModelClientWire, AnAnswerLargerThanTheLimitIsRefused) {
  ModelConfig config;
  config.max_response_bytes = 4096;
  std::string endless;
  for (int i = 0; i < 200; ++i) endless += chunk(R"({"content":"0123456789"})");
  Outcome o = complete_against({stream_until_close("text/event-stream", endless)}, config);
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kBadResponse);
  EXPECT_NE(what(o).find("larger than 4096 bytes"), std::string::npos) << what(o);
  EXPECT_LT(o.text.size(), 4096u);
}

TEST(ModelClientWire, AnExhaustedQuotaIsNotRetried) {
  Outcome o = complete_against({http_answer(
      "429 Too Many Requests", "Content-Type: application/json\r\n",
      R"({"error":{"message":"You exceeded your current quota.","type":"insufficient_quota",)"
      R"("code":"insufficient_quota"}})")});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kRateLimited);
  EXPECT_FALSE(o.error->may_retry());
  EXPECT_NE(what(o).find("quota is used up"), std::string::npos) << what(o);
  EXPECT_EQ(o.requests, 1);
  EXPECT_TRUE(o.retry_waits.empty());
}

TEST(ModelClientWire, AnOllamaStyleErrorStringIsShown) {
  Outcome o = complete_against({http_answer("404 Not Found", "Content-Type: application/json\r\n",
                                            R"({"error":"model \"llama9\" not found"})")});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->kind(), ModelError::Kind::kModelNotFound);
  EXPECT_NE(what(o).find("model \"llama9\" not found"), std::string::npos) << what(o);
}

}  // namespace
}  // namespace mcpp::host
