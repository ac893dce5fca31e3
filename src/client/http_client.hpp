// HttpClient: HTTP/1.1 requests to any http: or https: URL (Beast, OpenSSL), reusing idle
// keep-alive connections; response bodies are read whole or piece by piece (for SSE streams).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpp/client.hpp"

namespace mcpp {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// A response whose headers have arrived; the body is read on demand. Destroying or closing it
// before the body's end drops the connection; reading to the end returns it for reuse.
class HttpResponse {
 public:
  struct State;
  explicit HttpResponse(std::shared_ptr<State> state);
  ~HttpResponse();
  HttpResponse(const HttpResponse&) = delete;
  HttpResponse& operator=(const HttpResponse&) = delete;

  int status() const;
  std::string reason() const;
  // A header's value, or "" when absent (names are case-insensitive).
  std::string header(std::string_view name) const;
  // Every value of a header that may repeat (WWW-Authenticate), joined with ", ".
  std::string header_joined(std::string_view name) const;
  // The media type of Content-Type, lowercase, without parameters.
  std::string media_type() const;

  // The rest of the body. Throws TransportError beyond `limit` bytes, after `timeout` (zero: no
  // limit) or when the connection breaks.
  Task<std::string> read_body(std::size_t limit, std::chrono::milliseconds timeout = {});
  // The next piece of the body, into `out` (replacing it; may be empty). False once the body
  // has ended. Throws TransportError (kClosed) when the connection breaks or nothing arrives
  // within `timeout` (zero: no limit).
  Task<bool> read_some(std::string& out, std::chrono::milliseconds timeout = {});
  // Drops the connection now; a pending read ends with TransportError. Safe to call twice.
  void close();

 private:
  std::shared_ptr<State> s_;
};

// Lets one coroutine abandon another's request in progress (both on the same strand): the
// connection is dropped and the pending operation ends with TransportError.
class HttpAbort {
 public:
  void abort() {
    aborted_ = true;
    if (drop_) drop_();
  }
  bool aborted() const { return aborted_; }
  // Set by the operation in progress; cleared when it ends.
  void on_abort(std::function<void()> drop) { drop_ = std::move(drop); }

  // Sets the drop function until the returned guard goes out of scope.
  class Scope {
   public:
    explicit Scope(HttpAbort& a) : a_(a) {}
    ~Scope() { a_.on_abort(nullptr); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    HttpAbort& a_;
  };
  [[nodiscard]] std::unique_ptr<Scope> scoped(std::function<void()> drop) {
    on_abort(std::move(drop));
    return std::make_unique<Scope>(*this);
  }

 private:
  bool aborted_ = false;
  std::function<void()> drop_;
};

class HttpClient {
 public:
  enum class Method { kGet, kPost, kDelete };

  // Connection settings (TLS trust, timeouts) come from `target`; its URL is not used.
  HttpClient(boost::asio::any_io_executor ex, const HttpTarget& target);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends a request to an absolute URL and waits for the response's headers: at most the
  // target's connect timeout to connect, and `header_timeout` (zero: no limit) for the headers.
  // Throws TransportError: kUnreachable when it cannot connect, kClosed when the connection
  // breaks or `abort` is used.
  Task<std::unique_ptr<HttpResponse>> send(Method method, std::string_view url,
                                           const HttpHeaders& headers, std::string body,
                                           std::chrono::milliseconds header_timeout,
                                           std::shared_ptr<HttpAbort> abort = nullptr);
  // Closes the idle connections.
  void close_idle();

  struct Pool;

 private:
  std::shared_ptr<Pool> pool_;
};

// Throws TransportError (kHttpStatus) unless the response is 2xx. The message says what the
// server answered: the status, and a JSON-RPC error or the start of a text body.
Task<void> check_http_status(HttpResponse& response, std::string_view url);

// "scheme://host[:port]" of an absolute URL, lowercase; empty when it is not an http(s) URL.
std::string url_origin(std::string_view url);
// Resolves `reference` (absolute or relative) against the absolute URL `base`; empty on error.
std::string resolve_url(std::string_view base, std::string_view reference);

}  // namespace mcpp
