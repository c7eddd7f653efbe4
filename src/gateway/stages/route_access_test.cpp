// The access policy from the store, enforced by the route stage.
#include <gtest/gtest.h>

#include "gateway/testing/null_exchange.hpp"

#include "gateway/config.hpp"
#include "gateway/stages/route.hpp"

namespace cutover::gateway {
namespace {
namespace net = http::net;

using testing::NullExchange;

TEST(RouteAccess, DeniedAliasIs403NamingPolicyVersionAndRule) {
  StateDocuments d;
  d.routes = R"({"providers":[{"name":"p","base_url":"http://h/v1"}],"routes":[
                {"alias":"mini","targets":[{"provider":"p","model":"m"}]},
                {"alias":"big","targets":[{"provider":"p","model":"m"}]}]})";
  d.identity = R"({"api_keys":[{"id":"dev","key":"sk-dev","tenant":"acme","roles":["dev"]},
                               {"id":"other","key":"sk-other","tenant":"globex"}]})";
  d.access = R"({"rules":[{"tenants":["acme"],"aliases":["big"],"effect":"deny"},
                          {"tenants":["acme"],"effect":"allow"}]})";
  d.access_version = 3;
  std::shared_ptr<const Config> c = parse_config("{}", d);
  auto run = [&](const char* key, const char* model) {
    http::Request req;
    NullExchange ex;
    RequestContext ctx(req, ex, c);
    ctx.identity = c->find_key(sha256(key));
    ctx.model = model;
    return RouteStage::check(ctx);
  };
  EXPECT_TRUE(run("sk-dev", "mini"));
  Status big = run("sk-dev", "big");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().http_status(), 403);
  EXPECT_NE(big.error().message().find("access policy v3 (rule 0)"), std::string::npos) << big.error().message();
  Status other = run("sk-other", "mini");  // allow list: another tenant matches no rule
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message().find("access policy v3 (no rule allows it)"), std::string::npos);
}

}  // namespace
}  // namespace cutover::gateway
