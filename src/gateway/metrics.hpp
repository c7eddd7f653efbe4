// Prometheus metrics of a gateway. Every series is preallocated (route slots x status
// codes), so recording is a few relaxed atomic adds: no lock, no allocation. Route aliases
// get a slot when a config is adopted and keep it for the life of the process, so a
// counter never resets when a new snapshot arrives.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cutover::audit {
struct WriterStats;
}

namespace cutover::gateway {

class Histogram final {
 public:
  // Upper bounds in seconds, shared by every latency histogram.
  static constexpr std::array<double, 18> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                     0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                     1,      2.5,     5,      10,    30,     60};
  void observe(std::chrono::nanoseconds d);
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

class Metrics final {
 public:
  explicit Metrics(std::string color);

  static constexpr std::size_t kNoRoute = static_cast<std::size_t>(-1);
  static constexpr std::size_t kMaxRoutes = 1024;  // beyond: counted under route="none"

  // The slot of an alias (a new one the first time). Called when a config is adopted.
  std::size_t slot_for(const std::string& alias);

  // Store health as the gateway sees it (1: serving from a stale snapshot).
  std::atomic<int> store_degraded{0};
  std::atomic<std::uint64_t> rate_limited{0};             // refused by a shared rate counter
  std::atomic<std::uint64_t> rate_limit_store_errors{0};  // admitted because the store failed
  std::atomic<std::uint64_t> audit_unavailable{0};        // 503: the audit entry could not be written
  const audit::WriterStats* audit = nullptr;              // the audit writer's counters, if any

  void count_request(std::size_t route, int status);
  void count_tokens(std::size_t route, std::int64_t in, std::int64_t out);
  void count_retry(std::size_t route);
  void count_fallback(std::size_t route);

  Histogram total, upstream, time_to_first_token, overhead;
  std::atomic<std::int64_t> open_streams{0};

  // Prometheus text exposition format 0.0.4.
  std::string render(std::size_t open_connections) const;

 private:
  static constexpr std::array<int, 20> kStatuses = {200, 201, 204, 400, 401, 403, 404, 405, 408, 409,
                                                    413, 422, 429, 431, 499, 500, 502, 503, 504, 0};
  static std::size_t status_slot(int status);
  static std::size_t slot(std::size_t route) { return route == kNoRoute ? kMaxRoutes : route; }

  mutable std::mutex names_mu_;
  std::vector<std::string> routes_;  // slot -> alias; slot kMaxRoutes is "none"
  std::string color_;
  struct PerRoute {
    std::array<std::atomic<std::uint64_t>, kStatuses.size()> requests{};
    std::atomic<std::uint64_t> tokens_in{0}, tokens_out{0}, retries{0}, fallbacks{0};
  };
  std::unique_ptr<PerRoute[]> per_route_;
};

}  // namespace cutover::gateway
