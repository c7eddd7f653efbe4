// The mock model itself: a pure function from a chat request to an answer.
//
// Same input -> same output, always: the only source of variation is cutover::hash64 of the
// base model name (suffix stripped, so "m:slow" answers like "m") and of the last user
// message. Only drift behaviours change the answer.
//
// The answer is a sequence of tokens whose concatenation is the content (or, for a tool
// call, its arguments) exactly, so streamed deltas add up to the non-streamed message.
// The base model "echo" answers with the last user message itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mockllm/chat_request.hpp"

namespace cutover::mockllm {

struct ToolCall {
  std::string id;  // "call_<24 hex>"
  std::string name;
};

struct Completion {
  // The message content, or the tool call's arguments when tool_call is set.
  std::string text;
  // Token i is text[ends[i-1], ends[i]) (ends[-1] = 0); ends.back() == text.size().
  std::vector<std::uint32_t> ends;
  std::optional<ToolCall> tool_call;
  std::string_view finish_reason;  // "stop" | "length" | "tool_calls"
  std::uint32_t prompt_tokens = 0;
  std::uint32_t completion_tokens = 0;  // == ends.size()
  std::uint64_t seed = 0;               // of this answer; response ids derive from it

  std::size_t tokens() const { return ends.size(); }
  std::string_view token(std::size_t i) const {
    std::uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(text).substr(begin, ends[i] - begin);
  }
};

Completion generate(const ChatInput& in);

// prompt_tokens for usage: ceil(chars / 4) + 3 per message.
std::uint32_t estimate_prompt_tokens(std::size_t chars, std::size_t messages);

}  // namespace cutover::mockllm
