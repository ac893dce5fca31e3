// The stateless revision (2026-07-28): every request carries its protocol version and the
// client's capabilities in params._meta, is answered on its own with no session, and gets client
// input through multi round-trip requests (an input_required result, then a retry carrying
// inputResponses and the server's authenticated requestState).
#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "jsonrpc/message.hpp"
#include "mcpp/server.hpp"
#include "server/server_impl.hpp"
#include "server/session.hpp"

namespace mcpp {

// Error codes the 2026-07-28 revision defines.
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingRequiredClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;

namespace stateless {

inline constexpr std::string_view kProtocolVersionKey = "io.modelcontextprotocol/protocolVersion";
inline constexpr std::string_view kClientCapabilitiesKey =
    "io.modelcontextprotocol/clientCapabilities";
inline constexpr std::string_view kClientInfoKey = "io.modelcontextprotocol/clientInfo";
inline constexpr std::string_view kLogLevelKey = "io.modelcontextprotocol/logLevel";
inline constexpr std::string_view kServerInfoKey = "io.modelcontextprotocol/serverInfo";
inline constexpr std::string_view kSubscriptionIdKey = "io.modelcontextprotocol/subscriptionId";

// True when `message` is a request or notification whose params._meta names a protocol version:
// the client speaks the stateless revision.
bool is_stateless(const json::value& message);

// A request's metadata.
struct RequestMeta {
  std::string version;
  json::object capabilities;
  json::object client_info;
  std::optional<LogLevel> log_level;  // none: no notifications/message for this request
  // Who sent it, when the transport checked a token (not part of _meta; set by handle()).
  std::shared_ptr<const AuthInfo> auth;
};
// Reads and validates params._meta. Throws RpcError: -32602 when a required field is missing or
// malformed, -32022 (with the supported versions) when the version is not one this server speaks.
RequestMeta read_meta(const json::value& params);
// The -32022 error for `requested`.
jsonrpc::Error unsupported_version(std::string_view requested);

// Answers one request of the stateless revision with a JSON-RPC response (a result or an error).
// Messages related to it (progress, logs; the notifications of subscriptions/listen) go to
// `related`. `stop` cancels it: a cancelled request's answer is null. subscriptions/listen
// lasts until `stop` or until the server goes away. `meta`: the request's metadata when the
// caller has read it already (else it is read here). `auth`: who sent it (null: anonymous).
Task<json::value> handle(std::shared_ptr<Server::Impl> server, jsonrpc::Message request,
                         std::shared_ptr<MessageSink> related, std::stop_token stop,
                         std::optional<RequestMeta> meta = std::nullopt,
                         std::shared_ptr<const AuthInfo> auth = nullptr);

// Methods that exist only in the stateful revisions (answered -32601 to stateless clients).
bool is_stateful_only_method(std::string_view method);

}  // namespace stateless
}  // namespace mcpp
