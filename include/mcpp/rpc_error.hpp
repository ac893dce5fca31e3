// JSON-RPC errors as users of libmcpp meet them: the error codes (JSON-RPC 2.0's and those mcpp
// gives its own outgoing requests), an error value, and RpcError, which handlers throw and
// clients catch.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "mcpp/json.hpp"

namespace mcpp {
namespace jsonrpc {

// The standard codes of JSON-RPC 2.0.
enum ErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
};

// Codes mcpp uses for outcomes of its own outgoing requests (no answer in time, cancelled by the
// caller, connection gone).
inline constexpr int kRequestTimeout = -32001;
inline constexpr int kRequestCancelled = -32800;
inline constexpr int kConnectionClosed = -32000;

struct Error {
  int code = kInternalError;
  std::string message;
  json::value data;  // null when absent
};

// Thrown by handlers to answer a request with a JSON-RPC error; the dispatcher turns it into one.
// Thrown by clients when the peer answered with an error, or with one of the codes above.
class RpcError : public std::runtime_error {
 public:
  RpcError(int code, std::string message, json::value data = nullptr)
      : std::runtime_error(message), error_{code, std::move(message), std::move(data)} {}
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

}  // namespace jsonrpc

using RpcError = jsonrpc::RpcError;

}  // namespace mcpp
