#include "core/clock.hpp"
#include "switch/plan_source.hpp"

#include <boost/json/parse.hpp>

#include "core/log.hpp"
#include "store/postgres/state_listener.hpp"

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
    : url_(std::move(store_url)),
      id_(std::move(instance_id)),
      address_(std::move(address)),
      poll_(poll),
      started_unix_ns_(unix_nanos()) {}

PlanSource::~PlanSource() { stop(); }

Result<std::shared_ptr<const PlanSnapshot>> PlanSource::load() {
  auto r = connect_and_rebuild();
  if (r) served_ = r.value()->version;
  return r;
}

Result<std::shared_ptr<const PlanSnapshot>> PlanSource::connect_and_rebuild() {
  if (!store_) {
    auto s = store::open_store(url_);
    if (!s) return std::move(s.error());
    store_ = std::move(s.value());
    if (Status m = store_->migrate(); !m) {
      store_.reset();
      return m.error();
    }
  }
  return rebuild();
}

Result<std::shared_ptr<const PlanSnapshot>> PlanSource::rebuild() {
  auto counter = store_->state().change_counter();
  if (!counter) return std::move(counter.error());
  auto active = store_->state().active();
  if (!active) return std::move(active.error());
  std::string plan_doc, identity;
  std::int64_t version = 0;
  for (const auto& v : active.value()) {
    if (v.domain == "traffic") {
      plan_doc = v.document;
      version = v.version;
    }
    if (v.domain == "identity") identity = v.document;
  }
  seen_counter_ = counter.value();
  if (plan_doc.empty())
    return Error(ErrorCode::kUnavailable,
                 "the store has no traffic plan yet: set one with `cutover traffic set --env "
                 "blue=URL --env green=URL --active blue`");
  auto plan = traffic::parse_plan(plan_doc);
  if (!plan) return Error(ErrorCode::kUnavailable, "traffic plan v" + std::to_string(version) +
                                                       " is not usable: " + plan.error().message());
  auto snap = std::make_shared<PlanSnapshot>(PlanSnapshot{std::move(plan.value()), version, callers_of(identity)});
  return std::shared_ptr<const PlanSnapshot>(std::move(snap));
}

void PlanSource::start(Publish publish) {
  publish_ = std::move(publish);
  thread_ = std::thread([this] { run(); });
}

void PlanSource::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (store_) (void)store_->traffic().forget(id_);
}

void PlanSource::heartbeat() {
  if (!store_) return;
  last_heartbeat_ = std::chrono::steady_clock::now();
  store::SwitchInstance me{id_, address_, served_.load(), started_unix_ns_, unix_nanos()};
  if (Status st = store_->traffic().heartbeat(me); !st)
    log::warn("switch heartbeat failed", {{"error", st.error().message()}});
}

void PlanSource::run() {
  std::unique_ptr<store::postgres::StateListener> listener;
  auto last_poll = std::chrono::steady_clock::now();
  heartbeat();
  for (;;) {
    if (!listener && store_ && store_->backend() == "postgres") {
      auto l = store::postgres::StateListener::open(url_);
      if (l) listener = std::move(l.value());
    }
    bool notified = false;
    if (listener) {
      auto w = listener->wait(std::min(poll_, std::chrono::milliseconds(200)));
      if (!w) listener.reset();
      notified = w && w.value().has_value();
    } else {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, poll_, [this] { return stop_; });
    }
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_heartbeat_ >= std::chrono::milliseconds(500)) heartbeat();
    if (!notified && now - last_poll < poll_) continue;
    last_poll = now;
    Result<std::shared_ptr<const PlanSnapshot>> next = Error(ErrorCode::kUnavailable, "");
    if (!store_ || seen_counter_ < 0) {
      next = connect_and_rebuild();
    } else {
      auto counter = store_->state().change_counter();
      if (!counter) {
        next = std::move(counter.error());
      } else if (counter.value() == seen_counter_) {
        degraded_ = false;
        continue;
      } else {
        next = rebuild();
      }
    }
    if (!next) {
      if (!degraded_.exchange(true)) log::error("traffic plan unavailable; serving the last one", {{"error", next.error().message()}});
      continue;
    }
    degraded_ = false;
    if (next.value()->version != served_.load()) {
      log::info("traffic plan adopted", {{"version", next.value()->version}});
      publish_(next.value());
      served_ = next.value()->version;
      heartbeat();  // at once: `cutover traffic` is waiting for it
    }
  }
}

}  // namespace cutover::switching
