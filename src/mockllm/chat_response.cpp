#include "mockllm/chat_response.hpp"

#include "core/hash.hpp"
#include "core/json_text.hpp"

namespace cutover::mockllm {
namespace {

// "id", "object", "created", "model", "system_fingerprint" and the opening of "choices".
void append_head(std::string& out, const Completion& c, ResponseIdentity who,
                 std::string_view object) {
  out += "{\"id\":\"chatcmpl-";
  append_hex(out, c.seed, 16);
  append_hex(out, hash64(who.model, c.seed), 8);
  out += "\",\"object\":\"";
  out += object;
  out += "\",\"created\":";
  append_int(out, who.created);
  out += ",\"model\":";
  append_json_string(out, who.model);
  out += ",\"system_fingerprint\":\"fp_mock_";
  append_hex(out, hash64(base_model(who.model)), 8);
  out += "\",\"choices\":";
}

void append_usage(std::string& out, const Completion& c) {
  out += "\"usage\":{\"prompt_tokens\":";
  append_uint(out, c.prompt_tokens);
  out += ",\"completion_tokens\":";
  append_uint(out, c.completion_tokens);
  out += ",\"total_tokens\":";
  append_uint(out, std::uint64_t{c.prompt_tokens} + c.completion_tokens);
  out += '}';
}

}  // namespace

std::string write_chat_completion(const Completion& c, ResponseIdentity who) {
  std::string out;
  out.reserve(384 + c.text.size() + c.text.size() / 8);
  append_head(out, c, who, "chat.completion");
  out += "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
  if (c.tool_call) {
    out += "null,\"refusal\":null,\"tool_calls\":[{\"id\":";
    append_json_string(out, c.tool_call->id);
    out += ",\"type\":\"function\",\"function\":{\"name\":";
    append_json_string(out, c.tool_call->name);
    out += ",\"arguments\":";
    append_json_string(out, c.text);
    out += "}}]";
  } else {
    append_json_string(out, c.text);
    out += ",\"refusal\":null";
  }
  out += "},\"logprobs\":null,\"finish_reason\":\"";
  out += c.finish_reason;
  out += "\"}],";
  append_usage(out, c);
  out += '}';
  return out;
}

ChunkWriter::ChunkWriter(const Completion& c, ResponseIdentity who, bool include_usage)
    : c_(c), include_usage_(include_usage) {
  prefix_.reserve(256);
  prefix_ = "data: ";
  append_head(prefix_, c, who, "chat.completion.chunk");
}

void ChunkWriter::open(std::string& out) const {
  out.clear();
  out += prefix_;
  out += "[{\"index\":0,\"delta\":{";
}

void ChunkWriter::close(std::string& out, std::string_view finish_reason) const {
  out += "},\"logprobs\":null,\"finish_reason\":";
  if (finish_reason.empty()) {
    out += "null";
  } else {
    out += '"';
    out += finish_reason;
    out += '"';
  }
  out += "}]";
  // With include_usage every chunk carries "usage":null until the last one (as OpenAI does).
  if (include_usage_) out += ",\"usage\":null";
  out += "}\n\n";
}

void ChunkWriter::first(std::string& out) const {
  open(out);
  if (c_.tool_call) {
    out += "\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":";
    append_json_string(out, c_.tool_call->id);
    out += ",\"type\":\"function\",\"function\":{\"name\":";
    append_json_string(out, c_.tool_call->name);
    out += ",\"arguments\":\"\"}}]";
  } else {
    out += "\"role\":\"assistant\",\"content\":\"\"";
  }
  close(out, {});
}

void ChunkWriter::token(std::string& out, std::size_t i) const {
  open(out);
  if (c_.tool_call) {
    out += "\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":";
    append_json_string(out, c_.token(i));
    out += "}}]";
  } else {
    out += "\"content\":";
    append_json_string(out, c_.token(i));
  }
  close(out, {});
}

void ChunkWriter::finish(std::string& out) const {
  open(out);
  close(out, c_.finish_reason);
}

void ChunkWriter::usage(std::string& out) const {
  out.clear();
  out += prefix_;
  out += "[],";
  append_usage(out, c_);
  out += "}\n\n";
}

}  // namespace cutover::mockllm
