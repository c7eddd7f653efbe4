#include "core/clock.hpp"
#include "switch/plan_source.hpp"

#include <boost/json/parse.hpp>

#include "core/log.hpp"

namespace cutover::switching {
namespace {


// api_keys[].key_sha256 -> (id, tenant) from the identity document.
std::unordered_map<std::string, Caller> callers_of(const std::string& identity) {
  std::unordered_map<std::string, Caller> out;
  if (identity.empty()) return out;
  boost::json::error_code ec;
  auto v = boost::json::parse(identity, ec);
  if (ec || !v.is_object()) return out;
  const auto* keys = v.as_object().if_contains("api_keys");
  if (!keys || !keys->is_array()) return out;
  for (const auto& k : keys->as_array()) {
    if (!k.is_object()) continue;
    const auto& o = k.as_object();
    const auto* sha = o.if_contains("key_sha256");
    if (!sha || !sha->is_string()) continue;
    Caller c;
    if (const auto* id = o.if_contains("id"); id && id->is_string()) c.subject = id->as_string();
    if (const auto* t = o.if_contains("tenant"); t && t->is_string()) c.tenant = t->as_string();
    out.emplace(std::string(sha->as_string()), std::move(c));
  }
  return out;
}

}  // namespace

PlanSource::PlanSource(std::string store_url, std::string instance_id, std::string address,
                       std::chrono::milliseconds poll)
    : id_(std::move(instance_id)),
      address_(std::move(address)),
      started_unix_ns_(unix_nanos()),
      watch_(std::move(store_url), poll) {}

PlanSource::~PlanSource() { stop(); }

Result<std::shared_ptr<const PlanSnapshot>> PlanSource::load() {
  auto r = connect_and_rebuild();
  if (r) served_ = r.value()->version;
  return r;
}

Result<std::shared_ptr<const PlanSnapshot>> PlanSource::connect_and_rebuild() {
  if (auto s = watch_.open(); !s) return std::move(s.error());
  return rebuild();
}

Result<std::shared_ptr<const PlanSnapshot>> PlanSource::rebuild() {
  store::Store& store = *watch_.store();
  auto counter = store.state().change_counter();
  if (!counter) return std::move(counter.error());
  auto active = store.state().active();
  if (!active) return std::move(active.error());
  std::string plan_doc, identity;
  std::int64_t version = 0, identity_version = 0;
  for (const auto& v : active.value()) {
    if (v.domain == "traffic") {
      plan_doc = v.document;
      version = v.version;
    }
    if (v.domain == "identity") {
      identity = v.document;
      identity_version = v.version;
    }
  }
  watch_.seen(counter.value());
  if (plan_doc.empty())
    return Error(ErrorCode::kUnavailable,
                 "the store has no traffic plan yet: set one with `cutover traffic set --env "
                 "blue=URL --env green=URL --active blue`");
  auto plan = traffic::parse_plan(plan_doc);
  if (!plan) return Error(ErrorCode::kUnavailable, "traffic plan v" + std::to_string(version) +
                                                       " is not usable: " + plan.error().message());
  auto snap = std::make_shared<PlanSnapshot>(
      PlanSnapshot{std::move(plan.value()), version, callers_of(identity), identity_version});
  return std::shared_ptr<const PlanSnapshot>(std::move(snap));
}

void PlanSource::start(Publish publish) {
  publish_ = std::move(publish);
  watch_.start({.tick =
                    [this] {
                      if (std::chrono::steady_clock::now() - last_heartbeat_ >=
                          std::chrono::milliseconds(500))
                        heartbeat();
                    },
                .reload = [this] { return reload(); },
                .health = [this](const Status& st) { health(st); }});
}

void PlanSource::stop() {
  if (stopped_) return;
  stopped_ = true;
  watch_.stop();
  if (store::Store* store = watch_.store()) (void)store->traffic().forget(id_);
}

void PlanSource::heartbeat() {
  store::Store* store = watch_.store();
  if (!store) return;
  last_heartbeat_ = std::chrono::steady_clock::now();
  store::SwitchInstance me{id_, address_, served_.load(), started_unix_ns_, unix_nanos()};
  if (Status st = store->traffic().heartbeat(me); !st)
    log::warn("switch heartbeat failed", {{"error", st.error().message()}});
}

Status PlanSource::reload() {
  auto next = connect_and_rebuild();
  if (!next) return std::move(next.error());
  degraded_ = false;
  const PlanSnapshot& snap = *next.value();
  if (snap.version != served_.load()) {
    log::info("traffic plan adopted", {{"version", snap.version}});
    publish_(next.value());
    served_ = snap.version;
    served_identity_ = snap.identity_version;
    heartbeat();  // at once: `cutover traffic` is waiting for it
  } else if (snap.identity_version != served_identity_) {
    // Same plan, other callers (keys added, tenants moved): cohorts and sticky routing
    // follow them.
    log::info("callers updated", {{"identity_version", snap.identity_version}});
    publish_(next.value());
    served_identity_ = snap.identity_version;
  }
  return {};
}

void PlanSource::health(const Status& st) {
  if (st) {
    degraded_ = false;
  } else if (!degraded_.exchange(true)) {
    log::error("traffic plan unavailable; serving the last one", {{"error", st.error().message()}});
  }
}

}  // namespace cutover::switching
