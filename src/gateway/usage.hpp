// Token usage from provider responses without parsing whole bodies: find the "usage"
// object (it sits at the end of OpenAI responses and stream chunks) and parse only it.
#pragma once

#include <cstdint>
#include <string_view>

namespace cutover::gateway {

struct Usage {
  std::int64_t input = 0;
  std::int64_t output = 0;
};

// True when json holds a non-null "usage" object; fills u (prompt/completion tokens, or
// input/output tokens for providers that name them so).
bool extract_usage(std::string_view json, Usage& u);

// A stream chunk that only carries usage: {"choices":[], "usage":{...}}.
bool is_usage_only_chunk(std::string_view json);

// The "message" of an OpenAI-style error body, else a prefix of the body.
std::string_view error_message_of(std::string_view body);

}  // namespace cutover::gateway
