// Streamable HTTP for the stateless revision (2026-07-28): one POST per request, no session, the
// request's metadata mirrored in headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name,
// Mcp-Param-*) and checked against the body, errors mapped to the statuses the spec requires.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <charconv>
#include <cmath>
#include <shared_mutex>

#include "jsonrpc/message.hpp"
#include "protocol/versions.hpp"
#include "server/server_access.hpp"
#include "server/server_impl.hpp"
#include "server/stateless.hpp"
#include "transport/http_endpoints.hpp"

namespace mcpp {

namespace asio = boost::asio;

namespace {

HttpServerResponse rpc_error(http::status status, const json::value& id, int code,
                             std::string message, json::value data = nullptr) {
  return json_response(
      status, jsonrpc::make_error(id, jsonrpc::Error{code, std::move(message), std::move(data)}));
}

HttpServerResponse mismatch(const json::value& id, std::string message) {
  return rpc_error(http::status::bad_request, id, kHeaderMismatch,
                   "Header mismatch: " + std::move(message));
}

// A header value as sent: plain visible ASCII, or "=?base64?...?=" for anything else.
// std::nullopt when it is neither.
std::optional<std::string> decode_header_value(std::string_view v) {
  constexpr std::string_view kPrefix = "=?base64?", kSuffix = "?=";
  if (v.size() >= kPrefix.size() + kSuffix.size() && v.starts_with(kPrefix) &&
      v.ends_with(kSuffix)) {
    // Strict: whole 4-character groups, padding only at the end.
    std::string_view b64 = v.substr(kPrefix.size(), v.size() - kPrefix.size() - kSuffix.size());
    if (b64.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    while (pad < b64.size() && b64[b64.size() - 1 - pad] == '=') ++pad;
    if (pad > 2) return std::nullopt;
    return base64_decode(b64);
  }
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u > 0x7e) return std::nullopt;
  }
  return std::string(v);
}

// The body value an Mcp-Param header must equal, as the spec turns it into text.
bool header_matches(const std::string& header, const json::value& body, std::string_view type) {
  if (type == "boolean") return body.is_bool() && header == (body.get_bool() ? "true" : "false");
  if (type == "integer") {
    // A plain decimal (an optional "-", digits, optionally ".0…"), within JavaScript's safe
    // integer range, equal to the body's number.
    constexpr std::int64_t kSafe = (std::int64_t{1} << 53) - 1;
    std::string_view text = header;
    if (auto dot = text.find('.'); dot != std::string_view::npos) {
      if (text.substr(dot + 1).find_first_not_of('0') != std::string_view::npos) return false;
      text = text.substr(0, dot);
    }
    std::int64_t h = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), h);
    if (text.empty() || text[0] == '+' || ec != std::errc() || end != text.data() + text.size() ||
        h > kSafe || h < -kSafe) {
      return false;
    }
    if (body.is_int64()) return body.get_int64() == h;
    if (body.is_uint64()) return h >= 0 && body.get_uint64() == static_cast<std::uint64_t>(h);
    return body.is_double() && body.get_double() == static_cast<double>(h);
  }
  return body.is_string() && body.get_string() == header;
}

const json::value* value_at(const json::object& args, const std::vector<std::string>& path) {
  const json::value* v = nullptr;
  const json::object* o = &args;
  for (const auto& step : path) {
    if (!o) return nullptr;
    v = find(*o, step);
    if (!v) return nullptr;
    o = v->is_object() ? &v->get_object() : nullptr;
  }
  return v;
}

// Checks the mirrored headers against the body. An empty optional: they agree.
std::optional<HttpServerResponse> check_headers(HttpServerState& state, const HttpRequest& request,
                                                const jsonrpc::Message& m) {
  const json::value& id = m.id;
  std::string_view method = header_value(request, "Mcp-Method");
  if (method.empty()) return mismatch(id, "the Mcp-Method header is required");
  if (method != m.method) {
    return mismatch(id, "Mcp-Method header value '" + std::string(method) +
                            "' does not match body value '" + m.method + "'");
  }
  const json::object& params = m.params.get_object();
  const bool task_method =
      m.method == "tasks/get" || m.method == "tasks/update" || m.method == "tasks/cancel";
  std::string_view name_key = m.method == "tools/call" || m.method == "prompts/get" ? "name"
                              : m.method == "resources/read"                        ? "uri"
                              : task_method                                         ? "taskId"
                                                                                    : "";
  if (name_key.empty()) return std::nullopt;
  if (request.count("Mcp-Name") > 1) return mismatch(id, "Mcp-Name is sent more than once");
  std::string_view raw_name = header_value(request, "Mcp-Name");
  if (raw_name.empty()) {
    // Required by the core revision for tools/call, resources/read and prompts/get; checked
    // when present on the tasks extension's methods.
    if (task_method) return std::nullopt;
    return mismatch(id, "the Mcp-Name header is required for " + m.method);
  }
  auto name = decode_header_value(raw_name);
  if (!name) return mismatch(id, "the Mcp-Name header holds invalid characters");
  std::string_view body_name = find_string(params, name_key);
  if (*name != body_name) {
    return mismatch(id, "Mcp-Name header value '" + *name + "' does not match body value '" +
                            std::string(body_name) + "'");
  }
  if (m.method != "tools/call") return std::nullopt;

  std::shared_ptr<const ToolEntry> tool;
  {
    const Server::Impl& server = *detail::ServerAccess::impl(state.server);
    std::shared_lock lock(server.mu);
    tool = server.tools.get(body_name);
  }
  if (!tool) return std::nullopt;  // the call answers "unknown tool"
  json::object none;
  const json::value* a = find(params, "arguments");
  const json::object& args = a && a->is_object() ? a->get_object() : none;
  for (const HeaderParam& p : tool->header_params) {
    std::string header_name = "Mcp-Param-" + p.name;
    if (request.count(header_name) > 1)
      return mismatch(id, header_name + " is sent more than once");
    std::string_view raw = header_value(request, header_name);
    const json::value* body = value_at(args, p.path);
    bool present = request.find(header_name) != request.end();
    if (!body || body->is_null()) {
      if (present) {
        return mismatch(id, header_name + " is set but the arguments hold no value for it");
      }
      continue;
    }
    if (!present) {
      return mismatch(
          id, "the " + header_name + " header is required: the arguments set " + p.path.back());
    }
    auto value = decode_header_value(raw);
    if (!value) return mismatch(id, "the " + header_name + " header holds invalid characters");
    if (!header_matches(*value, *body, p.type)) {
      return mismatch(id, header_name + " header value '" + *value +
                              "' does not match body value '" + json::serialize(*body) + "'");
    }
  }
  return std::nullopt;
}

http::status status_of(const json::value& reply) {
  const json::value* error = find(reply, "error");
  if (!error) return http::status::ok;
  const json::value* code = find(*error, "code");
  if (!code || !code->is_int64()) return http::status::ok;
  switch (code->get_int64()) {
    case jsonrpc::kMethodNotFound:
      return http::status::not_found;
    case kHeaderMismatch:
    case kMissingRequiredClientCapability:
    case kUnsupportedProtocolVersion:
      return http::status::bad_request;
    default:
      return http::status::ok;
  }
}

}  // namespace

bool is_stateless_post(const HttpRequest& request, const json::value& payload) {
  // A body of the stateless revision goes through its header checks whatever else the request
  // carries (an Mcp-Session-Id is ignored, as the spec asks), so they cannot be skipped.
  if (!payload.is_array() && stateless::is_stateless(payload) &&
      find_string(payload, "method") != "initialize") {
    return true;
  }
  std::string_view version = header_value(request, "MCP-Protocol-Version");
  if (version.empty() || protocol::is_stateful_version(version)) return false;
  // An unknown version on a request of a stateful session is refused there.
  return header_value(request, "Mcp-Session-Id").empty();
}

bool is_stateless_request(const HttpRequest& request) {
  std::string_view version = header_value(request, "MCP-Protocol-Version");
  return !version.empty() && !protocol::is_stateful_version(version) &&
         header_value(request, "Mcp-Session-Id").empty();
}

Task<Reply> handle_stateless_post(HttpServerState& state, HttpRequest& request, json::value payload,
                                  StreamWaiter& waiter, std::shared_ptr<const AuthInfo> auth) {
  if (payload.is_array()) {
    co_return reply_with(error_response(
        http::status::bad_request, jsonrpc::kInvalidRequest,
        "Invalid Request: protocol revision 2026-07-28 takes one JSON-RPC message per POST"));
  }
  auto classified = jsonrpc::classify(payload);
  if (auto* bad = std::get_if<jsonrpc::Invalid>(&classified)) {
    co_return reply_with(
        json_response(http::status::bad_request, jsonrpc::make_error(bad->id, bad->error)));
  }
  jsonrpc::Message& m = std::get<jsonrpc::Message>(classified);
  if (m.is_response()) {
    co_return reply_with(error_response(
        http::status::bad_request, jsonrpc::kInvalidRequest,
        "Invalid Request: in protocol revision 2026-07-28 clients send no responses; answer "
        "input requests by retrying the original request with inputResponses"));
  }
  if (m.is_notification()) co_return reply_with(empty_response(http::status::accepted));

  // The version: the header and the body must agree, and name a version this server speaks.
  std::string_view header_version = header_value(request, "MCP-Protocol-Version");
  const json::value* meta = m.params.is_object() ? find(m.params, "_meta") : nullptr;
  const json::value* body_version =
      meta && meta->is_object() ? find(*meta, stateless::kProtocolVersionKey) : nullptr;
  if (header_version.empty()) {
    co_return reply_with(mismatch(m.id, "the MCP-Protocol-Version header is required"));
  }
  if (body_version && body_version->is_string() && body_version->get_string() != header_version) {
    co_return reply_with(mismatch(
        m.id, "MCP-Protocol-Version header value '" + std::string(header_version) +
                  "' does not match body value '" + std::string(body_version->get_string()) + "'"));
  }
  std::optional<stateless::RequestMeta> read;
  try {
    read = stateless::read_meta(m.params);
  } catch (const jsonrpc::RpcError& e) {
    co_return reply_with(
        json_response(http::status::bad_request, jsonrpc::make_error(m.id, e.error())));
  }
  if (auto refused = check_headers(state, request, m)) co_return reply_with(std::move(*refused));

  // The answer: JSON, unless related messages come first (then SSE); subscriptions/listen is a
  // stream from the start. Closing the stream cancels the request.
  const bool listen = m.method == "subscriptions/listen";
  auto stream =
      std::make_shared<SseStream>(SseStream::Kind::kRequest, "", nullptr, state.options.sse_retry);
  auto attachment = stream->attach(waiter.waker(), nullptr, false);
  if (listen) stream->begin_sse();
  std::stop_source stop;
  auto executor = co_await asio::this_coro::executor;
  start_handler(executor,
                stateless::handle(detail::ServerAccess::impl(state.server), std::move(m), stream,
                                  stop.get_token(), std::move(read), std::move(auth)),
                stream, nullptr);
  for (;;) {
    SseStream::Outcome outcome = stream->outcome();
    if (outcome.sse) {
      Reply r;
      r.response = sse_head();
      r.stream = stream;
      r.token = attachment.token;
      r.watch_peer = true;
      r.lease = std::shared_ptr<void>(nullptr, [stop](void*) mutable { stop.request_stop(); });
      co_return r;
    }
    if (outcome.ended) {
      stream->detach(attachment.token);
      if (outcome.reply.is_null()) co_return reply_with(empty_response(http::status::accepted));
      co_return reply_with(json_response(status_of(outcome.reply), outcome.reply));
    }
    // A request that takes a while becomes a stream, whose closing cancels it.
    bool woken = co_await waiter.wait(state.options.stream_after);
    if (!woken) stream->begin_sse();
  }
}

}  // namespace mcpp
