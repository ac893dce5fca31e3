// HttpServer: binds the listening socket, accepts connections (TLS when configured) on an
// io_context run by options.threads threads, expires idle sessions, and stops on request.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "mcpp/transport/http.hpp"
#include "transport/http_connection.hpp"

namespace mcpp {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string describe(std::string_view host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

std::optional<asio::ssl::context> make_tls_context(const HttpOptions& o) {
  if (o.tls_certificate_file.empty() && o.tls_private_key_file.empty()) return std::nullopt;
  if (o.tls_certificate_file.empty() || o.tls_private_key_file.empty()) {
    throw std::invalid_argument(
        "mcpp: HTTPS needs both tls_certificate_file and tls_private_key_file");
  }
  std::optional<asio::ssl::context> ctx(std::in_place, asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  error_code ec;
  ctx->use_certificate_chain_file(o.tls_certificate_file, ec);
  if (ec) {
    throw std::system_error(ec, "mcpp: cannot load the TLS certificate " + o.tls_certificate_file);
  }
  ctx->use_private_key_file(o.tls_private_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    throw std::system_error(ec, "mcpp: cannot load the TLS private key " + o.tls_private_key_file);
  }
  return ctx;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(Server& server, HttpOptions options)
      : io_(std::make_unique<asio::io_context>(std::max(1, options.threads))),
        state_(server, std::move(options)),
        tls_(make_tls_context(state_.options)) {}

  ~Impl() {
    stop();
    // Destroy the pending coroutines (connections, streams) while the state they use lives.
    acceptor_.reset();
    io_.reset();
  }

  void listen() {
    std::lock_guard lock(mu_);
    if (acceptor_) return;
    const HttpOptions& o = state_.options;
    error_code ec;
    tcp::resolver resolver(*io_);
    auto results = resolver.resolve(o.host, std::to_string(o.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      throw std::system_error(ec ? ec : make_error_code(asio::error::host_not_found),
                              "mcpp: cannot resolve the address to listen on, " + o.host);
    }
    tcp::endpoint endpoint = results.begin()->endpoint();
    std::string where = describe(o.host, o.port);
    tcp::acceptor acceptor(*io_);
    if (acceptor.open(endpoint.protocol(), ec); ec) {
      throw std::system_error(ec, "mcpp: cannot listen on " + where);
    }
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (acceptor.bind(endpoint, ec); ec) {
      throw std::system_error(ec, "mcpp: cannot listen on " + where);
    }
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
      throw std::system_error(ec, "mcpp: cannot listen on " + where);
    }
    port_ = acceptor.local_endpoint().port();
    acceptor_.emplace(std::move(acceptor));
    asio::co_spawn(*io_, accept_connections(), asio::detached);
    asio::co_spawn(*io_, expire_sessions(), asio::detached);
  }

  std::uint16_t port() const { return port_.load(); }
  asio::any_io_executor executor() const { return io_->get_executor(); }

  void run() {
    listen();
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
    }
    std::vector<std::thread> others;
    for (int i = 1; i < state_.options.threads; ++i) others.emplace_back([this] { io_->run(); });
    io_->run();
    for (auto& t : others) t.join();
    // No thread runs the io_context now: the acceptor can be closed from here.
    std::lock_guard lock(mu_);
    error_code ec;
    if (acceptor_) acceptor_->close(ec);
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    state_.for_each([](HttpServerState& s) {
      for (auto& session : s.sessions.remove_all()) session->close();
    });
    io_->stop();
  }

 private:
  Task<void> accept_connections() {
    for (;;) {
      error_code ec;
      // A connection's handlers run one at a time: on its own strand when several threads run
      // the io_context; with one thread, that thread alone already guarantees it.
      asio::any_io_executor executor = state_.options.threads > 1
                                           ? asio::any_io_executor(asio::make_strand(*io_))
                                           : asio::any_io_executor(io_->get_executor());
      tcp::socket socket =
          co_await acceptor_->async_accept(executor, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
        // Out of descriptors or the like: back off a little instead of spinning.
        asio::steady_timer pause(*io_, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (state_.connections.load(std::memory_order_relaxed) >= state_.options.max_connections) {
        socket.close(ec);
        continue;
      }
      state_.connections.fetch_add(1, std::memory_order_relaxed);
      socket.set_option(tcp::no_delay(true), ec);
      if (tls_) {
        start_https_connection(state_, std::move(socket), *tls_);
      } else {
        start_http_connection(state_, std::move(socket));
      }
    }
  }

  Task<void> expire_sessions() {
    const auto expiry = state_.options.session_idle_expiry;
    const auto period = std::clamp<std::chrono::milliseconds>(
        expiry / 2, std::chrono::milliseconds(10), std::chrono::milliseconds(30'000));
    asio::steady_timer timer(*io_);
    for (;;) {
      timer.expires_after(period);
      error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      state_.for_each([expiry](HttpServerState& s) {
        for (auto& session : s.sessions.remove_expired(expiry)) session->close();
      });
    }
  }

  std::unique_ptr<asio::io_context> io_;
  HttpServerState state_;
  std::optional<asio::ssl::context> tls_;
  std::optional<tcp::acceptor> acceptor_;
  std::mutex mu_;
  bool stopped_ = false;
  std::atomic<std::uint16_t> port_{0};
};

HttpServer::HttpServer(Server& server, HttpOptions options)
    : impl_(std::make_unique<Impl>(server, std::move(options))) {}
HttpServer::~HttpServer() = default;
void HttpServer::listen() {
  impl_->listen();
}
std::uint16_t HttpServer::port() const {
  return impl_->port();
}
void HttpServer::run() {
  impl_->run();
}
void HttpServer::stop() {
  impl_->stop();
}
asio::any_io_executor HttpServer::executor() const {
  return impl_->executor();
}

}  // namespace mcpp
