// Shadow comparison: the primary and the shadow (mirrored) response of one request, judged
// for the release gate. Pure; runs off the request path, after both responses are in.
//
// Bodies are OpenAI chat completions, OpenAI errors, chat completion streams (folded first,
// traffic/stream_fold.hpp), any other JSON, or bytes. Volatile members (id, created,
// system_fingerprint, tool-call ids) are ignored. The kinds of difference, each either
// Different or (where noted) only Equivalent:
//   status      the HTTP status
//   error_type  error.type (and error.code) of an OpenAI error body; messages are ignored
//   structure   the set of member paths with their JSON types ("choices[].message.content:
//               string"; array items share one path), including the JSON inside a message
//               content that parses as JSON; a body that is JSON against one that is not; a
//               stream against a whole body; a stream cut short (no [DONE]) against a full one
//   model       the "model" member
//   content     message content and refusal per choice, and finish_reason: content that parses
//               as JSON on both sides compares as JSON; otherwise texts that differ only in
//               whitespace or letter case are Equivalent. Non-chat JSON compares as a value;
//               bytes that are not JSON compare as bytes (whitespace/case: Equivalent)
//   tool_calls  per choice: number, type and function name of the calls, and their arguments
//               (as JSON when both parse, else as text)
//   tokens      usage (prompt and completion tokens): Equivalent when each differs by at most
//               10% of the primary's count; Different beyond, or when only one side has usage
// Equal: no kind differs. Equivalent: only Equivalent differences. Different: any other.
// Latency is reported, never a difference.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::traffic {

struct Observed {
  int status = 0;
  std::string_view content_type;  // the Content-Type header ("text/event-stream" for streams)
  std::string_view body;
  std::int64_t latency_us = 0;  // request start to the end of the response
};

enum class Outcome { kEqual, kEquivalent, kDifferent };
std::string_view outcome_name(Outcome o);  // "equal" | "equivalent" | "different"

struct Comparison {
  Outcome outcome = Outcome::kEqual;
  // Every kind that differs at all, Equivalent ones included, in the order listed above.
  // Static strings: "status", "error_type", "structure", "model", "content", "tool_calls",
  // "tokens".
  std::vector<std::string_view> kinds;
  std::int64_t token_delta = 0;       // shadow total tokens - primary total tokens
  std::int64_t latency_delta_us = 0;  // shadow latency - primary latency
  // The first difference that makes the outcome (a Different one when there is one), for
  // people: "content: choices[0].message.content: \"The plan…\" vs \"A rule…\"". At most
  // kMaxSample bytes, cut at a UTF-8 boundary; empty when equal.
  std::string sample;

  bool has(std::string_view kind) const;
};

inline constexpr std::size_t kMaxSample = 300;

// Never fails: malformed bodies compare as bytes.
Comparison compare(const Observed& primary, const Observed& shadow);

}  // namespace cutover::traffic
