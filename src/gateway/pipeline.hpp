// The request path of a gateway: an ordered list of stages (pipeline.cpp, default_stages()
// is the one place where the order is written down).
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gateway/metrics.hpp"
#include "gateway/stage.hpp"

namespace cutover::gateway {

class Counters;
}  // namespace cutover::gateway
namespace cutover::audit {
class Writer;
}
namespace cutover::gateway {

struct PipelineDeps {
  Metrics& metrics;
  Counters* counters = nullptr;     // shared rate-limit counters; null without a store
  audit::Writer* audit = nullptr;   // the audit log; null without a store (or disabled)
};

std::vector<std::unique_ptr<Stage>> default_stages(PipelineDeps deps);

class Pipeline final {
 public:
  explicit Pipeline(std::vector<std::unique_ptr<Stage>> stages) : stages_(std::move(stages)) {}

  // Runs the stages in order and answers the client: the upstream's response, or the
  // error that stopped the request. Sets ctx.status.
  http::net::awaitable<void> run(RequestContext& ctx);

 private:
  http::net::awaitable<void> send_response(RequestContext& ctx);
  std::vector<std::unique_ptr<Stage>> stages_;
};

// The headers every gateway response carries (x-request-id, x-cutover-color,
// x-cutover-route-version, ...), gathered without allocating. Views into ctx: use it
// while ctx lives.
class GatewayHeaders final {
 public:
  explicit GatewayHeaders(const RequestContext& ctx);
  void add(std::string_view name, std::string_view value) { h_[n_++] = {name, value}; }
  std::span<const http::Header> span() const { return {h_.data(), n_}; }
  template <class Fields>
  void apply(Fields& f) const {
    for (const auto& h : span()) f.set(h.name, h.value);
  }

 private:
  std::array<http::Header, 12> h_;
  std::size_t n_ = 0;
  char retries_[16];
};

// Sends an OpenAI-shaped error with the gateway headers; sets ctx.status. The request's
// audit entry (when it has one and it is not sealed yet) is made durable first; if it
// cannot be, the client gets the audit 503 instead.
http::net::awaitable<void> respond_error(RequestContext& ctx, const Error& e);

// Makes ctx's audit entry durable before a response of `status` with `body` is sent.
// True: send it. False: the entry could not be written and the client already got the
// audit 503 (fail closed). Nothing to do without an audit entry, or once it is sealed.
http::net::awaitable<bool> seal_before_send(RequestContext& ctx, int status, const Error* error,
                                            std::string_view body);

}  // namespace cutover::gateway
