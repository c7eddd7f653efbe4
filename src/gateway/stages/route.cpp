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
  const auto& access = ctx.config->access_policy;
  auto d = policy::decide_access(access, ctx.identity->tenant, ctx.identity->roles, route->alias);
  if (!d.allowed)
    return Error(ErrorCode::kPermissionDenied,
                 "Access to the model '" + ctx.model + "' is denied by the access policy v" +
                     std::to_string(access.version) +
                     (d.rule ? " (rule " + std::to_string(*d.rule) + ")." : " (no rule allows it)."))
        .with_param("model");
  ctx.route = route;
  return {};
}

}  // namespace cutover::gateway
