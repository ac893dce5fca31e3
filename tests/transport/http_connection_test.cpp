// The HTTP/1.1 connection: the response head it writes, and how it reads requests off the wire
// (pipelined, split into small pieces, chunked, Expect: 100-continue, HTTP/1.0).
#include "transport/http_connection.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/write.hpp>
#include <cerrno>
#include <thread>

#include "http_test_client.hpp"

namespace mcpp {
namespace {

using testing::RunningHttpServer;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// Parses `wire` back as one response, as a client would.
http::response<http::string_body> parse_response(const std::string& wire) {
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  boost::system::error_code ec;
  std::size_t used = parser.put(asio::buffer(wire), ec);
  if (!parser.is_done() && !ec) parser.put_eof(ec);
  EXPECT_FALSE(ec) << ec.message() << " in:\n" << wire;
  EXPECT_EQ(used, wire.size());
  return parser.release();
}

std::string head_of(const HttpServerResponse& r, unsigned version, bool keep_alive, BodyFraming f) {
  std::string out = "prefix:";
  append_response_head(out, r, version, keep_alive, f);
  EXPECT_EQ(out.rfind("prefix:", 0), 0u) << "appends";
  return out.substr(7);
}

TEST(ResponseHead, JsonKeepAliveHasContentLengthAndNoConnection) {
  HttpServerResponse r = json_response(http::status::ok, json::parse(R"({"a":1})"));
  r.set("Mcp-Session-Id", "abc");
  std::string head = head_of(r, 11, true, BodyFraming::kContentLength);
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_EQ(head.find("Connection"), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  auto back = parse_response(head + r.body());
  EXPECT_EQ(back.result(), http::status::ok);
  EXPECT_EQ(back["Content-Type"], "application/json");
  EXPECT_EQ(back["Mcp-Session-Id"], "abc");
  EXPECT_EQ(back["Content-Length"], "7");
  EXPECT_EQ(back.body(), R"({"a":1})");
  EXPECT_TRUE(back.keep_alive());
}

TEST(ResponseHead, ConnectionFollowsKeepAliveAndVersion) {
  HttpServerResponse r = error_response(http::status::payload_too_large, -32600, "too big");
  auto closing = parse_response(head_of(r, 11, false, BodyFraming::kContentLength) + r.body());
  EXPECT_EQ(closing.result(), http::status::payload_too_large);
  EXPECT_EQ(closing["Connection"], "close");
  EXPECT_FALSE(closing.keep_alive());

  std::string old = head_of(r, 10, true, BodyFraming::kContentLength);
  EXPECT_EQ(old.rfind("HTTP/1.0 413 Payload Too Large\r\n", 0), 0u) << old;
  EXPECT_NE(old.find("Connection: keep-alive\r\n"), std::string::npos) << old;
  std::string old_close = head_of(r, 10, false, BodyFraming::kContentLength);
  EXPECT_EQ(old_close.find("Connection"), std::string::npos) << old_close;
}

TEST(ResponseHead, OwnFramingFieldsAreReplaced) {
  HttpServerResponse r = make_response(http::status::ok, "12345", "text/plain");
  r.set(http::field::content_length, "99");
  r.set(http::field::transfer_encoding, "gzip");
  r.set(http::field::connection, "close");
  std::string head = head_of(r, 11, true, BodyFraming::kContentLength);
  EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("99"), std::string::npos) << head;
  EXPECT_EQ(head.find("gzip"), std::string::npos) << head;
}

TEST(ResponseHead, BodilessStatusesHaveNoContentLength) {
  for (auto status : {http::status::no_content, http::status::not_modified}) {
    std::string head = head_of(empty_response(status), 11, true, BodyFraming::kContentLength);
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  }
  std::string accepted =
      head_of(empty_response(http::status::accepted), 11, true, BodyFraming::kContentLength);
  EXPECT_NE(accepted.find("Content-Length: 0\r\n"), std::string::npos) << accepted;
}

TEST(ResponseHead, SseStreams) {
  HttpServerResponse r = sse_head();
  std::string chunked = head_of(r, 11, true, BodyFraming::kChunked);
  EXPECT_NE(chunked.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << chunked;
  EXPECT_NE(chunked.find("Connection: keep-alive\r\n"), std::string::npos) << chunked;
  EXPECT_NE(chunked.find("Content-Type: text/event-stream\r\n"), std::string::npos) << chunked;
  EXPECT_EQ(chunked.find("Content-Length"), std::string::npos) << chunked;
  auto back = parse_response(chunked + "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(back.body(), "hello");

  std::string until_close = head_of(r, 10, false, BodyFraming::kUntilClose);
  EXPECT_EQ(until_close.find("Content-Length"), std::string::npos) << until_close;
  EXPECT_EQ(until_close.find("Transfer-Encoding"), std::string::npos) << until_close;
  EXPECT_EQ(until_close.find("Connection"), std::string::npos) << until_close;
}

// A raw client: writes bytes as given and reads responses with Beast.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void write(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // A write that may fail (the server may have answered and closed already).
  void write_some(std::string_view bytes, boost::system::error_code& ec) {
    asio::write(socket_, asio::buffer(bytes), ec);
  }
  http::response<http::string_body> read() {
    http::response<http::string_body> r;
    http::read(socket_, buffer_, r);
    return r;
  }
  // Everything up to and including the next empty line.
  std::string read_head() {
    for (;;) {
      std::string_view have(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      if (auto end = have.find("\r\n\r\n"); end != std::string_view::npos) {
        std::string head(have.substr(0, end + 4));
        buffer_.consume(end + 4);
        return head;
      }
      buffer_.commit(socket_.read_some(buffer_.prepare(512)));
    }
  }
  // True when the server closes the connection within 3 s (recv(2) itself: Asio's blocking
  // read would wait past SO_RCVTIMEO).
  bool closed() {
    timeval three_seconds{3, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &three_seconds,
                 sizeof three_seconds);
    char b[64];
    for (;;) {
      ssize_t n = ::recv(socket_.native_handle(), b, sizeof b, 0);
      if (n > 0) continue;  // whatever the server still sends before closing
      return n == 0 || errno == ECONNRESET;
    }
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

std::string initialize_body(int id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},)"
         R"("clientInfo":{"name":"t","version":"1"}}})";
}

std::string post(const std::string& body, std::string_view version = "1.1",
                 std::string_view extra = "") {
  return "POST /mcp HTTP/" + std::string(version) +
         "\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\n" +
         std::string(extra) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The head of a POST whose body follows in chunks.
constexpr std::string_view kChunkedPostHead =
    "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "Accept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

json::value id_of(const http::response<http::string_body>& r) {
  return json::parse(r.body()).at("id");
}

TEST(HttpConnection, PipelinedRequestsAreAnsweredInOrder) {
  Server server;
  RunningHttpServer http(server);
  RawClient c(http.port());
  c.write(post(initialize_body(1)) + post(initialize_body(2)) + post(initialize_body(3)));
  for (int id = 1; id <= 3; ++id) {
    auto r = c.read();
    EXPECT_EQ(r.result(), http::status::ok);
    EXPECT_EQ(id_of(r), json::value(id));
    EXPECT_FALSE(r["Mcp-Session-Id"].empty());
  }
}

TEST(HttpConnection, ARequestArrivingInSmallPiecesIsReadWhole) {
  Server server;
  RunningHttpServer http(server);
  RawClient c(http.port());
  std::string wire = post(initialize_body(7));
  for (std::size_t i = 0; i < wire.size(); i += 5) {
    c.write(std::string_view(wire).substr(i, 5));
    std::this_thread::sleep_for(1ms);
  }
  auto r = c.read();
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(id_of(r), json::value(7));
}

TEST(HttpConnection, ChunkedRequestBodies) {
  Server server;
  RunningHttpServer http(server);
  RawClient c(http.port());
  std::string body = initialize_body(8);
  std::string half = body.substr(0, body.size() / 2), rest = body.substr(body.size() / 2);
  auto hex = [](std::size_t n) {
    char b[16];
    std::snprintf(b, sizeof b, "%zx", n);
    return std::string(b);
  };
  c.write(std::string(kChunkedPostHead) + hex(half.size()) + "\r\n" + half + "\r\n");
  std::this_thread::sleep_for(20ms);
  c.write(hex(rest.size()) + "\r\n" + rest + "\r\n0\r\n\r\n");
  auto r = c.read();
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(id_of(r), json::value(8));
}

TEST(HttpConnection, ExpectContinueIsAnsweredBeforeTheBody) {
  Server server;
  RunningHttpServer http(server);
  RawClient c(http.port());
  std::string wire = post(initialize_body(9), "1.1", "Expect: 100-continue\r\n");
  std::size_t split = wire.find("\r\n\r\n") + 4;
  c.write(wire.substr(0, split));
  EXPECT_EQ(c.read_head(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.write(wire.substr(split));
  auto r = c.read();
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(id_of(r), json::value(9));
}

TEST(HttpConnection, Http10IsAnsweredInKindAndClosed) {
  Server server;
  RunningHttpServer http(server);
  RawClient c(http.port());
  c.write(post(initialize_body(10), "1.0"));
  auto r = c.read();
  EXPECT_EQ(r.version(), 10u);
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(id_of(r), json::value(10));
  EXPECT_TRUE(c.closed());
}

TEST(HttpConnection, AHangUpMidRequestEndsTheConnectionQuietly) {
  Server server;
  RunningHttpServer http(server);
  {
    RawClient c(http.port());
    std::string wire = post(initialize_body(11));
    c.write(wire.substr(0, wire.size() - 10));
  }
  // The server goes on serving others.
  RawClient other(http.port());
  other.write(post(initialize_body(12)));
  EXPECT_EQ(id_of(other.read()), json::value(12));
}

TEST(HttpConnection, AnEndlessChunkLineIsRefusedNotBuffered) {
  Server server;
  RunningHttpServer http(server);
  RawClient c(http.port());
  c.write(std::string(kChunkedPostHead) + "1;");
  // A chunk extension that never ends: the server must not keep it all.
  boost::system::error_code ec;
  for (int i = 0; i < 16 && !ec; ++i) c.write_some(std::string(4096, 'x'), ec);
  auto r = c.read();
  EXPECT_EQ(r.result(), http::status::bad_request);
  EXPECT_NE(r.body().find("malformed"), std::string::npos) << r.body();
  EXPECT_TRUE(c.closed());
}

TEST(HttpConnection, AResponseSayingConnectionCloseEndsTheConnection) {
  Server server;
  HttpOptions o;
  o.routes.push_back([](const HttpRequestInfo& info) -> Task<std::optional<HttpReply>> {
    if (info.path != "/bye") co_return std::nullopt;
    co_return HttpReply{200, {{"Content-Type", "text/plain"}, {"Connection", "close"}}, "bye"};
  });
  RunningHttpServer http(server, o);
  RawClient c(http.port());
  c.write("GET /bye HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  auto r = c.read();
  EXPECT_EQ(r.body(), "bye");
  EXPECT_EQ(r["Connection"], "close");
  EXPECT_TRUE(c.closed());
}

// ---- framing the server must not guess at (RFC 9112 sections 3.2 and 6.1) ----

// Sends `wire` and expects a 400 whose message contains `says`, then the connection closed.
void expect_refused(std::uint16_t port, const std::string& wire, std::string_view says) {
  RawClient c(port);
  c.write(wire);
  auto r = c.read();
  EXPECT_EQ(r.result(), http::status::bad_request) << wire;
  EXPECT_NE(r.body().find(says), std::string::npos) << r.body();
  EXPECT_EQ(r["Connection"], "close");
  EXPECT_TRUE(c.closed());
}

TEST(HttpFraming, AnUnknownTransferCodingWithContentLengthIsRefused) {
  Server server;
  RunningHttpServer http(server);
  std::string body = initialize_body(20);
  expect_refused(http.port(), post(body, "1.1", "Transfer-Encoding: xchunked\r\n") /* CL follows */,
                 "Transfer-Encoding");
}

TEST(HttpFraming, AnUnknownTransferCodingWithoutContentLengthIsRefused) {
  Server server;
  RunningHttpServer http(server);
  // Without the check the "body" would be read as the next request.
  std::string smuggled = post(initialize_body(21));
  expect_refused(http.port(),
                 "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: xchunked\r\n\r\n" +
                     smuggled,
                 "xchunked");
}

TEST(HttpFraming, ACodingBeforeChunkedIsRefused) {
  Server server;
  RunningHttpServer http(server);
  expect_refused(http.port(),
                 std::string("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
                 "gzip");
}

TEST(HttpFraming, TwoHostHeadersAreRefused) {
  Server server;
  RunningHttpServer http(server);
  expect_refused(http.port(), post(initialize_body(22), "1.1", "Host: evil.example\r\n"),
                 "more than one Host");
}

TEST(HttpFraming, AnHttp11RequestWithoutHostIsRefused) {
  Server server;
  RunningHttpServer http(server);
  expect_refused(http.port(), "GET /mcp HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n",
                 "needs a Host");
}

TEST(HttpFraming, ChunkedInAnyCaseStillWorks) {
  Server server;
  RunningHttpServer http(server);
  RawClient c(http.port());
  std::string body = initialize_body(23);
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  c.write(
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Accept: application/json, text/event-stream\r\nTransfer-Encoding:  Chunked \r\n\r\n" +
      std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n");
  auto r = c.read();
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(id_of(r), json::value(23));
}

// ---- lingering close (RFC 9112 section 9.6) ----

TEST(HttpLingeringClose, AClientThatWritesItsWholeBodyBeforeReadingGets413) {
  Server server;
  HttpOptions o;
  o.max_body_bytes = 64 * 1024;
  RunningHttpServer http(server, o);
  RawClient c(http.port());
  // Like Python's http.client: the whole request goes out (blocking) before the response is
  // read. Closed at once, the server would leave unread bytes and the kernel would reset the
  // connection: the write fails and the 413 is lost.
  const std::size_t body_size = 24u << 20;
  std::string head =
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Accept: application/json, text/event-stream\r\nContent-Length: " +
      std::to_string(body_size) + "\r\n\r\n";
  boost::system::error_code write_error;
  std::thread writer([&] {
    c.write_some(head, write_error);
    std::string block(1u << 20, ' ');
    for (std::size_t sent = 0; sent < body_size && !write_error; sent += block.size()) {
      c.write_some(block, write_error);
    }
  });
  writer.join();
  EXPECT_FALSE(write_error) << write_error.message();
  auto r = c.read();
  EXPECT_EQ(r.result(), http::status::payload_too_large);
  EXPECT_TRUE(c.closed());
}

TEST(HttpLingeringClose, AClientThatNeverStopsSendingIsCutOff) {
  Server server;
  HttpOptions o;
  o.max_body_bytes = 1024;
  RunningHttpServer http(server, o);
  RawClient c(http.port());
  c.write("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999999\r\n\r\n");
  auto started = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  std::string block(1u << 20, 'x');
  while (!ec && std::chrono::steady_clock::now() - started < 20s) c.write_some(block, ec);
  // The drain is bounded (by time and bytes): the server closes while the client still writes.
  EXPECT_TRUE(ec) << "the server read for 20 s";
}

// Found by tests/fuzz/http_request_fuzz: started from a thread that does not run the socket's
// io_context, the connection was destroyed before its coroutine began (a use after free).
TEST(HttpConnection, StartedFromAnotherThreadServesTheRequest) {
  Server server;
  HttpServerState state(server, HttpOptions{});
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket accepted = acceptor.accept();
  state.connections.fetch_add(1);
  start_http_connection(state, std::move(accepted));  // io is not running: the start is posted
  std::string request = "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  asio::write(client, asio::buffer(request));
  std::thread runner([&] { io.run_for(5s); });
  beast::flat_buffer buffer;
  http::response<http::string_body> r;
  boost::system::error_code ec;
  http::read(client, buffer, r, ec);
  io.stop();
  runner.join();
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(r.result(), http::status::not_found);
}

}  // namespace
}  // namespace mcpp
