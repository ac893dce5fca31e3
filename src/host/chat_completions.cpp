// The Chat Completions wire format without the network: the request body the model client sends
// and the assembly of a reply from streamed chunks or a whole answer (see model_client.hpp).
#include <algorithm>
#include <utility>

#include "host/model_client.hpp"

namespace mcpp::host {

namespace {

json::object tool_call_json(const ChatToolCall& call) {
  json::object function;
  function["name"] = call.name;
  function["arguments"] = call.arguments.empty() ? std::string("{}") : call.arguments;
  json::object out;
  out["id"] = call.id;
  out["type"] = "function";
  out["function"] = std::move(function);
  return out;
}

json::object message_json(const ChatMessage& m) {
  json::object out;
  out["role"] = m.role;
  if (m.role == "assistant" && !m.tool_calls.empty()) {
    // OpenAI wants content null (not "") beside tool calls when the model said nothing.
    if (m.content.empty()) {
      out["content"] = nullptr;
    } else {
      out["content"] = m.content;
    }
    json::array calls;
    for (const auto& c : m.tool_calls) calls.push_back(tool_call_json(c));
    out["tool_calls"] = std::move(calls);
    return out;
  }
  out["content"] = m.content;
  if (m.role == "tool") out["tool_call_id"] = m.tool_call_id;
  return out;
}

std::int64_t int_member(const json::object& o, std::string_view key) {
  const json::value* v = find(o, key);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return 0;
}

// The message of an {"error": ...} answer: OpenAI's {"error": {"message", "type", "code"}}, or
// Ollama's {"error": "text"}. Empty when `v` holds no error.
std::string error_object_message(const json::value& v) {
  const json::value* err = find(v, "error");
  if (!err || err->is_null()) return {};
  if (err->is_string()) return std::string(err->get_string());
  if (!err->is_object()) return json::serialize(*err);
  std::string message(find_string(*err, "message"));
  if (message.empty()) message = "no message";
  std::string details;
  if (std::string_view type = find_string(*err, "type"); !type.empty()) {
    details = "type " + std::string(type);
  }
  if (const json::value* code = find(*err, "code"); code && !code->is_null()) {
    if (!details.empty()) details += ", ";
    details += "code " + (code->is_string() ? std::string(code->get_string()) : to_string(*code));
  }
  return details.empty() ? message : message + " (" + details + ")";
}

std::optional<ModelUsage> usage_of(const json::value& v) {
  const json::value* u = find(v, "usage");
  if (!u || !u->is_object()) return std::nullopt;
  const json::object& o = u->get_object();
  return ModelUsage{.prompt_tokens = int_member(o, "prompt_tokens"),
                    .completion_tokens = int_member(o, "completion_tokens"),
                    .total_tokens = int_member(o, "total_tokens")};
}

// The text of a "content" member: a string, null, or (some servers) an array of text parts.
std::string content_text(const json::value* content) {
  if (!content) return {};
  if (content->is_string()) return std::string(content->get_string());
  std::string out;
  if (content->is_array()) {
    for (const auto& part : content->get_array()) {
      if (find_string(part, "type") == "text") out += find_string(part, "text");
    }
  }
  return out;
}

// Arguments as text: a string as it is; an object (some servers) serialized.
std::string arguments_text(const json::value* args) {
  if (!args || args->is_null()) return {};
  if (args->is_string()) return std::string(args->get_string());
  return json::serialize(*args);
}

std::string shorten(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...";
}

}  // namespace

json::object chat_completions_body(const ModelConfig& config, const ModelRequest& request) {
  json::object body;
  body["model"] = config.model;
  json::array messages;
  for (const auto& m : request.messages) messages.push_back(message_json(m));
  body["messages"] = std::move(messages);
  if (!request.tools.empty()) {
    json::array tools;
    for (const auto& t : request.tools) {
      json::object function;
      function["name"] = t.name;
      if (!t.description.empty()) function["description"] = t.description;
      json::object parameters = t.parameters;
      if (parameters.empty()) parameters["type"] = "object";
      function["parameters"] = std::move(parameters);
      json::object tool;
      tool["type"] = "function";
      tool["function"] = std::move(function);
      tools.push_back(std::move(tool));
    }
    body["tools"] = std::move(tools);
  }
  if (request.temperature) body["temperature"] = *request.temperature;
  if (request.max_tokens) body["max_tokens"] = *request.max_tokens;
  body["stream"] = true;
  body["stream_options"] = json::object{{"include_usage", true}};
  return body;
}

void ChatReplyAssembler::add_tool_call_delta(const json::object& delta_call, std::size_t position) {
  std::string_view id = find_string(delta_call, "id");
  PendingCall* target = nullptr;
  if (const json::value* index = find(delta_call, "index"); index && index->is_number()) {
    std::int64_t i = int_member(delta_call, "index");
    for (auto& c : calls_) {
      if (c.index == i) target = &c;
    }
    // A different id at a known index is another call sent whole (Ollama numbers each 0).
    if (target && !id.empty() && !target->call.id.empty() && target->call.id != id) {
      target = nullptr;
    } else if (!target) {
      target = &calls_.emplace_back(PendingCall{.index = i, .call = {}});
    }
  } else if (!id.empty()) {
    // No index (some servers send each call whole): a new id is a new call.
    for (auto& c : calls_) {
      if (c.call.id == id) target = &c;
    }
  } else if (!calls_.empty()) {
    target = &calls_.back();  // a fragment without index or id continues the last call
  }
  if (!target) {
    std::int64_t next = static_cast<std::int64_t>(position);
    for (const auto& c : calls_) next = std::max(next, c.index + 1);
    target = &calls_.emplace_back(PendingCall{.index = next, .call = {}});
  }
  ChatToolCall& call = target->call;
  if (call.id.empty() && !id.empty()) call.id = std::string(id);
  const json::value* function = find(delta_call, "function");
  if (function && function->is_object()) {
    std::string_view name = find_string(*function, "name");
    if (call.name.empty()) call.name = std::string(name);
    call.arguments += arguments_text(find(*function, "arguments"));
  }
}

std::string ChatReplyAssembler::add_chunk(const json::value& chunk) {
  if (std::string err = error_object_message(chunk); !err.empty()) {
    throw ModelError(ModelError::Kind::kBadResponse,
                     "the model endpoint reported an error in its answer: " + err);
  }
  if (!chunk.is_object()) {
    throw ModelError(ModelError::Kind::kBadResponse,
                     "the model endpoint sent a stream piece that is not a Chat Completions "
                     "chunk: " +
                         shorten(json::serialize(chunk), 200));
  }
  if (auto usage = usage_of(chunk)) reply_.usage = usage;
  const json::value* choices = find(chunk, "choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return {};
  const json::value& choice = choices->get_array().front();
  if (std::string_view finish = find_string(choice, "finish_reason"); !finish.empty()) {
    reply_.finish_reason = std::string(finish);
  }
  const json::value* delta = find(choice, "delta");
  if (!delta || !delta->is_object()) {
    // A server that streams whole messages instead of deltas.
    delta = find(choice, "message");
    if (!delta || !delta->is_object()) return {};
  }
  std::string text = content_text(find(*delta, "content"));
  reply_.content += text;
  if (const json::value* calls = find(*delta, "tool_calls"); calls && calls->is_array()) {
    std::size_t position = 0;
    for (const auto& c : calls->get_array()) {
      if (c.is_object()) add_tool_call_delta(c.get_object(), position);
      ++position;
    }
  }
  return text;
}

std::string ChatReplyAssembler::add_whole(const json::value& answer) {
  if (std::string err = error_object_message(answer); !err.empty()) {
    throw ModelError(ModelError::Kind::kBadResponse,
                     "the model endpoint answered with an error: " + err);
  }
  const json::value* choices = find(answer, "choices");
  if (!choices || !choices->is_array()) {
    throw ModelError(ModelError::Kind::kBadResponse,
                     "the model endpoint's answer is not a Chat Completions response (no "
                     "\"choices\"): " +
                         shorten(json::serialize(answer), 200));
  }
  if (auto usage = usage_of(answer)) reply_.usage = usage;
  if (choices->get_array().empty()) return {};
  const json::value& choice = choices->get_array().front();
  if (std::string_view finish = find_string(choice, "finish_reason"); !finish.empty()) {
    reply_.finish_reason = std::string(finish);
  }
  const json::value* message = find(choice, "message");
  if (!message || !message->is_object()) return {};
  std::string text = content_text(find(*message, "content"));
  reply_.content += text;
  if (const json::value* calls = find(*message, "tool_calls"); calls && calls->is_array()) {
    std::size_t position = 0;
    for (const auto& c : calls->get_array()) {
      if (!c.is_object()) continue;
      // Whole calls: each is its own call, whatever index it carries.
      json::object whole = c.get_object();
      whole.erase("index");
      if (find_string(whole, "id").empty()) whole["index"] = calls_.size();
      add_tool_call_delta(whole, position++);
    }
  }
  return text;
}

ModelReply ChatReplyAssembler::reply() const {
  ModelReply out = reply_;
  std::vector<PendingCall> calls = calls_;
  std::stable_sort(calls.begin(), calls.end(),
                   [](const PendingCall& a, const PendingCall& b) { return a.index < b.index; });
  for (auto& c : calls) {
    if (c.call.arguments.empty()) c.call.arguments = "{}";
    // A server that sent no id (some local ones): the history needs one to pair the result.
    if (c.call.id.empty()) c.call.id = "call_" + std::to_string(c.index);
    out.tool_calls.push_back(std::move(c.call));
  }
  return out;
}

}  // namespace mcpp::host
