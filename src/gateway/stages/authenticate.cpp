#include "gateway/stages/authenticate.hpp"

#include <algorithm>
#include <chrono>

#include "core/clock.hpp"

namespace cutover::gateway {

Status Authenticate::check_jwt(RequestContext& ctx, std::string_view token) {
  const auto& issuers = ctx.config->jwt_issuers;
  if (issuers.empty())
    return Error(ErrorCode::kUnauthenticated,
                 "JWT bearer tokens are not accepted here: no JWT issuer is configured. Use an API key.");
  auto claims = identity::verify_jwt(token, issuers, unix_seconds());
  if (!claims) return std::move(claims.error());
  ctx.jwt_identity.id = claims->iss + "#" + claims->sub;
  ctx.jwt_identity.tenant = claims->tenant;
  ctx.jwt_identity.models = {"*"};
  ctx.jwt_identity.roles = claims->roles;
  ctx.identity = &ctx.jwt_identity;
  return {};
}

Status Authenticate::check(RequestContext& ctx) {
  auto header = ctx.request[http::bhttp::field::authorization];
  if (header.empty())
    return Error(ErrorCode::kUnauthenticated,
                 "Missing API key. Send it as 'Authorization: Bearer <key>'.");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || !http::beast::iequals(header.substr(0, kBearer.size()), kBearer))
    return Error(ErrorCode::kUnauthenticated,
                 "Malformed Authorization header. Expected 'Authorization: Bearer <key>'.");
  auto key = header.substr(kBearer.size());
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  // A JWT: base64url of a JSON header ("eyJ" is '{"') and three parts.
  if (key.starts_with("eyJ") && std::count(key.begin(), key.end(), '.') == 2) return check_jwt(ctx, key);
  ctx.identity = ctx.config->find_key(sha256(key));
  if (!ctx.identity)
    return Error(ErrorCode::kUnauthenticated, "Incorrect API key provided.");
  return {};
}

}  // namespace cutover::gateway
