#include "gateway/pipeline.hpp"

#include <charconv>

#include "gateway/stages/audit.hpp"
#include "gateway/stages/authenticate.hpp"
#include "gateway/stages/decode.hpp"
#include "gateway/stages/rate_limit.hpp"
#include "gateway/stages/route.hpp"
#include "gateway/stages/upstream.hpp"

namespace cutover::gateway {

std::vector<std::unique_ptr<Stage>> default_stages(PipelineDeps deps) {
  std::vector<std::unique_ptr<Stage>> s;
  // 0. Whether the request may run at all: unrecorded requests are not served (fail
  //    closed). Its entry is sealed when the response is about to complete.
  s.push_back(std::make_unique<AuditStage>(deps.audit, deps.metrics));
  // 1. Nothing else runs for a caller we do not know; not even the body is parsed.
  s.push_back(std::make_unique<Authenticate>());
  // 2. Parse and check the body once; later stages read typed fields, never raw JSON text.
  s.push_back(std::make_unique<Decode>());
  // 3. Caps and shared rate counters: refuse before routing or paying a provider; needs
  //    the identity (whose counter) and the decoded body (how many tokens to reserve).
  s.push_back(std::make_unique<RateLimit>(deps.counters, deps.metrics));
  // 4. Alias -> route, and whether this identity may use it, before any provider is paid.
  s.push_back(std::make_unique<RouteStage>());
  // 5. Call the provider chain with retries and fallbacks; streams pass through here.
  s.push_back(std::make_unique<Upstream>(deps.metrics));
  return s;
}

GatewayHeaders::GatewayHeaders(const RequestContext& ctx) {
  add("x-request-id", ctx.request_id);
  add("x-cutover-color", ctx.config->color);
  if (!ctx.route) return;
  add("x-cutover-route-version", ctx.route->version);
  if (!ctx.provider.empty()) add("x-cutover-provider", ctx.provider);
  if (ctx.retries) {
    auto [end, ec] = std::to_chars(retries_, retries_ + sizeof retries_, ctx.retries);
    add("x-cutover-retries", std::string_view(retries_, static_cast<std::size_t>(end - retries_)));
  }
  if (!ctx.fallback_reason.empty()) add("x-cutover-fallback-reason", ctx.fallback_reason);
}

http::net::awaitable<void> Pipeline::run(RequestContext& ctx) {
  std::size_t ran = 0;
  std::optional<Error> stopped;
  for (auto& stage : stages_) {
    ++ran;
    Status st = co_await stage->run(ctx);
    if (!st) {
      stopped.emplace(std::move(st.error()));
      break;
    }
  }
  if (stopped) {
    // A stream that already started cannot turn into an error response; the upstream
    // stage has ended it with an error event (and sealed its entry).
    if (!ctx.exchange.responded()) co_await respond_error(ctx, *stopped);
  } else if (ctx.response_status) {
    if (co_await seal_before_send(ctx, static_cast<int>(ctx.response_status), nullptr, ctx.response_body))
      co_await send_response(ctx);
  }
  // Whatever ended the request without a sealed entry (the client left): written unwaited.
  if (ctx.audit && !ctx.audit_sealed)
    ctx.audit->seal_detached(ctx, ctx.status ? ctx.status : 499,
                             stopped ? &*stopped : nullptr);
  while (ran > 0) stages_[--ran]->finish(ctx);
}

http::net::awaitable<void> Pipeline::send_response(RequestContext& ctx) {
  GatewayHeaders h(ctx);
  h.add("Content-Type", "application/json");
  auto overhead = Clock::now() - ctx.start - ctx.upstream_wait;
  char us[24];
  auto [end, ec] = std::to_chars(us, us + sizeof us,
                                 std::chrono::duration_cast<std::chrono::microseconds>(overhead).count());
  h.add("x-cutover-overhead-us", std::string_view(us, static_cast<std::size_t>(end - us)));
  ctx.status = static_cast<int>(ctx.response_status);
  co_await ctx.exchange.send(ctx.response_status, h.span(), ctx.response_body);
}

http::net::awaitable<bool> seal_before_send(RequestContext& ctx, int status, const Error* error,
                                            std::string_view body) {
  if (!ctx.audit || ctx.audit_sealed) co_return true;
  Status st = co_await ctx.audit->seal(ctx, status, error, sha256(body));
  if (st) co_return true;
  co_await respond_error(ctx, audit_failed(st.error()));  // sealed already: not audited again
  co_return false;
}

http::net::awaitable<void> respond_error(RequestContext& ctx, const Error& e) {
  std::string body = e.to_openai_json();
  if (!co_await seal_before_send(ctx, e.http_status(), &e, body)) co_return;
  GatewayHeaders h(ctx);
  h.add("Content-Type", "application/json");
  std::string retry_after;
  if (auto ra = e.retry_after()) {
    retry_after = std::to_string((ra->count() + 999) / 1000);
    h.add("Retry-After", retry_after);
  }
  ctx.status = e.http_status();
  co_await ctx.exchange.send(static_cast<unsigned>(ctx.status), h.span(), body);
}

}  // namespace cutover::gateway
