// What the traffic switches keep in the store besides the plan (the plan is the "traffic"
// domain of the state registry: versioned, with history and rollback): each switch's
// heartbeat with the plan version it serves, so `cutover traffic ...` can confirm that
// every live switch moved; and the shadow comparisons behind `cutover shadow report`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cutover::store {

struct SwitchInstance {
  std::string id;       // unique per process: host:pid:random
  std::string address;  // where it listens, for people
  std::int64_t plan_version = 0;
  std::int64_t started_unix_ns = 0, seen_unix_ns = 0;
};

struct ShadowResult {
  std::int64_t time_unix_ns = 0;
  std::string request_id, primary_color, shadow_color;
  std::string outcome;  // equal | equivalent | different | error
  std::string kinds;    // comma-separated kinds that differ
  std::int64_t token_delta = 0, latency_delta_us = 0;
  std::string sample;   // the first difference, for people (bounded)
};

class TrafficStore {
 public:
  virtual ~TrafficStore() = default;
  // Upsert by id (seen_unix_ns = now).
  virtual Status heartbeat(const SwitchInstance& s) = 0;
  virtual Status forget(std::string_view id) = 0;  // a switch that stops cleanly
  virtual Result<std::vector<SwitchInstance>> instances() = 0;
  virtual Status add_shadow_results(const std::vector<ShadowResult>& results) = 0;
  // Since the time, oldest first, at most limit.
  virtual Result<std::vector<ShadowResult>> shadow_results(std::int64_t since_unix_ns, std::int64_t limit) = 0;
};

}  // namespace cutover::store
