// JSON-RPC 2.0 parsing and classification with clear, actionable error messages.
#include "jsonrpc/message.hpp"

#include <algorithm>
#include <utility>

namespace mcpp::jsonrpc {

std::variant<json::value, Error> parse(std::string_view text, const ParseLimits& limits) {
  json::parse_options opt;
  opt.max_depth = limits.max_depth;
  // The parser's working stack starts in this buffer: messages of ordinary size parse without
  // a heap allocation for it.
  unsigned char scratch[2048];
  json::stream_parser parser({}, opt, scratch, sizeof scratch);
  boost::system::error_code ec;
  std::size_t n = parser.write_some(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (!ec) {
    // Trailing whitespace is fine; trailing garbage is not.
    if (n < text.size() &&
        !std::all_of(text.begin() + static_cast<std::ptrdiff_t>(n), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; })) {
      return Error{kParseError,
                   "Parse error: unexpected text after the JSON value at byte " + std::to_string(n),
                   nullptr};
    }
    return parser.release();
  }
  std::string what = ec == json::error::too_deep
                         ? "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels"
                         : ec.message();
  return Error{kParseError, "Parse error: " + what + " (at byte " + std::to_string(n) + ")",
               nullptr};
}

bool valid_id(const json::value& id) {
  return id.is_string() || id.is_int64() || id.is_uint64();
}

std::variant<Message, Invalid> classify(const json::value& v) {
  if (!v.is_object()) {
    return Invalid{nullptr,
                   {kInvalidRequest, "Invalid Request: a message must be a JSON object", nullptr}};
  }
  const auto& o = v.get_object();
  json::value id = nullptr;
  const json::value* idp = find(o, "id");
  bool id_ok = idp && valid_id(*idp);
  if (id_ok) id = *idp;
  auto bad = [&](std::string msg) {
    return Invalid{id, {kInvalidRequest, "Invalid Request: " + std::move(msg), nullptr}};
  };
  const json::value* ver = find(o, "jsonrpc");
  if (!ver || !ver->is_string() || ver->get_string() != "2.0") {
    return bad("\"jsonrpc\" must be \"2.0\"");
  }
  if (idp && !id_ok) return bad("\"id\" must be a string or an integer");
  Message m;
  m.id = id;
  if (const json::value* method = find(o, "method")) {
    if (!method->is_string()) return bad("\"method\" must be a string");
    m.method = std::string(method->get_string());
    if (const json::value* params = find(o, "params")) {
      if (!params->is_object() && !params->is_array()) {
        return bad("\"params\" must be an object or an array");
      }
      m.params = *params;
    }
    m.kind = idp ? Kind::kRequest : Kind::kNotification;
    return m;
  }
  if (!idp)
    return bad("a message needs a \"method\" (request or notification) or an \"id\" (response)");
  const json::value* result = find(o, "result");
  const json::value* error = find(o, "error");
  if ((result != nullptr) == (error != nullptr)) {
    return bad("a response needs exactly one of \"result\" and \"error\"");
  }
  if (result) {
    m.kind = Kind::kResult;
    m.result = *result;
    return m;
  }
  if (!error->is_object()) return bad("\"error\" must be an object");
  const json::value* code = find(*error, "code");
  if (!code || !code->is_int64()) return bad("\"error.code\" must be an integer");
  m.kind = Kind::kError;
  m.error.code = static_cast<int>(code->get_int64());
  m.error.message = std::string(find_string(*error, "message"));
  if (const json::value* data = find(*error, "data")) m.error.data = *data;
  return m;
}

std::variant<Message, Invalid> classify(json::value&& v) {
  // Takes params over instead of copying them: an empty object stands in for the check.
  json::value* params = nullptr;
  if (v.is_object()) params = v.get_object().if_contains("params");
  if (!params || !(params->is_object() || params->is_array())) return classify(std::as_const(v));
  json::value taken = std::move(*params);
  *params = json::object();
  auto r = classify(std::as_const(v));
  if (auto* m = std::get_if<Message>(&r)) m->params = std::move(taken);
  return r;
}

json::value make_request(const json::value& id, std::string_view method, json::value params) {
  json::object o;
  o["jsonrpc"] = "2.0";
  o["id"] = id;
  o["method"] = method;
  if (!params.is_null()) o["params"] = std::move(params);
  return o;
}

json::value make_notification(std::string_view method, json::value params) {
  json::object o;
  o["jsonrpc"] = "2.0";
  o["method"] = method;
  if (!params.is_null()) o["params"] = std::move(params);
  return o;
}

json::value make_result(const json::value& id, json::value result) {
  json::object o;
  o["jsonrpc"] = "2.0";
  o["id"] = id;
  o["result"] = std::move(result);
  return o;
}

json::value make_error(const json::value& id, const Error& error) {
  json::object e;
  e["code"] = error.code;
  e["message"] = error.message;
  if (!error.data.is_null()) e["data"] = error.data;
  json::object o;
  o["jsonrpc"] = "2.0";
  o["id"] = id;
  o["error"] = std::move(e);
  return o;
}

}  // namespace mcpp::jsonrpc
