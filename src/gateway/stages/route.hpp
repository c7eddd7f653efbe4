// Stage 4: model alias -> route (its provider chain), and whether the caller may use it:
// the key's own models, then the access policy (a 403 naming its version and rule).
#pragma once

#include "gateway/stage.hpp"

namespace cutover::gateway {

class RouteStage final : public Stage {
 public:
  std::string_view name() const override { return "route"; }
  http::net::awaitable<Status> run(RequestContext& ctx) override { co_return check(ctx); }
  static Status check(RequestContext& ctx);
};

}  // namespace cutover::gateway
