// The Streamable HTTP endpoint (revisions 2025-03-26 .. 2025-11-25): POST sends messages and
// answers with JSON or an SSE stream, GET opens or resumes a stream, DELETE ends the session.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include "jsonrpc/message.hpp"
#include "protocol/versions.hpp"
#include "transport/http_endpoints.hpp"

namespace mcpp {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::hours kForever{24 * 365};

// A JSON-RPC request (as opposed to a notification or a response): a method and an id.
bool is_request(const json::value& v) {
  if (!v.is_object()) return false;
  const auto& o = v.get_object();
  const json::value* m = find(o, "method");
  return m && m->is_string() && o.contains("id");
}

bool has_request(const json::value& payload) {
  if (!payload.is_array()) return is_request(payload);
  const auto& a = payload.get_array();
  return std::any_of(a.begin(), a.end(), [](const json::value& v) { return is_request(v); });
}

bool is_initialize(const json::value& payload) {
  return is_request(payload) && find_string(payload, "method") == "initialize";
}

// An error response that could not be tied to a request (id null): the POST was not acceptable.
bool is_unidentified_error(const json::value& reply) {
  const json::value* id = find(reply, "id");
  return reply.is_object() && reply.get_object().contains("error") && id && id->is_null();
}

HttpServerResponse session_required() {
  return error_response(http::status::bad_request, jsonrpc::kInvalidRequest,
                        "Bad Request: Mcp-Session-Id header is required (send initialize "
                        "without it to start a session)");
}

HttpServerResponse session_not_found() {
  return error_response(http::status::not_found, kSessionNotFound,
                        "Session not found: it ended or never existed; send initialize without "
                        "an Mcp-Session-Id header to start a new one");
}

// Empty when the MCP-Protocol-Version header is absent (2025-03-26 is assumed) or supported.
std::string check_protocol_version(const HttpRequest& request) {
  std::string_view v = header_value(request, "MCP-Protocol-Version");
  if (v.empty() || protocol::is_stateful_version(v)) return {};
  std::string supported;
  for (auto known : protocol::kStatefulVersions) {
    if (!supported.empty()) supported += ", ";
    supported += known;
  }
  return "Bad Request: unsupported MCP-Protocol-Version \"" + std::string(v) +
         "\"; this server supports " + supported;
}

// The session a request names, or the response that refuses it.
struct SessionLookup {
  std::shared_ptr<HttpSession> session;
  HttpServerResponse refusal;
};

SessionLookup find_session(HttpServerState& state, const HttpRequest& request,
                           const std::shared_ptr<const AuthInfo>& auth) {
  SessionLookup r;
  std::string_view id = header_value(request, "Mcp-Session-Id");
  if (id.empty()) {
    r.refusal = session_required();
    return r;
  }
  auto session = state.sessions.find(id);
  // Another user's session is answered like a missing one: it is not theirs to probe.
  if (!session || session->legacy() || session->closed() || !same_owner(*session, auth)) {
    r.refusal = session_not_found();
    return r;
  }
  if (std::string why = check_protocol_version(request); !why.empty()) {
    r.refusal = error_response(http::status::bad_request, jsonrpc::kInvalidRequest, std::move(why));
    return r;
  }
  session->touch();
  r.session = std::move(session);
  return r;
}

void end_session(HttpServerState& state, const std::shared_ptr<HttpSession>& session) {
  state.sessions.remove(session->id());
  session->close();
}

Task<Reply> handle_post(HttpServerState& state, HttpRequest& request, StreamWaiter& waiter,
                        std::string_view peer_address) {
  std::string_view accept = header_value(request, "Accept");
  if (!accepts_media_type(accept, "application/json") ||
      !accepts_media_type(accept, "text/event-stream")) {
    co_return reply_with(
        error_response(http::status::not_acceptable, jsonrpc::kInvalidRequest,
                       "Not Acceptable: the Accept header must list both application/json and "
                       "text/event-stream"));
  }
  if (!is_media_type(header_value(request, "Content-Type"), "application/json")) {
    co_return reply_with(error_response(
        http::status::unsupported_media_type, jsonrpc::kInvalidRequest,
        "Unsupported Media Type: the body must be JSON with Content-Type: application/json"));
  }
  auto parsed = jsonrpc::parse(request.body());
  if (auto* err = std::get_if<jsonrpc::Error>(&parsed)) {
    co_return reply_with(
        json_response(http::status::bad_request, jsonrpc::make_error(nullptr, *err)));
  }
  json::value payload = std::move(std::get<json::value>(parsed));
  HttpAuthDecision decision;
  if (state.options.authorizer)
    decision = co_await authorize(state, request, &payload, peer_address);
  if (decision.refusal) co_return reply_with(to_response(*decision.refusal));
  std::shared_ptr<const AuthInfo> auth = std::move(decision.auth);
  if (is_stateless_post(request, payload)) {
    co_return co_await handle_stateless_post(state, request, std::move(payload), waiter,
                                             std::move(auth));
  }

  // The session: a new one for an initialize without Mcp-Session-Id, else the one named.
  const bool initialize = is_initialize(payload);
  std::shared_ptr<HttpSession> session;
  bool created = false;
  if (initialize && header_value(request, "Mcp-Session-Id").empty()) {
    session = create_session(state, false);
    if (!session) {
      co_return reply_with(error_response(http::status::service_unavailable, -32000,
                                          "Service Unavailable: too many sessions; try later"));
    }
    created = true;
    if (auth) session->set_owner(auth->subject);
  } else {
    SessionLookup found = find_session(state, request, auth);
    if (!found.session) co_return reply_with(std::move(found.refusal));
    session = std::move(found.session);
  }

  // Only notifications and responses: handled at once, answered 202 (400 when refused).
  // (Locals, not temporaries, next to co_await: GCC 12 mishandles temporaries there.)
  if (!has_request(payload)) {
    auto lease = session->hold();
    std::shared_ptr<MessageSink> no_stream;
    json::value reply = co_await session->protocol()->handle(std::move(payload), no_stream, auth);
    if (reply.is_null()) co_return reply_with(empty_response(http::status::accepted));
    co_return reply_with(json_response(http::status::bad_request, reply));
  }

  // Requests: the handler runs on its own; its related messages and reply arrive on `stream`.
  auto stream = session->new_request_stream();
  auto attachment = stream->attach(waiter.waker(), nullptr, false);
  if (!state.options.json_response && !initialize) stream->begin_sse();
  auto executor = co_await asio::this_coro::executor;
  start_handler(executor, session->protocol()->handle(std::move(payload), stream, auth), stream,
                session->hold());

  for (;;) {
    SseStream::Outcome outcome = stream->outcome();
    if (outcome.sse) {
      session->track(stream);
      Reply r;
      r.response = sse_head();
      if (created) r.response.set("Mcp-Session-Id", session->id());
      r.stream = stream;
      r.token = attachment.token;
      r.lease = session->hold();
      co_return r;
    }
    if (outcome.ended) {
      stream->detach(attachment.token);
      json::value& reply = outcome.reply;
      bool failed = reply.is_null() || find(reply, "error") != nullptr;
      if (created && failed) end_session(state, session);
      if (reply.is_null()) {
        // No answer: the request was cancelled, or the session ended under it.
        co_return reply_with(session->closed() ? session_not_found()
                                               : empty_response(http::status::accepted));
      }
      HttpServerResponse response = json_response(
          is_unidentified_error(reply) ? http::status::bad_request : http::status::ok, reply);
      if (created && !failed) response.set("Mcp-Session-Id", session->id());
      co_return reply_with(std::move(response));
    }
    co_await waiter.wait(kForever);
  }
}

Task<Reply> handle_get(HttpServerState& state, HttpRequest& request, StreamWaiter& waiter,
                       std::shared_ptr<const AuthInfo> auth) {
  if (!accepts_media_type(header_value(request, "Accept"), "text/event-stream")) {
    co_return reply_with(
        error_response(http::status::not_acceptable, jsonrpc::kInvalidRequest,
                       "Not Acceptable: GET opens an SSE stream; the Accept header must list "
                       "text/event-stream"));
  }
  SessionLookup found = find_session(state, request, auth);
  if (!found.session) co_return reply_with(std::move(found.refusal));
  auto& session = found.session;

  auto stream_reply = [&](std::shared_ptr<SseStream> stream, SseStream::Attachment& a) {
    Reply r;
    r.response = sse_head();
    r.stream = std::move(stream);
    r.token = a.token;
    r.preamble = std::move(a.preamble);
    r.watch_peer = true;
    r.lease = session->hold();
    return r;
  };

  // Resumption: replay the stream the event belongs to, if it is one of this session's.
  // An unknown, expired or foreign Last-Event-ID opens the standalone stream as if absent.
  if (std::string_view last = header_value(request, "Last-Event-ID"); !last.empty()) {
    std::string last_id(last);
    std::string replayed;
    auto stream_id = state.options.event_store->replay_after(
        last_id, [&](std::string_view id, std::string_view data) {
          if (!data.empty()) sse::append_event(replayed, id, "", data);
        });
    if (stream_id && session->owns_stream(*stream_id)) {
      if (auto live = session->live_stream(*stream_id)) {
        // Take the stream over: the connection it was on is most likely dead.
        auto a = live->attach(waiter.waker(), &last_id, true);
        if (a.status == SseStream::AttachStatus::kAttached) co_return stream_reply(live, a);
      }
      // The request has been answered: what was stored is all there is.
      HttpServerResponse r = sse_head();
      r.body() = std::move(replayed);
      co_return reply_with(std::move(r));
    }
  }

  auto a = session->standalone()->attach(waiter.waker(), nullptr, false);
  if (a.status == SseStream::AttachStatus::kBusy) {
    co_return reply_with(error_response(
        http::status::conflict, jsonrpc::kInvalidRequest,
        "Conflict: this session already has an open GET stream; close it first, or resume it "
        "with Last-Event-ID"));
  }
  if (a.status == SseStream::AttachStatus::kClosed) co_return reply_with(session_not_found());
  co_return stream_reply(session->standalone(), a);
}

Task<Reply> handle_delete(HttpServerState& state, HttpRequest& request,
                          std::shared_ptr<const AuthInfo> auth) {
  SessionLookup found = find_session(state, request, auth);
  if (!found.session) co_return reply_with(std::move(found.refusal));
  end_session(state, found.session);
  co_return reply_with(empty_response(http::status::ok));
}

}  // namespace

Task<Reply> handle_mcp_endpoint(HttpServerState& state, HttpRequest& request, StreamWaiter& waiter,
                                std::string_view peer_address) {
  if (request.method() != http::verb::post && is_stateless_request(request)) {
    HttpServerResponse r = error_response(
        http::status::method_not_allowed, jsonrpc::kInvalidRequest,
        "Method Not Allowed: in protocol revision 2026-07-28 every message is a POST to " +
            state.options.endpoint + " (use subscriptions/listen for notifications)");
    r.set(http::field::allow, "POST");
    co_return reply_with(std::move(r));
  }
  std::shared_ptr<const AuthInfo> auth;
  if (request.method() == http::verb::get || request.method() == http::verb::delete_) {
    HttpAuthDecision decision;
    if (state.options.authorizer) {
      decision = co_await authorize(state, request, nullptr, peer_address);
    }
    if (decision.refusal) co_return reply_with(to_response(*decision.refusal));
    auth = std::move(decision.auth);
  }
  switch (request.method()) {
    case http::verb::post:
      co_return co_await handle_post(state, request, waiter, peer_address);
    case http::verb::get:
      co_return co_await handle_get(state, request, waiter, std::move(auth));
    case http::verb::delete_:
      co_return co_await handle_delete(state, request, std::move(auth));
    default: {
      HttpServerResponse r = error_response(
          http::status::method_not_allowed, jsonrpc::kInvalidRequest,
          "Method Not Allowed: " + state.options.endpoint + " accepts POST, GET and DELETE");
      r.set(http::field::allow, "GET, POST, DELETE");
      co_return reply_with(std::move(r));
    }
  }
}

}  // namespace mcpp
