// The chat engine: one state machine per conversation. A user message goes to the model
// (streamed); the tool calls it proposes are checked (known tool, JSON arguments that fit the
// tool's schema), classified (read or write), passed through the read-only mode, the policy, the
// decisions remembered for the conversation and, when still undecided, the person; the calls that
// may run go to the connector's Client and their results back to the model, until it answers
// without tools or the step limit is reached. Every step is a ChatEvent; the front-end (terminal,
// web console) answers with commands. UI-independent.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "host/approvals.hpp"
#include "host/chat_events.hpp"
#include "host/conversation_log.hpp"
#include "host/model_client.hpp"
#include "host/tool_names.hpp"
#include "mcpp/client.hpp"

namespace mcpp::host {

// One tool of a connector as the engine offers it.
struct ConnectorTool {
  ToolInfo info;
  bool enabled = true;
  // The definition matches the one pinned (false: changed since accepted; it counts as a write
  // and decisions remembered for it no longer apply until it is accepted again).
  bool accepted = true;
  std::string definition_hash;  // remembered decisions are tied to it
  std::string diff;             // when not accepted: what changed, shown with the question
};

// One connected connector of a conversation.
struct ChatConnector {
  std::string name;
  bool trusted = true;           // false: its annotations are ignored (every tool is a write)
  bool use_instructions = true;  // its server's instructions go into the system prompt
  Client* client = nullptr;  // connected; owned elsewhere (the ConnectorPool), outlives the turn
  std::vector<ConnectorTool> tools;
};

// The model, as the engine calls it (ModelClient::complete, or a fake in tests).
using ModelCall = std::function<Task<ModelReply>(ModelRequest, ModelTextHandler, std::stop_token,
                                                 ModelRetryHandler)>;
// What the engine works with. `connectors` is asked at each step (tool lists change on
// list_changed); `policy` may be empty (no rules).
struct ChatServices {
  ModelCall model;
  std::function<std::vector<ChatConnector>()> connectors;
  std::function<PolicyDecision(const QualifiedTool&)> policy;
  std::shared_ptr<ConversationLog> log;  // empty: a MemoryConversationLog
};

struct ChatEngineOptions {
  int max_steps = 10;  // model calls per user message
  std::string system_prompt =
      "You are a helpful assistant. You can call tools of the connectors the person added. "
      "Some calls need the person's approval; when one is declined, do not retry it.";
  std::optional<double> temperature;
  std::string model_name = "host-model";  // the "model" of sampling results
};

// How a turn ended: "done", "step_limit", "cancelled" or "error" (the model failed).
struct TurnOutcome {
  std::string outcome;
  int steps = 0;
  std::string error;  // when outcome is "error"
};

// Threading: the engine, its Clients and the model run on one single-threaded executor (one
// io_context run by one thread). Events are delivered on it. The command methods (answer_*,
// cancel, set_readonly, send) may be called from any thread; they post to the executor.
class ChatEngine {
 public:
  using EventSink = std::function<void(const ChatEvent&)>;

  ChatEngine(boost::asio::any_io_executor executor, ChatServices services,
             ChatEngineOptions options, EventSink sink);
  ~ChatEngine();
  ChatEngine(const ChatEngine&) = delete;
  ChatEngine& operator=(const ChatEngine&) = delete;

  // Starts a conversation (recorded in the log; its title, connectors and read-only flag from
  // `info`) and returns its id.
  std::string start(Conversation info);
  // Continues a conversation of the log: its messages and remembered decisions are loaded.
  // Throws std::invalid_argument when the log has no such conversation.
  void resume(const std::string& conversation);

  // Runs one user turn to its end. The text may start with "/connector:prompt args" (the
  // prompt's messages are used) and may attach resources with "@connector:uri". Call on the
  // executor; one turn per conversation at a time.
  Task<TurnOutcome> run_turn(std::string conversation, std::string user_text);
  // Starts run_turn on the executor; its end is the turn_done event.
  void send(std::string conversation, std::string user_text);

  // ---- commands from the front-end (any thread) ----
  void answer_approval(std::string conversation, std::string call_id, ApprovalChoice choice);
  // `request_id` of an elicitation_request event.
  void answer_elicitation(std::string conversation, std::string request_id,
                          ElicitationResponse response);
  // `request_id` of a sampling_request event: approve runs it on the model.
  void answer_sampling(std::string conversation, std::string request_id, bool approve);
  // Stops the running turn: the model's answer, or the running tool call (the server gets
  // notifications/cancelled), or a question waiting for an answer (as a denial).
  void cancel(std::string conversation);
  void set_readonly(std::string conversation, bool readonly);
  bool readonly(const std::string& conversation) const;

  // Handlers for each connector's Client (install before connect): a server's elicitation and
  // sampling requests become events of the conversation whose turn is running.
  ElicitationHandler elicitation_handler(std::string connector);
  SamplingHandler sampling_handler(std::string connector);

  // The tools offered to the model in the next request of `conversation` (model-facing names).
  std::vector<ToolSpec> offered_tools(const std::string& conversation);

  class State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mcpp::host
