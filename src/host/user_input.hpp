// What a person's message may ask of the connectors before it goes to the model: a prompt
// ("/connector:prompt args", the prompt's messages are used instead of the text) and attached
// resources ("@connector:uri" anywhere in the text, their contents appended to the message).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/model_client.hpp"
#include "mcpp/client.hpp"

namespace mcpp::host {

struct ChatConnector;

// "/connector:prompt key=value other=\"two words\" free text".
struct PromptReference {
  std::string connector;
  std::string prompt;
  std::map<std::string, std::string> arguments;  // key=value (value may be "quoted")
  std::string rest;  // words that are not key=value, for the first argument not given
};

// The prompt a message asks for, when it starts with "/NAME:PROMPT" and NAME is one of
// `connectors`; nothing otherwise (the message is plain text).
std::optional<PromptReference> parse_prompt_reference(std::string_view text,
                                                      const std::vector<std::string>& connectors);

struct ResourceReference {
  std::string connector;
  std::string uri;
};

// Every "@NAME:URI" in the text whose NAME is one of `connectors` (URI runs to the next space).
std::vector<ResourceReference> find_resource_references(std::string_view text,
                                                        const std::vector<std::string>& connectors);

// The messages a person's text stands for: the prompt's messages (text blocks; other content
// described) or the text itself, with the attached resources' contents appended. Throws
// std::invalid_argument with a message for the person when a prompt or resource cannot be had.
Task<std::vector<ChatMessage>> expand_user_input(std::string text,
                                                 std::vector<ChatConnector> connectors);

}  // namespace mcpp::host
