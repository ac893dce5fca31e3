// The Client's transport over any mcpp::Connection: a reader coroutine hands each message to the
// client, and sends are writes. Both eras run over it, as over stdio (it has no HTTP headers, no
// session to reset and no per-request streams).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "client/transport.hpp"
#include "jsonrpc/message.hpp"

namespace mcpp {

namespace {

namespace asio = boost::asio;

// What the reader coroutine shares with the transport: the callbacks, cleared once the client
// closed the connection so that its end is not reported as a loss.
struct ReaderState {
  ClientTransport::Callbacks callbacks;
  bool stopped = false;  // on the client's strand
};

class ConnectionTransport final : public ClientTransport {
 public:
  ConnectionTransport(asio::any_io_executor ex, std::shared_ptr<Connection> connection)
      : ex_(std::move(ex)), connection_(std::move(connection)) {}
  ~ConnectionTransport() override { abort(); }

  std::string_view name() const override { return "connection"; }
  bool supports_stateless() const override { return true; }

  Task<void> start(Callbacks callbacks) override {
    state_ = std::make_shared<ReaderState>();
    state_->callbacks = std::move(callbacks);
    asio::co_spawn(ex_, read_all(connection_, state_), asio::detached);
    co_return;
  }

  Task<void> send(json::value message) override {
    if (closed_) throw TransportError(TransportError::Kind::kClosed, "the connection is closed");
    try {
      co_await connection_->write(json::serialize(message));
    } catch (const ConnectionError& e) {
      throw TransportError(TransportError::Kind::kClosed,
                           std::string("cannot write to the connection: ") + e.what());
    }
  }

  Task<void> close() override {
    abort();
    co_return;
  }

  void abort() noexcept override {
    closed_ = true;
    if (state_) state_->stopped = true;
    connection_->close();
  }

 private:
  static Task<void> read_all(std::shared_ptr<Connection> connection,
                             std::shared_ptr<ReaderState> state) {
    std::string why = "the server closed the connection";
    for (;;) {
      std::optional<std::string> text;
      try {
        text = co_await connection->read();
      } catch (const std::exception& e) {
        why = std::string("the connection failed: ") + e.what();
        break;
      }
      if (!text || state->stopped) break;
      if (text->find_first_not_of(" \t\r\n") == std::string::npos) continue;
      auto parsed = jsonrpc::parse(*text);
      // Text that is not JSON has no id to answer: it is skipped, as stdio skips such lines.
      if (std::holds_alternative<jsonrpc::Error>(parsed)) continue;
      if (state->callbacks.on_message) {
        state->callbacks.on_message(std::move(std::get<json::value>(parsed)), nullptr);
      }
    }
    if (!state->stopped && state->callbacks.on_closed) {
      state->stopped = true;
      state->callbacks.on_closed(TransportError(TransportError::Kind::kClosed, why));
    }
  }

  asio::any_io_executor ex_;
  std::shared_ptr<Connection> connection_;
  std::shared_ptr<ReaderState> state_;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<ClientTransport> make_connection_transport(asio::any_io_executor ex,
                                                           std::shared_ptr<Connection> connection) {
  if (!connection) throw std::invalid_argument("mcpp::Client::connect: no connection");
  return std::make_unique<ConnectionTransport>(std::move(ex), std::move(connection));
}

}  // namespace mcpp
