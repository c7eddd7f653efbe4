// The "limits" policy domain: caps on what one request may ask for, and request/token
// rates per API key or tenant, counted in the shared store (so blue and green together
// never admit more than a limit). Document shape (canonical JSON in the store):
//   {"max_tokens": 4096, "max_input_bytes": 65536,
//    "rate": [{"scope": "key", "rpm": 600, "tpm": 100000}, {"scope": "tenant", "rpm": 6000}]}
// Every field is optional; 0 or absent means no limit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cutover::policy {

struct RateRule {
  enum class Scope { kKey, kTenant } scope = Scope::kKey;
  std::int64_t rpm = 0;  // requests per minute
  std::int64_t tpm = 0;  // tokens per minute (prompt estimate + max_tokens reserved)
};

struct Limits {
  std::int64_t version = 0;  // the policy version in force (0: none in the store)
  std::int64_t max_tokens = 0;
  std::int64_t max_input_bytes = 0;
  std::vector<RateRule> rate;
  bool empty() const { return max_tokens == 0 && max_input_bytes == 0 && rate.empty(); }
};

// Parses a limits document; errors name the path ("limits.rate[1].scope: ...").
Result<Limits> parse_limits(std::string_view json, std::int64_t version);

// Tokens reserved before the call: max_tokens if the client set it, else a default, plus
// a prompt estimate of one token per 4 bytes of body. Reconciled with real usage after.
std::int64_t tokens_to_reserve(std::int64_t max_tokens, std::size_t body_bytes);
inline constexpr std::int64_t kDefaultCompletionReserve = 256;

// Fixed one-minute windows.
inline std::int64_t minute_window(std::int64_t unix_seconds) { return unix_seconds / 60; }
inline std::int64_t seconds_to_next_window(std::int64_t unix_seconds) { return 60 - unix_seconds % 60; }

}  // namespace cutover::policy
