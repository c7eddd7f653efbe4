// The traffic plan a switch serves: the "traffic" domain of the shared store, plus the
// identity domain's key -> (subject, tenant) map for cohorts and sticky assignment.
// Like the gateway's snapshot source, a store::ChangeWatch wakes it when the change
// counter moves (LISTEN on PostgreSQL, polling every poll interval as the fallback and on
// SQLite) and it swaps an immutable snapshot. Each adoption and every heartbeat interval the
// switch writes the plan version it serves into switch_instances, which is how
// `cutover traffic ...` confirms that every live switch moved.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "store/change_watch.hpp"
#include "traffic/plan.hpp"

namespace cutover::switching {

struct Caller {
  std::string subject, tenant;
};

struct PlanSnapshot {
  traffic::Plan plan;
  std::int64_t version = 0;  // of the "traffic" domain
  std::unordered_map<std::string, Caller> callers;  // by key_sha256 (hex)
  std::int64_t identity_version = 0;  // of the "identity" domain the callers come from
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
  Status reload();  // the watch's hooks
  void health(const Status& st);
  void heartbeat();

  const std::string id_, address_;
  const std::int64_t started_unix_ns_;
  std::atomic<std::int64_t> served_{0};
  std::int64_t served_identity_ = 0;  // reload() only (the watcher thread)
  std::atomic<bool> degraded_{false};
  std::chrono::steady_clock::time_point last_heartbeat_{};
  Publish publish_;
  bool stopped_ = false;
  store::ChangeWatch watch_;
};

}  // namespace cutover::switching
