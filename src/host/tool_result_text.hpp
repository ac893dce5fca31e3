// A tool's result as the text a model reads: text blocks as they are, structuredContent as JSON
// when there is no text, images, audio and binary resources described (never inlined), errors
// marked so the model knows the call failed.
#pragma once

#include <string>

#include "mcpp/client.hpp"

namespace mcpp::host {

// The text of `result` for the model. An error result starts with "Error: ".
std::string tool_result_text(const CallToolResult& result);

// The text of one content block (text, image, audio, resource_link, resource), or "" for a block
// of an unknown type.
std::string content_block_text(const json::object& block);

}  // namespace mcpp::host
