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

ClientRequest ClientRequest::elicitation(std::string key, std::string message,
                                         json::object requested_schema) {
  return {std::move(key), "elicitation/create",
          json::object{{"mode", "form"},
                       {"message", std::move(message)},
                       {"requestedSchema", std::move(requested_schema)}}};
}
ClientRequest ClientRequest::sampling(std::string key, json::object params) {
  return {std::move(key), "sampling/createMessage", std::move(params)};
}
ClientRequest ClientRequest::roots(std::string key) {
  return {std::move(key), "roots/list", json::object{}};
}

namespace {
// The capability a request to the client needs, as a ClientCapabilities object; null when none.
json::object required_capability(const ClientRequest& r) {
  if (r.method == "sampling/createMessage") return {{"sampling", json::object{}}};
  if (r.method == "roots/list") return {{"roots", json::object{}}};
  if (r.method == "elicitation/create") {
    if (find_string(r.params, "mode") == "url") return {{"elicitation", {{"url", json::object{}}}}};
    return {{"elicitation", json::object{}}};
  }
  return {};
}

bool declares(const json::object& caps, const json::object& required) {
  for (const auto& [name, sub] : required) {
    const json::value* c = find(caps, name);
    if (!c || c->is_null()) return false;
    if (sub.is_object()) {
      for (const auto& [mode, x] : sub.get_object()) {
        // Form mode is implied by an empty elicitation capability.
        if (name == "elicitation" && mode == "form" && c->is_object() && c->get_object().empty()) {
          continue;
        }
        if (!find(*c, mode)) return false;
      }
    }
  }
  return true;
}
}  // namespace

Task<std::vector<json::value>> Context::ask(std::vector<ClientRequest> requests) {
  for (auto& r : requests) {
    if (r.method == "elicitation/create") {
      if (!protocol::has_elicitation(protocol_version())) {
        throw RpcError(jsonrpc::kInvalidRequest,
                       "Elicitation needs protocol revision 2025-06-18 or later");
      }
      // The mode field came with 2025-11-25.
      if (!protocol::has_url_elicitation(protocol_version())) r.params.erase("mode");
    }
    json::object required = required_capability(r);
    if (!required.empty() && !declares(client_capabilities(), required)) {
      throw missing_capability(*this, r.method, std::move(required));
    }
  }
  co_return co_await b_->request_all(std::move(requests));
}

Task<json::value> Context::request(std::string method, json::object params, std::string key) {
  std::vector<ClientRequest> one;
  one.push_back({std::move(key), std::move(method), std::move(params)});
  std::vector<json::value> r = co_await ask(std::move(one));
  co_return std::move(r.front());
}

Task<ElicitResult> Context::elicit(std::string message, json::object requested_schema,
                                   std::string key) {
  std::vector<ClientRequest> one;
  one.push_back(
      ClientRequest::elicitation(std::move(key), std::move(message), std::move(requested_schema)));
  std::vector<json::value> r = co_await ask(std::move(one));
  co_return to_elicit_result(r.front());
}

Task<ElicitResult> Context::elicit_url(std::string message, std::string url,
                                       std::string elicitation_id, std::string key) {
  if (!protocol::has_url_elicitation(protocol_version())) {
    throw RpcError(jsonrpc::kInvalidRequest,
                   "URL-mode elicitation needs protocol revision 2025-11-25 or later");
  }
  json::object params{{"mode", "url"}, {"message", std::move(message)}, {"url", std::move(url)}};
  // 2026-07-28 dropped the id: a server correlates through its own requestState.
  if (protocol_version() < protocol::k2026_07_28)
    params["elicitationId"] = std::move(elicitation_id);
  json::value r = co_await request("elicitation/create", std::move(params), std::move(key));
  co_return to_elicit_result(r);
}

Task<json::object> Context::sample(json::object params, std::string key) {
  json::value r = co_await request("sampling/createMessage", std::move(params), std::move(key));
  if (!r.is_object()) {
    throw RpcError(jsonrpc::kInvalidParams, "sampling/createMessage result is not an object");
  }
  co_return r.get_object();
}

Task<json::array> Context::list_roots(std::string key) {
  json::value r = co_await request("roots/list", json::object{}, std::move(key));
  const json::value* roots = find(r, "roots");
  if (!roots || !roots->is_array()) {
    throw RpcError(jsonrpc::kInvalidParams, "roots/list result has no \"roots\" array");
  }
  co_return roots->get_array();
}

}  // namespace mcpp
