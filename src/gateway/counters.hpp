// Rate-limit counters in the shared store, reached without blocking a worker thread: each
// call runs on a small pool of threads with store connections of their own, and the
// request's coroutine resumes on its own worker when the answer is in.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
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

  http::net::awaitable<Outcome> try_add(std::string key, std::int64_t window, std::int64_t amount,
                                        std::int64_t limit);
  // Fire and forget (reconciling a reservation must not delay a response).
  void adjust_later(std::string key, std::int64_t window, std::int64_t delta);

 private:
  struct Slot {
    std::mutex mu;  // guards opening `store`; the Store serializes its own calls
    std::unique_ptr<store::Store> store;
  };
  // On a pool thread: the slot's store, opened if needed; nullptr with *error set.
  store::Store* ready(Slot& slot, std::string* error);
  Slot& next() { return *slots_[next_.fetch_add(1, std::memory_order_relaxed) % slots_.size()]; }

  const std::string url_;
  http::net::thread_pool pool_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace cutover::gateway
