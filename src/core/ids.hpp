// Request ids and W3C trace context (https://www.w3.org/TR/trace-context/).
#pragma once

#include <string>
#include <string_view>

namespace cutover {

// This machine's host name ("" if it has none).
std::string host_name();
// This process, for audit entries and switch ids: "host:pid".
std::string node_id();

// A new request id: 32 lowercase hex characters.
std::string new_request_id();

// True if a client-supplied request id is safe to echo and log: 1..128 characters of
// [A-Za-z0-9._:-].
bool valid_request_id(std::string_view id);

struct TraceContext {
  std::string trace_id;   // 32 hex
  std::string parent_id;  // 16 hex: the span of the caller
  std::string flags = "01";
};

// Parses a traceparent header; nullopt-like empty trace_id when absent or malformed.
TraceContext parse_traceparent(std::string_view header);

// The traceparent to send upstream: the caller's trace id (or a new one) with a new span id.
std::string child_traceparent(const TraceContext& incoming, std::string* trace_id_out);

}  // namespace cutover
