#include "gateway/service.hpp"

#include <boost/json/serialize.hpp>

#include "core/log.hpp"
#include "audit/writer.hpp"
#include "gateway/stages/audit.hpp"
#include "gateway/stages/authenticate.hpp"

namespace cutover::gateway {
namespace bhttp = http::bhttp;
using std::chrono::duration_cast;
using std::chrono::microseconds;

namespace {

http::Response text(bhttp::status s, unsigned version, std::string_view content_type, std::string body) {
  http::Response res{s, version};
  res.set(bhttp::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

}  // namespace

Service::Service(std::shared_ptr<Config> config, bool has_state, Counters* counters,
                 audit::Writer* audit)
    : metrics_(config->color),
      pipeline_(default_stages(PipelineDeps{metrics_, counters, audit})),
      audit_(audit),
      models_audit_(audit, metrics_) {
  if (audit) metrics_.audit = &audit->stats();
  adopt(std::move(config));
  has_state_.store(has_state);
}

void Service::adopt(std::shared_ptr<Config> config) {
  for (auto& r : config->routes) r.metrics_slot = metrics_.slot_for(r.alias);
  config_.store(std::move(config));
  has_state_.store(true);
}

http::Response Service::error_response(const Error& e, unsigned version) {
  auto res = Handler::error_response(e, version);
  res.set("x-cutover-color", config_.load()->color);
  return res;
}

http::net::awaitable<void> Service::handle(http::Request& req, http::Exchange& ex) {
  RequestContext ctx(req, ex, config_.load());
  auto rid = req["x-request-id"];
  ctx.request_id = valid_request_id(rid) ? std::string(rid) : new_request_id();
  std::string_view target = req.target();
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  const bool post = req.method() == bhttp::verb::post, get = req.method() == bhttp::verb::get;

  const bool api = target == "/v1/chat/completions" || target == "/v1/embeddings" || target == "/v1/models";
  if (api && !has_state_.load(std::memory_order_relaxed)) {
    co_await respond_error(ctx, Error(ErrorCode::kUnavailable,
                                      "This gateway has no state yet: its store has not been reachable "
                                      "since it started. Retry shortly; /readyz says when it is ready.")
                                    .with_retry_after(std::chrono::seconds(1)));
    finish(ctx);
    co_return;
  }
  if (target == "/v1/chat/completions" || target == "/v1/embeddings") {
    if (!post) {
      co_await respond_error(ctx, Error(ErrorCode::kMethodNotAllowed, "Use POST for " + std::string(target) + "."));
    } else {
      ctx.endpoint = target == "/v1/embeddings" ? Endpoint::kEmbeddings : Endpoint::kChatCompletions;
      // A copy mirrored by the switch: recorded as shadow, not counted against the caller.
      if (!ctx.config->shadow_token.empty()) {
        std::string_view mark = req["x-cutover-shadow"];
        ctx.shadow = !mark.empty() && mark.size() == ctx.config->shadow_token.size() &&
                     constant_time_equal(sha256(mark), sha256(ctx.config->shadow_token));
      }
      ctx.trace = parse_traceparent(req["traceparent"]);
      ctx.traceparent_out = child_traceparent(ctx.trace, &ctx.trace_id);
      co_await pipeline_.run(ctx);
    }
    finish(ctx);
    co_return;
  }
  if (target == "/v1/models" && get) {
    ctx.endpoint = Endpoint::kModels;
    co_await models(ctx);
    finish(ctx);
    co_return;
  }
  // Operational endpoints: not counted as API traffic.
  if (target == "/healthz" && get) {
    co_await ex.send(text(bhttp::status::ok, req.version(), "text/plain", "ok\n"));
  } else if (target == "/readyz" && get) {
    // Degraded still serves (from the last snapshot); no state or draining does not.
    std::string_view status = draining_.load()                  ? "draining"
                              : !has_state_.load()              ? "no_state"
                              : metrics_.store_degraded.load()  ? "degraded"
                                                                : "ready";
    boost::json::object body{{"status", status}};
    if (state_reporter_) body["state"] = state_reporter_();
    bool ok = status == "ready" || status == "degraded";
    co_await ex.send(text(ok ? bhttp::status::ok : bhttp::status::service_unavailable, req.version(),
                          "application/json", boost::json::serialize(body)));
  } else if (target == "/metrics" && get) {
    co_await ex.send(text(bhttp::status::ok, req.version(), "text/plain; version=0.0.4",
                          metrics_.render(server_ ? server_->open_connections() : 0)));
  } else if (target == "/v1/models" || target == "/healthz" || target == "/readyz" || target == "/metrics") {
    co_await respond_error(ctx, Error(ErrorCode::kMethodNotAllowed, "Use GET for " + std::string(target) + "."));
  } else {
    co_await respond_error(ctx, Error(ErrorCode::kNotFound, "Unknown path '" + std::string(target) +
                                                                 "'. This gateway serves /v1/chat/completions, "
                                                                 "/v1/embeddings and /v1/models."));
  }
}

http::net::awaitable<void> Service::models(RequestContext& ctx) {
  // Not a pipeline request, but an API request all the same: audited like one.
  if (Status st = co_await models_audit_.run(ctx); !st) co_return co_await respond_error(ctx, st.error());
  if (Status st = Authenticate::check(ctx); !st) co_return co_await respond_error(ctx, st.error());
  boost::json::array data;
  for (const auto& r : ctx.config->routes) {
    if (!ctx.identity->may_use(r.alias)) continue;
    data.push_back({{"id", r.alias}, {"object", "model"}, {"created", 0}, {"owned_by", "cutover"}});
  }
  boost::json::object body{{"object", "list"}, {"data", std::move(data)}};
  auto res = text(bhttp::status::ok, ctx.request.version(), "application/json", boost::json::serialize(body));
  if (!co_await seal_before_send(ctx, 200, nullptr, res.body())) co_return;
  GatewayHeaders(ctx).apply(res);
  ctx.status = 200;
  co_await ctx.exchange.send(std::move(res));
}

void Service::finish(RequestContext& ctx) {
  auto total = Clock::now() - ctx.start;
  std::size_t route = ctx.route ? ctx.route->metrics_slot : Metrics::kNoRoute;
  metrics_.count_request(route, ctx.status);
  metrics_.total.observe(total);
  if (ctx.attempts) {
    metrics_.upstream.observe(ctx.upstream_wait);
    metrics_.overhead.observe(total - ctx.upstream_wait);
    metrics_.count_tokens(route, ctx.tokens_in, ctx.tokens_out);
  }
  if (ctx.time_to_first_token) metrics_.time_to_first_token.observe(*ctx.time_to_first_token);
  if (!ctx.config->access_log) return;
  log::Line line(LogLevel::kInfo, "request");
  line.str("request_id", ctx.request_id)
      .str("method", ctx.request.method_string())
      .str("path", ctx.request.target())
      .num("status", ctx.status)
      .num("duration_us", duration_cast<microseconds>(total).count());
  if (!ctx.trace_id.empty()) line.str("trace_id", ctx.trace_id);
  if (ctx.identity) {
    line.str("key_id", ctx.identity->id);
    if (!ctx.identity->tenant.empty()) line.str("tenant", ctx.identity->tenant);
  }
  if (!ctx.model.empty()) line.str("model", ctx.model);
  if (ctx.route) line.str("route_version", ctx.route->version);
  if (ctx.attempts) {
    line.str("provider", ctx.provider)
        .num("attempts", ctx.attempts)
        .num("upstream_status", ctx.upstream_status)
        .num("upstream_us", duration_cast<microseconds>(ctx.upstream_wait).count())
        .num("overhead_us", duration_cast<microseconds>(total - ctx.upstream_wait).count())
        .num("tokens_in", ctx.tokens_in)
        .num("tokens_out", ctx.tokens_out);
    if (ctx.stream) line.flag("stream", true);
  }
  if (ctx.retries) line.num("retries", ctx.retries);
  if (!ctx.fallback_reason.empty()) line.str("fallback_reason", ctx.fallback_reason);
  line.emit();
}

}  // namespace cutover::gateway
