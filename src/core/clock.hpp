// Wall-clock time as the data path needs it (token expiry, rate windows, Retry-After dates,
// audit times).
#pragma once

#include <chrono>
#include <cstdint>

namespace cutover {

inline std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Nanoseconds since the epoch: audit entry times, heartbeats, checkpoints.
inline std::int64_t unix_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cutover
