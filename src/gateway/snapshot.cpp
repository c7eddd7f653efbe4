#include "gateway/snapshot.hpp"

#include "core/clock.hpp"
#include "core/log.hpp"

namespace cutover::gateway {

SnapshotSource::SnapshotSource(std::string node_yaml, std::string store_url,
                               Result<identity::MasterKey> master_key,
                               std::chrono::milliseconds poll)
    : node_yaml_(std::move(node_yaml)), watch_(std::move(store_url), poll) {
  if (master_key) box_.emplace(std::move(master_key.value()));
  else box_problem_ = master_key.error().message();
}

SnapshotSource::~SnapshotSource() { stop(); }

Result<std::shared_ptr<Config>> SnapshotSource::load() {
  if (auto s = watch_.open(); !s) return std::move(s.error());
  return rebuild();
}

Result<std::shared_ptr<Config>> SnapshotSource::rebuild() {
  // The counter is read first: a change racing with active() is picked up next poll.
  store::Store& store = *watch_.store();
  auto counter = store.state().change_counter();
  if (!counter) return std::move(counter.error());
  auto active = store.state().active();
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
  watch_.seen(counter.value());
  std::lock_guard lock(mu_);
  fingerprints_ = std::move(prints);
  return config;
}

void SnapshotSource::start(Publish publish, Health health) {
  publish_ = std::move(publish);
  health_ = std::move(health);
  watch_.start({.tick = [this] { expire_if_due(); },
                .reload = [this] { return reload(); },
                .health =
                    [this](const Status& st) {
                      set_degraded(!st, st ? std::string() : st.error().message());
                    }});
}

void SnapshotSource::stop() { watch_.stop(); }

std::map<std::string, DomainFingerprint> SnapshotSource::fingerprints() const {
  std::lock_guard lock(mu_);
  return fingerprints_;
}

Status SnapshotSource::expire_counters(std::int64_t now_unix) {
  store::Store* store = watch_.store();
  if (!store) return Error(ErrorCode::kUnavailable, "no store");
  return store->counters().expire(policy::minute_window(now_unix) - 1);
}

void SnapshotSource::expire_if_due() {
  if (!watch_.store() || std::chrono::steady_clock::now() - last_expiry_ <= std::chrono::minutes(1))
    return;
  last_expiry_ = std::chrono::steady_clock::now();
  if (Status st = expire_counters(unix_seconds()); !st)
    log::warn("rate-limit counter expiry failed", {{"error", st.error().message()}});
}

void SnapshotSource::set_degraded(bool d, const std::string& why) {
  if (degraded_.exchange(d) == d) return;
  if (d) log::error("store unavailable; serving the last snapshot", {{"error", why}});
  else log::info("store reachable again");
  if (health_) health_(d);
}

Status SnapshotSource::reload() {
  auto next = load();  // opens the store first if it was never reached
  if (!next) return std::move(next.error());
  set_degraded(false, "");
  log::info("state snapshot loaded", {{"change_counter", watch_.seen()}});
  publish_(std::move(next.value()));
  return {};
}

}  // namespace cutover::gateway
