// Stage 1: who is calling. Bearer API keys, looked up by SHA-256 digest and confirmed in
// constant time (the key itself is never stored or logged), or JWTs (RS256, ES256, EdDSA)
// verified against the configured issuers' public keys.
#pragma once

#include "gateway/stage.hpp"

namespace cutover::gateway {

class Authenticate final : public Stage {
 public:
  std::string_view name() const override { return "authenticate"; }
  http::net::awaitable<Status> run(RequestContext& ctx) override { co_return check(ctx); }
  // The synchronous core, also used by GET /v1/models.
  static Status check(RequestContext& ctx);

 private:
  static Status check_jwt(RequestContext& ctx, std::string_view token);
};

}  // namespace cutover::gateway
