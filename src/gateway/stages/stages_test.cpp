// The synchronous stages on their own: what each lets through and what it stops, with
// which error.
#include <gtest/gtest.h>

#include "gateway/testing/null_exchange.hpp"

#include "gateway/config.hpp"
#include "gateway/stages/authenticate.hpp"
#include "gateway/stages/decode.hpp"
#include "gateway/stages/route.hpp"

namespace cutover::gateway {
namespace {
namespace net = http::net;

using testing::NullExchange;

std::shared_ptr<const Config> config() {
  static auto c = parse_config(R"(
api_keys:
  - {id: all, key: sk-all}
  - {id: narrow, key: sk-narrow, models: [a]}
providers:
  - {name: p, base_url: "http://127.0.0.1:9/v1"}
routes:
  - {alias: a, targets: [{provider: p, model: m}]}
  - {alias: b, targets: [{provider: p, model: m}]}
)");
  return c;
}

struct Fixture {
  explicit Fixture(std::string body, std::string key = "sk-all") {
    req.method(http::bhttp::verb::post);
    if (!key.empty()) req.set(http::bhttp::field::authorization, "Bearer " + key);
    req.body() = std::move(body);
  }
  http::Request req;
  NullExchange ex;
  RequestContext ctx{req, ex, config()};
};

Status run_all(RequestContext& ctx) {
  for (auto* check : {&Authenticate::check, &Decode::check, &RouteStage::check})
    if (Status st = check(ctx); !st) return st;
  return {};
}

TEST(Stages, AValidRequestIsRouted) {
  Fixture f(R"({"model":"b","messages":[{"role":"user","content":"hi"}],"stream":true,
                "stream_options":{"include_usage":true}})");
  ASSERT_TRUE(run_all(f.ctx));
  EXPECT_EQ(f.ctx.identity->id, "all");
  EXPECT_EQ(f.ctx.route->alias, "b");
  EXPECT_TRUE(f.ctx.stream);
  EXPECT_TRUE(f.ctx.client_wants_usage);
}

TEST(Stages, AuthenticationFailuresSayWhy) {
  for (auto [key, want] : {std::pair{"", "Missing API key"}, std::pair{"sk-nope", "Incorrect API key"}}) {
    Fixture f(R"({"model":"a","messages":[1]})", key);
    Status st = run_all(f.ctx);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().http_status(), 401);
    EXPECT_NE(st.error().message().find(want), std::string::npos) << st.error().message();
  }
  Fixture basic(R"({})");
  basic.req.set(http::bhttp::field::authorization, "Basic dXNlcjpwdw==");
  EXPECT_EQ(run_all(basic.ctx).error().http_status(), 401);
}

TEST(Stages, BadBodiesAre400sNamingTheParameter) {
  struct Case { const char* body; ErrorCode code; const char* param; };
  for (auto c : {Case{"{not json", ErrorCode::kInvalidJson, ""}, Case{"[1,2]", ErrorCode::kInvalidJson, ""},
                 Case{R"({"messages":[1]})", ErrorCode::kInvalidRequest, "model"},
                 Case{R"({"model":7,"messages":[1]})", ErrorCode::kInvalidRequest, "model"},
                 Case{R"({"model":"a"})", ErrorCode::kInvalidRequest, "messages"},
                 Case{R"({"model":"a","messages":[]})", ErrorCode::kInvalidRequest, "messages"},
                 Case{R"({"model":"a","messages":[1],"stream":"yes"})", ErrorCode::kInvalidRequest, "stream"}}) {
    Fixture f(c.body);
    Status st = run_all(f.ctx);
    ASSERT_FALSE(st) << c.body;
    EXPECT_EQ(st.error().code(), c.code) << c.body;
    EXPECT_EQ(st.error().param(), c.param) << c.body;
  }
}

TEST(Stages, UnknownAliasIs404AndForbiddenAliasIs403) {
  Fixture unknown(R"({"model":"zzz","messages":[1]})");
  EXPECT_EQ(run_all(unknown.ctx).error().http_status(), 404);
  Fixture forbidden(R"({"model":"b","messages":[1]})", "sk-narrow");
  Status st = run_all(forbidden.ctx);
  EXPECT_EQ(st.error().http_status(), 403);
  EXPECT_NE(st.error().message().find("'narrow'"), std::string::npos);
  Fixture allowed(R"({"model":"a","messages":[1]})", "sk-narrow");
  EXPECT_TRUE(run_all(allowed.ctx));
}

TEST(Stages, EmbeddingsNeedInput) {
  Fixture f(R"({"model":"a"})");
  f.ctx.endpoint = Endpoint::kEmbeddings;
  EXPECT_EQ(run_all(f.ctx).error().param(), "input");
}

}  // namespace
}  // namespace cutover::gateway
