// The traffic plan a switch serves: the "traffic" domain of the shared store, plus the
// identity domain's key -> (subject, tenant) map for cohorts and sticky assignment.
// Like the gateway's snapshot source: LISTEN on PostgreSQL (a change is seen at once),
// poll the change counter every poll interval (all SQLite has; the fallback on
// PostgreSQL), swap an immutable snapshot. Each adoption and every heartbeat interval the
// switch writes the plan version it serves into switch_instances, which is how
// `cutover traffic ...` confirms that every live switch moved.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "store/store.hpp"
#include "traffic/plan.hpp"

namespace cutover::switching {

struct Caller {
  std::string subject, tenant;
};

struct PlanSnapshot {
  traffic::Plan plan;
  std::int64_t version = 0;  // of the "traffic" domain
  std::unordered_map<std::string, Caller> callers;  // by key_sha256 (hex)
};

class PlanSource final {
 public:
  using Publish = std::function<void(std::shared_ptr<const PlanSnapshot>)>;
  PlanSource(std::string store_url, std::string instance_id, std::string address,
             std::chrono::milliseconds poll = std::chrono::milliseconds(100));
  ~PlanSource();

  // The first snapshot, synchronously (an error says why: no store, no plan yet, a bad plan).
  Result<std::shared_ptr<const PlanSnapshot>> load();
  // Watches for changes on a thread of its own; publish() gets every new snapshot.
  void start(Publish publish);
  void stop();  // also removes this switch from switch_instances
  bool degraded() const { return degraded_.load(); }
  std::int64_t served_version() const { return served_.load(); }

 private:
  Result<std::shared_ptr<const PlanSnapshot>> connect_and_rebuild();
  Result<std::shared_ptr<const PlanSnapshot>> rebuild();
  void run();
  void heartbeat();

  const std::string url_, id_, address_;
  const std::chrono::milliseconds poll_;
  const std::int64_t started_unix_ns_;
  std::unique_ptr<store::Store> store_;
  std::int64_t seen_counter_ = -1;
  std::atomic<std::int64_t> served_{0};
  std::atomic<bool> degraded_{false};
  std::chrono::steady_clock::time_point last_heartbeat_{};
  Publish publish_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cutover::switching
