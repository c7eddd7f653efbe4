// Stage 3: the "limits" policy. Caps (max_tokens, input size) answer 403 naming the policy
// version; rates (requests and tokens per minute, per key or tenant) are counted in the
// shared store so every gateway process on every host shares one count, and answer 429
// with Retry-After. Tokens are reserved before the call (max_tokens or an estimate) and
// reconciled with the provider's usage after it.
//
// When the store cannot answer, the request is admitted (fail open) and counted in
// cutover_rate_limit_store_errors_total: a limiter outage must not become a traffic outage.
#pragma once

#include "gateway/counters.hpp"
#include "gateway/metrics.hpp"
#include "gateway/stage.hpp"

namespace cutover::gateway {

class RateLimit final : public Stage {
 public:
  RateLimit(Counters* counters, Metrics& metrics) : counters_(counters), metrics_(metrics) {}
  std::string_view name() const override { return "rate_limit"; }
  http::net::awaitable<Status> run(RequestContext& ctx) override;
  void finish(RequestContext& ctx) override;

 private:
  Counters* counters_;  // null: no store, so rates are not enforced (caps still are)
  Metrics& metrics_;
};

}  // namespace cutover::gateway
