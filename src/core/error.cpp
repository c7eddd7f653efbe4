// The only place where an ErrorCode becomes an HTTP status, an OpenAI error type and
// code, a log level and a retry decision.
#include "core/error.hpp"

#include <boost/json.hpp>

namespace cutover {
namespace {

struct Mapping {
  int status;
  std::string_view type;
  std::string_view code;
  ErrorSource source;
  LogLevel level;
  bool retryable;
};

constexpr Mapping mapping(ErrorCode c) {
  using enum ErrorCode;
  using S = ErrorSource;
  using L = LogLevel;
  switch (c) {
    case kInvalidRequest: return {400, "invalid_request_error", "invalid_request", S::kDownstream, L::kInfo, false};
    case kInvalidJson: return {400, "invalid_request_error", "invalid_json", S::kDownstream, L::kInfo, false};
    case kUnauthenticated: return {401, "authentication_error", "invalid_api_key", S::kDownstream, L::kInfo, false};
    case kPermissionDenied: return {403, "permission_error", "model_not_allowed", S::kDownstream, L::kInfo, false};
    case kModelNotFound: return {404, "invalid_request_error", "model_not_found", S::kDownstream, L::kInfo, false};
    case kNotFound: return {404, "invalid_request_error", "not_found", S::kDownstream, L::kInfo, false};
    case kMethodNotAllowed: return {405, "invalid_request_error", "method_not_allowed", S::kDownstream, L::kInfo, false};
    case kRequestTimeout: return {408, "invalid_request_error", "request_timeout", S::kDownstream, L::kInfo, false};
    case kPayloadTooLarge: return {413, "invalid_request_error", "request_too_large", S::kDownstream, L::kInfo, false};
    case kHeadersTooLarge: return {431, "invalid_request_error", "headers_too_large", S::kDownstream, L::kInfo, false};
    case kConflict: return {409, "invalid_request_error", "conflict", S::kDownstream, L::kInfo, false};
    case kRateLimited: return {429, "rate_limit_error", "rate_limit_exceeded", S::kDownstream, L::kInfo, false};
    case kUpstreamRateLimited: return {429, "rate_limit_error", "upstream_rate_limited", S::kUpstream, L::kWarn, true};
    case kUpstreamError: return {502, "upstream_error", "upstream_error", S::kUpstream, L::kWarn, true};
    case kUpstreamConnect: return {502, "upstream_error", "upstream_unreachable", S::kUpstream, L::kWarn, true};
    case kUpstreamTimeout: return {504, "upstream_error", "upstream_timeout", S::kUpstream, L::kWarn, true};
    case kUpstreamClientError: return {400, "invalid_request_error", "upstream_rejected_request", S::kUpstream, L::kInfo, false};
    case kOverloaded: return {503, "server_error", "overloaded", S::kInternal, L::kWarn, true};
    case kShuttingDown: return {503, "server_error", "shutting_down", S::kInternal, L::kInfo, true};
    case kUnavailable: return {503, "server_error", "unavailable", S::kInternal, L::kError, true};
    case kInternal: return {500, "server_error", "internal_error", S::kInternal, L::kError, false};
  }
  return {500, "server_error", "internal_error", S::kInternal, L::kError, false};
}

}  // namespace

int Error::http_status() const {
  // A provider's own 4xx (other than 429) is the caller's problem: keep its status.
  if (code_ == ErrorCode::kUpstreamClientError && upstream_status_ >= 400 && upstream_status_ < 500)
    return upstream_status_;
  return mapping(code_).status;
}
std::string_view Error::type() const { return mapping(code_).type; }
std::string_view Error::code_name() const { return mapping(code_).code; }
ErrorSource Error::source() const { return mapping(code_).source; }
LogLevel Error::log_level() const { return mapping(code_).level; }
bool Error::retryable() const { return mapping(code_).retryable; }

std::string Error::to_openai_json() const {
  boost::json::object inner;
  inner["message"] = message_;
  inner["type"] = type();
  inner["code"] = code_name();
  if (param_.empty())
    inner["param"] = nullptr;
  else
    inner["param"] = param_;
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return boost::json::serialize(outer);
}

ErrorCode aggregate_code(const ErrorCode* codes, std::size_t n) {
  if (n == 0) return ErrorCode::kUpstreamError;
  bool all_rate_limited = true, all_timeouts = true;
  for (std::size_t i = 0; i < n; ++i) {
    all_rate_limited &= codes[i] == ErrorCode::kUpstreamRateLimited;
    all_timeouts &= codes[i] == ErrorCode::kUpstreamTimeout;
  }
  if (all_rate_limited) return ErrorCode::kUpstreamRateLimited;
  if (all_timeouts) return ErrorCode::kUpstreamTimeout;
  // A client error from the last provider means the request itself is bad.
  if (codes[n - 1] == ErrorCode::kUpstreamClientError) return ErrorCode::kUpstreamClientError;
  return ErrorCode::kUpstreamError;
}

}  // namespace cutover
