// Real response shapes for the comparison tests: what `cutover mock-llm` sends for a chat
// request, written by its own generator and writers (src/mockllm/), with drift set as the
// --drift flag sets it (so the response's model stays the requested one).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "mockllm/behaviour.hpp"
#include "mockllm/chat_request.hpp"
#include "mockllm/chat_response.hpp"
#include "mockllm/generator.hpp"

namespace cutover::traffic::testing {

struct MockRequest {
  std::string body;                   // a /v1/chat/completions request
  mockllm::BehaviourSet drift = {};   // as `mock-llm --drift` would apply
  std::int64_t created = 1700000000;  // varies between responses; volatile
};

inline mockllm::BehaviourSet drift_of(std::string_view list) { return mockllm::parse_drift(list); }

// The completion the mock computes for the request (EXPECTs a valid request).
inline mockllm::Completion mock_completion(const MockRequest& r, boost::json::value& doc,
                                           mockllm::ChatInput& in) {
  doc = boost::json::parse(r.body);
  auto parsed = mockllm::read_chat_request(doc.as_object());
  if (!parsed.ok()) throw std::invalid_argument(parsed.error().message());
  in = parsed.value();
  in.drift = r.drift;
  return mockllm::generate(in);
}

// The non-streamed body.
inline std::string mock_json(const MockRequest& r) {
  boost::json::value doc;
  mockllm::ChatInput in;
  auto c = mock_completion(r, doc, in);
  return mockllm::write_chat_completion(c, {in.model, r.created});
}

// The streamed body: every event the mock writes, [DONE] included.
inline std::string mock_stream(const MockRequest& r, bool include_usage = true) {
  boost::json::value doc;
  mockllm::ChatInput in;
  auto c = mock_completion(r, doc, in);
  mockllm::ChunkWriter w(c, {in.model, r.created}, include_usage);
  std::string out, event;
  w.first(event);
  out += event;
  for (std::size_t i = 0; i < c.tokens(); ++i) {
    w.token(event, i);
    out += event;
  }
  w.finish(event);
  out += event;
  if (include_usage) {
    w.usage(event);
    out += event;
  }
  out += mockllm::ChunkWriter::kDone;
  return out;
}

inline constexpr std::string_view kTextRequest =
    R"({"model":"mock-fast","messages":[{"role":"system","content":"Be brief."},)"
    R"({"role":"user","content":"Summarize the release plan."}]})";
inline constexpr std::string_view kEchoRequest =
    R"({"model":"echo","messages":[{"role":"user","content":"Ship the green gateway today"}]})";
inline constexpr std::string_view kJsonRequest =
    R"({"model":"mock-fast","response_format":{"type":"json_object"},)"
    R"("messages":[{"role":"user","content":"Answer in JSON."}]})";
inline constexpr std::string_view kToolRequest =
    R"({"model":"mock-fast","messages":[{"role":"user","content":"Weather in Paris?"}],)"
    R"("tools":[{"type":"function","function":{"name":"get_weather","parameters":)"
    R"({"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},)"
    R"("required":["city","days"]}}}],"tool_choice":"required"})";

}  // namespace cutover::traffic::testing
