#include "gateway/counters.hpp"

#include "core/log.hpp"

namespace cutover::gateway {
namespace net = http::net;

Counters::Counters(std::string url, int connections)
    : url_(std::move(url)), pool_(static_cast<std::size_t>(connections)) {
  for (int i = 0; i < connections; ++i) slots_.push_back(std::make_unique<Slot>());
}

Counters::~Counters() { pool_.join(); }

store::Store* Counters::ready(Slot& slot, std::string* error) {
  std::lock_guard lock(slot.mu);
  if (!slot.store) {
    auto s = store::open_store(url_);
    if (!s) {
      *error = s.error().message();
      return nullptr;
    }
    slot.store = std::move(s.value());
  }
  return slot.store.get();
}

namespace {

// Runs fn() on the pool, then completes on the caller's executor (the worker thread the
// request's coroutine lives on).
template <class Fn, class Token>
auto on_pool(net::thread_pool& pool, Fn fn, Token&& token) {
  return net::async_initiate<Token, void(Counters::Outcome)>(
      [&pool](auto handler, Fn f) {
        auto work = net::make_work_guard(handler);
        net::post(pool, [handler = std::move(handler), f = std::move(f), work = std::move(work)]() mutable {
          Counters::Outcome out = f();
          auto home = work.get_executor();
          net::post(home, [handler = std::move(handler), out = std::move(out)]() mutable {
            std::move(handler)(std::move(out));
          });
        });
      },
      token, std::move(fn));
}

}  // namespace

net::awaitable<Counters::Outcome> Counters::try_add(std::string key, std::int64_t window,
                                                    std::int64_t amount, std::int64_t limit) {
  Slot& slot = next();
  // Named, not a temporary inside the co_await expression: GCC 12 mishandles the
  // lifetime of such temporaries in coroutines (seen as a heap corruption here).
  auto job = [this, &slot, key = std::move(key), window, amount, limit] {
        Outcome out;
        store::Store* s = ready(slot, &out.error);
        if (!s) return out;
        auto r = s->counters().try_add(key, window, amount, limit);
        if (!r) {
          out.error = r.error().message();
          return out;
        }
        out.ok = true;
        out.result = r.value();
        return out;
      };
  auto op = on_pool(pool_, std::move(job), net::use_awaitable);
  Outcome out = co_await std::move(op);
  co_return out;
}

bool Counters::take_local(const std::string& key, std::int64_t window, std::int64_t amount) {
  std::lock_guard lock(leases_mu_);
  auto it = leases_.find(key);
  if (it == leases_.end() || it->second.window != window) return false;
  Lease& l = it->second;
  if (l.used + amount > l.granted) return false;
  l.used += amount;
  return true;
}

void Counters::add_lease(const std::string& key, std::int64_t window, std::int64_t granted, std::int64_t used) {
  std::lock_guard lock(leases_mu_);
  if (leases_.size() > 100'000)  // forget leases of past windows
    std::erase_if(leases_, [window](const auto& kv) { return kv.second.window < window; });
  Lease& l = leases_[key];
  if (l.window != window) l = Lease{window, 0, 0};
  l.granted += granted;
  l.used += used;
}

net::awaitable<Counters::Outcome> Counters::take(std::string key, std::int64_t window, std::int64_t amount,
                                                 std::int64_t limit) {
  if (take_local(key, window, amount)) {
    Outcome local;
    local.ok = true;
    local.result.admitted = true;
    co_return local;
  }
  const std::int64_t want = std::max(limit / kLeaseDivisor, amount);
  Outcome out = co_await try_add(key, window, want, limit);
  std::int64_t granted = want;
  if (out.ok && !out.result.admitted && want > amount) {
    // Not room for a whole lease: maybe still for this request alone.
    out = co_await try_add(key, window, amount, limit);
    granted = amount;
  }
  if (out.ok && out.result.admitted) add_lease(key, window, granted, amount);
  co_return out;
}

void Counters::give_back(const std::string& key, std::int64_t window, std::int64_t delta) {
  if (delta == 0) return;
  std::int64_t to_store = delta;
  {
    std::lock_guard lock(leases_mu_);
    auto it = leases_.find(key);
    if (it != leases_.end() && it->second.window == window) {
      Lease& l = it->second;
      if (delta < 0) {
        std::int64_t back = std::min(-delta, l.used);
        l.used -= back;
        to_store = delta + back;
      } else {
        std::int64_t room = std::min(delta, l.granted - l.used);
        l.used += room;
        to_store = delta - room;
      }
    }
  }
  if (to_store) adjust_later(key, window, to_store);
}

void Counters::adjust_later(std::string key, std::int64_t window, std::int64_t delta) {
  if (delta == 0) return;
  Slot& slot = next();
  net::post(pool_, [this, &slot, key = std::move(key), window, delta] {
    std::string error;
    store::Store* s = ready(slot, &error);
    Status st = s ? s->counters().adjust(key, window, delta) : Status(Error(ErrorCode::kUnavailable, error));
    if (!st) log::warn("rate-limit reconcile failed", {{"key", key}, {"error", st.error().message()}});
  });
}

}  // namespace cutover::gateway
