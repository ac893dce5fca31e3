// The model client's network side: POST {base_url}/chat/completions through the client layer's
// HttpClient, the answer read as an SSE stream (SseParser) or a whole JSON body, HTTP errors
// turned into ModelErrors, safe retries, and cancellation through a stop_token.
#include "host/model_client.hpp"

#include <algorithm>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "client/http_client.hpp"
#include "client/sse_parser.hpp"

namespace mcpp::host {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

ModelError::ModelError(Kind kind, std::string message, int http_status,
                       std::optional<milliseconds> retry_after)
    : std::runtime_error(std::move(message)),
      kind_(kind),
      http_status_(http_status),
      retry_after_(retry_after) {}

std::string_view model_error_kind_name(ModelError::Kind kind) {
  switch (kind) {
    case ModelError::Kind::kAuth:
      return "auth";
    case ModelError::Kind::kModelNotFound:
      return "model_not_found";
    case ModelError::Kind::kRateLimited:
      return "rate_limited";
    case ModelError::Kind::kServer:
      return "server";
    case ModelError::Kind::kBadRequest:
      return "bad_request";
    case ModelError::Kind::kStreamBroken:
      return "stream_broken";
    case ModelError::Kind::kBadResponse:
      return "bad_response";
    case ModelError::Kind::kUnreachable:
      return "unreachable";
    case ModelError::Kind::kTimeout:
      return "timeout";
    case ModelError::Kind::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

namespace {

constexpr std::size_t kErrorBodyLimit = 64 * 1024;
constexpr milliseconds kErrorBodyTimeout{5'000};
constexpr milliseconds kFirstBackoff{500};
// After [DONE]: how long and how many pieces to wait for the end of the body.
constexpr milliseconds kTailTimeout{200};
constexpr int kTailReads = 4;

}  // namespace

// What a triggered stop_token must interrupt: the request in flight, the body being read, the
// wait before a retry. Touched only on the coroutine's executor.
struct ModelClient::CancelState {
  bool stopped = false;
  std::shared_ptr<HttpAbort> abort = std::make_shared<HttpAbort>();
  // Cancels the request while it connects (resolve, TCP, TLS), which HttpAbort does not reach.
  asio::cancellation_signal connecting;
  HttpResponse* response = nullptr;
  asio::steady_timer* timer = nullptr;

  void fire() {
    stopped = true;
    abort->abort();
    connecting.emit(asio::cancellation_type::terminal);
    if (response) response->close();
    if (timer) timer->cancel();
  }
};

namespace {

ModelError cancelled() {
  return ModelError(ModelError::Kind::kCancelled, "the request to the model was cancelled");
}

// Retry-After (RFC 9110): delay-seconds or an HTTP-date; OpenAI also sends retry-after-ms.
std::optional<milliseconds> parse_retry_after(const HttpResponse& response) {
  std::string ms = response.header("retry-after-ms");
  if (!ms.empty()) {
    char* end = nullptr;
    double v = std::strtod(ms.c_str(), &end);
    if (end != ms.c_str() && v >= 0) return milliseconds(static_cast<std::int64_t>(v));
  }
  std::string value = response.header("Retry-After");
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    char* end = nullptr;
    double seconds = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || seconds < 0) return std::nullopt;
    return milliseconds(static_cast<std::int64_t>(seconds * 1000));
  }
  std::tm tm{};
  std::istringstream in(value);
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S");
  if (in.fail()) return std::nullopt;
  std::time_t at = timegm(&tm);
  std::time_t now = std::time(nullptr);
  return milliseconds(at > now ? (at - now) * 1000 : 0);
}

// The person-readable part of an error body: the {"error": ...} message, or the start of a text
// body (not HTML).
std::string error_detail(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec) {
    const json::value* err = find(v, "error");
    if (err && err->is_string()) return std::string(err->get_string());
    if (err && err->is_object()) {
      std::string m(find_string(*err, "message"));
      if (!m.empty()) return m;
    }
    if (std::string_view m = find_string(v, "message"); !m.empty()) return std::string(m);
    if (std::string_view m = find_string(v, "detail"); !m.empty()) return std::string(m);
  }
  std::size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string::npos || body.find('<') != std::string::npos) return {};
  std::string text = body.substr(start, 300);
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

bool retryable(const ModelError& e) {
  ModelError::Kind kind = e.kind();
  return e.may_retry() &&
         (kind == ModelError::Kind::kRateLimited || kind == ModelError::Kind::kServer ||
          kind == ModelError::Kind::kUnreachable);
}

// The "code" (else "type") of an {"error": {...}} body, e.g. "insufficient_quota".
std::string error_code(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  const json::value* err = ec ? nullptr : find(v, "error");
  if (!err || !err->is_object()) return {};
  if (std::string_view code = find_string(*err, "code"); !code.empty()) return std::string(code);
  return std::string(find_string(*err, "type"));
}

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// "300 ms", "2 s".
std::string duration_text(milliseconds d) {
  if (d.count() < 1000) return std::to_string(d.count()) + " ms";
  return std::to_string((d.count() + 999) / 1000) + " s";
}

std::string shorten(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...";
}

}  // namespace

ModelClient::ModelClient(asio::any_io_executor ex, ModelConfig config)
    : ex_(std::move(ex)), config_(std::move(config)) {
  HttpTarget target;
  target.url = config_.base_url;
  target.connect_timeout = config_.connect_timeout;
  target.ca_file = config_.ca_file;
  try {
    http_ = std::make_unique<HttpClient>(ex_, target);
  } catch (const TransportError& e) {
    throw ModelError(ModelError::Kind::kUnreachable, e.what());
  }
}

ModelClient::~ModelClient() = default;

Task<ModelReply> ModelClient::complete(ModelRequest request, ModelTextHandler on_text,
                                       std::stop_token stop, ModelRetryHandler on_retry) {
  if (stop.stop_requested()) throw cancelled();
  std::string body = json::serialize(chat_completions_body(config_, request));
  auto ex = co_await asio::this_coro::executor;
  auto state = std::make_shared<ModelClient::CancelState>();
  std::stop_callback on_stop(stop, [state, ex] { asio::post(ex, [state] { state->fire(); }); });

  bool delivered_text = false;
  for (int attempt_no = 0;; ++attempt_no) {
    std::optional<ModelError> failure;
    try {
      co_return co_await attempt(body, on_text, *state, delivered_text);
    } catch (const ModelError& e) {
      failure = e;
    }
    if (state->stopped) throw cancelled();
    if (!retryable(*failure) || delivered_text || attempt_no >= config_.max_retries) {
      throw *failure;
    }
    milliseconds wait =
        std::min(kFirstBackoff * (1 << std::min(attempt_no, 16)), config_.max_retry_wait);
    if (auto asked = failure->retry_after()) {
      if (*asked > config_.max_retry_wait) {
        throw ModelError(failure->kind(),
                         std::string(failure->what()) + "; the endpoint asks to wait " +
                             duration_text(*asked) + ", longer than the " +
                             duration_text(config_.max_retry_wait) + " this client waits",
                         failure->http_status(), failure->retry_after());
      }
      wait = *asked;
    }
    if (on_retry) on_retry(*failure, wait);
    asio::steady_timer timer(ex, wait);
    state->timer = &timer;
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    state->timer = nullptr;
    if (state->stopped) throw cancelled();
  }
}

Task<ModelReply> ModelClient::attempt(const std::string& body, const ModelTextHandler& on_text,
                                      CancelState& state, bool& delivered_text) {
  const std::string url = trim_slash(config_.base_url) + "/chat/completions";
  HttpHeaders headers{{"Content-Type", "application/json"},
                      {"Accept", "text/event-stream, application/json"}};
  if (!config_.api_key.empty()) headers.emplace_back("Authorization", "Bearer " + config_.api_key);

  if (url_origin(url).empty()) {
    throw ModelError(ModelError::Kind::kUnreachable,
                     "the model endpoint URL \"" + config_.base_url +
                         "\" is not an http:// or https:// URL (e.g. https://api.openai.com/v1)")
        .never_retry();
  }
  std::unique_ptr<HttpResponse> response;
  auto sent_at = Clock::now();
  try {
    response = co_await asio::co_spawn(
        co_await asio::this_coro::executor,
        http_->send(HttpClient::Method::kPost, url, headers, body, config_.timeout, state.abort),
        asio::bind_cancellation_slot(state.connecting.slot(), asio::use_awaitable));
  } catch (const TransportError& e) {
    if (state.stopped) throw cancelled();
    if (config_.timeout.count() > 0 && Clock::now() - sent_at >= config_.timeout) {
      throw ModelError(ModelError::Kind::kTimeout,
                       "the model endpoint " + url + " did not answer within " +
                           duration_text(config_.timeout) +
                           " (the model may be slow or still loading; raise the timeout)");
    }
    throw ModelError(ModelError::Kind::kUnreachable,
                     std::string("cannot reach the model endpoint: ") + e.what() +
                         " (check the endpoint URL, e.g. --llm-url, and that the server runs)");
  }
  state.response = response.get();
  struct ClearResponse {
    CancelState& s;
    ~ClearResponse() { s.response = nullptr; }
  } clear_response{state};

  int status = response->status();
  if (status < 200 || status >= 300) {
    std::string error_body;
    try {
      error_body = co_await response->read_body(kErrorBodyLimit, kErrorBodyTimeout);
    } catch (const TransportError&) {
      if (state.stopped) throw cancelled();
    }
    std::string detail = error_detail(error_body);
    std::string said = "HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
    if (status == 401 || status == 403) {
      std::string fix =
          config_.api_key.empty()
              ? "no API key was sent: set the environment variable " + config_.api_key_env
              : "check the API key in the environment variable " + config_.api_key_env +
                    " (and that it may use this model)";
      throw ModelError(ModelError::Kind::kAuth,
                       "the model endpoint refused the request (" + said + "); " + fix, status);
    }
    if (status == 404) {
      throw ModelError(ModelError::Kind::kModelNotFound,
                       "the model endpoint " + url + " has no model \"" + config_.model + "\" (" +
                           said + "); check the model name and the endpoint URL",
                       status);
    }
    if (status == 429 && error_code(error_body) == "insufficient_quota") {
      throw ModelError(ModelError::Kind::kRateLimited,
                       "the model endpoint says this key's quota is used up (" + said +
                           "); check the account's plan and billing",
                       status)
          .never_retry();
    }
    if (status == 429) {
      throw ModelError(ModelError::Kind::kRateLimited,
                       "the model endpoint is rate limiting this key (" + said + ")", status,
                       parse_retry_after(*response));
    }
    if (status >= 500) {
      throw ModelError(ModelError::Kind::kServer,
                       "the model endpoint failed (" + said + "); try again later", status,
                       parse_retry_after(*response));
    }
    throw ModelError(ModelError::Kind::kBadRequest,
                     "the model endpoint refused the request (" + said + ")", status);
  }

  ChatReplyAssembler assembler;
  SseParser parser;
  bool streamed = response->media_type() == "text/event-stream";
  bool done = false;
  std::size_t received = 0;
  std::string whole;  // a body that is not an event stream
  std::string piece;
  auto on_event = [&](const SseEvent& event) {
    if (done || event.data.empty()) return;
    if (event.data == "[DONE]") {
      done = true;
      return;
    }
    boost::system::error_code ec;
    json::value chunk = json::parse(event.data, ec);
    if (ec) {
      throw ModelError(
          ModelError::Kind::kBadResponse,
          "the model endpoint sent a stream piece that is not JSON: " + shorten(event.data, 200));
    }
    std::string text = assembler.add_chunk(chunk);
    if (!text.empty()) {
      delivered_text = true;
      if (on_text) on_text(text);
    }
  };
  try {
    for (;;) {
      auto read_at = Clock::now();
      bool more = false;
      try {
        more = co_await response->read_some(piece, config_.timeout);
      } catch (const TransportError& e) {
        if (state.stopped) throw cancelled();
        if (config_.timeout.count() > 0 && Clock::now() - read_at >= config_.timeout) {
          throw ModelError(ModelError::Kind::kTimeout,
                           "the model endpoint stopped sending its answer for " +
                               duration_text(config_.timeout));
        }
        throw ModelError(ModelError::Kind::kStreamBroken,
                         std::string("the model's answer broke off before it was complete (") +
                             e.what() +
                             (delivered_text ? "); the text shown is incomplete, ask again" : ")"));
      }
      if (!more) break;
      received += piece.size();
      if (received > config_.max_response_bytes) {
        response->close();
        throw ModelError(ModelError::Kind::kBadResponse,
                         "the model's answer is larger than " +
                             std::to_string(config_.max_response_bytes) + " bytes");
      }
      if (streamed) {
        parser.feed(piece, on_event);
        if (done) break;
      } else {
        whole += piece;
      }
    }
  } catch (const ModelError&) {
    response->close();
    throw;
  }
  if (done) {
    // Read the body's end (it follows [DONE] at once) so that the connection serves the next
    // request: over TLS that saves a handshake per model call. A server that keeps the stream
    // open gets its connection dropped instead.
    try {
      for (int i = 0; i < kTailReads && co_await response->read_some(piece, kTailTimeout); ++i) {
      }
    } catch (const TransportError&) {
      if (state.stopped) throw cancelled();
    }
    co_return assembler.reply();
  }
  if (streamed) {
    ModelReply partial = assembler.reply();
    if (!partial.finish_reason.empty()) co_return partial;  // ended without [DONE]: accepted
    throw ModelError(ModelError::Kind::kStreamBroken,
                     std::string("the model's answer ended before it was complete (no [DONE])") +
                         (delivered_text ? "; the text shown is incomplete, ask again" : ""));
  }
  // Not an event stream: a whole JSON answer (servers that ignore stream:true), or an event
  // stream sent with the wrong Content-Type.
  std::size_t start = whole.find_first_not_of(" \t\r\n");
  if (start != std::string::npos && whole.compare(start, 5, "data:") == 0) {
    parser.feed(whole, on_event);
    parser.feed("\n\n", on_event);
    co_return assembler.reply();
  }
  boost::system::error_code ec;
  json::value answer = json::parse(whole, ec);
  if (ec) {
    throw ModelError(ModelError::Kind::kBadResponse,
                     "the model endpoint's answer is not JSON (Content-Type " +
                         response->header("Content-Type") + "): " + shorten(whole, 200) +
                         "; is the endpoint URL an OpenAI-compatible /v1 base?");
  }
  std::string text = assembler.add_whole(answer);
  if (!text.empty()) {
    delivered_text = true;
    if (on_text) on_text(text);
  }
  co_return assembler.reply();
}

}  // namespace mcpp::host
