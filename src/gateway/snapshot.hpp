// Live snapshots of the shared state for one gateway.
//
// The gateway serves every request from an immutable Config (a snapshot); this source
// builds one from the node file overlaid by the store's active documents, and builds and
// swaps in a new one each time its store::ChangeWatch sees the change counter move
// (PostgreSQL: LISTEN/NOTIFY, at once; always also polling every poll interval). In-flight requests keep the snapshot they began with (they hold
// a shared_ptr). If the store becomes unreachable the last snapshot keeps serving and the
// source reports degraded; it recovers by itself.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/config.hpp"
#include "store/change_watch.hpp"

namespace cutover::gateway {

struct DomainFingerprint {
  std::int64_t version = 0;
  std::string sha256;
};

class SnapshotSource final {
 public:
  using Publish = std::function<void(std::shared_ptr<Config>)>;
  using Health = std::function<void(bool degraded)>;

  // node_yaml: the node config file's text; store_url: where the state lives; master_key:
  // opens the sealed secrets (provider keys, the audit signing key), read once at start
  // ($CUTOVER_MASTER_KEY or --master-key-file). Its error is reported only when the
  // store holds a sealed secret, naming why there is no key.
  SnapshotSource(std::string node_yaml, std::string store_url,
                 Result<identity::MasterKey> master_key,
                 std::chrono::milliseconds poll = std::chrono::milliseconds(250));
  ~SnapshotSource();

  // Opens and migrates the store and builds the first snapshot. An error (store down,
  // invalid documents) leaves the source without a snapshot; start() keeps trying.
  Result<std::shared_ptr<Config>> load();

  // Watches the store on a thread of its own; calls publish with each new snapshot.
  // health is told each time the store becomes unreachable or reachable again.
  void start(Publish publish, Health health);
  void stop();

  bool degraded() const { return degraded_.load(); }
  // Forgets rate-limit windows that ended more than a minute before now_unix (the watcher
  // thread does this once a minute; any number of gateways may, harmlessly).
  Status expire_counters(std::int64_t now_unix);

  // Per-domain versions and SHA-256 of the documents behind the current snapshot.
  std::map<std::string, DomainFingerprint> fingerprints() const;

 private:
  Result<std::shared_ptr<Config>> rebuild();
  Status reload();  // the watch's hooks
  void expire_if_due();
  void set_degraded(bool d, const std::string& why);

  const std::string node_yaml_;
  std::optional<identity::SecretBox> box_;  // empty: no usable master key, because of box_problem_
  std::string box_problem_;
  std::chrono::steady_clock::time_point last_expiry_{};
  Publish publish_;
  Health health_;
  std::atomic<bool> degraded_{false};
  mutable std::mutex mu_;  // guards fingerprints_
  std::map<std::string, DomainFingerprint> fingerprints_;
  store::ChangeWatch watch_;
};

}  // namespace cutover::gateway
