// Context: the era-independent calls a handler makes (progress, logs, elicitation, sampling,
// roots).
#include "mcpp/server.hpp"
#include "protocol/versions.hpp"

namespace mcpp {

bool Context::client_supports(std::string_view capability) const {
  const json::value* c = find(client_capabilities(), capability);
  return c && !c->is_null();
}

void Context::progress(double progress, std::optional<double> total, std::string message) {
  const json::value* token = find(meta(), "progressToken");
  if (!token || !(token->is_string() || token->is_int64() || token->is_uint64())) return;
  json::object p{{"progressToken", *token}, {"progress", number(progress)}};
  if (total) p["total"] = number(*total);
  if (!message.empty() && protocol_version() >= protocol::k2025_03_26) p["message"] = message;
  notify("notifications/progress", std::move(p));
}

void Context::log(LogLevel level, json::value data, std::string logger) {
  if (!b_->log_enabled(level)) return;
  json::object p{{"level", to_string(level)}, {"data", std::move(data)}};
  if (!logger.empty()) p["logger"] = std::move(logger);
  notify("notifications/message", std::move(p));
}

namespace {
// The client did not declare what a request to it needs: -32021 with the capability in the
// stateless revision, Invalid Request before it.
RpcError missing_capability(const Context& ctx, std::string_view what, json::object required) {
  if (ctx.protocol_version() >= protocol::k2026_07_28) {
    return RpcError(-32021,
                    "Missing required client capability: " + std::string(what) +
                        " (declare it in _meta[\"io.modelcontextprotocol/clientCapabilities\"])",
                    json::object{{"requiredCapabilities", std::move(required)}});
  }
  return RpcError(jsonrpc::kInvalidRequest,
                  "The client does not support " + std::string(what) +
                      " (it did not declare the capability at initialize)");
}

ElicitResult to_elicit_result(const json::value& v) {
  ElicitResult r;
  r.action = std::string(find_string(v, "action"));
  if (r.action != "accept" && r.action != "decline" && r.action != "cancel") {
    throw RpcError(jsonrpc::kInvalidParams,
                   "The client answered elicitation/create without a valid \"action\"");
  }
  if (const json::value* c = find(v, "content"); c && c->is_object()) r.content = c->get_object();
  return r;
}
}  // namespace

Task<ElicitResult> Context::elicit(std::string message, json::object requested_schema) {
  if (!protocol::has_elicitation(protocol_version())) {
    throw RpcError(jsonrpc::kInvalidRequest,
                   "Elicitation needs protocol revision 2025-06-18 or later");
  }
  if (!client_supports("elicitation")) {
    throw missing_capability(*this, "elicitation",
                             json::object{{"elicitation", {{"form", json::object{}}}}});
  }
  json::object params{{"message", std::move(message)},
                      {"requestedSchema", std::move(requested_schema)}};
  if (protocol::has_url_elicitation(protocol_version())) params["mode"] = "form";
  json::value r = co_await request("elicitation/create", std::move(params));
  co_return to_elicit_result(r);
}

Task<ElicitResult> Context::elicit_url(std::string message, std::string url,
                                       std::string elicitation_id) {
  const json::value* e = find(client_capabilities(), "elicitation");
  if (!protocol::has_url_elicitation(protocol_version())) {
    throw RpcError(jsonrpc::kInvalidRequest,
                   "URL-mode elicitation needs protocol revision 2025-11-25 or later");
  }
  if (!e || !find(*e, "url")) {
    throw missing_capability(*this, "URL-mode elicitation",
                             json::object{{"elicitation", {{"url", json::object{}}}}});
  }
  json::object params{{"mode", "url"}, {"message", std::move(message)}, {"url", std::move(url)}};
  // 2026-07-28 dropped the id: a server correlates through its own requestState.
  if (protocol_version() < protocol::k2026_07_28)
    params["elicitationId"] = std::move(elicitation_id);
  json::value r = co_await request("elicitation/create", std::move(params));
  co_return to_elicit_result(r);
}

Task<json::object> Context::sample(json::object params) {
  if (!client_supports("sampling")) {
    throw missing_capability(*this, "sampling", json::object{{"sampling", json::object{}}});
  }
  json::value r = co_await request("sampling/createMessage", std::move(params));
  if (!r.is_object())
    throw RpcError(jsonrpc::kInvalidParams, "sampling/createMessage result is not an object");
  co_return r.get_object();
}

Task<json::array> Context::list_roots() {
  if (!client_supports("roots")) {
    throw missing_capability(*this, "roots", json::object{{"roots", json::object{}}});
  }
  json::value r = co_await request("roots/list", json::object{});
  const json::value* roots = find(r, "roots");
  if (!roots || !roots->is_array()) {
    throw RpcError(jsonrpc::kInvalidParams, "roots/list result has no \"roots\" array");
  }
  co_return roots->get_array();
}

}  // namespace mcpp
