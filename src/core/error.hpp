// The one error type of Cutover and its taxonomy.
//
// ErrorCode -> HTTP status, OpenAI error type/code, log level and retry decision is
// mapped in exactly one place: error.cpp. Add a code there and nowhere else.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cutover {

enum class ErrorCode {
  // Downstream: the client sent something we refuse.
  kInvalidRequest,     // 400 invalid_request_error
  kInvalidJson,        // 400 body is not JSON
  kUnauthenticated,    // 401 missing or wrong API key
  kPermissionDenied,   // 403 identity may not use this model
  kModelNotFound,      // 404 no route for this model alias
  kNotFound,           // 404 no such endpoint
  kMethodNotAllowed,   // 405
  kRequestTimeout,     // 408 client too slow to send its request
  kPayloadTooLarge,    // 413
  kHeadersTooLarge,    // 431
  kRateLimited,        // 429 our own limits
  kConflict,           // 409 the resource changed since the caller read it
  // Upstream: the provider failed us.
  kUpstreamRateLimited,  // 429 from provider
  kUpstreamError,        // 502 provider 5xx or malformed answer
  kUpstreamConnect,      // 502 connect / TLS failure
  kUpstreamTimeout,      // 504 provider too slow
  kUpstreamClientError,  // provider 4xx other than 429: passed through, not retried
  // Internal.
  kOverloaded,     // 503 too many connections or streams
  kShuttingDown,   // 503 draining
  kUnavailable,    // 503 a dependency (store) is unavailable
  kInternal,       // 500
};

enum class ErrorSource { kDownstream, kUpstream, kInternal };
enum class LogLevel { kDebug, kInfo, kWarn, kError };

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // The offending request parameter, if any ("model", "messages").
  const std::string& param() const { return param_; }
  Error&& with_param(std::string p) && { param_ = std::move(p); return std::move(*this); }
  Error& with_param(std::string p) & { param_ = std::move(p); return *this; }

  // For upstream errors: the provider's HTTP status, when it answered.
  int upstream_status() const { return upstream_status_; }
  Error&& with_upstream_status(int s) && { upstream_status_ = s; return std::move(*this); }
  Error& with_upstream_status(int s) & { upstream_status_ = s; return *this; }

  // For rate limits: when the caller may try again.
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  Error&& with_retry_after(std::chrono::milliseconds d) && { retry_after_ = d; return std::move(*this); }
  Error& with_retry_after(std::chrono::milliseconds d) & { retry_after_ = d; return *this; }

  // Mapping (error.cpp).
  int http_status() const;
  std::string_view type() const;      // OpenAI "type"
  std::string_view code_name() const; // OpenAI "code"
  ErrorSource source() const;
  LogLevel log_level() const;
  bool retryable() const;  // another attempt (same or next provider) may succeed

  // {"error":{"message","type","code","param"}}
  std::string to_openai_json() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::string param_;
  int upstream_status_ = 0;
  std::optional<std::chrono::milliseconds> retry_after_;
};

// An aggregate ("every provider failed") takes its code from its children: when all of
// them were rate limited it stays a 429, when all timed out a 504, otherwise a 502.
ErrorCode aggregate_code(const ErrorCode* codes, std::size_t n);

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }
  Error& error() { return std::get<1>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: ok or an Error.
class Status {
 public:
  Status() = default;
  Status(Error e) : e_(std::move(e)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  Error& error() { return *e_; }
  const Error& error() const { return *e_; }

 private:
  std::optional<Error> e_;
};

}  // namespace cutover
