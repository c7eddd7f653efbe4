#include "gateway/stages/rate_limit.hpp"

#include <chrono>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "policy/limits.hpp"

namespace cutover::gateway {
namespace net = http::net;

namespace {

std::string version_tag(const policy::Limits& l) { return "limits policy v" + std::to_string(l.version); }

}  // namespace

net::awaitable<Status> RateLimit::run(RequestContext& ctx) {
  const policy::Limits& lim = ctx.config->limits_policy;
  if (lim.empty()) co_return Status{};
  if (lim.max_tokens && ctx.max_tokens > lim.max_tokens)
    co_return Error(ErrorCode::kPermissionDenied,
                    "max_tokens " + std::to_string(ctx.max_tokens) + " exceeds the cap of " +
                        std::to_string(lim.max_tokens) + " (" + version_tag(lim) + ").")
        .with_param("max_tokens");
  if (lim.max_input_bytes && static_cast<std::int64_t>(ctx.request.body().size()) > lim.max_input_bytes)
    co_return Error(ErrorCode::kPermissionDenied,
                    "The request body of " + std::to_string(ctx.request.body().size()) +
                        " bytes exceeds the cap of " + std::to_string(lim.max_input_bytes) + " bytes (" +
                        version_tag(lim) + ").");
  // A shadow copy (from the switch, with its token) is not the caller's traffic: caps
  // apply, the caller's rate counters do not.
  if (!counters_ || lim.rate.empty() || ctx.shadow) co_return Status{};

  const std::int64_t now = unix_seconds(), window = policy::minute_window(now);
  const std::int64_t reserve = policy::tokens_to_reserve(ctx.max_tokens, ctx.request.body().size());
  for (const auto& rule : lim.rate) {
    bool by_key = rule.scope == policy::RateRule::Scope::kKey;
    if (!by_key && ctx.identity->tenant.empty()) continue;  // no tenant: no tenant counter
    std::string who = by_key ? "key:" + ctx.identity->id : "tenant:" + ctx.identity->tenant;
    for (bool tokens : {false, true}) {
      std::int64_t limit = tokens ? rule.tpm : rule.rpm, amount = tokens ? reserve : 1;
      if (!limit) continue;
      std::string key = (tokens ? "tpm:" : "rpm:") + who;
      auto out = co_await counters_->take(key, window, amount, limit);
      if (!out.ok) {
        metrics_.rate_limit_store_errors.fetch_add(1, std::memory_order_relaxed);
        log::warn("rate-limit store unavailable; admitting", {{"request_id", ctx.request_id}, {"error", out.error}});
        continue;
      }
      if (!out.result.admitted) {
        metrics_.rate_limited.fetch_add(1, std::memory_order_relaxed);
        auto wait = policy::seconds_to_next_window(now);
        co_return Error(ErrorCode::kRateLimited,
                        "Rate limit reached: " + std::to_string(limit) + (tokens ? " tokens" : " requests") +
                            " per minute for " + (by_key ? "API key '" : "tenant '") +
                            (by_key ? ctx.identity->id : ctx.identity->tenant) + "' (" + version_tag(lim) +
                            "). Retry after " + std::to_string(wait) + " s.")
            .with_retry_after(std::chrono::seconds(wait));
      }
      ctx.reservations.push_back({std::move(key), window, amount, tokens});
    }
  }
  co_return Status{};
}

void RateLimit::finish(RequestContext& ctx) {
  if (!counters_) return;
  const bool refused = ctx.status == 429 && ctx.attempts == 0;  // this stage or a later one said no
  for (auto& r : ctx.reservations) {
    std::int64_t delta = 0;
    if (refused) {
      delta = -r.amount;  // nothing was served: give back what an earlier rule took
    } else if (r.tokens) {
      // Reconcile the reservation with what the provider reported (nothing if it failed).
      delta = (ctx.tokens_in + ctx.tokens_out) - r.amount;
    }
    counters_->give_back(r.key, r.window, delta);
  }
}

}  // namespace cutover::gateway
