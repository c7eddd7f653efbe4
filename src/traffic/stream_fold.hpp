// Folds an OpenAI chat completion stream (text/event-stream of chat.completion.chunk events,
// ending in `data: [DONE]`) into the chat.completion it stands for, so that a streamed
// response can be compared like a whole one (traffic/compare.hpp).
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

#include "core/error.hpp"

namespace cutover::traffic {

struct FoldedStream {
  // {"id","object":"chat.completion","created","model","system_fingerprint",
  //  "choices":[{"index","message":{"role","content"[,"refusal"][,"tool_calls"]},
  //              "finish_reason"}][,"usage"][,"error"]}
  //   - id, created, model, system_fingerprint: from the first chunk that has them;
  //   - per choice (ordered by index): role from the deltas; content and refusal: the
  //     deltas' strings concatenated (null when no delta carried a string); tool_calls
  //     merged by their index (id, type and name from the first delta that has them,
  //     arguments concatenated), ordered by index; finish_reason: the last non-null one;
  //   - usage: the last non-null usage (the usage chunk of stream_options.include_usage);
  //   - error: the body of an error event ({"error": {...}}), which ends the fold.
  boost::json::value completion;
  bool done = false;       // `data: [DONE]` arrived (a stream without it was cut short)
  std::size_t events = 0;  // data events read, [DONE] included
};

// Errors (the body is then not a chat stream): no data event at all, an event that is not a
// JSON object, an event larger than the SSE parser's limit. Events after [DONE] are ignored.
Result<FoldedStream> fold_chat_stream(std::string_view body);

}  // namespace cutover::traffic
