#include "traffic/decide.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "core/random.hpp"

namespace cutover::traffic {
namespace {

constexpr int kCallers = 100'000;

Plan plan_of(std::string_view extra = "") {
  std::string doc = R"({"environments":{"blue":{"endpoints":["http://127.0.0.1:8081"]},)"
                    R"("green":{"endpoints":["http://127.0.0.1:8082"]}},"active":"blue")";
  if (!extra.empty()) doc.append(",").append(extra);
  doc.append("}");
  auto r = parse_plan(doc);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return std::move(r.value());
}

Plan canary(std::uint32_t bp) {
  return plan_of(R"("candidate":{"color":"green","weight_bp":)" + std::to_string(bp) + "}");
}

// Synthetic callers: subject "user-i" of one of 50 tenants.
struct Caller {
  std::string subject, tenant;
  RequestKey key() const { return {.subject = subject, .tenant = tenant}; }
};
std::vector<Caller> callers(int n) {
  std::vector<Caller> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i)
    out.push_back({"user-" + std::to_string(i), "tenant-" + std::to_string(i % 50)});
  return out;
}

Decision decide_for(const Plan& p, const RequestKey& k, std::uint64_t draw) {
  return decide(p, k, sticky_hash(k), draw);
}

// Binomial(n, p) five-sigma interval of the count: the deterministic inputs below land
// inside it unless the hash or the draw split is biased.
struct Bounds {
  double lo, hi;
};
Bounds five_sigma(int n, double p) {
  double mean = n * p, sigma = std::sqrt(n * p * (1 - p));
  return {mean - 5 * sigma, mean + 5 * sigma};
}

TEST(TrafficDecide, NoCandidateServesTheActiveColor) {
  Plan p = plan_of();
  Caller c{"u", "t"};
  Decision d = decide_for(p, c.key(), 42);
  EXPECT_EQ(d.color, "blue");
  EXPECT_EQ(d.why, "active");
  EXPECT_FALSE(d.mirror);
  EXPECT_TRUE(d.mirror_color.empty());
}

TEST(TrafficDecide, CohortsRouteAsWrittenFirstMatchWins) {
  std::string key_hex = to_hex(sha256("sk-beta"));
  Plan p = plan_of(R"("candidate":{"color":"green","weight_bp":10000},"cohorts":[)"
                   R"({"match":{"header":"x-cutover-cohort","equals":"beta"},"color":"green"},)"
                   R"({"match":{"subject":"agent-7"},"color":"blue"},)"
                   R"({"match":{"tenant":"acme"},"color":"green"},)"
                   R"({"match":{"api_key_sha256":")" +
                   key_hex + R"("},"color":"blue"}])");
  std::vector<HeaderPair> beta = {{"Content-Type", "application/json"},
                                  {"X-Cutover-Cohort", "beta"}};
  HeaderList beta_headers{beta};
  std::vector<HeaderPair> other = {{"x-cutover-cohort", "Beta"}};
  HeaderList other_headers{other};

  RequestKey k{.header = HeaderLookup(beta_headers)};
  EXPECT_EQ(decide_for(p, k, 0).color, "green");
  EXPECT_EQ(decide_for(p, k, 0).why, "cohort[0]");

  k.subject = "agent-7";  // header rule comes first
  EXPECT_EQ(decide_for(p, k, 0).why, "cohort[0]");
  k.header = HeaderLookup(other_headers);  // values compare exactly: "Beta" is not "beta"
  EXPECT_EQ(decide_for(p, k, 0).color, "blue");
  EXPECT_EQ(decide_for(p, k, 0).why, "cohort[1]");

  RequestKey acme{.subject = "agent-7", .tenant = "acme"};
  EXPECT_EQ(decide_for(p, acme, 0).why, "cohort[1]") << "subject rule precedes tenant rule";
  acme.subject = "someone";
  EXPECT_EQ(decide_for(p, acme, 0).color, "green");
  EXPECT_EQ(decide_for(p, acme, 0).why, "cohort[2]");

  RequestKey keyed{.api_key_sha256 = key_hex};
  EXPECT_EQ(decide_for(p, keyed, 0).color, "blue") << "cohort beats a 100% canary";
  EXPECT_EQ(decide_for(p, keyed, 0).why, "cohort[3]");
  std::string upper = key_hex;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(ch));
  keyed.api_key_sha256 = upper;
  EXPECT_EQ(decide_for(p, keyed, 0).why, "cohort[3]") << "digests compare ignoring case";

  RequestKey nobody{.subject = "x"};
  EXPECT_EQ(decide_for(p, nobody, 0).why, "canary");
}

TEST(TrafficDecide, HeaderLookupFromAnyCallable) {
  Plan p = plan_of(R"("cohorts":[{"match":{"header":"x-team","equals":"red"},"color":"green"}])");
  auto lookup = [](std::string_view name) -> std::string_view {
    return name == "x-team" ? "red" : "";
  };
  RequestKey k{.header = HeaderLookup(lookup)};
  EXPECT_EQ(decide_for(p, k, 0).color, "green");
  EXPECT_EQ(decide_for(p, RequestKey{}, 0).color, "blue") << "no headers at all";
}

TEST(TrafficDecide, CanaryAtFivePercentIsWithinFiveSigma) {
  Plan p = canary(500);
  int green = 0;
  for (const auto& c : callers(kCallers)) green += decide_for(p, c.key(), 0).color == "green";
  // n = 100000, p = 0.05: sigma = sqrt(n p (1-p)) = 68.9, so 5 sigma = +-345 callers:
  // 4655..5345, i.e. 4.66%..5.34%.
  auto b = five_sigma(kCallers, 0.05);
  EXPECT_GT(green, b.lo);
  EXPECT_LT(green, b.hi);
}

TEST(TrafficDecide, RequestsWithoutIdentityUseTheDraw) {
  Plan p = canary(500);
  Random rng(7);
  int green = 0;
  for (int i = 0; i < kCallers; ++i)
    green += decide(p, RequestKey{}, 0, rng.next()).color == "green";
  auto b = five_sigma(kCallers, 0.05);  // 4655..5345 as above
  EXPECT_GT(green, b.lo);
  EXPECT_LT(green, b.hi);
  EXPECT_EQ(sticky_hash(RequestKey{}), 0u);
  EXPECT_FALSE(has_identity(RequestKey{}));
}

TEST(TrafficDecide, StickyCallersKeepTheirColorAtAFixedWeight) {
  Plan p = canary(500);
  Random rng(11);
  for (const auto& c : callers(2'000)) {
    auto first = decide_for(p, c.key(), rng.next()).color;
    for (int i = 0; i < 20; ++i) ASSERT_EQ(decide_for(p, c.key(), rng.next()).color, first);
  }
}

TEST(TrafficDecide, RaisingTheWeightMovesOnlyActiveCallersToTheCandidate) {
  Plan five = canary(500), twenty_five = canary(2500);
  int moved = 0;
  Random rng(3);
  for (const auto& c : callers(kCallers)) {
    auto before = decide_for(five, c.key(), rng.next()).color;
    auto after = decide_for(twenty_five, c.key(), rng.next()).color;
    ASSERT_FALSE(before == "green" && after == "blue") << c.subject << " moved back";
    if (before == "blue" && after == "green") {
      ++moved;
      auto bucket = canary_bucket(c.key(), sticky_hash(c.key()), 0);
      ASSERT_GE(bucket, 500u);
      ASSERT_LT(bucket, 2500u);
    }
  }
  // Exactly the buckets [500, 2500): p = 0.2, 5 sigma = +-632 of 20000.
  auto b = five_sigma(kCallers, 0.20);
  EXPECT_GT(moved, b.lo);
  EXPECT_LT(moved, b.hi);
}

TEST(TrafficDecide, WeightZeroAndFull) {
  Plan none = canary(0), all = canary(10'000);
  Random rng(5);
  for (const auto& c : callers(10'000)) {
    EXPECT_EQ(decide_for(none, c.key(), rng.next()).color, "blue");
    Decision d = decide_for(all, c.key(), rng.next());
    EXPECT_EQ(d.color, "green");
    EXPECT_EQ(d.why, "canary");
  }
  for (std::uint64_t draw : {0ULL, ~0ULL, 9999ULL, 10000ULL}) {
    EXPECT_EQ(decide(none, RequestKey{}, 0, draw).color, "blue");
    EXPECT_EQ(decide(all, RequestKey{}, 0, draw).color, "green");
  }
}

TEST(TrafficDecide, StickyHashSeparatesIdentityKinds) {
  RequestKey tenant{.tenant = "a"}, subject{.subject = "a"}, key{.api_key_sha256 = "a"};
  EXPECT_NE(sticky_hash(tenant), sticky_hash(subject));
  EXPECT_NE(sticky_hash(tenant), sticky_hash(key));
  RequestKey both{.api_key_sha256 = "k", .subject = "s", .tenant = "t"};
  RequestKey no_key{.subject = "s", .tenant = "t"};
  EXPECT_EQ(sticky_hash(both), sticky_hash(no_key)) << "subject+tenant before the key";
  RequestKey ab{.subject = "b", .tenant = "a"}, ba{.subject = "a", .tenant = "b"};
  EXPECT_NE(sticky_hash(ab), sticky_hash(ba));
  // Pinned value: a change would move every caller between colors on upgrade.
  EXPECT_EQ(sticky_hash(no_key), hash64("s", hash64("t", 0x6375746f766572ULL)));
}

TEST(TrafficDecide, MirrorFractionIsObservedAndNeverToTheServingColor) {
  Plan p = plan_of(R"("candidate":{"color":"green","weight_bp":5000},)"
                   R"("mirror":{"color":"green","fraction":0.1})");
  Random rng(13);
  int blue = 0, mirrored = 0;
  auto people = callers(kCallers);
  for (const auto& c : people) {
    Decision d = decide_for(p, c.key(), rng.next());
    if (d.color == "green") {
      ASSERT_FALSE(d.mirror) << "never mirrored to the color that serves it";
      continue;
    }
    ++blue;
    if (d.mirror) {
      ++mirrored;
      ASSERT_EQ(d.mirror_color, "green");
    }
  }
  // Of the ~50000 blue requests, 10% mirrored: 5 sigma = +-5*sqrt(n*0.1*0.9) (~ +-335).
  auto b = five_sigma(blue, 0.1);
  EXPECT_GT(mirrored, b.lo);
  EXPECT_LT(mirrored, b.hi);
}

TEST(TrafficDecide, MirrorIsIndependentOfTheCanaryBucketWithoutIdentity) {
  Plan p = plan_of(R"("candidate":{"color":"green","weight_bp":5000},)"
                   R"("mirror":{"color":"green","fraction":0.5})");
  Random rng(17);
  int blue = 0, mirrored = 0;
  for (int i = 0; i < kCallers; ++i) {
    Decision d = decide(p, RequestKey{}, 0, rng.next());
    if (d.color != "blue") continue;
    ++blue;
    mirrored += d.mirror;
  }
  auto b = five_sigma(blue, 0.5);
  EXPECT_GT(mirrored, b.lo);
  EXPECT_LT(mirrored, b.hi);
}

TEST(TrafficDecide, MirrorEdges) {
  Plan all = plan_of(R"("mirror":{"color":"green","fraction":1})");
  Plan none = plan_of(R"("mirror":{"color":"green","fraction":0})");
  for (std::uint64_t draw : {0ULL, ~0ULL, 1ULL << 63, 0xffffffffULL}) {
    EXPECT_TRUE(decide(all, RequestKey{}, 0, draw).mirror);
    EXPECT_EQ(decide(all, RequestKey{}, 0, draw).mirror_color, "green");
    EXPECT_FALSE(decide(none, RequestKey{}, 0, draw).mirror);
  }
  // A cohort sending a request to green: no mirror to green for it.
  Plan pinned = plan_of(R"("cohorts":[{"match":{"tenant":"acme"},"color":"green"}],)"
                        R"("mirror":{"color":"green","fraction":1})");
  RequestKey acme{.tenant = "acme"};
  EXPECT_FALSE(decide_for(pinned, acme, ~0ULL).mirror);
}

}  // namespace
}  // namespace cutover::traffic
