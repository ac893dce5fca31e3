// ChatEngine: the per-conversation state machine (model → proposed calls → checks → approval →
// the call → the result back to the model), its commands and the server-to-host requests.
#include "host/chat_engine.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "host/tool_result_text.hpp"
#include "host/user_input.hpp"
#include "protocol/json_schema.hpp"

namespace mcpp::host {
namespace asio = boost::asio;

namespace {

// A value some command will supply later; wait() suspends until set() (same executor).
template <class T>
class Pending {
 public:
  explicit Pending(asio::any_io_executor ex) : timer_(ex, asio::steady_timer::time_point::max()) {}
  Task<T> wait() {
    while (!value_) {
      boost::system::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::move(*value_);
  }
  void set(T value) {
    if (value_) return;
    value_ = std::move(value);
    timer_.cancel();
  }
  bool done() const { return value_.has_value(); }

 private:
  asio::steady_timer timer_;
  std::optional<T> value_;
};

struct Approval {
  ApprovalChoice choice;
  bool cancelled = false;
};

struct ConversationState {
  std::string id;
  std::vector<ChatMessage> history;
  bool readonly = false;
  ToolNameMap names;
  bool busy = false;
  std::shared_ptr<std::stop_source> stop;  // of the running turn
  std::map<std::string, std::shared_ptr<Pending<Approval>>> approvals;
  std::map<std::string, std::shared_ptr<Pending<ElicitationResponse>>> elicitations;
  std::map<std::string, std::shared_ptr<Pending<bool>>> samplings;
};

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

json::object parameters_of(const ToolInfo& info) {
  json::object parameters = info.input_schema;
  if (!parameters.contains("type")) parameters["type"] = "object";
  if (!parameters.contains("properties")) parameters["properties"] = json::object();
  return parameters;
}

json::object call_fields(const ChatToolCall& call, const QualifiedTool& tool) {
  return {{"call_id", call.id}, {"connector", tool.connector}, {"tool", tool.tool}};
}

}  // namespace

class ChatEngine::State : public std::enable_shared_from_this<ChatEngine::State> {
 public:
  State(asio::any_io_executor ex, ChatServices services, ChatEngineOptions options, EventSink sink)
      : ex_(std::move(ex)),
        services_(std::move(services)),
        options_(std::move(options)),
        sink_(std::move(sink)) {
    if (!services_.log) services_.log = std::make_shared<MemoryConversationLog>();
  }

  asio::any_io_executor ex_;
  ChatServices services_;
  ChatEngineOptions options_;
  EventSink sink_;
  std::map<std::string, ConversationState> conversations_;
  std::string active_;  // the conversation whose turn runs (server requests go to it)
  int next_request_ = 1;
  std::map<std::string, schema::Validator> validators_;

  void emit(ChatEvent event) {
    if (sink_) sink_(event);
  }
  void emit(std::string_view type, const std::string& conversation, json::object data) {
    emit(ChatEvent{std::string(type), conversation, std::move(data)});
  }

  ConversationState& conversation(const std::string& id) {
    auto it = conversations_.find(id);
    if (it == conversations_.end()) throw std::invalid_argument("no conversation " + id);
    return it->second;
  }
  ConversationState* find_conversation(const std::string& id) {
    auto it = conversations_.find(id);
    return it == conversations_.end() ? nullptr : &it->second;
  }

  std::vector<ChatConnector> connectors() {
    return services_.connectors ? services_.connectors() : std::vector<ChatConnector>{};
  }

  PolicyDecision policy(const QualifiedTool& tool) {
    return services_.policy ? services_.policy(tool) : PolicyDecision{};
  }

  void add_message(ConversationState& c, ChatMessage message) {
    services_.log->add_message(c.id, message);
    c.history.push_back(std::move(message));
  }

  std::string system_prompt(const ConversationState& c, const std::vector<ChatConnector>& all) {
    std::string prompt = options_.system_prompt;
    if (c.readonly) {
      prompt += "\n\nThis conversation is read-only: only tools that change nothing are offered.";
    }
    for (const auto& connector : all) {
      if (!connector.use_instructions || !connector.client) continue;
      const std::string& instructions = connector.client->server().instructions;
      if (instructions.empty()) continue;
      prompt +=
          "\n\n## Instructions from the connector \"" + connector.name + "\"\n" + instructions;
    }
    return prompt;
  }

  // The tools offered in the next request; fills the conversation's name map.
  std::vector<ToolSpec> offered(ConversationState& c, const std::vector<ChatConnector>& all) {
    c.names.clear();
    std::vector<ToolSpec> specs;
    for (const auto& connector : all) {
      for (const auto& tool : connector.tools) {
        if (!tool.enabled) continue;
        if (c.readonly &&
            !classify_tool(tool.info.annotations, connector.trusted, tool.accepted).read) {
          continue;
        }
        ToolSpec spec;
        spec.name = c.names.add({connector.name, tool.info.name});
        spec.description = tool.info.description.empty() ? tool.info.title : tool.info.description;
        spec.parameters = parameters_of(tool.info);
        specs.push_back(std::move(spec));
      }
    }
    return specs;
  }

  const schema::Validator& validator(const QualifiedTool& id, const ConnectorTool& tool) {
    std::string key = id.connector + '\n' + id.tool + '\n' +
                      (tool.definition_hash.empty() ? json::serialize(tool.info.input_schema)
                                                    : tool.definition_hash);
    auto it = validators_.find(key);
    if (it == validators_.end()) {
      it = validators_.emplace(key, schema::Validator::compile(parameters_of(tool.info))).first;
    }
    return it->second;
  }

  // A turn: its bookkeeping, and the turn_done event however it ends.
  Task<TurnOutcome> run_turn(std::string id, std::string text);
  // The steps of a turn: the user's input, then model and tool calls until the model answers.
  Task<TurnOutcome> turn_steps(ConversationState& c, std::string text);
  Task<std::string> run_call(ConversationState& c, const std::vector<ChatConnector>& all,
                             const ChatToolCall& call);
  Task<ElicitationResponse> elicit(std::string connector, ElicitationRequest request);
  Task<json::object> sample(std::string connector, json::object params);
};

namespace {

// Finishes a turn's bookkeeping however the coroutine ends.
struct TurnScope {
  ChatEngine::State* state;
  ConversationState* c;
  ~TurnScope() {
    c->busy = false;
    c->stop.reset();
    if (state->active_ == c->id) state->active_.clear();
  }
};

}  // namespace

Task<TurnOutcome> ChatEngine::State::run_turn(std::string id, std::string text) {
  auto self = shared_from_this();
  TurnOutcome outcome;
  ConversationState* found = find_conversation(id);
  if (!found || found->busy) {
    outcome.outcome = "error";
    outcome.error = found ? "a turn is already running in this conversation; wait or cancel it"
                          : "no conversation " + id;
    emit(error_event(id, outcome.error));
    emit(event_type::kTurnDone, id,
         {{"outcome", outcome.outcome}, {"steps", 0}, {"error", outcome.error}});
    co_return outcome;
  }
  ConversationState& c = *found;
  c.busy = true;
  c.stop = std::make_shared<std::stop_source>();
  active_ = id;
  TurnScope scope{this, &c};
  std::string unexpected;
  try {
    outcome = co_await turn_steps(c, std::move(text));
  } catch (const std::exception& e) {
    unexpected = e.what();
  }
  if (!unexpected.empty()) {
    outcome.outcome = "error";
    outcome.error = unexpected;
    emit(error_event(id, "the turn failed: " + unexpected));
  }
  json::object done{{"outcome", outcome.outcome}, {"steps", outcome.steps}};
  if (!outcome.error.empty()) done["error"] = outcome.error;
  emit(event_type::kTurnDone, id, std::move(done));
  co_return outcome;
}

Task<TurnOutcome> ChatEngine::State::turn_steps(ConversationState& c, std::string text) {
  auto self = shared_from_this();
  const std::string id = c.id;
  TurnOutcome outcome;
  auto stop = c.stop;
  std::string failure;
  std::vector<ChatMessage> input;
  try {
    input = co_await expand_user_input(text, connectors());
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    emit(error_event(id, failure));
    outcome.outcome = "error";
    outcome.error = failure;
    co_return outcome;
  }
  for (auto& message : input) add_message(c, std::move(message));

  while (true) {
    if (outcome.steps >= options_.max_steps) {
      outcome.outcome = "step_limit";
      emit(notice_event(id, "stopped after " + std::to_string(options_.max_steps) +
                                " model steps (the step limit of one message; --max-steps)"));
      break;
    }
    std::vector<ChatConnector> all = connectors();
    ModelRequest request;
    request.temperature = options_.temperature;
    request.tools = offered(c, all);
    request.messages.push_back({"system", system_prompt(c, all), {}, {}});
    request.messages.insert(request.messages.end(), c.history.begin(), c.history.end());

    std::string streamed;
    ModelReply reply;
    bool cancelled = false;
    try {
      reply = co_await services_.model(
          std::move(request),
          [this, &streamed, &id](std::string_view piece) {
            if (piece.empty()) return;
            streamed += piece;
            emit(text_delta_event(id, piece));
          },
          stop->get_token(),
          [this, &id](const ModelError& error, std::chrono::milliseconds wait) {
            emit(notice_event(id, std::string("the model answered: ") + error.what() +
                                      "; trying again in " + std::to_string(wait.count()) + " ms"));
          });
    } catch (const ModelError& e) {
      if (e.kind() == ModelError::Kind::kCancelled || stop->stop_requested()) {
        cancelled = true;
      } else {
        failure = e.what();
        json::object data{{"message", std::string("the model failed: ") + e.what()},
                          {"kind", model_error_kind_name(e.kind())}};
        if (e.http_status()) data["http_status"] = e.http_status();
        emit(event_type::kError, id, std::move(data));
      }
    } catch (const std::exception& e) {
      failure = e.what();
      emit(error_event(id, std::string("the model failed: ") + e.what()));
    }
    if (cancelled) {
      if (!streamed.empty()) add_message(c, {"assistant", streamed, {}, {}});
      outcome.outcome = "cancelled";
      break;
    }
    if (!failure.empty()) {
      outcome.outcome = "error";
      outcome.error = failure;
      break;
    }
    ++outcome.steps;
    add_message(c, {"assistant", reply.content, reply.tool_calls, {}});
    if (reply.tool_calls.empty()) {
      outcome.outcome = "done";
      break;
    }
    for (const auto& call : reply.tool_calls) {
      std::string result;
      if (stop->stop_requested()) {
        result = "Not run: the person cancelled this turn.";
      } else {
        result = co_await run_call(c, all, call);
      }
      add_message(c, {"tool", std::move(result), {}, call.id});
    }
    if (stop->stop_requested()) {
      outcome.outcome = "cancelled";
      break;
    }
  }
  co_return outcome;
}

Task<std::string> ChatEngine::State::run_call(ConversationState& c,
                                              const std::vector<ChatConnector>& all,
                                              const ChatToolCall& call) {
  auto self = shared_from_this();
  ToolCallRecord record;
  record.conversation = c.id;
  record.arguments = call.arguments;
  auto finish = [&](json::object data) {
    data["call_id"] = call.id;
    data["connector"] = record.connector;
    data["tool"] = record.tool;
    data["is_error"] = record.is_error;
    data["text"] = record.result;
    data["decision"] = record.decision;
    data["decided_by"] = record.decided_by;
    data["duration_ms"] = record.duration_ms;
    services_.log->add_tool_call(record);
    emit(event_type::kToolResult, c.id, std::move(data));
    return record.result;
  };
  auto invalid = [&](std::string for_person, std::string for_model) {
    record.decision = "invalid";
    record.is_error = true;
    record.result = "Error: " + std::move(for_model);
    emit(error_event(c.id, std::move(for_person)));
    return finish({});
  };

  // Which tool: the name must be one offered in this request.
  std::optional<QualifiedTool> id = c.names.find(call.name);
  const ChatConnector* connector = nullptr;
  const ConnectorTool* tool = nullptr;
  if (id) {
    for (const auto& candidate : all) {
      if (candidate.name != id->connector) continue;
      connector = &candidate;
      for (const auto& t : candidate.tools) {
        if (t.info.name == id->tool) tool = &t;
      }
    }
  }
  if (!id || !connector || !tool || !connector->client) {
    record.tool = call.name;
    std::vector<std::string> names;
    for (const auto& connector_entry : all) {
      for (const auto& t : connector_entry.tools) {
        if (auto n = c.names.name_of({connector_entry.name, t.info.name})) names.push_back(*n);
      }
    }
    co_return invalid("the model called a tool that is not offered: " + call.name,
                      "there is no tool named \"" + call.name + "\". The tools you can call are: " +
                          (names.empty() ? "none" : join(names, ", ")) + ".");
  }
  record.connector = id->connector;
  record.tool = id->tool;
  std::string label = id->connector + "/" + id->tool;

  // The arguments: a JSON object that fits the tool's input schema.
  boost::system::error_code ec;
  json::value parsed = json::parse(call.arguments.empty() ? "{}" : call.arguments, ec);
  if (ec || !parsed.is_object()) {
    co_return invalid("the model sent arguments for " + label + " that are not a JSON object",
                      "the arguments of " + call.name +
                          " must be a JSON object; you sent: " + call.arguments.substr(0, 200));
  }
  std::string schema_error;
  try {
    std::vector<schema::ValidationError> errors;
    if (!validator(*id, *tool).validate(parsed, &errors)) {
      std::vector<std::string> lines;
      for (const auto& e : errors) {
        lines.push_back((e.instance_path.empty() ? "(root)" : e.instance_path) + ": " + e.message);
        if (lines.size() == 5) break;
      }
      schema_error =
          "the arguments do not fit the input schema of " + call.name + ": " + join(lines, "; ");
    }
  } catch (const std::exception& e) {
    co_return invalid(
        "the input schema of " + label + " is malformed (" + e.what() + "); the call was not made",
        "the tool " + call.name + " cannot be called: its input schema is malformed.");
  }
  if (!schema_error.empty()) {
    co_return invalid("the model's arguments for " + label + " were refused: " + schema_error,
                      schema_error + ". Fix the arguments and call it again.");
  }
  json::object arguments = std::move(parsed.get_object());

  // Read or write, and who decides.
  ToolTraits traits = classify_tool(tool->info.annotations, connector->trusted, tool->accepted);
  json::object proposed = call_fields(call, *id);
  proposed["arguments"] = arguments;
  proposed["read"] = traits.read;
  proposed["destructive"] = traits.destructive;
  proposed["open_world"] = traits.open_world;
  proposed["trusted"] = traits.trusted;
  proposed["accepted"] = traits.accepted;
  proposed["annotations"] = tool->info.annotations;
  if (!tool->info.title.empty()) proposed["title"] = tool->info.title;
  emit(event_type::kToolCallProposed, c.id, proposed);

  PolicyDecision policy_answer = policy(*id);
  GateInput input;
  input.traits = traits;
  input.policy = policy_answer.action;
  if (policy_answer.rule) input.policy_rule = policy_answer.rule->text();
  input.remembered = services_.log->remembered(c.id, *id, tool->definition_hash);
  input.readonly_conversation = c.readonly;
  GateDecision decision = gate(input);

  if (decision.action == GateDecision::Action::kAsk) {
    json::object question = proposed;
    if (!tool->accepted && !tool->diff.empty()) question["diff"] = tool->diff;
    auto pending = std::make_shared<Pending<Approval>>(ex_);
    c.approvals[call.id] = pending;
    emit(event_type::kApprovalNeeded, c.id, std::move(question));
    Approval answer = co_await pending->wait();
    c.approvals.erase(call.id);
    if (answer.cancelled) {
      decision = {GateDecision::Action::kRefuse, "cancelled"};
    } else {
      if (remembered(answer.choice)) {
        services_.log->remember(c.id, *id, allows(answer.choice), tool->definition_hash);
      }
      decision.action =
          allows(answer.choice) ? GateDecision::Action::kRun : GateDecision::Action::kRefuse;
      decision.decided_by = "person " + std::string(to_string(answer.choice));
    }
  }
  record.decided_by = decision.decided_by;

  if (decision.action == GateDecision::Action::kRefuse) {
    record.decision = "deny";
    const std::string& by = decision.decided_by;
    if (by.rfind("policy:", 0) == 0) {
      record.result = "The host's policy (" + input.policy_rule + ") does not allow " + label +
                      "; the call was not made.";
    } else if (by == "readonly-mode") {
      record.result = "This conversation is read-only and " + label +
                      " may change something; the call was not made.";
    } else if (by == "cancelled") {
      record.result = "The person cancelled this turn; the call of " + label + " was not made.";
    } else {
      record.result = "The person declined this call of " + label +
                      "; it was not made. Do not try it again unless the person asks.";
    }
    co_return finish({{"declined", true}});
  }

  // The call.
  record.decision = "allow";
  RequestOptions request_options;
  request_options.stop = c.stop ? c.stop->get_token() : std::stop_token{};
  std::string conversation_id = c.id;
  std::string call_id = call.id;
  request_options.on_progress = [this, conversation_id, call_id](const Progress& p) {
    json::object data{{"call_id", call_id}, {"progress", number(p.progress)}};
    if (p.total) data["total"] = number(*p.total);
    if (!p.message.empty()) data["message"] = p.message;
    emit(event_type::kToolProgress, conversation_id, std::move(data));
  };
  auto started = std::chrono::steady_clock::now();
  std::string transport_failure;
  try {
    CallToolResult result =
        co_await connector->client->call_tool(id->tool, std::move(arguments), request_options);
    record.result = tool_result_text(result);
    record.is_error = result.is_error;
  } catch (const RpcError& e) {
    record.is_error = true;
    if (e.error().code == jsonrpc::kRequestCancelled) {
      record.result = "Error: the person cancelled the call of " + label + ".";
    } else {
      record.result = "Error: the server refused the call of " + label + ": " + e.what();
    }
  } catch (const std::exception& e) {
    record.is_error = true;
    transport_failure = e.what();
    record.result = "Error: the connector " + id->connector + " failed: " + transport_failure;
  }
  record.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  if (!transport_failure.empty()) {
    emit(error_event(c.id, "the connector " + id->connector + " failed during " + label + ": " +
                               transport_failure));
  }
  co_return finish({});
}

Task<ElicitationResponse> ChatEngine::State::elicit(std::string connector,
                                                    ElicitationRequest request) {
  auto self = shared_from_this();
  ConversationState* c = find_conversation(active_);
  if (!c) co_return ElicitationResponse::decline();
  std::string request_id = "e" + std::to_string(next_request_++);
  auto pending = std::make_shared<Pending<ElicitationResponse>>(ex_);
  c->elicitations[request_id] = pending;
  json::object data{{"request_id", request_id},
                    {"connector", connector},
                    {"mode", request.mode},
                    {"message", request.message}};
  if (request.mode == "url") {
    data["url"] = request.url;
  } else {
    data["schema"] = request.requested_schema;
  }
  std::stop_callback on_server_cancel(request.stop,
                                      [pending] { pending->set(ElicitationResponse::cancel()); });
  emit(event_type::kElicitationRequest, c->id, std::move(data));
  ElicitationResponse response = co_await pending->wait();
  c->elicitations.erase(request_id);
  co_return response;
}

Task<json::object> ChatEngine::State::sample(std::string connector, json::object params) {
  auto self = shared_from_this();
  ConversationState* c = find_conversation(active_);
  if (!c) throw RpcError(-1, "no conversation is running to approve this sampling request");
  std::string request_id = "s" + std::to_string(next_request_++);
  auto pending = std::make_shared<Pending<bool>>(ex_);
  c->samplings[request_id] = pending;
  ModelRequest request;
  json::array shown;
  if (auto system = find_string(params, "systemPrompt"); !system.empty()) {
    request.messages.push_back({"system", std::string(system), {}, {}});
  }
  if (const json::value* messages = find(params, "messages"); messages && messages->is_array()) {
    for (const auto& m : messages->get_array()) {
      ChatMessage message;
      message.role = find_string(m, "role") == "assistant" ? "assistant" : "user";
      if (const json::value* content = find(m, "content")) {
        if (content->is_object()) {
          message.content = content_block_text(content->get_object());
        } else if (content->is_array()) {
          for (const auto& block : content->get_array()) {
            if (block.is_object()) message.content += content_block_text(block.get_object());
          }
        }
      }
      shown.push_back({{"role", message.role}, {"text", message.content}});
      request.messages.push_back(std::move(message));
    }
  }
  if (const json::value* max = find(params, "maxTokens"); max && max->is_int64()) {
    request.max_tokens = max->get_int64();
  }
  json::object data{{"request_id", request_id}, {"connector", connector}, {"messages", shown}};
  if (auto system = find_string(params, "systemPrompt"); !system.empty()) {
    data["system_prompt"] = system;
  }
  if (request.max_tokens) data["max_tokens"] = *request.max_tokens;
  std::string conversation_id = c->id;
  emit(event_type::kSamplingRequest, conversation_id, std::move(data));
  bool approved = co_await pending->wait();
  c->samplings.erase(request_id);
  if (!approved) throw RpcError(-1, "The person declined the sampling request");
  std::stop_token stop = c->stop ? c->stop->get_token() : std::stop_token{};
  ModelReply reply = co_await services_.model(std::move(request), {}, stop, {});
  emit(notice_event(conversation_id, "sampling for " + connector + " answered by the model"));
  co_return json::object{{"role", "assistant"},
                         {"content", {{"type", "text"}, {"text", reply.content}}},
                         {"model", options_.model_name},
                         {"stopReason", reply.finish_reason == "length" ? "maxTokens" : "endTurn"}};
}

// ---- ChatEngine -------------------------------------------------------------------------------

ChatEngine::ChatEngine(asio::any_io_executor executor, ChatServices services,
                       ChatEngineOptions options, EventSink sink)
    : state_(std::make_shared<State>(std::move(executor), std::move(services), std::move(options),
                                     std::move(sink))) {}

ChatEngine::~ChatEngine() = default;

std::string ChatEngine::start(Conversation info) {
  Conversation created = state_->services_.log->create(info);
  ConversationState& c = state_->conversations_[created.id];
  c.id = created.id;
  c.readonly = created.read_only;
  return created.id;
}

void ChatEngine::resume(const std::string& conversation) {
  Conversation info = state_->services_.log->find(conversation);
  ConversationState& c = state_->conversations_[conversation];
  c.id = conversation;
  c.readonly = info.read_only;
  c.history = state_->services_.log->messages(conversation);
}

Task<TurnOutcome> ChatEngine::run_turn(std::string conversation, std::string user_text) {
  auto state = state_;
  co_return co_await state->run_turn(std::move(conversation), std::move(user_text));
}

void ChatEngine::send(std::string conversation, std::string user_text) {
  auto state = state_;
  asio::co_spawn(
      state->ex_,
      [state, conversation, user_text]() -> Task<void> {
        co_await state->run_turn(conversation, user_text);
      },
      asio::detached);
}

void ChatEngine::answer_approval(std::string conversation, std::string call_id,
                                 ApprovalChoice choice) {
  asio::post(state_->ex_, [state = state_, conversation, call_id, choice] {
    if (auto* c = state->find_conversation(conversation)) {
      if (auto it = c->approvals.find(call_id); it != c->approvals.end()) {
        it->second->set({choice, false});
      }
    }
  });
}

void ChatEngine::answer_elicitation(std::string conversation, std::string request_id,
                                    ElicitationResponse response) {
  asio::post(state_->ex_, [state = state_, conversation, request_id, response] {
    if (auto* c = state->find_conversation(conversation)) {
      if (auto it = c->elicitations.find(request_id); it != c->elicitations.end()) {
        it->second->set(response);
      }
    }
  });
}

void ChatEngine::answer_sampling(std::string conversation, std::string request_id, bool approve) {
  asio::post(state_->ex_, [state = state_, conversation, request_id, approve] {
    if (auto* c = state->find_conversation(conversation)) {
      if (auto it = c->samplings.find(request_id); it != c->samplings.end()) {
        it->second->set(approve);
      }
    }
  });
}

void ChatEngine::cancel(std::string conversation) {
  asio::post(state_->ex_, [state = state_, conversation] {
    auto* c = state->find_conversation(conversation);
    if (!c) return;
    if (c->stop) c->stop->request_stop();
    for (auto& [id, pending] : c->approvals) pending->set({ApprovalChoice::kDenyOnce, true});
    for (auto& [id, pending] : c->elicitations) pending->set(ElicitationResponse::cancel());
    for (auto& [id, pending] : c->samplings) pending->set(false);
  });
}

void ChatEngine::set_readonly(std::string conversation, bool readonly) {
  asio::post(state_->ex_, [state = state_, conversation, readonly] {
    if (auto* c = state->find_conversation(conversation)) c->readonly = readonly;
  });
}

bool ChatEngine::readonly(const std::string& conversation) const {
  auto* c = state_->find_conversation(conversation);
  return c && c->readonly;
}

ElicitationHandler ChatEngine::elicitation_handler(std::string connector) {
  std::weak_ptr<State> weak = state_;
  return [weak, connector](const ElicitationRequest& request) -> Task<ElicitationResponse> {
    auto state = weak.lock();
    if (!state)
      return []() -> Task<ElicitationResponse> { co_return ElicitationResponse::cancel(); }();
    return state->elicit(connector, request);
  };
}

SamplingHandler ChatEngine::sampling_handler(std::string connector) {
  std::weak_ptr<State> weak = state_;
  return [weak, connector](const json::object& params) -> Task<json::object> {
    auto state = weak.lock();
    if (!state) throw RpcError(-1, "the host is shutting down");
    return state->sample(connector, params);
  };
}

std::vector<ToolSpec> ChatEngine::offered_tools(const std::string& conversation) {
  return state_->offered(state_->conversation(conversation), state_->connectors());
}

}  // namespace mcpp::host
