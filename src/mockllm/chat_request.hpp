// The chat completion request as the mock model sees it: parsed, validated, with the tool
// to call already chosen.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "mockllm/behaviour.hpp"

namespace cutover::mockllm {

enum class ResponseFormat : std::uint8_t { kText, kJsonObject, kJsonSchema };

// A validated chat request, pointing into the parsed body (which must outlive it).
struct ChatInput {
  std::string_view model;  // as requested, suffix included
  // The last user message's content: a string or an array of parts ({"type":"text","text"}).
  // Null when there is no user message.
  const boost::json::value* prompt = nullptr;
  std::size_t content_chars = 0;  // text of every message, for usage
  std::size_t messages = 0;
  std::optional<std::uint32_t> max_tokens;  // max_completion_tokens, else max_tokens
  // The tool to call ({"name", "parameters"}), already chosen from tools / tool_choice.
  const boost::json::object* tool = nullptr;
  ResponseFormat format = ResponseFormat::kText;
  const boost::json::value* schema = nullptr;  // for kJsonSchema; null means any object
  BehaviourSet drift;  // set by the caller (model suffix + flags); only drift-* matter
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

// Reads and validates a /v1/chat/completions body. Errors are 400s naming the parameter.
Result<ChatInput> read_chat_request(const boost::json::object& body);

}  // namespace cutover::mockllm
