// CounterStore: rate-limit windows shared by every gateway process on every host, so
// blue and green together never admit more than a limit (DESIGN.md, "Counters").
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.hpp"

namespace cutover::store {

struct CounterResult {
  bool admitted = false;
  std::int64_t used = 0;  // the window's count after this call (unchanged when refused)
};

class CounterStore {
 public:
  virtual ~CounterStore() = default;

  // Atomically: if used(key, window) + amount <= limit, add amount and admit; else refuse
  // and leave the count unchanged. window identifies a fixed window (e.g. unix minute).
  // Across threads, Store objects, processes and hosts on one database, the sum of the
  // admitted amounts never exceeds limit. amount < 0 is an error (use adjust).
  virtual Result<CounterResult> try_add(std::string_view key, std::int64_t window,
                                        std::int64_t amount, std::int64_t limit) = 0;

  // Unconditionally adds delta (may be negative: returning an unused token reservation).
  // The count never goes below zero.
  virtual Status adjust(std::string_view key, std::int64_t window, std::int64_t delta) = 0;

  // The window's count (0 when it has none).
  virtual Result<std::int64_t> used(std::string_view key, std::int64_t window) = 0;

  // Forgets windows older than `before` (housekeeping).
  virtual Status expire(std::int64_t before) = 0;
};

}  // namespace cutover::store
