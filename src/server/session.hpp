// ServerSession: one client's protocol state in the stateful era (negotiated revision,
// capabilities, log level, subscriptions, in-flight requests) and the dispatch of its messages.
// Transport-agnostic: transports feed it parsed payloads and give it sinks to write to.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>

#include "jsonrpc/message.hpp"
#include "jsonrpc/outgoing.hpp"
#include "mcpp/server.hpp"
#include "server/server_impl.hpp"

namespace mcpp {

// Where a session writes messages: the response stream of one request (HTTP POST with SSE), the
// standalone stream (HTTP GET, legacy SSE), or stdout. Implementations must be thread-safe.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // Sends one JSON-RPC message. Returns false when the stream is gone.
  virtual bool send(const json::value& message) = 0;
};

class ServerSession final : public ChangeListener,
                            public std::enable_shared_from_this<ServerSession> {
 public:
  // Creates a session of `server` and registers it for notifications.
  static std::shared_ptr<ServerSession> create(const Server& server, std::string id);
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // Handles one incoming payload: a message or, where the revision allows, a batch. Messages
  // related to it (progress, logs, requests to the client) go to `related`; unrelated ones to
  // the standalone sink. Returns what to answer: a response object, an array of responses for a
  // batch, or null when nothing is to be answered (notifications, responses, cancelled requests).
  // `auth`: who sent it, when the transport checked a token (handlers see it in Context::auth).
  Task<json::value> handle(json::value payload, std::shared_ptr<MessageSink> related,
                           std::shared_ptr<const AuthInfo> auth = nullptr);

  // The stream for messages not related to a request (list_changed, resource updates). May be
  // null (messages are then dropped).
  void set_standalone_sink(std::shared_ptr<MessageSink> sink);
  bool has_standalone_sink() const;
  // Sends on the standalone sink; false when there is none.
  bool send_standalone(const json::value& message);

  const std::string& id() const { return id_; }
  std::string protocol_version() const;
  bool initialized() const { return initialized_.load(); }
  // True once an initialize request has been answered successfully.
  bool negotiated() const { return negotiated_.load(); }
  std::chrono::steady_clock::time_point last_activity() const;

  // Ends the session: cancels in-flight handlers, fails pending requests to the client.
  void close();
  bool closed() const { return closed_.load(); }
  // The client can no longer answer (its input ended): fails pending requests to it, but lets
  // in-flight handlers finish and answer.
  void fail_client_requests(std::string_view why);

  // Server-side events (ChangeListener).
  void on_list_changed(std::string_view what) override;
  void on_resource_updated(std::string_view uri) override;
  void on_server_closing() override { close(); }

  // Used by the request context.
  struct InFlight;
  Task<json::value> request_client(InFlight& req, std::shared_ptr<MessageSink> sink,
                                   std::string method, json::object params);
  bool log_enabled(LogLevel level) const;
  std::shared_ptr<const json::object> client_capabilities() const;
  std::shared_ptr<const json::object> client_info() const;

 private:
  ServerSession(std::shared_ptr<Server::Impl> server, std::string id);

  Task<json::value> handle_one(json::value msg, const std::shared_ptr<MessageSink>& related,
                               bool in_batch, const std::shared_ptr<const AuthInfo>& auth);
  Task<json::value> handle_stateless(const jsonrpc::Message& m,
                                     const std::shared_ptr<MessageSink>& related,
                                     const std::shared_ptr<const AuthInfo>& auth);
  Task<json::value> dispatch(const jsonrpc::Message& m, std::shared_ptr<InFlight> req,
                             const std::shared_ptr<MessageSink>& related);
  void touch();

  // Methods.
  json::value on_initialize(const json::object& params);
  json::value on_set_level(const json::object& params);
  json::value on_subscribe(const json::object& params, bool subscribe);
  void on_cancelled(const json::object& params);

  std::shared_ptr<Server::Impl> server_;
  const std::string id_;

  mutable std::mutex mu_;
  std::string version_;
  std::shared_ptr<const json::object> client_caps_ = std::make_shared<const json::object>();
  std::shared_ptr<const json::object> client_info_ = std::make_shared<const json::object>();
  LogLevel log_level_ = LogLevel::kDebug;
  std::set<std::string, std::less<>> subscriptions_;
  std::map<std::string, std::shared_ptr<InFlight>, std::less<>> in_flight_;
  std::shared_ptr<MessageSink> standalone_;
  std::chrono::steady_clock::time_point last_activity_;

  std::atomic<bool> negotiated_{false};
  std::atomic<bool> initialized_{false};
  std::atomic<bool> closed_{false};
  jsonrpc::OutgoingRequests outgoing_;
};

}  // namespace mcpp
