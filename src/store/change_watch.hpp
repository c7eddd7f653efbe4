// A process's live view of the shared store: its connection (opened and migrated on first
// use, again after a failure) and a thread that wakes its owner when the state's change
// counter moves. The gateway's SnapshotSource and the switch's PlanSource each own one.
//
// PostgreSQL: a second connection LISTENs for the NOTIFY every apply/rollback sends
// (postgres/state_listener.hpp), so a change is seen at once; the counter is still read
// every poll interval, the fallback while that connection is lost (it is reopened on the
// next wake-up). SQLite: the counter is read every poll interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "store/store.hpp"

namespace cutover::store {

namespace postgres {
class StateListener;
}

class ChangeWatch final {
 public:
  // Called on the watch's thread.
  struct Hooks {
    // At the start and on every wake-up (at least every poll interval; every 200 ms at most
    // while listening), before the counter is read: periodic chores. May be empty.
    std::function<void()> tick;
    // The counter moved, or nothing was loaded yet: open() and reload, calling seen() with
    // the counter the new state was read at, and publish it. An error: the store is
    // unreachable or its state unusable.
    std::function<Status()> reload;
    // After every read of the counter: ok (unchanged, or reloaded), or why not.
    std::function<void(const Status&)> health;
  };

  explicit ChangeWatch(std::string url, std::chrono::milliseconds poll);
  ~ChangeWatch();
  ChangeWatch(const ChangeWatch&) = delete;
  ChangeWatch& operator=(const ChangeWatch&) = delete;

  // The store, opened and migrated if it is not yet. Like store() and seen(): from the
  // owner's thread before start() and after stop(), from the hooks in between.
  Result<Store*> open();
  Store* store() const { return store_.get(); }  // nullptr until open() succeeded
  // The change counter the owner's current state was read at (-1: none yet; reload() is
  // called until there is one).
  void seen(std::int64_t counter) { seen_ = counter; }
  std::int64_t seen() const { return seen_; }

  void start(Hooks hooks);
  // Joins the thread: a wait lasts at most 200 ms (or poll), a hook or a reconnect as long
  // as it takes. Idempotent.
  void stop();

 private:
  bool wait(bool& notified);  // false once stopped
  Status check();
  void run();

  const std::string url_;
  const std::chrono::milliseconds poll_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<postgres::StateListener> listener_;
  std::int64_t seen_ = -1;
  std::chrono::steady_clock::time_point last_poll_{};
  Hooks hooks_;
  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cutover::store
