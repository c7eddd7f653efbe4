// The audit writer of one process: group commit into the shared audit log.
//
// Requests hand their entry to commit() and wait; one writer thread takes everything that
// queued up while the previous batch was being written and appends it in ONE store
// transaction (seq allocated by the store, chain sealed, one signed head per batch in
// batch mode), then wakes every waiter. Under load, batches grow by themselves; alone, a
// request waits for one transaction.
//
// When the store cannot be written:
//   fail closed (default)  commit() returns the error; healthy() turns false, so the
//                          gateway refuses new requests (503) until an append succeeds
//                          again (the thread probes the store every probe_interval).
//   fail open              the batch goes to a local spool file (fsynced) and commit()
//                          succeeds; while the spool is not empty every entry goes through
//                          it, and the thread appends it in order when the store returns:
//                          no gap, no reordering. (A crash between an append and the spool's
//                          progress record can append one batch twice; never lose it.)
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/entry.hpp"
#include "audit/log.hpp"
#include "core/error.hpp"
#include "http/types.hpp"

namespace cutover::store {
class Store;
}

namespace cutover::audit {

struct WriterOptions {
  std::string store_url;
  SignMode mode = SignMode::kBatch;
  std::size_t max_batch = 2048;
  bool fail_open = false;
  std::string spool_path;  // required with fail_open
  std::chrono::milliseconds probe_interval{250};
  // A checkpoint when this many entries were added since the last one, or when the log
  // grew and this much time passed.
  std::int64_t checkpoint_every = 1000;
  std::chrono::milliseconds checkpoint_interval{10'000};
};

struct WriterStats {
  std::atomic<std::uint64_t> appended{0}, batches{0}, failures{0}, spooled{0}, checkpoints{0};
  std::atomic<int> healthy{1};
  std::atomic<std::int64_t> spool_pending{0};
};

class Writer final {
 public:
  using SignerSource = std::function<SignerRef()>;
  // Opens nothing yet: a store that is down at start is a failed append, not a crash.
  Writer(WriterOptions options, SignerSource signer);
  ~Writer();  // writes what is queued (or fails it), then joins
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Completes on the caller's executor once the entry is durable (or spooled, fail-open),
  // or with the reason it could not be written (fail-closed).
  http::net::awaitable<Status> commit(Entry e);
  // Nobody waits (the client is gone); the entry is written all the same.
  void commit_detached(Entry e);

  bool healthy() const { return stats_.healthy.load(std::memory_order_relaxed) != 0; }
  const WriterStats& stats() const { return stats_; }
  const WriterOptions& options() const { return options_; }
  std::string last_error() const;

 private:
  struct Pending {
    Entry entry;
    std::function<void(Status)> done;  // empty: detached
  };
  void enqueue(Pending p);
  void run();
  Status append(std::vector<Entry>& entries);
  Status write_batch(std::vector<Pending>& batch);
  Status spool(const std::vector<Entry>& entries);
  Status drain_spool();
  void maybe_checkpoint();
  store::Store* ready(std::string* error);

  const WriterOptions options_;
  const SignerSource signer_;
  WriterStats stats_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stop_ = false;
  std::string last_error_;
  std::unique_ptr<store::Store> store_;  // writer thread only
  std::chrono::steady_clock::time_point last_checkpoint_try_{};
  std::int64_t appended_since_checkpoint_ = 0;
  std::thread thread_;
};

}  // namespace cutover::audit
