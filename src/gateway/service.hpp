// The gateway as an HTTP handler: the OpenAI endpoints through the pipeline, plus
// /healthz, /readyz, /metrics and GET /v1/models.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <functional>
#include <memory>

#include "gateway/config.hpp"
#include "gateway/metrics.hpp"
#include "gateway/pipeline.hpp"
#include "gateway/stages/audit.hpp"
#include "http/server.hpp"

namespace cutover::gateway {

class Service final : public http::Handler {
 public:
  // has_state=false: the config carries node settings only (the store was unreachable at
  // start); API requests get 503 until adopt() brings a snapshot.
  // counters: shared rate-limit counters (null without a store); must outlive the service.
  // audit: the audit log's writer (null: none); must outlive the service.
  Service(std::shared_ptr<Config> config, bool has_state = true, Counters* counters = nullptr,
          audit::Writer* audit = nullptr);

  // Serve new requests from this snapshot; requests in flight finish on theirs.
  void adopt(std::shared_ptr<Config> config);
  void set_store_degraded(bool degraded) { metrics_.store_degraded.store(degraded ? 1 : 0); }
  // Adds {"state": ...} (per-domain versions and fingerprints) to /readyz.
  void set_state_reporter(std::function<boost::json::object()> f) { state_reporter_ = std::move(f); }

  http::net::awaitable<void> handle(http::Request& req, http::Exchange& ex) override;
  http::Response error_response(const Error& e, unsigned version) override;

  // Wired after the server starts (for open connection counts and drain state).
  void attach(const http::Server* server) { server_ = server; }
  // /readyz answers 503 from now on.
  void set_draining() { draining_.store(true); }
  Metrics& metrics() { return metrics_; }
  std::shared_ptr<const Config> config() const { return config_.load(); }

 private:
  http::net::awaitable<void> models(RequestContext& ctx);
  void finish(RequestContext& ctx);

  Metrics metrics_;
  std::atomic<std::shared_ptr<const Config>> config_;
  std::atomic<bool> has_state_{false};
  std::function<boost::json::object()> state_reporter_;
  Pipeline pipeline_;
  audit::Writer* audit_ = nullptr;
  AuditStage models_audit_;  // /v1/models is not a pipeline request but is audited
  const http::Server* server_ = nullptr;
  std::atomic<bool> draining_{false};
};

}  // namespace cutover::gateway
