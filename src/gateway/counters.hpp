// Rate-limit counters in the shared store, reached without blocking a worker thread: each
// call runs on a small pool of threads with store connections of their own, and the
// request's coroutine resumes on its own worker when the answer is in.
//
// Leases keep the store off most requests: take() claims max(limit / kLeaseDivisor, amount)
// units from the shared counter at once and admits from that lease locally until it is
// spent. Claimed units count against the limit whether used or not, so the processes
// together still NEVER admit more than the limit; the price is that up to one lease per
// process and window may go unused (under-admission of at most processes x limit/20).
// Limits under 20 lease one unit at a time: exact.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/types.hpp"
#include "store/store.hpp"

namespace cutover::gateway {

class Counters final {
 public:
  struct Outcome {
    bool ok = false;  // false: the store could not answer (error says why)
    store::CounterResult result;
    std::string error;
  };

  // Connections to url are opened on first use and reopened after a failure, so a store
  // that is down at start costs errors (and admitted requests), not a refusal to start.
  explicit Counters(std::string url, int connections = 2);
  ~Counters();

  // Admits amount against limit for (key, window), from this process's lease when it can.
  http::net::awaitable<Outcome> take(std::string key, std::int64_t window, std::int64_t amount,
                                     std::int64_t limit);
  // One store round trip, no lease.
  http::net::awaitable<Outcome> try_add(std::string key, std::int64_t window, std::int64_t amount,
                                        std::int64_t limit);
  static constexpr std::int64_t kLeaseDivisor = 20;
  // Fire and forget (reconciling a reservation must not delay a response).
  void adjust_later(std::string key, std::int64_t window, std::int64_t delta);
  // Reconciles a take(): a negative delta goes back into this process's lease (the units
  // stay claimed in the store, so nothing can be over-admitted); a positive one comes out
  // of the lease while it has room. Only what the lease cannot absorb reaches the store.
  void give_back(const std::string& key, std::int64_t window, std::int64_t delta);

 private:
  struct Slot {
    std::mutex mu;  // guards opening `store`; the Store serializes its own calls
    std::unique_ptr<store::Store> store;
  };
  // On a pool thread: the slot's store, opened if needed; nullptr with *error set.
  store::Store* ready(Slot& slot, std::string* error);
  Slot& next() { return *slots_[next_.fetch_add(1, std::memory_order_relaxed) % slots_.size()]; }

  struct Lease {
    std::int64_t window = -1;
    std::int64_t granted = 0;
    std::int64_t used = 0;
  };
  // Takes amount from the lease of (key, window) if it has room; true when it did.
  bool take_local(const std::string& key, std::int64_t window, std::int64_t amount);
  void add_lease(const std::string& key, std::int64_t window, std::int64_t granted, std::int64_t used);

  std::mutex leases_mu_;
  std::unordered_map<std::string, Lease> leases_;
  const std::string url_;
  http::net::thread_pool pool_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace cutover::gateway
