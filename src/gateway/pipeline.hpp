// The request path of a gateway: an ordered list of stages (pipeline.cpp, default_stages()
// is the one place where the order is written down).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/metrics.hpp"
#include "gateway/stage.hpp"

namespace cutover::gateway {

struct PipelineDeps {
  Metrics& metrics;
};

std::vector<std::unique_ptr<Stage>> default_stages(PipelineDeps deps);

class Pipeline final {
 public:
  explicit Pipeline(std::vector<std::unique_ptr<Stage>> stages) : stages_(std::move(stages)) {}

  // Runs the stages in order and answers the client: the upstream's response, or the
  // error that stopped the request. Sets ctx.status.
  http::net::awaitable<void> run(RequestContext& ctx);

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
};

// Headers every gateway response carries (x-request-id, x-cutover-color, ...).
template <class Fields>
void add_gateway_headers(const RequestContext& ctx, Fields& f) {
  f.set("x-request-id", ctx.request_id);
  f.set("x-cutover-color", ctx.config->color);
  if (ctx.route) {
    f.set("x-cutover-route-version", ctx.route->version);
    if (!ctx.provider.empty()) f.set("x-cutover-provider", ctx.provider);
    if (ctx.retries) f.set("x-cutover-retries", std::to_string(ctx.retries));
    if (!ctx.fallback_reason.empty()) f.set("x-cutover-fallback-reason", ctx.fallback_reason);
  }
}


// Sends an OpenAI-shaped error with the gateway headers; sets ctx.status.
http::net::awaitable<void> respond_error(RequestContext& ctx, const Error& e);

}  // namespace cutover::gateway
