// OpenAI chat completion bodies and stream chunks, written straight into strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mockllm/generator.hpp"

namespace cutover::mockllm {

// The fields every chat response (or each of its chunks) starts with.
struct ResponseIdentity {
  std::string_view model;  // as requested
  std::int64_t created;    // unix seconds
};

// {"id":"chatcmpl-…","object":"chat.completion",…,"choices":[…],"usage":{…}}
std::string write_chat_completion(const Completion& c, ResponseIdentity who);

// The events of one streamed answer, in order: first(), token(i) for each token, finish(),
// usage() when stream_options.include_usage was set, then kDone. Each call replaces the
// contents of out with one complete "data: …\n\n" event.
class ChunkWriter final {
 public:
  ChunkWriter(const Completion& c, ResponseIdentity who, bool include_usage);

  // delta {"role":"assistant","content":""}, or for a tool call the role with the call's
  // index, id, type, name and empty arguments.
  void first(std::string& out) const;
  // delta {"content": token} or {"tool_calls":[{"index":0,"function":{"arguments": token}}]}
  void token(std::string& out, std::size_t i) const;
  // delta {} with finish_reason.
  void finish(std::string& out) const;
  // "choices":[] with usage.
  void usage(std::string& out) const;

  static constexpr std::string_view kDone = "data: [DONE]\n\n";

 private:
  void open(std::string& out) const;  // prefix up to the delta's contents
  void close(std::string& out, std::string_view finish_reason) const;

  const Completion& c_;
  std::string prefix_;  // data: {"id":…,"system_fingerprint":…,"choices":
  bool include_usage_;
};

}  // namespace cutover::mockllm
