// ModelClient: talks to any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama,
// llama.cpp's server, vLLM, OpenRouter): streamed answers, tool calls merged from their fragments,
// errors a person can act on, retries only where they are safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "mcpp/client.hpp"
#include "mcpp/json.hpp"

namespace mcpp {
class HttpClient;
}  // namespace mcpp

namespace mcpp::host {

// Where the model is and how to reach it.
struct ModelConfig {
  std::string base_url = "https://api.openai.com/v1";  // {base_url}/chat/completions
  std::string model;                                   // e.g. "gpt-4.1-mini", "llama3.1:8b"
  // Sent as "Authorization: Bearer <key>"; empty sends no Authorization header (Ollama, local
  // servers). Never logged, never part of an error message.
  std::string api_key;
  // The environment variable the key came from; named in the message of a 401/403.
  std::string api_key_env = "OPENAI_API_KEY";
  // The longest wait for the response's headers and, while streaming, between two pieces.
  std::chrono::milliseconds timeout{120'000};
  std::chrono::milliseconds connect_timeout{10'000};
  // Retries of one request after a 429, a 5xx or a connect failure (only before any text of the
  // answer was delivered). 0: never retry.
  int max_retries = 3;
  // The longest wait before a retry, whatever Retry-After says (longer: the error is reported).
  std::chrono::milliseconds max_retry_wait{60'000};
  std::string ca_file;  // PEM certificates to trust instead of the system's
  // The largest answer accepted (a non-streamed body, or a streamed answer's total size).
  std::size_t max_response_bytes = 8 * 1024 * 1024;
};

// A tool call as the model made it.
struct ChatToolCall {
  std::string id;         // chosen by the model; the tool message answering it repeats it
  std::string name;       // the model-facing tool name (see tool_names.hpp)
  std::string arguments;  // JSON text exactly as the model sent it (may be invalid JSON)
  friend bool operator==(const ChatToolCall&, const ChatToolCall&) = default;
};

// One message of the conversation as the model sees it.
struct ChatMessage {
  std::string role;  // "system", "user", "assistant" or "tool"
  std::string content;
  std::vector<ChatToolCall> tool_calls;  // assistant: the calls it made
  std::string tool_call_id;              // tool: the call this message answers
  friend bool operator==(const ChatMessage&, const ChatMessage&) = default;
};

// A tool offered to the model.
struct ToolSpec {
  std::string name;  // model-facing: ^[a-zA-Z0-9_-]{1,64}$
  std::string description;
  json::object parameters;  // the tool's input JSON Schema
};

struct ModelRequest {
  std::vector<ChatMessage> messages;
  std::vector<ToolSpec> tools;  // none: the "tools" member is left out
  std::optional<double> temperature;
  std::optional<std::int64_t> max_tokens;
};

struct ModelUsage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
};

// The model's complete answer. It called tools when tool_calls is not empty, whatever
// finish_reason says (servers disagree on it).
struct ModelReply {
  std::string content;
  std::vector<ChatToolCall> tool_calls;
  std::string finish_reason;  // "stop", "tool_calls", "length", ... ("" when none was sent)
  std::optional<ModelUsage> usage;
};

// Why a request to the model failed. what() is a message a person can act on; it never contains
// the API key.
class ModelError : public std::runtime_error {
 public:
  enum class Kind {
    kAuth,           // 401/403: the key is missing, wrong or lacks access
    kModelNotFound,  // 404: no such model (or no such endpoint at base_url)
    kRateLimited,    // 429 after the allowed retries
    kServer,         // 5xx after the allowed retries
    kBadRequest,     // another 4xx: the endpoint refused the request (its message says why)
    kStreamBroken,   // the connection broke mid-answer
    kBadResponse,    // not JSON, not Chat Completions, or an {"error": ...} object in the body
    kUnreachable,    // could not connect (after the allowed retries)
    kTimeout,        // no headers, or no piece of the stream, within the timeout
    kCancelled,      // the stop_token was triggered
  };
  ModelError(Kind kind, std::string message, int http_status = 0,
             std::optional<std::chrono::milliseconds> retry_after = std::nullopt);
  Kind kind() const noexcept { return kind_; }
  int http_status() const noexcept { return http_status_; }  // 0 when there was no HTTP answer
  // What the server's Retry-After asked for (429, 503), if it sent one.
  std::optional<std::chrono::milliseconds> retry_after() const noexcept { return retry_after_; }
  // False for a failure that asking again cannot fix although its kind usually can (a 429 for
  // an exhausted quota rather than a rate).
  bool may_retry() const noexcept { return may_retry_; }
  ModelError& never_retry() noexcept {
    may_retry_ = false;
    return *this;
  }

 private:
  Kind kind_;
  int http_status_;
  std::optional<std::chrono::milliseconds> retry_after_;
  bool may_retry_ = true;
};

// "auth", "model_not_found", "rate_limited", "server", "bad_request", "stream_broken",
// "bad_response", "unreachable", "timeout", "cancelled" (for events serialized as JSON).
std::string_view model_error_kind_name(ModelError::Kind kind);

// The JSON body of a streamed Chat Completions request: model, messages (history replayed
// exactly: an assistant turn's tool_calls as [{id, type:"function", function:{name, arguments}}],
// tool messages with tool_call_id), tools as [{type:"function", function:{name, description,
// parameters}}], stream:true with stream_options.include_usage. Never tool_choice.
json::object chat_completions_body(const ModelConfig& config, const ModelRequest& request);

// Builds a ModelReply from the chunks of a streamed answer (each `data:` payload, parsed) or
// from a whole non-streamed answer. Text deltas are concatenated; tool-call fragments are merged
// by index (id and name from the first fragment that has them, arguments appended); a call sent
// whole (Ollama) is taken as it is; unknown fields are ignored; empty arguments become "{}".
class ChatReplyAssembler {
 public:
  // One parsed chunk ({"choices":[{"delta":...}], "usage":...}). Returns the text it added
  // (empty when none). Throws ModelError (kBadResponse) for an {"error": ...} chunk or one that
  // is not a chunk at all.
  std::string add_chunk(const json::value& chunk);
  // A whole non-streamed answer ({"choices":[{"message":...}]}). Returns its text.
  std::string add_whole(const json::value& answer);
  // The reply so far; the calls ordered by their index.
  ModelReply reply() const;

 private:
  struct PendingCall {
    std::int64_t index = 0;
    ChatToolCall call;
  };
  void add_tool_call_delta(const json::object& delta_call, std::size_t position);
  ModelReply reply_;
  std::vector<PendingCall> calls_;
};

// Called with each piece of the answer's text as it arrives.
using ModelTextHandler = std::function<void(std::string_view text)>;
// Called before each retry: the error that caused it and how long the client waits first.
using ModelRetryHandler = std::function<void(const ModelError& error, std::chrono::milliseconds)>;

// A client for one endpoint and model. Use it from one executor (strand) at a time; several
// complete() calls may run at once. Cheap to keep: idle connections are reused.
class ModelClient {
 public:
  ModelClient(boost::asio::any_io_executor ex, ModelConfig config);
  ~ModelClient();
  ModelClient(const ModelClient&) = delete;
  ModelClient& operator=(const ModelClient&) = delete;

  const ModelConfig& config() const { return config_; }

  // Sends the request and streams the answer: `on_text` gets each text delta as it arrives (may
  // be empty); the returned reply has the whole text and the merged tool calls. Retries (at most
  // max_retries times, waiting Retry-After or a growing back-off) after a 429, a 5xx or a connect
  // failure, but never once text was passed to on_text. Triggering `stop` closes the stream and
  // ends the call with ModelError kCancelled (request_stop may come from any thread). Throws
  // ModelError for every failure.
  Task<ModelReply> complete(ModelRequest request, ModelTextHandler on_text,
                            std::stop_token stop = {}, ModelRetryHandler on_retry = {});

 private:
  struct CancelState;  // what a triggered stop_token interrupts
  Task<ModelReply> attempt(const std::string& body, const ModelTextHandler& on_text,
                           CancelState& state, bool& delivered_text);

  boost::asio::any_io_executor ex_;
  ModelConfig config_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace mcpp::host
