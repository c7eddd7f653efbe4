// The rate-limit stage against a real store (SQLite file; PostgreSQL when the test server
// runs): two gateways' worth of counters share one limit, caps answer 403 naming the
// policy version, and reservations are given back or reconciled.
#include "gateway/stages/rate_limit.hpp"

#include <gtest/gtest.h>

#include "gateway/testing/null_exchange.hpp"

#include <ctime>
#include <thread>

#include "store/testing/store_fixture.hpp"

namespace cutover::gateway {
namespace {
namespace net = http::net;

using testing::NullExchange;

class RateLimitTest : public store::testing::StoreConformance {
 protected:
  std::shared_ptr<Config> config(const std::string& limits_doc) {
    StateDocuments d;
    d.routes = R"({"providers":[{"name":"p","base_url":"http://127.0.0.1:9/v1"}],"routes":[{"alias":"a","targets":[{"provider":"p","model":"m"}]}]})";
    d.identity = R"({"api_keys":[{"id":"k","tenant":"t","key_sha256":")" + to_hex(sha256("sk")) + R"("}]})";
    d.limits = limits_doc;
    d.limits_version = 7;
    return parse_config("{}", d);
  }
  // Runs the stage for one request on its own io_context; returns the status code (200 = admitted).
  int once(RateLimit& stage, std::shared_ptr<const Config> c, std::int64_t max_tokens = 10,
           bool finish_as_refused = false) {
    http::Request req;
    req.body() = "{}";
    NullExchange ex;
    RequestContext ctx(req, ex, c);
    ctx.identity = &c->api_keys[0];
    ctx.max_tokens = max_tokens;
    int status = 0;
    net::io_context io;
    net::co_spawn(io, [&]() -> net::awaitable<void> {
      Status st = co_await stage.run(ctx);
      status = st ? 200 : st.error().http_status();
      if (st) {  // pretend the provider answered with 5 tokens
        ctx.attempts = 1;
        ctx.tokens_out = 5;
        ctx.status = 200;
      } else {
        ctx.status = status;
        last_error = st.error().message();
      }
      if (finish_as_refused) ctx.status = 429, ctx.attempts = 0;
      stage.finish(ctx);
    }, net::detached);
    io.run();
    return status;
  }
  std::string last_error;
};

TEST_P(RateLimitTest, TwoGatewaysShareOneRequestLimit) {
  ASSERT_TRUE(open_migrated());
  auto c = config(R"({"rate":[{"scope":"key","rpm":5}]})");
  Metrics m1("blue"), m2("green");
  Counters blue(url()), green(url());
  RateLimit s1(&blue, m1), s2(&green, m2);
  int admitted = 0, refused = 0;
  for (int i = 0; i < 8; ++i) {
    for (RateLimit* s : {&s1, &s2}) {
      int st = once(*s, c);
      admitted += st == 200;
      refused += st == 429;
    }
  }
  // Unless the minute turned during the loop, exactly the limit was admitted.
  EXPECT_GE(admitted, 5);
  EXPECT_LE(admitted, 10);
  EXPECT_EQ(admitted + refused, 16);
  EXPECT_NE(last_error.find("5 requests per minute for API key 'k' (limits policy v7)"), std::string::npos)
      << last_error;
}

TEST_P(RateLimitTest, CapsAre403sNamingThePolicyVersion) {
  ASSERT_TRUE(open_migrated());
  auto c = config(R"({"max_tokens":100})");
  Metrics m("blue");
  RateLimit s(nullptr, m);
  EXPECT_EQ(once(s, c, 101), 403);
  EXPECT_NE(last_error.find("exceeds the cap of 100 (limits policy v7)"), std::string::npos) << last_error;
  EXPECT_EQ(once(s, c, 100), 200);
}

TEST_P(RateLimitTest, TokenReservationsAreReconciled) {
  auto store = open_migrated();
  ASSERT_TRUE(store);
  // Each request reserves 100 + 0 tokens and really uses 5: the reconcile returns 95 (to
  // this process's lease), so far more than 300/100 requests fit into 300 tokens a minute.
  auto c = config(R"({"rate":[{"scope":"tenant","tpm":300}]})");
  Metrics m("blue");
  {
    Counters counters(url());
    RateLimit s(&counters, m);
    int admitted = 0;
    for (int i = 0; i < 10; ++i) {
      admitted += once(s, c, 100) == 200;
    }
    EXPECT_EQ(admitted, 10);  // without reconciliation only 3 would fit
  }
}

TEST_P(RateLimitTest, LeasesNeverAdmitMoreThanTheLimitAcrossProcesses) {
  auto store = open_migrated();
  ASSERT_TRUE(store);
  Counters a(url()), b(url());
  const std::int64_t limit = 200;  // leases of 10
  int admitted = 0;
  net::io_context io;
  net::co_spawn(io, [&]() -> net::awaitable<void> {
    for (int i = 0; i < 300; ++i) {
      Counters& c = i % 2 ? a : b;
      auto out = co_await c.take("rpm:key:lease", 42, 1, limit);
      EXPECT_TRUE(out.ok) << out.error;
      admitted += out.result.admitted;
    }
  }, net::detached);
  io.run();
  EXPECT_LE(admitted, limit);
  EXPECT_GE(admitted, limit - 2 * (limit / Counters::kLeaseDivisor));  // at most one unused lease each
  auto used = store->counters().used("rpm:key:lease", 42);
  ASSERT_TRUE(used);
  EXPECT_LE(used.value(), limit);
}

INSTANTIATE_TEST_SUITE_P(Backends, RateLimitTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cutover::gateway
