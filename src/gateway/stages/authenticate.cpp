#include "gateway/stages/authenticate.hpp"

namespace cutover::gateway {

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
  ctx.identity = ctx.config->find_key(sha256(key));
  if (!ctx.identity)
    return Error(ErrorCode::kUnauthenticated, "Incorrect API key provided.");
  return {};
}

}  // namespace cutover::gateway
