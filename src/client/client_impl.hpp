// Client::Impl: the state of one client session, shared by client.cpp (handshake, requests,
// dispatch) and client_api.cpp (the public methods and typed results).
#pragma once

#include <atomic>
#include <boost/asio/strand.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "client/request_headers.hpp"
#include "client/transport.hpp"
#include "jsonrpc/outgoing.hpp"
#include "mcpp/client.hpp"

namespace mcpp {

class Client::Impl : public std::enable_shared_from_this<Client::Impl> {
 public:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;
  // The handlers of one request for the server requests that belong to it (RequestOptions).
  struct ScopedHandlers {
    ElicitationHandler elicitation;
    SamplingHandler sampling;
    std::optional<std::vector<Root>> roots;
    static std::shared_ptr<const ScopedHandlers> of(const RequestOptions& options);
  };

  Impl(boost::asio::any_io_executor ex, ClientOptions options);
  ~Impl();

  // All of these run on strand_.
  Task<void> connect_stdio(StdioTarget target);
  Task<void> connect_http(HttpTarget target);
  Task<void> connect_connection(std::shared_ptr<Connection> connection);
  Task<void> close();
  // Sends a request and waits for its answer. Throws RpcError (the server's error, or a timeout
  // or cancellation with mcpp's codes) or TransportError.
  Task<json::value> request(std::string method, json::object params, RequestOptions options,
                            bool may_reinitialize = true);
  // Stateless era: tools/list once, when call_tool comes before any list_tools, so the client
  // knows the x-mcp-header parameters it must mirror.
  Task<void> learn_tools();
  // The tools of a tools/list page the client keeps (stateless HTTP: without the ones whose
  // x-mcp-header annotations are invalid, with a warning) and their Mcp-Param headers.
  json::array keep_valid_tools(const json::array& tools);
  // Stateless era: (re)opens the subscriptions/listen stream for the handlers and resource
  // subscriptions there are, or closes it when there are none.
  void update_listen();
  // Stateless era: resource subscriptions (carried by subscriptions/listen).
  std::set<std::string> subscribed_;
  std::string log_level_;   // stateless era: io.modelcontextprotocol/logLevel
  bool stateless_ = false;  // the era spoken (strand only)
  Task<void> notify(std::string method, json::object params);
  // Every item of a paginated list (following nextCursor).
  Task<json::array> list_all(std::string method, std::string field, RequestOptions options);

  const Strand& strand() const { return strand_; }

  // Handlers, set from any thread (before connect, normally); guarded by mu_.
  mutable std::mutex mu_;
  SamplingHandler sampling_;
  ElicitationHandler elicitation_;
  bool elicitation_url_ = false;
  std::optional<std::vector<Root>> roots_;
  std::function<void(const LogMessage&)> log_handler_;
  std::function<void(std::string_view)> list_changed_handler_;
  std::function<void(std::string_view)> resource_updated_handler_;
  std::map<std::string, std::function<void(const json::object&)>, std::less<>>
      notification_handlers_;
  std::function<void(std::string_view)> disconnect_handler_;

  // Session state (strand only, except where noted).
  InitializeResult server_;
  std::atomic<bool> connected_{false};  // read from any thread
  std::unique_ptr<ClientTransport> transport_;

 private:
  Task<void> start_or_drop();
  Task<void> start_and_handshake();
  Task<void> handshake();
  Task<void> reinitialize();
  json::object capabilities(const ScopedHandlers* scoped = nullptr) const;

  void on_message(json::value message, const json::value& related_request);
  // The per-request handlers a server request belongs to (null: the client-wide ones); the rule
  // is documented at RequestOptions.
  std::shared_ptr<const ScopedHandlers> owner_of(const jsonrpc::Message& request,
                                                 const json::value& related_request) const;
  void on_notification(const jsonrpc::Message& m);
  void on_lost(const json::value& id, const TransportError& error);
  void on_closed(const TransportError& error);
  static Task<void> serve_request(std::shared_ptr<Impl> self, jsonrpc::Message m,
                                  std::shared_ptr<const ScopedHandlers> scoped);
  // A server request (elicitation/create, sampling/createMessage, roots/list, ping) answered by
  // the handlers: either era (a stateful request, or an input request of input_required).
  Task<json::value> answer_request(const std::string& method, const json::object& params,
                                   std::stop_token stop, const ScopedHandlers* scoped);

  // ---- stateless era ----
  Task<json::value> send_request(std::string method, json::object params, RequestOptions options,
                                 bool may_reinitialize,
                                 std::vector<std::pair<std::string, std::string>> headers);
  Task<json::value> stateless_request(std::string method, json::object params,
                                      RequestOptions options);
  json::object request_meta(const ScopedHandlers* scoped) const;
  // server/discover; fills server_. Throws RpcError / TransportError.
  Task<void> discover();
  // Decides the era: stateless when the server answers server/discover (or with a modern
  // error), else initialize.
  Task<void> negotiate_era();
  // Picks the revision to retry with from an UnsupportedProtocolVersion error; false when the
  // server supports no stateless revision mcpp speaks.
  bool choose_version(const RpcError& e);
  static Task<void> listen(std::shared_ptr<Impl> self, json::object filter,
                           std::shared_ptr<std::stop_source> stop);
  std::string era_key_;  // per-URL / per-command cache key of the era
  std::string version_;  // stateless: the revision spoken
  std::map<std::string, std::vector<ParamHeader>> tool_headers_;  // by tool name
  bool tools_known_ = false;
  std::shared_ptr<std::stop_source> listen_stop_;
  json::object listen_filter_;
  bool open_listen_ = true;                 // HttpTarget::open_event_stream
  std::shared_ptr<HttpAuthProvider> auth_;  // HttpTarget::auth
  // Waits for the answer to request `id`; the time the auth provider spends waiting on the user
  // does not count against `timeout`.
  Task<json::value> await_answer(std::shared_ptr<jsonrpc::OutgoingRequests::Slot> slot,
                                 json::value id, std::chrono::milliseconds timeout);
  Task<void> send_cancelled(json::value id, std::string reason);

  Strand strand_;
  ClientOptions options_;
  jsonrpc::OutgoingRequests outgoing_;  // thread-safe
  bool closing_ = false;
  std::optional<TransportError> lost_;               // why the connection ended on its own
  std::map<std::string, ProgressHandler> progress_;  // by progress token
  std::map<std::string, TransportError> failures_;   // requests the transport lost
  std::map<std::string, std::shared_ptr<std::stop_source>> incoming_;  // server requests
  // Outstanding requests with per-request handlers (stateful era), by id key; their progress
  // tokens are their ids.
  std::map<std::string, std::shared_ptr<const ScopedHandlers>> scoped_;
};

// JSON to typed results (client_api.cpp).
ToolInfo tool_info_from(const json::object& o);
ResourceInfo resource_info_from(const json::object& o);
ResourceTemplateInfo resource_template_info_from(const json::object& o);
PromptInfo prompt_info_from(const json::object& o);

}  // namespace mcpp
