// libmcpp's client API: connect to an MCP server (a command over stdio, or a URL over Streamable
// HTTP or the legacy HTTP+SSE transport), then list and call its tools, resources and prompts.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpp/connection.hpp"
#include "mcpp/json.hpp"
#include "mcpp/rpc_error.hpp"

namespace mcpp {

// Every asynchronous call returns a Task: an Asio C++20 coroutine (the same alias as the server's).
template <class T>
using Task = boost::asio::awaitable<T>;

// A JSON-RPC error the server answered with (code, message, data), or one the client raises
// itself: jsonrpc::kRequestTimeout when no answer came in time, jsonrpc::kRequestCancelled when
// the request was cancelled (RpcError and the codes are in mcpp/rpc_error.hpp).

// ---- where the server is ---------------------------------------------------------------------

// A server run as a child process that speaks newline-delimited JSON-RPC on its stdin/stdout.
struct StdioTarget {
  std::string command;  // looked up in PATH when it has no '/'
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // set in the child, over the inherited environment
  bool inherit_env = true;
  std::string cwd;  // empty: the current directory
  // Called with each line the server writes to its stderr. When unset, the last lines are kept
  // and quoted in the error that reports the process's exit.
  std::function<void(std::string_view line)> on_stderr;
  // Shutdown closes the server's stdin, sends SIGTERM after this long and SIGKILL after as long
  // again.
  std::chrono::milliseconds shutdown_grace{2000};
};

enum class HttpTransportKind {
  kAuto,            // Streamable HTTP, falling back to HTTP+SSE when initialize gets 400/404/405
  kStreamableHttp,  // 2025-03-26 and later
  kLegacySse,       // 2024-11-05: GET the URL for an SSE stream, POST to its `endpoint`
};

// An HTTP server refused a request for want of authorization: a 401, or a 403 whose Bearer
// challenge says insufficient_scope (RFC 6750 §3.1).
struct AuthChallenge {
  int status = 0;                // 401 or 403
  std::string server_url;        // the HttpTarget's URL (the MCP endpoint)
  std::string request_url;       // where the refused request went (legacy SSE: its POST endpoint)
  std::string www_authenticate;  // the response's WWW-Authenticate header ("" when absent)
  std::string authorization;     // the Authorization header the request carried ("" for none)
  int attempt = 0;               // how many challenges this request already had (0, 1, 2)
};

// Supplies the Authorization header of every HTTP request to a server and answers its 401/403
// challenges (an OAuth client: mcpp::auth::OAuthClient). The transports call it on the client's
// strand, but it may be shared between clients: implementations synchronise themselves.
class HttpAuthProvider {
 public:
  virtual ~HttpAuthProvider() = default;
  // The Authorization header value for a request to the server at `server_url` ("" for none).
  // Must not throw.
  virtual Task<std::string> authorization(std::string server_url) = 0;
  // The server refused a request. True: new credentials are ready, send the request again
  // (each request is retried at most three times). False: give up, the caller gets the HTTP
  // error. Throws (any std::exception) when authorizing failed; its message goes into the
  // TransportError the request fails with.
  virtual Task<bool> on_challenge(AuthChallenge challenge) = 0;
  // True while the provider waits on the user (a login page in a browser): the client does not
  // count that time against its requests' timeouts. Thread-safe.
  virtual bool authorizing() const { return false; }
};

// A server at a URL (http: or https:).
struct HttpTarget {
  std::string url;
  HttpTransportKind transport = HttpTransportKind::kAuto;
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every request
  std::string bearer_token;  // sent as "Authorization: Bearer <token>"
  // Credentials on demand and the answer to 401/403 (OAuth); when set, bearer_token is unused.
  std::shared_ptr<HttpAuthProvider> auth;
  // Streamable HTTP: open the GET stream for server messages that belong to no request
  // (list_changed notifications, resource updates, requests outside a tool call).
  bool open_event_stream = true;
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect, TLS handshake, headers
  std::string ca_file;     // PEM certificates to trust instead of the system's
  bool verify_tls = true;  // false accepts any certificate (tests only)
  std::size_t max_message_bytes = 16 * 1024 * 1024;
  int max_reconnects = 5;  // SSE reconnection attempts per stream before giving up
};

// The connection failed: the server is unreachable, answered with an HTTP error, went away or
// spoke something other than MCP. Protocol-level errors are RpcError instead.
class TransportError : public std::runtime_error {
 public:
  enum class Kind {
    kUnreachable,     // could not connect or start the process
    kHttpStatus,      // an HTTP error status (see http_status())
    kSessionExpired,  // HTTP 404 for our session: the client re-initializes on its own
    kProtocol,        // the server sent something that is not MCP over this transport
    kClosed,          // the connection or process ended
  };
  TransportError(Kind kind, std::string message, int http_status = 0,
                 std::string www_authenticate = {});
  Kind kind() const noexcept { return kind_; }
  int http_status() const noexcept { return http_status_; }
  const std::string& www_authenticate() const noexcept { return www_authenticate_; }
  // The resource_metadata URL of a WWW-Authenticate Bearer challenge (RFC 9728): where to learn
  // how to authorize. Empty when absent.
  const std::string& resource_metadata() const noexcept { return resource_metadata_; }

 private:
  Kind kind_;
  int http_status_;
  std::string www_authenticate_;
  std::string resource_metadata_;
};

// ---- options and handlers --------------------------------------------------------------------

struct ClientInfo {
  std::string name = "mcpp";
  std::string version = "0.1.0";
  std::string title;
};

// Which protocol era the client speaks.
enum class ProtocolEra {
  // The stateless 2026-07-28 revision when the server speaks it (probed with server/discover),
  // else the initialize handshake of the stateful revisions. The answer is remembered per URL
  // (HTTP) or command line (stdio) for the life of the process.
  kAuto,
  kStateless,  // 2026-07-28 only: no initialize, per-request _meta, input_required retries
  kStateful,   // initialize and a session (2025-11-25 down to 2024-11-05) only
};

struct ClientOptions {
  ClientInfo info;
  ProtocolEra era = ProtocolEra::kAuto;
  // The revision asked for in initialize (stateful era); the server may answer with an older
  // stateful one (2024-11-05 and later), which the client then speaks.
  std::string protocol_version = "2025-11-25";
  // Stateless era: how long the server/discover probe may take on stdio before the server is
  // taken for a stateful one that ignores requests before initialize.
  std::chrono::milliseconds discover_timeout{10'000};
  // Stateless era: how many input_required rounds one request may take before the client gives
  // up (a server that keeps asking would otherwise loop forever).
  int max_input_rounds = 10;
  // Warnings the client has no one else to tell (e.g. a tool left out of list_tools because its
  // x-mcp-header annotations are invalid). Unset: dropped.
  std::function<void(std::string_view)> on_warning;
  std::chrono::milliseconds request_timeout{60'000};
  // Fill in the defaults of a form's schema for fields an accepted elicitation leaves out.
  bool apply_elicitation_defaults = true;
  // Merged into the capabilities the client declares (e.g. "experimental").
  json::object capabilities;
};

// elicitation/create from the server.
struct ElicitationRequest {
  std::string mode;  // "form" or "url"
  std::string message;
  json::object requested_schema;  // form mode
  std::string url;                // url mode
  std::string elicitation_id;     // url mode
  json::object params;            // everything the server sent
  std::stop_token stop;           // the server cancelled the request
};
struct ElicitationResponse {
  std::string action = "cancel";  // "accept", "decline" or "cancel"
  json::object content;           // form mode, when accepted
  static ElicitationResponse accept(json::object content = {}) {
    return {"accept", std::move(content)};
  }
  static ElicitationResponse decline() { return {"decline", {}}; }
  static ElicitationResponse cancel() { return {"cancel", {}}; }
};
using ElicitationHandler = std::function<Task<ElicitationResponse>(const ElicitationRequest&)>;

// sampling/createMessage: receives the request's params, returns a CreateMessageResult
// ({role, content, model, stopReason}).
using SamplingHandler = std::function<Task<json::object>(const json::object& params)>;

struct Root {
  std::string uri;  // file:// URI
  std::string name;
};

struct LogMessage {
  std::string level;  // "debug" ... "emergency"
  std::string logger;
  json::value data;
};

struct Progress {
  double progress = 0;
  std::optional<double> total;
  std::string message;
};
using ProgressHandler = std::function<void(const Progress&)>;

struct RequestOptions {
  std::chrono::milliseconds timeout{0};  // 0: ClientOptions::request_timeout
  ProgressHandler on_progress;           // asks the server for notifications/progress
  std::stop_token stop;  // request_stop() cancels the request (notifications/cancelled)
  json::object meta;     // merged into params._meta

  // Answers to the server's requests that belong to this request (a gateway hands a child
  // server's elicitation to the front request that caused it). Each, when set, takes precedence
  // over the client-wide handler (Client::on_elicitation, on_sampling, set_roots) for those
  // requests. Which server requests belong to this one:
  // - stateless era (2026-07-28): every input request of this request's input_required rounds;
  // - stateful era over Streamable HTTP: those that arrive on this request's response stream;
  // - stateful era over stdio or a Connection, where the wire does not say: those whose
  //   params._meta.progressToken is this request's progress token (the client then sends one,
  //   and mcpp's server copies it into the requests a handler makes); otherwise, when exactly
  //   one request with per-request handlers is outstanding, that one; otherwise none.
  // Requests that belong to none get the client-wide handlers. In the stateful era the server
  // learns the client's capabilities at initialize: declare elicitation/sampling/roots there
  // (a client-wide handler, or ClientOptions::capabilities) or the server will not ask. In the
  // stateless era these handlers also declare their capability in this request's _meta.
  ElicitationHandler on_elicitation;
  SamplingHandler on_sampling;
  std::optional<std::vector<Root>> roots;
};

// ---- results ---------------------------------------------------------------------------------
// Each keeps the object the server sent in `raw`, so nothing it said is lost.

// What the server says about itself: its answer to initialize (stateful era) or to
// server/discover (stateless era).
struct InitializeResult {
  std::string protocol_version;                 // the revision the client speaks with it
  bool stateless = false;                       // true in the 2026-07-28 era
  std::vector<std::string> supported_versions;  // stateless: every revision the server speaks
  json::object server_info;                     // name, version, title, ...
  json::object capabilities;
  std::string instructions;
  json::object raw;
};

struct ToolInfo {
  std::string name;
  std::string title;
  std::string description;
  json::object input_schema;
  std::optional<json::object> output_schema;
  json::object annotations;
  json::object raw;
};

struct CallToolResult {
  json::array content;
  std::optional<json::value> structured_content;
  bool is_error = false;
  json::object raw;
  // The text blocks of `content`, joined by newlines.
  std::string text() const;
};

struct ResourceInfo {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  std::optional<std::int64_t> size;
  json::object raw;
};

struct ResourceTemplateInfo {
  std::string uri_template;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  json::object raw;
};

struct ReadResourceResult {
  json::array contents;  // {uri, mimeType, text} or {uri, mimeType, blob}
  json::object raw;
};

struct PromptArgumentInfo {
  std::string name;
  std::string title;
  std::string description;
  bool required = false;
};

struct PromptInfo {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgumentInfo> arguments;
  json::object raw;
};

struct GetPromptResult {
  std::string description;
  json::array messages;  // {role, content}
  json::object raw;
};

struct Completion {
  std::vector<std::string> values;
  std::optional<std::int64_t> total;
  bool has_more = false;
};

// ---- the client ------------------------------------------------------------------------------

// One connection to one server. In the stateful era: initialize, then requests both ways. In the
// stateless era (2026-07-28): every request carries the protocol version, client info and
// capabilities in its _meta; a server that needs input answers "input_required", and the client
// answers with the same handlers (elicitation, sampling, roots) and retries the request;
// list_changed and resource updates arrive on a subscriptions/listen stream.
//
// Threading: the client runs on a strand of the executor it is given; its methods may be awaited
// from any coroutine and its handlers are called on that strand. Register handlers before
// connect(). Destroy the client on the executor's thread, or once its io_context has stopped;
// destruction ends the connection at once (close() does it gracefully).
class Client {
 public:
  explicit Client(boost::asio::any_io_executor executor, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- handlers for what the server sends (set before connect) ----
  void on_sampling(SamplingHandler handler);
  // Declares the elicitation capability: form mode, and URL mode when `url_mode`.
  void on_elicitation(ElicitationHandler handler, bool url_mode = false);
  // Declares the roots capability; once connected, a change is announced to the server.
  void set_roots(std::vector<Root> roots);
  void on_log_message(std::function<void(const LogMessage&)> handler);
  // notifications/{tools,resources,prompts}/list_changed: called with "tools", "resources" or
  // "prompts". Stateless era: the client opens subscriptions/listen for them.
  void on_list_changed(std::function<void(std::string_view what)> handler);
  void on_resource_updated(std::function<void(std::string_view uri)> handler);
  // Any other notification, by method.
  void on_notification(std::string method, std::function<void(const json::object& params)> handler);
  // The connection was lost (not called after close()).
  void on_disconnect(std::function<void(std::string_view why)> handler);

  // ---- connection ----
  // Starts the transport and runs the initialize handshake. Throws TransportError when the
  // server cannot be reached, RpcError when it refuses to initialize.
  Task<void> connect(StdioTarget target);
  Task<void> connect(HttpTarget target);
  // Over a Connection (mcpp/connection.hpp): an in-memory pair, or one of the application's own.
  // The client shares ownership of it and closes it on close() or destruction; the era is
  // chosen as over stdio (ClientOptions::era, server/discover first in kAuto). Throws
  // std::invalid_argument for a null connection.
  Task<void> connect(std::shared_ptr<Connection> connection);
  bool connected() const;
  // What the server answered to initialize or server/discover (after connect).
  const InitializeResult& server() const;
  // True when the client speaks the stateless 2026-07-28 revision with the server.
  bool stateless() const;
  // "stdio", "streamable-http", "sse" or "connection" (after connect).
  std::string_view transport_name() const;
  // Ends the session (Streamable HTTP: DELETE) and the connection (stdio: the process).
  Task<void> close();

  // ---- requests; each throws RpcError, or TransportError when the connection fails ----
  Task<std::vector<ToolInfo>> list_tools(RequestOptions options = {});  // every page
  Task<CallToolResult> call_tool(std::string name, json::object arguments = {},
                                 RequestOptions options = {});
  Task<std::vector<ResourceInfo>> list_resources(RequestOptions options = {});
  Task<std::vector<ResourceTemplateInfo>> list_resource_templates(RequestOptions options = {});
  Task<ReadResourceResult> read_resource(std::string uri, RequestOptions options = {});
  // Stateless era: no request; the URI joins the filter of the subscriptions/listen stream.
  Task<void> subscribe_resource(std::string uri, RequestOptions options = {});
  Task<void> unsubscribe_resource(std::string uri, RequestOptions options = {});
  Task<std::vector<PromptInfo>> list_prompts(RequestOptions options = {});
  Task<GetPromptResult> get_prompt(std::string name,
                                   std::map<std::string, std::string> arguments = {},
                                   RequestOptions options = {});
  // completion/complete. `ref` is {"type":"ref/prompt","name":...} or
  // {"type":"ref/resource","uri":...}; `context` holds arguments already filled in.
  Task<Completion> complete(json::object ref, std::string argument, std::string value,
                            std::map<std::string, std::string> context = {},
                            RequestOptions options = {});
  // Stateless era: there is no ping; server/discover is sent instead.
  Task<void> ping(RequestOptions options = {});
  // Stateless era: no request is sent; the level goes into the _meta of every later request.
  Task<void> set_logging_level(std::string level, RequestOptions options = {});
  // Any request; returns its result.
  Task<json::value> request(std::string method, json::object params, RequestOptions options = {});
  Task<void> notify(std::string method, json::object params = {});

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Applies the `default` of each property of an elicitation form schema that `content` lacks.
void apply_schema_defaults(const json::object& requested_schema, json::object& content);

}  // namespace mcpp
