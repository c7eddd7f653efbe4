// Retry and fallback decisions: pure functions of the failure, the attempt count and a
// random draw, so every path is tested without sleeping or sockets.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "gateway/config.hpp"

namespace cutover::gateway {

struct RetryDecision {
  enum Kind { kRetry, kNextTarget, kGiveUp } kind;
  std::chrono::milliseconds delay{0};  // kRetry: wait this long first
};

// attempts_done: attempts already made on this target (>= 1). draw: uniform in [0, 1).
// - an error that another attempt cannot fix (the request itself is bad): give up;
// - retryable and attempts left: retry after the provider's Retry-After when it gave one
//   (unless longer than max_retry_after: then move on), else exponential backoff with
//   jitter in [base/2, base];
// - otherwise: next target (the caller gives up when there is none).
RetryDecision decide_retry(const RetryPolicy& policy, int attempts_done, const Error& error, double draw);

// Retry-After: delta-seconds or an HTTP-date relative to now_unix. nullopt when absent
// or malformed.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_unix);

}  // namespace cutover::gateway
