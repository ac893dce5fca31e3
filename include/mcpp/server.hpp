// libmcpp's server API: register tools, resources, resource templates and prompts, then serve
// them over a transport (see mcpp/transport/*.hpp). Registries may change while serving.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "mcpp/connection.hpp"
#include "mcpp/content.hpp"
#include "mcpp/json.hpp"
#include "mcpp/rpc_error.hpp"
#include "mcpp/tool.hpp"

namespace mcpp {

// Every asynchronous handler returns a Task: an Asio C++20 coroutine.
template <class T>
using Task = boost::asio::awaitable<T>;

// Throw RpcError (mcpp/rpc_error.hpp) from a handler to answer with a JSON-RPC error (code,
// message, optional data).

// MCP resource-specific error code (resource not found) in the stateful revisions.
inline constexpr int kResourceNotFound = -32002;

enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError, kCritical, kAlert, kEmergency };
std::string_view to_string(LogLevel level);
std::optional<LogLevel> parse_log_level(std::string_view s);

struct ServerInfo {
  std::string name = "mcpp";
  std::string version = "0.1.0";
  std::string title;
  std::string description;
  std::string website_url;
  std::vector<Icon> icons;
};

// Caching hints of the 2026-07-28 revision (ttlMs, cacheScope) on list and read results.
enum class CacheScope {
  kPublic,   // the same for every caller: shared caches may keep it
  kPrivate,  // depends on who asks: only that caller's cache may keep it
};
struct CacheHint {
  std::chrono::milliseconds ttl{0};  // how long the result stays fresh; 0: re-fetch every time
  CacheScope scope = CacheScope::kPublic;
};

struct ServerOptions {
  ServerInfo info;
  std::string instructions;
  // Items per page of every list result; a longer list gets a nextCursor.
  std::size_t page_size = 100;
  // How long ctx.elicit/sample/list_roots wait for the client.
  std::chrono::milliseconds client_request_timeout{std::chrono::minutes(5)};
  // Caching hints of server/discover and the tools, prompts, resources and templates lists.
  CacheHint list_cache{std::chrono::milliseconds(0), CacheScope::kPublic};
  // Caching hints of resources/read, unless the resource or its template sets its own.
  CacheHint read_cache{std::chrono::milliseconds(0), CacheScope::kPrivate};
  // Tasks (io.modelcontextprotocol/tasks): how long a finished task stays readable, and the
  // polling interval suggested to clients.
  std::chrono::milliseconds task_ttl{std::chrono::hours(1)};
  std::chrono::milliseconds task_poll_interval{500};
  // The 2026-07-28 revision's multi round-trip requests: the key that authenticates the
  // requestState a handler's elicit/sample/list_roots leave with the client (HMAC-SHA256), and
  // how long such state stays valid. Empty: a random key per process, so state does not survive
  // a restart; give every instance behind one load balancer the same key.
  std::string request_state_key;
  std::chrono::milliseconds request_state_ttl{std::chrono::minutes(10)};
  // Called once when a session of the stateful era ends (the client's DELETE or hang-up, idle
  // expiry, the transport stopping), with its id ("stdio" on stdio); Context::session_id() names
  // the same session in handlers. Lets an application free what it keeps per session. Runs on
  // the thread that ends the session; must not throw.
  std::function<void(std::string_view session_id)> on_session_closed;
};

// ---- tools -------------------------------------------------------------------------------
struct ToolAnnotations {
  std::string title;
  std::optional<bool> read_only_hint;
  std::optional<bool> destructive_hint;
  std::optional<bool> idempotent_hint;
  std::optional<bool> open_world_hint;
};

// Whether a tool's calls may become tasks (the io.modelcontextprotocol/tasks extension of
// 2026-07-28): a handler that calls ctx.as_task() then answers the call with a task handle and
// goes on in the background.
enum class TaskSupport {
  kNone,      // always answered in the call
  kOptional,  // a task when the client supports the extension, else answered in the call
  kRequired,  // refused (-32021) to clients without the extension
};

// Who sent a request, as the HTTP transport's authorization established it (an OAuth bearer
// token checked by a resource server). Handlers see it through Context::auth().
struct AuthInfo {
  std::string subject;    // the token's "sub"
  std::string client_id;  // the OAuth client the token was issued to
  std::string issuer;
  std::vector<std::string> scopes;
  std::int64_t expires_at = 0;  // Unix seconds; 0 when unknown
  json::object claims;          // every claim (JWT) or the introspection response
  bool has_scope(std::string_view scope) const;
};

// Who may call a tool when the server checks tokens (the HTTP transport with a resource
// server). Listed to clients as the tool's "securitySchemes" (ChatGPT's per-tool
// authentication), so a host knows which tools need the user to sign in.
struct ToolAccess {
  enum class Mode {
    kServerDefault,  // what the server requires of every request (nothing is listed)
    kPublic,         // no token needed ("noauth"): callable before signing in
    kOptional,       // with or without a token ("noauth" and "oauth2")
    kToken,          // a valid token ("oauth2"), with `scopes`
  };
  Mode mode = Mode::kServerDefault;
  std::vector<std::string> scopes;  // required in the token (kOptional/kToken when one is sent)

  static ToolAccess public_access() { return {Mode::kPublic, {}}; }
  static ToolAccess optional_token(std::vector<std::string> scopes = {}) {
    return {Mode::kOptional, std::move(scopes)};
  }
  static ToolAccess token(std::vector<std::string> scopes = {}) {
    return {Mode::kToken, std::move(scopes)};
  }
};

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  json::object input_schema{{"type", "object"}};
  std::optional<json::object> output_schema;
  ToolAnnotations annotations;
  std::vector<Icon> icons;
  json::object meta;
  TaskSupport task_support = TaskSupport::kNone;
  ToolAccess access;
};

// What a tool returns. A failure the model should see is a result with is_error = true.
struct ToolResult {
  json::array content;
  std::optional<json::value> structured_content;
  bool is_error = false;
  json::object meta;

  static ToolResult text(std::string text);
  static ToolResult error(std::string message);
  ToolResult& add(json::object content_block);
};

class Context;
using ToolHandler = std::function<Task<ToolResult>(const json::object& arguments, Context& ctx)>;

// ---- resources -------------------------------------------------------------------------------
struct Resource {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  std::optional<std::int64_t> size;
  Annotations annotations;
  std::vector<Icon> icons;
  std::optional<CacheHint> cache;  // resources/read hints; unset: ServerOptions::read_cache
};

// Returns the resource's contents: objects built with text_contents()/blob_contents().
using ResourceHandler =
    std::function<Task<std::vector<json::object>>(const std::string& uri, Context& ctx)>;

using Variables = std::map<std::string, std::string, std::less<>>;
// Returns completion candidates for an argument given its partial value and the other arguments
// already filled in.
using Completer =
    std::function<std::vector<std::string>(std::string_view partial, const Variables& context)>;

struct ResourceTemplate {
  std::string uri_template;  // RFC 6570, e.g. "file:///{path}"
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  Annotations annotations;
  std::vector<Icon> icons;
  std::map<std::string, Completer, std::less<>> completers;  // per template variable
  std::optional<CacheHint> cache;  // resources/read hints; unset: ServerOptions::read_cache
};

using TemplateHandler = std::function<Task<std::vector<json::object>>(
    const std::string& uri, const Variables& variables, Context& ctx)>;

// ---- prompts ---------------------------------------------------------------------------------
struct PromptArgument {
  std::string name;
  std::string title;
  std::string description;
  bool required = false;
  Completer complete;  // optional
};

struct Prompt {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
  std::vector<Icon> icons;
};

struct PromptResult {
  std::string description;
  json::array messages;  // built with prompt_message()
  PromptResult& add(std::string_view role, json::object content_block);
};
json::object prompt_message(std::string_view role, json::object content_block);

using PromptHandler = std::function<Task<PromptResult>(const Variables& arguments, Context& ctx)>;

// ---- the per-request context -------------------------------------------------------------
struct ElicitResult {
  std::string action;  // "accept", "decline" or "cancel"
  json::object content;
  bool accepted() const { return action == "accept"; }
};

// One request to the client (elicitation/create, sampling/createMessage, roots/list).
struct ClientRequest {
  // Names the request among those of one call. In the 2026-07-28 revision it is the key of the
  // request in an input_required result and of the client's answer in the retry; asking the
  // same key again in the same call gets the same answer. Empty: a key is generated.
  std::string key;
  std::string method;
  json::object params;

  // Form-mode elicitation: a message and a flat object schema.
  static ClientRequest elicitation(std::string key, std::string message,
                                   json::object requested_schema);
  static ClientRequest sampling(std::string key, json::object params);
  static ClientRequest roots(std::string key);
};

namespace detail {
struct ServerAccess;  // defined inside libmcpp (src/server/server_access.hpp)

// What a Context talks to; implemented per era by the server (stateful session now, stateless
// multi-round-trip later). Not for applications.
class ContextBackend {
 public:
  virtual ~ContextBackend() = default;
  virtual std::string_view protocol_version() const = 0;
  virtual std::string_view session_id() const = 0;
  virtual const json::object& client_capabilities() const = 0;
  virtual const json::object& client_info() const = 0;
  virtual const json::object& request_meta() const = 0;
  virtual std::stop_token stop_token() const = 0;
  virtual void notify(std::string_view method, json::object params) = 0;
  virtual bool log_enabled(LogLevel level) const = 0;
  // Asks the client; returns the results in the order of `requests`. Throws RpcError.
  virtual Task<std::vector<json::value>> request_all(std::vector<ClientRequest> requests) = 0;
  // Continues as a task where the call allows it (see Context::as_task).
  virtual Task<bool> as_task() { co_return false; }
  virtual const AuthInfo* auth() const { return nullptr; }
};
}  // namespace detail

// Handed to every handler: who the client is, progress, logs, cancellation, and requests back to
// the client (elicitation, sampling, roots) — the same calls in every protocol era.
class Context {
 public:
  explicit Context(std::shared_ptr<detail::ContextBackend> backend) : b_(std::move(backend)) {}

  std::string_view protocol_version() const { return b_->protocol_version(); }
  std::string_view session_id() const { return b_->session_id(); }
  const json::object& client_capabilities() const { return b_->client_capabilities(); }
  const json::object& client_info() const { return b_->client_info(); }
  const json::object& meta() const { return b_->request_meta(); }
  bool client_supports(std::string_view capability) const;
  // Who sent the request when the transport checked a bearer token; null otherwise (stdio, no
  // authorization configured, or an anonymous call of a public tool).
  const AuthInfo* auth() const { return b_->auth(); }

  // Cancelled by the client (notifications/cancelled) or by the connection going away.
  std::stop_token stop_token() const { return b_->stop_token(); }
  bool cancelled() const { return b_->stop_token().stop_requested(); }

  // Sends notifications/progress when the client asked for progress (a progressToken).
  void progress(double progress, std::optional<double> total = {}, std::string message = {});
  // Sends notifications/message when the client's log level lets it through.
  void log(LogLevel level, json::value data, std::string logger = {});
  void info(std::string text) { log(LogLevel::kInfo, json::value(std::move(text))); }
  // Any notification related to this request.
  void notify(std::string_view method, json::object params) {
    b_->notify(method, std::move(params));
  }

  // Requests to the client, written once for every era. In the stateful revisions they are
  // JSON-RPC requests on the connection; in 2026-07-28 the first unanswered one ends the call
  // with an input_required result, and the handler runs again from the start on the client's
  // retry, getting the answers gathered so far from the sealed requestState. So a handler
  // should do what must happen once (writes, charges) after its questions, not before. `key`
  // names a question (see ClientRequest::key). Each throws RpcError -32021 (-32600 before
  // 2026-07-28) when the client did not declare the capability; check client_supports() first
  // to adapt instead.
  //
  // Asks the user for structured input (form mode); the schema is a flat object schema.
  Task<ElicitResult> elicit(std::string message, json::object requested_schema,
                            std::string key = {});
  // Sends the user to a URL (URL mode, 2025-11-25 and later).
  Task<ElicitResult> elicit_url(std::string message, std::string url, std::string elicitation_id,
                                std::string key = {});
  // sampling/createMessage: params as the spec defines them; returns the client's result.
  Task<json::object> sample(json::object params, std::string key = {});
  // roots/list: the client's roots.
  Task<json::array> list_roots(std::string key = {});
  // Several requests at once (one round trip in 2026-07-28); results in order.
  Task<std::vector<json::value>> ask(std::vector<ClientRequest> requests);
  // Any request to the client.
  Task<json::value> request(std::string method, json::object params, std::string key = {});

  // For tools with task support: when the client supports tasks (2026-07-28 with the
  // io.modelcontextprotocol/tasks extension), the call is answered here with a task handle and
  // the handler goes on in the background; its result is then read with tasks/get, its
  // questions to the client are answered with tasks/update, and tasks/cancel stops it (through
  // stop_token()). Returns true then; false (doing nothing) where tasks do not apply. Questions
  // asked before it travel in the call (MRTR), questions after it in the task.
  Task<bool> as_task() { return b_->as_task(); }

 private:
  std::shared_ptr<detail::ContextBackend> b_;
};

// Options of a typed tool (see Server::tool).
struct ToolOptions {
  std::string title;
  ToolAnnotations annotations;
  std::vector<Icon> icons;
  json::object meta;
  TaskSupport task_support = TaskSupport::kNone;
  ToolAccess access;
};

// ---- the server -------------------------------------------------------------------------------
class Server {
 public:
  explicit Server(ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Raw registration with a hand-written schema. Arguments are validated against
  // tool.input_schema before the handler runs; structuredContent against tool.output_schema.
  // Throws std::invalid_argument for an invalid schema or name. Replaces a tool of the same name.
  void add_tool(Tool tool, ToolHandler handler);
  bool remove_tool(std::string_view name);
  // How a registered tool may be called (null when there is no such tool). Shares the
  // registered tool's (immutable) record instead of copying it: it stays valid when the tool is
  // replaced or removed meanwhile.
  std::shared_ptr<const ToolAccess> tool_access(std::string_view name) const;

  // Typed registration: `handler(const Args&, Context&)` returns (or co_returns, as a Task) a
  // ToolResult, a std::string (text content) or a described struct (structuredContent, with a
  // text fallback and an outputSchema derived from the struct). The input schema is derived from
  // Args, a struct described with BOOST_DESCRIBE_STRUCT; arguments are validated against it and
  // arrive converted.
  template <class F>
  void tool(std::string name, std::string description, F handler, ToolOptions options = {});

  void add_resource(Resource resource, ResourceHandler handler);
  bool remove_resource(std::string_view uri);
  void add_resource_template(ResourceTemplate tmpl, TemplateHandler handler);
  bool remove_resource_template(std::string_view uri_template);

  void add_prompt(Prompt prompt, PromptHandler handler);
  bool remove_prompt(std::string_view name);

  // Tells the sessions subscribed to `uri` that it changed (notifications/resources/updated).
  void notify_resource_updated(std::string_view uri);

  const ServerOptions& options() const;

  class Impl;  // the registries and dispatch, private to libmcpp

 private:
  friend struct detail::ServerAccess;  // how libmcpp's transports reach Impl
  std::shared_ptr<Impl> impl_;
};

// Serves one session of `server` over `connection` (see mcpp/connection.hpp), in either protocol
// era, until the connection ends: read() returns the end of the stream or fails. Then the
// handlers still running are cancelled (their stop token), serve() waits for them to finish and
// for what is queued to be written, closes the connection and returns. Requests are handled
// concurrently (a handler may await the client's answers); messages go out in the order the
// session sends them. `connection` must outlive the returned task; nothing touches it after.
Task<void> serve(Server& server, Connection& connection);

// ---- typed tools -----------------------------------------------------------------------------
namespace detail {
template <class F>
struct handler_traits : handler_traits<decltype(&F::operator())> {};
template <class C, class R, class A, class Ctx>
struct handler_traits<R (C::*)(A, Ctx) const> {
  using args = std::remove_cvref_t<A>;
  using result = R;
};
template <class C, class R, class A, class Ctx>
struct handler_traits<R (C::*)(A, Ctx)> : handler_traits<R (C::*)(A, Ctx) const> {};
template <class R, class A, class Ctx>
struct handler_traits<R (*)(A, Ctx)> {
  using args = std::remove_cvref_t<A>;
  using result = R;
};

template <class R>
constexpr bool is_structured_result = is_described_struct<R> || std::is_same_v<R, json::object>;

template <class R>
ToolResult to_tool_result(R&& r) {
  using T = std::remove_cvref_t<R>;
  if constexpr (std::is_same_v<T, ToolResult>) {
    return std::forward<R>(r);
  } else if constexpr (std::is_convertible_v<T, std::string>) {
    return ToolResult::text(std::string(std::forward<R>(r)));
  } else if constexpr (is_structured_result<T>) {
    ToolResult out;
    json::value j = to_json(r);
    out.content.push_back(text_content(json::serialize(j)));
    out.structured_content = std::move(j);
    return out;
  } else {
    static_assert(sizeof(T) == 0, "a tool returns ToolResult, std::string or a described struct");
  }
}
}  // namespace detail

template <class F>
void Server::tool(std::string name, std::string description, F handler, ToolOptions options) {
  using Traits = detail::handler_traits<std::decay_t<F>>;
  using Args = typename Traits::args;
  using R = typename Traits::result;
  using Out = typename detail::task_value<R>::type;
  Tool t;
  t.name = std::move(name);
  t.description = std::move(description);
  t.title = std::move(options.title);
  t.annotations = std::move(options.annotations);
  t.icons = std::move(options.icons);
  t.meta = std::move(options.meta);
  t.task_support = options.task_support;
  t.access = std::move(options.access);
  t.input_schema = schema_of<Args>();
  if constexpr (detail::is_described_struct<Out>) t.output_schema = schema_of<Out>();
  auto fn = std::make_shared<std::decay_t<F>>(std::move(handler));
  std::string tool_name = t.name;
  add_tool(std::move(t),
           [fn, tool_name = std::move(tool_name)](const json::object& args,
                                                  Context& ctx) -> Task<ToolResult> {
             // Arguments the schema accepted but Args cannot hold (1e300 for an int64_t member,
             // whose schema carries no bounds) are refused like any other invalid arguments.
             std::optional<Args> converted;
             std::string conversion_error;
             try {
               converted = from_json<Args>(args);
             } catch (const std::invalid_argument& e) {
               conversion_error = e.what();
             }
             if (!converted) {
               co_return ToolResult::error("Invalid arguments for tool \"" + tool_name +
                                           "\": " + conversion_error);
             }
             const Args& a = *converted;
             if constexpr (detail::is_task<R>::value) {
               co_return detail::to_tool_result(co_await (*fn)(a, ctx));
             } else {
               co_return detail::to_tool_result((*fn)(a, ctx));
             }
           });
}

}  // namespace mcpp
