// Stage 4: call the route's provider chain. Each target gets up to retry.max_attempts
// attempts (backoff, Retry-After honoured), then the next target takes over and the
// reason is recorded. Streams pass through event by event as they arrive; once bytes
// went to the client a failure ends the stream with an error event, never a silent retry.
#pragma once

#include "gateway/metrics.hpp"
#include "gateway/stage.hpp"
#include "http/client.hpp"

namespace cutover::gateway {

class Upstream final : public Stage {
 public:
  explicit Upstream(Metrics& metrics) : metrics_(metrics) {}
  std::string_view name() const override { return "upstream"; }
  http::net::awaitable<Status> run(RequestContext& ctx) override;

 private:
  http::net::awaitable<Status> attempt(RequestContext& ctx, const Target& target,
                                       std::string_view head, std::string_view body);
  http::net::awaitable<Status> relay_stream(RequestContext& ctx, const Target& target,
                                            std::unique_ptr<http::Connection> conn,
                                            http::ResponseParser& parser);
  Metrics& metrics_;
};

}  // namespace cutover::gateway
