// The switch's request path: the L7 front door of a blue/green deployment. Each request
// is routed by the traffic plan in force when it ARRIVED (traffic::decide: cohorts,
// sticky canary buckets), to a healthy gateway of that color, with keep-alive on both
// sides; requests and streams in flight finish where they started whatever the plan does
// meanwhile. A sampled copy goes to the color that does not serve (ShadowWriter), never
// delaying or failing the primary. Every response carries x-cutover-color (the serving
// environment) and x-cutover-plan-version.
#pragma once

#include <atomic>
#include <memory>

#include "http/server.hpp"
#include "switch/endpoints.hpp"
#include "switch/metrics.hpp"
#include "switch/plan_source.hpp"
#include "switch/shadow.hpp"
#include "switch/upstream.hpp"

namespace cutover::switching {

struct ServiceOptions {
  std::chrono::milliseconds connect_timeout{2'000};
  // A response's head must arrive within this; a stream may then run as long as events keep
  // coming (stream_idle_timeout between two reads).
  std::chrono::milliseconds response_timeout{300'000};
  std::chrono::milliseconds stream_idle_timeout{120'000};
  std::size_t max_response_bytes = 64u << 20;
};

class Service final : public http::Handler {
 public:
  Service(ServiceOptions options, Endpoints& endpoints, Metrics& metrics, ShadowWriter* shadow);

  // Serve new requests by this plan; requests in flight keep theirs.
  void adopt(std::shared_ptr<const PlanSnapshot> plan);
  std::shared_ptr<const PlanSnapshot> plan() const {
    auto r = routing_.load();
    return r ? r->snap : nullptr;
  }
  void attach(const http::Server* server) { server_ = server; }
  void set_draining() { draining_ = true; }

  http::net::awaitable<void> handle(http::Request& req, http::Exchange& ex) override;

 private:
  // A plan with its endpoints resolved once, at adoption (no lookup per request).
  struct Routing {
    std::shared_ptr<const PlanSnapshot> snap;
    std::vector<std::pair<std::string, std::vector<std::shared_ptr<Endpoint>>>> by_color;
    const std::vector<std::shared_ptr<Endpoint>>& of(std::string_view color) const;
  };
  http::net::awaitable<void> forward(http::Request& req, http::Exchange& ex,
                                     std::shared_ptr<const Routing> routing);

  const ServiceOptions options_;
  const UpstreamOptions upstream_;  // options_'s part that send_upstream() takes
  Endpoints& endpoints_;
  Metrics& metrics_;
  ShadowWriter* shadow_;
  std::atomic<std::shared_ptr<const Routing>> routing_;
  const http::Server* server_ = nullptr;
  std::atomic<bool> draining_{false};
};

}  // namespace cutover::switching
