#include "gateway/stages/route.hpp"

namespace cutover::gateway {

Status RouteStage::check(RequestContext& ctx) {
  const Route* route = ctx.config->find_route(ctx.model);
  if (!route)
    return Error(ErrorCode::kModelNotFound, "The model '" + ctx.model +
                                                "' does not exist or you do not have access to it. "
                                                "GET /v1/models lists the models you may use.")
        .with_param("model");
  if (!ctx.identity->may_use(route->alias))
    return Error(ErrorCode::kPermissionDenied,
                 "Your API key '" + ctx.identity->id + "' may not use the model '" + ctx.model + "'.")
        .with_param("model");
  ctx.route = route;
  return {};
}

}  // namespace cutover::gateway
