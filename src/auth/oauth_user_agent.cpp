// The user-agent side of the authorization code flow: a loopback listener for the browser's
// return (RFC 8252 §7.3) and a user agent for authorization servers that need no user.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <system_error>

#include "auth/oauth_flow.hpp"
#include "client/http_client.hpp"
#include "mcpp/auth/oauth_client.hpp"

namespace mcpp::auth {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kDonePage =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpp</title></head>"
    "<body style=\"font-family:sans-serif;margin:3em\"><h1>Authorization received</h1>"
    "<p>mcpp has the authorization server's answer. You can close this window and return to "
    "the terminal.</p></body></html>";

// The URL without its query and fragment.
std::string without_query(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

Task<std::string> follow_redirects(std::shared_ptr<HttpClient> http,
                                   std::chrono::milliseconds timeout, AuthorizationPrompt prompt) {
  std::string url = prompt.url;
  std::string redirect = without_query(prompt.redirect_uri);
  HttpHeaders accept;
  accept.emplace_back("Accept", "text/html");
  for (int hop = 0; hop < 5; ++hop) {
    auto response = co_await http->send(HttpClient::Method::kGet, url, accept, {}, timeout);
    int status = response->status();
    std::string location = response->header("Location");
    try {
      co_await response->read_body(256 * 1024, timeout);
    } catch (const TransportError&) {
      // The redirect is in the headers; the body does not matter.
    }
    if (status < 300 || status >= 400 || location.empty()) {
      throw OAuthError("the authorization server answered " + url + " with HTTP " +
                       std::to_string(status) +
                       " and no redirect: it wants a user (open the URL in a browser)");
    }
    std::string next = resolve_url(url, location);
    if (next.empty()) throw OAuthError("the authorization server redirected to '" + location + "'");
    if (without_query(next) == redirect || url_origin(next) != url_origin(url)) co_return next;
    url = std::move(next);
  }
  throw OAuthError("the authorization server redirected more than 5 times");
}

}  // namespace

UserAgent redirect_following_user_agent(asio::any_io_executor executor,
                                        std::chrono::milliseconds timeout) {
  HttpTarget settings;
  settings.connect_timeout = timeout;
  auto http = std::make_shared<HttpClient>(std::move(executor), settings);
  return [http, timeout](const AuthorizationPrompt& prompt) {
    return follow_redirects(http, timeout, prompt);
  };
}

// ---- LoopbackRedirect
// ----------------------------------------------------------------------------

struct LoopbackRedirect::Impl : std::enable_shared_from_this<LoopbackRedirect::Impl> {
  Impl(asio::any_io_executor ex, std::uint16_t port, std::string p)
      : strand(asio::make_strand(std::move(ex))), acceptor(strand), path(std::move(p)) {
    boost::system::error_code ec;
    tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
    acceptor.open(at.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(at, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::system_error(ec, "cannot listen on 127.0.0.1:" + std::to_string(port) +
                                      " for the authorization redirect");
    }
    bound_port = acceptor.local_endpoint().port();
  }

  asio::strand<asio::any_io_executor> strand;
  tcp::acceptor acceptor;
  std::string path;
  std::uint16_t bound_port = 0;
  std::optional<std::string> received;
  std::shared_ptr<asio::steady_timer> waiter;

  std::string origin() const { return "http://127.0.0.1:" + std::to_string(bound_port); }

  static Task<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await self->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!self->acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
        continue;
      }
      asio::co_spawn(self->strand, serve(self, std::move(socket)), asio::detached);
    }
  }

  static Task<void> serve(std::shared_ptr<Impl> self, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(10s);
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(16 * 1024);
    boost::system::error_code ec;
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    const auto& request = parser.get();
    std::string target(request.target());
    http::response<http::string_body> response;
    response.version(11);
    response.set(http::field::content_type, "text/html; charset=utf-8");
    response.set(http::field::cache_control, "no-store");
    response.keep_alive(false);
    if (request.method() == http::verb::get && without_query(target) == self->path) {
      response.result(http::status::ok);
      response.body() = std::string(kDonePage);
      if (!self->received) {
        self->received = self->origin() + target;
        if (self->waiter) self->waiter->cancel();
      }
    } else {
      response.result(http::status::not_found);
      response.body() = "<!doctype html><title>Not found</title>";
    }
    response.prepare_payload();
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  Task<std::string> wait(std::chrono::milliseconds timeout) {
    // An answer left over from an earlier authorization does not answer this one.
    received.reset();
    auto timer = std::make_shared<asio::steady_timer>(strand, timeout);
    waiter = timer;
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (waiter == timer) waiter.reset();
    if (!received) {
      throw OAuthError("the browser did not come back to " + origin() + path + " within " +
                       std::to_string(timeout.count() / 1000) + " s");
    }
    std::string out = std::move(*received);
    received.reset();
    co_return out;
  }
};

LoopbackRedirect::LoopbackRedirect(asio::any_io_executor executor, std::uint16_t port,
                                   std::string path)
    : impl_(std::make_shared<Impl>(std::move(executor), port, std::move(path))) {
  asio::co_spawn(impl_->strand, Impl::accept_loop(impl_), asio::detached);
}

LoopbackRedirect::~LoopbackRedirect() {
  close();
}

void LoopbackRedirect::close() {
  asio::post(impl_->strand, [impl = impl_] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
    if (impl->waiter) impl->waiter->cancel();
  });
}

std::uint16_t LoopbackRedirect::port() const {
  return impl_->bound_port;
}

std::string LoopbackRedirect::redirect_uri() const {
  return impl_->origin() + impl_->path;
}

namespace {
Task<std::string> wait_on(std::shared_ptr<LoopbackRedirect::Impl> impl,
                          std::chrono::milliseconds timeout) {
  co_return co_await impl->wait(timeout);
}
}  // namespace

Task<std::string> LoopbackRedirect::wait(std::chrono::milliseconds timeout) {
  return asio::co_spawn(impl_->strand, wait_on(impl_, timeout), asio::use_awaitable);
}

}  // namespace mcpp::auth
