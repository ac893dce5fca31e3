// The stdio transport: a reader thread splits input into lines, one io_context thread handles
// them (concurrently, so a handler may await the client's answer) and writes replies in order.
#include "mcpp/transport/stdio.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <thread>

#include "server/session.hpp"

namespace mcpp {
namespace asio = boost::asio;

namespace {

// Writes whole buffers to a file descriptor, retrying on EINTR and short writes.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Every message is written from the io thread (sends from other threads are posted there), in
// order. Lines are gathered and written together once the io thread has run what was queued,
// so a burst of pipelined requests costs one write(2), not one per reply.
class StdoutSink final : public MessageSink {
 public:
  StdoutSink(asio::io_context& io, int fd) : io_(io), fd_(fd) {}
  bool send(const json::value& message) override {
    std::string line = json::serialize(message);
    line += '\n';
    if (io_.get_executor().running_in_this_thread()) return write(line);
    asio::post(io_, [this, line = std::move(line)] { write(line); });
    return !broken_;
  }
  // On the io thread only.
  bool write(std::string_view line) {
    if (broken_) return false;
    out_.append(line);
    if (!flush_posted_) {
      flush_posted_ = true;
      asio::post(io_, [this] { flush(); });
    }
    return true;
  }
  void flush() {
    flush_posted_ = false;
    if (!broken_ && !out_.empty() && !write_all(fd_, out_)) broken_ = true;
    out_.clear();
  }

 private:
  asio::io_context& io_;
  int fd_;
  std::atomic<bool> broken_{false};
  std::string out_;
  bool flush_posted_ = false;
};

}  // namespace

int serve_stdio(Server& server, StdioOptions options) {
  asio::io_context io(1);
  auto work = asio::make_work_guard(io);
  auto sink = std::make_shared<StdoutSink>(io, options.out_fd);
  auto session = ServerSession::create(server, "stdio");
  session->set_standalone_sink(sink);

  std::size_t in_flight = 0;
  bool input_ended = false;
  // Once the input has ended and every request is answered, stop: what still runs in the
  // background (a task parked for input nobody can give any more) is abandoned.
  auto maybe_finish = [&] {
    if (input_ended && in_flight == 0) io.stop();
  };

  auto on_line = [&](std::string line) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) return;  // blank line
    auto parsed = jsonrpc::parse(line);
    if (auto* err = std::get_if<jsonrpc::Error>(&parsed)) {
      sink->write(json::serialize(jsonrpc::make_error(nullptr, *err)) + "\n");
      return;
    }
    ++in_flight;
    asio::co_spawn(
        io,
        [&, payload = std::move(std::get<json::value>(parsed))]() mutable -> Task<void> {
          json::value reply = co_await session->handle(std::move(payload), sink);
          if (!reply.is_null()) sink->write(json::serialize(reply) + "\n");
        },
        [&](std::exception_ptr) {
          --in_flight;
          maybe_finish();
        });
  };

  // Blocking reads on a thread of their own: stdin may be a pipe, a file or a terminal.
  std::thread reader([&] {
    std::string pending;
    std::vector<std::string> lines;
    // The complete lines of one read go over together.
    auto post_lines = [&] {
      if (lines.empty()) return;
      asio::post(io, [&on_line, batch = std::move(lines)]() mutable {
        for (auto& line : batch) on_line(std::move(line));
      });
      lines.clear();
    };
    std::vector<char> buf(64 * 1024);
    bool discarding = false;  // inside a line that went over the limit
    for (;;) {
      ssize_t n = ::read(options.in_fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
      while (!chunk.empty()) {
        auto nl = chunk.find('\n');
        std::string_view part = chunk.substr(0, nl);
        if (!discarding) pending.append(part);
        if (pending.size() > options.max_line_bytes) {
          pending.clear();
          if (!discarding) {
            discarding = true;
            post_lines();  // what came before goes first
            asio::post(io, [&sink, limit = options.max_line_bytes] {
              sink->write(json::serialize(jsonrpc::make_error(nullptr, jsonrpc::kParseError,
                                                              "Parse error: message longer than " +
                                                                  std::to_string(limit) +
                                                                  " bytes; it was skipped")) +
                          "\n");
            });
          }
        }
        if (nl == std::string_view::npos) break;
        if (!discarding) lines.push_back(std::move(pending));
        pending.clear();
        discarding = false;
        chunk.remove_prefix(nl + 1);
      }
      post_lines();
    }
    if (!pending.empty() && !discarding) {
      asio::post(io, [&on_line, line = std::move(pending)]() mutable { on_line(std::move(line)); });
    }
    asio::post(io, [&] {
      input_ended = true;
      session->fail_client_requests("The client closed its input");
      maybe_finish();
    });
  });
  io.run();
  sink->flush();
  reader.join();
  session->close();
  return 0;
}

}  // namespace mcpp
