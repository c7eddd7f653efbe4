// JWT bearer tokens through the authenticate stage, with issuers from the identity domain.
#include <gtest/gtest.h>

#include "gateway/testing/null_exchange.hpp"

#include <chrono>

#include "gateway/config.hpp"
#include "gateway/stages/authenticate.hpp"
#include "identity/test_signer.hpp"

namespace cutover::gateway {
namespace {
namespace net = http::net;
namespace t = identity::testing;

using testing::NullExchange;

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct JwtFixture {
  identity::EvpPkeyPtr key = t::generate_key(identity::KeyType::kEd25519);
  std::shared_ptr<Config> config() {
    boost::json::array keys{t::public_jwk(key.get(), identity::KeyType::kEd25519, "k1")};
    boost::json::object identity{
        {"jwt_issuers", boost::json::array{boost::json::object{{"issuer", "https://idp.test"},
                                                               {"audiences", boost::json::array{"cutover"}},
                                                               {"jwks", t::jwks_text(keys)}}}}};
    StateDocuments d;
    d.routes = R"({"providers":[{"name":"p","base_url":"http://h/v1"}],"routes":[{"alias":"a","targets":[{"provider":"p","model":"m"}]}]})";
    d.identity = boost::json::serialize(identity);
    return parse_config("{}", d);
  }
  std::string token(std::int64_t exp) {
    return t::make_token(key.get(), "EdDSA", "k1",
                         {{"iss", "https://idp.test"}, {"aud", "cutover"}, {"sub", "agent-7"},
                          {"tenant", "acme"}, {"exp", exp}});
  }
};

Status authenticate(std::shared_ptr<const Config> c, const std::string& bearer, RequestContext** out = nullptr) {
  static http::Request req;
  static NullExchange ex;
  req.set(http::bhttp::field::authorization, "Bearer " + bearer);
  static std::unique_ptr<RequestContext> ctx;
  ctx = std::make_unique<RequestContext>(req, ex, c);
  if (out) *out = ctx.get();
  return Authenticate::check(*ctx);
}

TEST(AuthenticateJwt, AValidTokenBecomesTheIdentity) {
  JwtFixture f;
  RequestContext* ctx = nullptr;
  Status st = authenticate(f.config(), f.token(now() + 600), &ctx);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(ctx->identity->id, "https://idp.test#agent-7");
  EXPECT_EQ(ctx->identity->tenant, "acme");
  EXPECT_TRUE(ctx->identity->may_use("a"));
}

TEST(AuthenticateJwt, AnExpiredTokenIs401SayingSo) {
  JwtFixture f;
  Status st = authenticate(f.config(), f.token(now() - 3600));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().http_status(), 401);
  EXPECT_NE(st.error().message().find("expired"), std::string::npos) << st.error().message();
}

TEST(AuthenticateJwt, NoIssuerConfiguredSaysSo) {
  JwtFixture f;
  auto c = parse_config(R"(
api_keys: [{id: k, key: sk}]
providers: [{name: p, base_url: "http://h/v1"}]
routes: [{alias: a, targets: [{provider: p, model: m}]}]
)");
  Status st = authenticate(c, f.token(now() + 600));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("no JWT issuer is configured"), std::string::npos);
}

TEST(AuthenticateJwt, BadJwksIsAConfigErrorWithItsPath) {
  StateDocuments d;
  d.routes = R"({"providers":[{"name":"p","base_url":"http://h/v1"}],"routes":[{"alias":"a","targets":[{"provider":"p","model":"m"}]}]})";
  d.identity = R"({"jwt_issuers":[{"issuer":"i","audiences":["a"],"jwks":"{\"keys\":[{\"kty\":\"oct\"}]}"}]})";
  try {
    parse_config("{}", d);
    FAIL() << "accepted a symmetric key";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("jwt_issuers[0].jwks"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cutover::gateway
