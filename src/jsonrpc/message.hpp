// JSON-RPC 2.0 message model: parsing with limits, classification, and building replies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "mcpp/json.hpp"
#include "mcpp/rpc_error.hpp"  // ErrorCode, Error, RpcError

namespace mcpp::jsonrpc {

enum class Kind { kRequest, kNotification, kResult, kError };

// One classified message. `id` is a string or an integer (null for notifications).
struct Message {
  Kind kind = Kind::kNotification;
  json::value id;
  std::string method;
  json::value params;  // object, array or null
  json::value result;
  Error error;

  bool is_request() const { return kind == Kind::kRequest; }
  bool is_notification() const { return kind == Kind::kNotification; }
  bool is_response() const { return kind == Kind::kResult || kind == Kind::kError; }
};

// Limits applied when parsing untrusted input.
struct ParseLimits {
  std::size_t max_depth = 64;
};

// Parses text into JSON; on failure returns an Error with kParseError and a message that says
// where the text went wrong.
std::variant<json::value, Error> parse(std::string_view text, const ParseLimits& limits = {});

// Classifies one JSON value as a JSON-RPC message; returns an kInvalidRequest Error (with the id
// when one could be read) when it is not a valid message.
struct Invalid {
  json::value id;
  Error error;
};
std::variant<Message, Invalid> classify(const json::value& v);
// The same, taking the params over from `v` instead of copying them.
std::variant<Message, Invalid> classify(json::value&& v);

// True for a valid id: a string or an integer.
bool valid_id(const json::value& id);

json::value make_request(const json::value& id, std::string_view method, json::value params);
json::value make_notification(std::string_view method, json::value params);
json::value make_result(const json::value& id, json::value result);
json::value make_error(const json::value& id, const Error& error);
inline json::value make_error(const json::value& id, int code, std::string message) {
  return make_error(id, Error{code, std::move(message), nullptr});
}

}  // namespace mcpp::jsonrpc
