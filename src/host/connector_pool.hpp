// A pool of connected connectors: each ConnectorSpec becomes an mcpp::Client (stdio with env/cwd,
// or HTTP with transport, headers and OAuth; `env:NAME` secrets resolved at connect time), all
// connected in parallel. Per connector it keeps a status (connected / needs sign-in / error with
// the reason / disabled), the server's instructions and its tools, resources and prompts; it
// follows notifications/tools/list_changed by listing again, syncing the host store and reporting
// the ToolDiff. One connector failing leaves the others working. No chat concerns: the gateway
// reuses it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "host/host_store.hpp"
#include "host/tool_pins.hpp"
#include "mcpp/client.hpp"

namespace mcpp::host {

enum class ConnectorState {
  kDisabled,     // not enabled in the store
  kConnecting,   // connect() is under way
  kConnected,    // ready
  kNeedsSignIn,  // the server wants OAuth and no usable token is stored
  kError,        // see ConnectorStatus::reason
};
// "disabled", "connecting", "connected", "needs sign-in", "error".
std::string_view to_string(ConnectorState state);

struct ConnectorStatus {
  std::string name;
  ConnectorState state = ConnectorState::kConnecting;
  std::string reason;             // kError / kNeedsSignIn: what went wrong, for a person
  std::string instructions;       // the server's instructions ("" for none)
  bool use_instructions = false;  // the spec says to give them to the model
  json::object server_info;
  std::vector<ToolInfo> tools;  // listed and valid (malformed ones skipped with a warning)
  std::vector<ResourceInfo> resources;
  std::vector<PromptInfo> prompts;
  std::vector<std::string> warnings;  // skipped tools, listings that failed, ...
  std::chrono::milliseconds connect_time{0};
  json::object to_json() const;  // without the tool/resource/prompt lists' raw objects
};

// Handlers installed on each connector's Client before it connects; each gets the connector's
// name. Unset ones are not declared to the server.
struct ConnectorHandlers {
  std::function<Task<ElicitationResponse>(const std::string& connector, const ElicitationRequest&)>
      elicitation;
  bool elicitation_url_mode = false;
  std::function<Task<json::object>(const std::string& connector, const json::object& params)>
      sampling;
  std::vector<Root> roots;  // declared when not empty
  std::function<void(const std::string& connector, const LogMessage&)> on_log;
  // notifications/{resources,prompts}/list_changed ("resources" or "prompts"; tools are followed
  // by the pool itself and reported through ConnectorPoolOptions::on_tools_changed).
  std::function<void(const std::string& connector, std::string_view what)> on_list_changed;
};

struct ConnectorPoolOptions {
  ClientOptions client;                               // info, era, request timeout...
  std::chrono::milliseconds connect_timeout{30'000};  // per connector, including the listings
  // A connector listing more tools than this is an error (a server gone wrong, or one that would
  // flood the model's context).
  std::size_t max_tools = 500;
  // Supplies the HttpAuthProvider of a connector with auth "oauth" (a front-end that can show a
  // sign-in page). Unset: an OAuthClient over the token file next to the store that never asks
  // the person; a connector without a usable token is then "needs sign-in".
  std::function<std::shared_ptr<HttpAuthProvider>(const ConnectorSpec&)> oauth;
  // For tests: trust this CA / accept any certificate.
  std::string ca_file;
  bool verify_tls = true;
  // Called with each status change (connecting, connected, error...).
  std::function<void(const ConnectorStatus&)> on_status;
  // Called when a listing (at connect, or after notifications/tools/list_changed) synced the
  // store and something changed.
  std::function<void(const ToolDiff&)> on_tools_changed;
  // Warnings (a malformed tool skipped, a listing that failed), with the connector's name.
  std::function<void(const std::string& connector, std::string_view warning)> on_warning;
  // How long a stdio server gets to exit after its stdin is closed, then after SIGTERM (the
  // client's default, 2 s each, makes quitting slow while a server is busy).
  std::chrono::milliseconds stdio_shutdown_grace{500};
  // A stdio server's stderr lines. Unset: kept and quoted in the error when it exits.
  std::function<void(const std::string& connector, std::string_view line)> on_stderr;
};

// Threading: use it from coroutines on one executor (a single-threaded io_context); callbacks run
// there. Destroy it there too, or after the io_context stopped; close() ends the connections
// gracefully.
class ConnectorPool {
 public:
  ConnectorPool(boost::asio::any_io_executor executor, HostStore& store,
                ConnectorPoolOptions options = {}, ConnectorHandlers handlers = {});
  ~ConnectorPool();
  ConnectorPool(const ConnectorPool&) = delete;
  ConnectorPool& operator=(const ConnectorPool&) = delete;

  // Connects these connectors (disabled ones only get the kDisabled status) in parallel and
  // returns when each is connected or failed; never throws for one connector's failure. On
  // success each connector's tools are listed and synced into the store (the ToolDiff goes to
  // on_tools_changed when not empty), then its resources and prompts when the server has them.
  // Connecting a name again replaces its connection.
  Task<void> connect(std::vector<ConnectorSpec> specs);
  // The store's connectors by name (every enabled one when `names` is empty). Throws
  // HostStoreError for an unknown name.
  Task<void> connect_named(std::vector<std::string> names);

  // The status of one connector, or null when the pool has not seen it.
  const ConnectorStatus* status(std::string_view name) const;
  std::vector<ConnectorStatus> statuses() const;  // by name
  // The Client of a connected connector, or null.
  Client* client(std::string_view name);

  // Lists the connector's tools again, syncs the store and returns the diff (also reported to
  // on_tools_changed when not empty). Throws HostStoreError when it is not connected, and what
  // the Client throws.
  Task<ToolDiff> refresh(std::string name);

  // Calls a tool of a connected connector. Throws HostStoreError when the connector is not
  // connected, and what the Client throws.
  Task<CallToolResult> call_tool(std::string connector, std::string tool, json::object arguments,
                                 RequestOptions options = {});

  // Closes every connection (stdio servers are ended).
  Task<void> close();

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// The Client target of a spec, secrets resolved (throws HostStoreError naming a missing env
// variable). For stdio the env is merged over the inherited one.
StdioTarget stdio_target_of(const ConnectorSpec& spec);
HttpTarget http_target_of(const ConnectorSpec& spec);

}  // namespace mcpp::host
