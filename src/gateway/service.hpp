// The gateway as an HTTP handler: the OpenAI endpoints through the pipeline, plus
// /healthz, /readyz, /metrics and GET /v1/models.
#pragma once

#include <atomic>
#include <memory>

#include "gateway/config.hpp"
#include "gateway/metrics.hpp"
#include "gateway/pipeline.hpp"
#include "http/server.hpp"

namespace cutover::gateway {

class Service final : public http::Handler {
 public:
  explicit Service(std::shared_ptr<const Config> config);

  http::net::awaitable<void> handle(http::Request& req, http::Exchange& ex) override;
  http::Response error_response(const Error& e, unsigned version) override;

  // Wired after the server starts (for open connection counts and drain state).
  void attach(const http::Server* server) { server_ = server; }
  // /readyz answers 503 from now on.
  void set_draining() { draining_.store(true); }
  Metrics& metrics() { return metrics_; }

 private:
  http::net::awaitable<void> models(RequestContext& ctx);
  void finish(RequestContext& ctx);

  std::shared_ptr<const Config> config_;
  Metrics metrics_;
  Pipeline pipeline_;
  const http::Server* server_ = nullptr;
  std::atomic<bool> draining_{false};
};

}  // namespace cutover::gateway
