// Stage 2: parse and check the request body once. Later stages read typed fields from
// the RequestContext; the body object is kept for the upstream call.
#pragma once

#include "gateway/stage.hpp"

namespace cutover::gateway {

class Decode final : public Stage {
 public:
  std::string_view name() const override { return "decode"; }
  http::net::awaitable<Status> run(RequestContext& ctx) override { co_return check(ctx); }
  static Status check(RequestContext& ctx);
};

}  // namespace cutover::gateway
