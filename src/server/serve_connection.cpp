// serve(Server&, Connection&): one session of a Server over any mcpp::Connection. Reads messages
// one by one, runs each request's handler concurrently on a strand, and writes what the session
// sends (replies, notifications, requests to the client) in the order it sends them.
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <mutex>

#include "server/session.hpp"

namespace mcpp {

namespace {

namespace asio = boost::asio;
using Strand = asio::strand<asio::any_io_executor>;

// What one serve() call shares with the coroutines it starts: the queue of messages to write,
// the count of handlers running, and a timer that wakes serve() when either drains. Everything
// but the queue (guarded by mu) is touched on the strand only.
class ServeState : public std::enable_shared_from_this<ServeState> {
 public:
  ServeState(Strand strand, Connection& connection)
      : strand_(std::move(strand)), connection_(&connection), idle_(strand_) {
    idle_.expires_at(asio::steady_timer::time_point::max());
  }

  const Strand& strand() const { return strand_; }

  // Queues a message; the writer coroutine sends it. From any thread.
  bool enqueue(std::string text) {
    {
      std::lock_guard lock(mu_);
      if (broken_ || detached_) return false;
      queue_.push_back(std::move(text));
    }
    asio::post(strand_, [self = shared_from_this()] { self->start_writer(); });
    return true;
  }

  void handler_started() { ++handlers_; }
  void handler_finished() {
    --handlers_;
    idle_.cancel();
  }

  // Waits (on the strand) until no handler runs and every queued message is written.
  Task<void> drain() {
    for (;;) {
      bool empty = false;
      {
        std::lock_guard lock(mu_);
        empty = queue_.empty() || broken_;
      }
      if (handlers_ == 0 && empty && !writing_) co_return;
      boost::system::error_code ec;
      co_await idle_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      idle_.expires_at(asio::steady_timer::time_point::max());
    }
  }

  // After this, nothing touches the connection (serve() is about to return).
  void detach() {
    std::lock_guard lock(mu_);
    detached_ = true;
    queue_.clear();
    connection_ = nullptr;
  }

  std::size_t handlers() const { return handlers_; }

 private:
  void start_writer() {
    if (writing_) return;
    writing_ = true;
    asio::co_spawn(strand_, write_all(shared_from_this()), asio::detached);
  }

  static Task<void> write_all(std::shared_ptr<ServeState> self) {
    for (;;) {
      std::string text;
      Connection* connection = nullptr;
      {
        std::lock_guard lock(self->mu_);
        if (self->queue_.empty() || self->broken_ || !self->connection_) break;
        text = std::move(self->queue_.front());
        self->queue_.pop_front();
        connection = self->connection_;
      }
      try {
        co_await connection->write(std::move(text));
      } catch (const std::exception&) {
        // The peer is gone: what is still to be written has nowhere to go.
        std::lock_guard lock(self->mu_);
        self->broken_ = true;
        self->queue_.clear();
      }
    }
    self->writing_ = false;
    self->idle_.cancel();
  }

  Strand strand_;
  std::mutex mu_;
  std::deque<std::string> queue_;
  bool broken_ = false;
  bool detached_ = false;
  Connection* connection_;
  // Strand only.
  bool writing_ = false;
  std::size_t handlers_ = 0;
  asio::steady_timer idle_;
};

// The session's sink for every message (there is one stream: replies, notifications and requests
// to the client all go on the connection).
class ConnectionSink final : public MessageSink {
 public:
  explicit ConnectionSink(std::shared_ptr<ServeState> state) : state_(std::move(state)) {}
  bool send(const json::value& message) override {
    return state_->enqueue(json::serialize(message));
  }

 private:
  std::shared_ptr<ServeState> state_;
};

Task<void> run_session(Server& server, Connection& connection, Strand strand) {
  auto state = std::make_shared<ServeState>(strand, connection);
  auto sink = std::make_shared<ConnectionSink>(state);
  auto session = ServerSession::create(server, "connection");
  session->set_standalone_sink(sink);

  for (;;) {
    std::optional<std::string> text;
    try {
      text = co_await connection.read();
    } catch (const std::exception&) {
      text.reset();  // a failed connection ends the session like a closed one
    }
    if (!text) break;
    if (text->find_first_not_of(" \t\r\n") == std::string::npos) continue;
    auto parsed = jsonrpc::parse(*text);
    if (auto* err = std::get_if<jsonrpc::Error>(&parsed)) {
      sink->send(jsonrpc::make_error(nullptr, *err));
      continue;
    }
    state->handler_started();
    asio::co_spawn(
        strand,
        [session, sink,
         payload = std::move(std::get<json::value>(parsed))]() mutable -> Task<void> {
          json::value reply = co_await session->handle(std::move(payload), sink);
          if (!reply.is_null()) sink->send(reply);
        },
        asio::bind_executor(strand, [state](std::exception_ptr) { state->handler_finished(); }));
  }
  // The client is gone: its handlers are cancelled (stop token), its pending answers failed.
  session->close();
  co_await state->drain();
  state->detach();
  connection.close();
}

}  // namespace

Task<void> serve(Server& server, Connection& connection) {
  auto executor = co_await asio::this_coro::executor;
  Strand strand = asio::make_strand(executor);
  co_await asio::co_spawn(strand, run_session(server, connection, strand), asio::use_awaitable);
}

}  // namespace mcpp
