// Prompts ("/connector:prompt args") and attached resources ("@connector:uri") in a person's
// message.
#include "host/user_input.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "host/chat_engine.hpp"
#include "host/tool_result_text.hpp"

namespace mcpp::host {
namespace {

bool known(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Splits on spaces; "double quoted" words keep their spaces (the quotes are dropped).
std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false, any = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && std::isspace(static_cast<unsigned char>(c))) {
      if (any) words.push_back(std::move(word));
      word.clear();
      any = false;
    } else {
      word += c;
      any = true;
    }
  }
  if (any) words.push_back(std::move(word));
  return words;
}

const ChatConnector* connector_named(const std::vector<ChatConnector>& connectors,
                                     std::string_view name) {
  for (const auto& c : connectors) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> names_of(const std::vector<ChatConnector>& connectors) {
  std::vector<std::string> names;
  for (const auto& c : connectors) names.push_back(c.name);
  return names;
}

std::string content_text(const json::value& content) {
  if (content.is_string()) return std::string(content.get_string());
  if (content.is_object()) return content_block_text(content.get_object());
  std::string out;
  if (content.is_array()) {
    for (const auto& block : content.get_array()) {
      std::string piece = content_text(block);
      if (piece.empty()) continue;
      if (!out.empty()) out += "\n";
      out += piece;
    }
  }
  return out;
}

Task<std::vector<ChatMessage>> prompt_messages(const PromptReference& ref,
                                               const ChatConnector& connector) {
  std::vector<PromptInfo> prompts = co_await connector.client->list_prompts();
  auto it = std::find_if(prompts.begin(), prompts.end(),
                         [&](const PromptInfo& p) { return p.name == ref.prompt; });
  if (it == prompts.end()) {
    std::string names;
    for (const auto& p : prompts) names += (names.empty() ? "" : ", ") + p.name;
    throw std::invalid_argument("connector " + ref.connector + " has no prompt \"" + ref.prompt +
                                "\" (its prompts: " + (names.empty() ? "none" : names) + ")");
  }
  std::map<std::string, std::string> arguments = ref.arguments;
  if (!ref.rest.empty()) {
    for (const auto& argument : it->arguments) {
      if (!arguments.count(argument.name)) {
        arguments[argument.name] = ref.rest;
        break;
      }
    }
  }
  for (const auto& argument : it->arguments) {
    if (argument.required && !arguments.count(argument.name)) {
      throw std::invalid_argument("prompt " + ref.connector + ":" + ref.prompt +
                                  " needs the argument " + argument.name + " (write " +
                                  argument.name + "=VALUE)");
    }
  }
  GetPromptResult result = co_await connector.client->get_prompt(ref.prompt, arguments);
  std::vector<ChatMessage> messages;
  for (const auto& m : result.messages) {
    if (!m.is_object()) continue;
    ChatMessage message;
    message.role = find_string(m, "role") == "assistant" ? "assistant" : "user";
    if (const json::value* content = find(m, "content")) message.content = content_text(*content);
    messages.push_back(std::move(message));
  }
  if (messages.empty()) {
    throw std::invalid_argument("prompt " + ref.connector + ":" + ref.prompt + " has no messages");
  }
  co_return messages;
}

}  // namespace

std::optional<PromptReference> parse_prompt_reference(std::string_view text,
                                                      const std::vector<std::string>& connectors) {
  if (text.empty() || text.front() != '/') return std::nullopt;
  std::size_t end = text.find_first_of(" \t\n");
  std::string_view head = text.substr(1, end == std::string_view::npos ? text.npos : end - 1);
  std::size_t colon = head.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == head.size()) {
    return std::nullopt;
  }
  if (!known(connectors, head.substr(0, colon))) return std::nullopt;
  PromptReference ref;
  ref.connector = std::string(head.substr(0, colon));
  ref.prompt = std::string(head.substr(colon + 1));
  if (end == std::string_view::npos) return ref;
  for (auto& word : split_words(text.substr(end))) {
    std::size_t eq = word.find('=');
    if (eq != std::string::npos && eq > 0) {
      ref.arguments[word.substr(0, eq)] = word.substr(eq + 1);
    } else {
      ref.rest += (ref.rest.empty() ? "" : " ") + word;
    }
  }
  return ref;
}

std::vector<ResourceReference> find_resource_references(
    std::string_view text, const std::vector<std::string>& connectors) {
  std::vector<ResourceReference> refs;
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    if (at > 0 && !std::isspace(static_cast<unsigned char>(text[at - 1]))) continue;
    std::size_t end = text.find_first_of(" \t\n", at);
    std::string_view word =
        text.substr(at + 1, end == std::string_view::npos ? text.npos : end - at - 1);
    std::size_t colon = word.find(':');
    if (colon == std::string_view::npos || colon + 1 == word.size()) continue;
    if (!known(connectors, word.substr(0, colon))) continue;
    refs.push_back({std::string(word.substr(0, colon)), std::string(word.substr(colon + 1))});
  }
  return refs;
}

Task<std::vector<ChatMessage>> expand_user_input(std::string text,
                                                 std::vector<ChatConnector> connectors) {
  std::vector<std::string> names = names_of(connectors);
  std::vector<ChatMessage> messages;
  if (auto ref = parse_prompt_reference(text, names)) {
    const ChatConnector* connector = connector_named(connectors, ref->connector);
    try {
      messages = co_await prompt_messages(*ref, *connector);
    } catch (const std::invalid_argument&) {
      throw;
    } catch (const std::exception& e) {
      throw std::invalid_argument("prompt " + ref->connector + ":" + ref->prompt +
                                  " failed: " + e.what());
    }
  } else {
    messages.push_back({"user", text, {}, {}});
  }
  std::string attachments;
  for (const auto& ref : find_resource_references(text, names)) {
    const ChatConnector* connector = connector_named(connectors, ref.connector);
    ReadResourceResult result;
    std::string failure;
    try {
      result = co_await connector->client->read_resource(ref.uri);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) {
      throw std::invalid_argument("cannot attach @" + ref.connector + ":" + ref.uri + ": " +
                                  failure);
    }
    for (const auto& contents : result.contents) {
      if (!contents.is_object()) continue;
      json::object block{{"type", "resource"}, {"resource", contents}};
      attachments +=
          "\n\n[attached from connector " + ref.connector + "] " + content_block_text(block);
    }
  }
  if (!attachments.empty()) {
    auto last_user = std::find_if(messages.rbegin(), messages.rend(),
                                  [](const ChatMessage& m) { return m.role == "user"; });
    if (last_user == messages.rend()) {
      messages.push_back({"user", attachments.substr(2), {}, {}});
    } else {
      last_user->content += attachments;
    }
  }
  co_return messages;
}

}  // namespace mcpp::host
