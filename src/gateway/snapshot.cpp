#include "gateway/snapshot.hpp"

#include "core/clock.hpp"
#include "core/log.hpp"
#include "store/postgres/state_listener.hpp"

namespace cutover::gateway {

SnapshotSource::SnapshotSource(std::string node_yaml, std::string store_url,
                               Result<identity::MasterKey> master_key,
                               std::chrono::milliseconds poll)
    : node_yaml_(std::move(node_yaml)), store_url_(std::move(store_url)), poll_(poll) {
  if (master_key) box_.emplace(std::move(master_key.value()));
  else box_problem_ = master_key.error().message();
}

SnapshotSource::~SnapshotSource() { stop(); }

Result<std::shared_ptr<Config>> SnapshotSource::load() {
  if (!store_) {
    auto s = store::open_store(store_url_);
    if (!s) return std::move(s.error());
    store_ = std::move(s.value());
    if (Status st = store_->migrate(); !st) {
      store_.reset();
      return std::move(st.error());
    }
  }
  return rebuild();
}

Result<std::shared_ptr<Config>> SnapshotSource::rebuild() {
  // The counter is read first: a change racing with active() is picked up next poll.
  auto counter = store_->state().change_counter();
  if (!counter) return std::move(counter.error());
  auto active = store_->state().active();
  if (!active) return std::move(active.error());
  StateDocuments docs;
  std::map<std::string, DomainFingerprint> prints;
  for (const auto& v : active.value()) {
    if (v.domain == "routes") docs.routes = v.document;
    if (v.domain == "identity") docs.identity = v.document;
    if (v.domain == "secrets") docs.secrets = v.document;
    if (v.domain == "access") {
      docs.access = v.document;
      docs.access_version = v.version;
    }
    if (v.domain == "limits") {
      docs.limits = v.document;
      docs.limits_version = v.version;
    }
    prints[v.domain] = {v.version, v.sha256};
  }
  // Providers that name a sealed secret need the master key; without it they are a clear
  // error, never an empty key. The audit signing key needs it too; without it the audit
  // log refuses (and says why) but the snapshot is still good.
  if (!box_ && docs.routes.find("\"api_key_secret\"") != std::string::npos)
    return Error(ErrorCode::kUnavailable,
                 "providers use api_key_secret but the master key is unusable: " + box_problem_);
  if (box_) docs.box = &*box_;
  else docs.no_box_reason = box_problem_;
  std::shared_ptr<Config> config;
  try {
    config = parse_config(node_yaml_, docs);
  } catch (const ConfigError& e) {
    return Error(ErrorCode::kUnavailable, std::string("the store's state is not usable: ") + e.what());
  }
  // "access=3,identity=2,...": the policy versions in force, recorded in audit entries.
  for (const auto& [domain, f] : prints) {
    if (domain == "secrets") continue;
    if (!config->state_versions.empty()) config->state_versions += ',';
    config->state_versions += domain + "=" + std::to_string(f.version);
  }
  seen_counter_ = counter.value();
  std::lock_guard lock(mu_);
  fingerprints_ = std::move(prints);
  return config;
}

void SnapshotSource::start(Publish publish, Health health) {
  publish_ = std::move(publish);
  health_ = std::move(health);
  thread_ = std::thread([this] { run(); });
}

void SnapshotSource::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::map<std::string, DomainFingerprint> SnapshotSource::fingerprints() const {
  std::lock_guard lock(mu_);
  return fingerprints_;
}

Status SnapshotSource::expire_counters(std::int64_t now_unix) {
  if (!store_) return Error(ErrorCode::kUnavailable, "no store");
  return store_->counters().expire(policy::minute_window(now_unix) - 1);
}

void SnapshotSource::set_degraded(bool d, const std::string& why) {
  if (degraded_.exchange(d) == d) return;
  if (d) log::error("store unavailable; serving the last snapshot", {{"error", why}});
  else log::info("store reachable again");
  if (health_) health_(d);
}

void SnapshotSource::run() {
  // PostgreSQL: LISTEN for the NOTIFY every apply/rollback sends, so a change is seen at
  // once; polling the counter every poll_ stays as the fallback (and is all SQLite has).
  std::unique_ptr<store::postgres::StateListener> listener;
  for (;;) {
    if (!listener && store_ && store_->backend() == "postgres") {
      auto l = store::postgres::StateListener::open(store_url_);
      if (l) listener = std::move(l.value());
    }
    if (listener) {
      // Short waits keep stop() prompt; the counter is still read every poll_ regardless.
      auto w = listener->wait(std::min(poll_, std::chrono::milliseconds(200)));
      if (!w) listener.reset();  // connection lost: poll until it is back
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      bool notified = w && w.value().has_value();
      if (!notified && std::chrono::steady_clock::now() - last_poll_ < poll_) continue;
    } else {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, poll_, [this] { return stop_; })) return;
    }
    last_poll_ = std::chrono::steady_clock::now();
    Result<std::shared_ptr<Config>> next = Error(ErrorCode::kUnavailable, "");
    if (store_ && std::chrono::steady_clock::now() - last_expiry_ > std::chrono::minutes(1)) {
      last_expiry_ = std::chrono::steady_clock::now();
      if (Status st = expire_counters(unix_seconds()); !st)
        log::warn("rate-limit counter expiry failed", {{"error", st.error().message()}});
    }
    if (!store_ || seen_counter_ < 0) {
      next = load();  // no snapshot yet, or the store was never reached
    } else {
      auto counter = store_->state().change_counter();
      if (!counter) {
        next = std::move(counter.error());
      } else if (counter.value() == seen_counter_) {
        set_degraded(false, "");
        continue;
      } else {
        next = rebuild();
      }
    }
    if (!next) {
      set_degraded(true, next.error().message());
      continue;
    }
    set_degraded(false, "");
    log::info("state snapshot loaded", {{"change_counter", seen_counter_}});
    publish_(std::move(next.value()));
  }
}

}  // namespace cutover::gateway
