#include "gateway/pipeline.hpp"

#include "gateway/stages/authenticate.hpp"
#include "gateway/stages/decode.hpp"
#include "gateway/stages/route.hpp"
#include "gateway/stages/upstream.hpp"

namespace cutover::gateway {

std::vector<std::unique_ptr<Stage>> default_stages(PipelineDeps deps) {
  std::vector<std::unique_ptr<Stage>> s;
  // 1. Nothing else runs for a caller we do not know; not even the body is parsed.
  s.push_back(std::make_unique<Authenticate>());
  // 2. Parse and check the body once; later stages read typed fields, never raw JSON text.
  s.push_back(std::make_unique<Decode>());
  // 3. Alias -> route, and whether this identity may use it, before any provider is paid.
  s.push_back(std::make_unique<RouteStage>());
  // 4. Call the provider chain with retries and fallbacks; streams pass through here.
  s.push_back(std::make_unique<Upstream>(deps.metrics));
  return s;
}

http::net::awaitable<void> Pipeline::run(RequestContext& ctx) {
  for (auto& stage : stages_) {
    Status st = co_await stage->run(ctx);
    if (!st) {
      // A stream that already started cannot turn into an error response; the upstream
      // stage has ended it with an error event.
      if (!ctx.exchange.responded()) co_await respond_error(ctx, st.error());
      co_return;
    }
  }
  if (ctx.response) {
    auto& res = *ctx.response;
    add_gateway_headers(ctx, res);
    ctx.status = res.result_int();
    auto overhead = Clock::now() - ctx.start - ctx.upstream_wait;
    res.set("x-cutover-overhead-us",
            std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(overhead).count()));
    co_await ctx.exchange.send(std::move(res));
  }
}

http::net::awaitable<void> respond_error(RequestContext& ctx, const Error& e) {
  http::Response res{static_cast<http::bhttp::status>(e.http_status()), ctx.request.version()};
  res.set(http::bhttp::field::content_type, "application/json");
  add_gateway_headers(ctx, res);
  if (auto ra = e.retry_after()) res.set(http::bhttp::field::retry_after, std::to_string((ra->count() + 999) / 1000));
  res.body() = e.to_openai_json();
  ctx.status = res.result_int();
  co_await ctx.exchange.send(std::move(res));
}

}  // namespace cutover::gateway
