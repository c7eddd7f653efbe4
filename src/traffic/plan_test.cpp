#include "traffic/plan.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/hash.hpp"

namespace cutover::traffic {
namespace {

const std::string key_hex = to_hex(sha256("sk-test-key"));

std::string full_doc() {
  return R"({
    "environments": {
      "green": {"endpoints": ["http://127.0.0.1:8082", "https://10.0.0.2:8443"]},
      "blue":  {"endpoints": ["http://127.0.0.1:8081"]}
    },
    "active": "blue",
    "candidate": {"color": "green", "weight_bp": 500},
    "cohorts": [
      {"match": {"header": "X-Cutover-Cohort", "equals": "beta"}, "color": "green"},
      {"match": {"tenant": "acme"}, "color": "green"},
      {"match": {"subject": "agent-7"}, "color": "blue"},
      {"match": {"api_key_sha256": ")" +
         key_hex + R"("}, "color": "green"}
    ],
    "mirror": {"color": "green", "fraction": 0.1}
  })";
}

Plan must(Result<Plan> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return std::move(r.value());
}

constexpr std::string_view kTwoColors =
    R"({"environments":{"blue":{"endpoints":["http://127.0.0.1:8081"]},)"
    R"("green":{"endpoints":["http://127.0.0.1:8082"]}},"active":"blue"})";

TEST(TrafficPlan, ParsesTheFullDocument) {
  Plan p = must(parse_plan(full_doc()));
  ASSERT_EQ(p.environments().size(), 2u);
  EXPECT_EQ(p.environments()[0].color, "blue") << "sorted by color";
  EXPECT_EQ(p.active(), "blue");
  ASSERT_TRUE(p.candidate());
  EXPECT_EQ(p.candidate()->color, "green");
  EXPECT_EQ(p.candidate()->weight_bp, 500u);
  ASSERT_EQ(p.cohorts().size(), 4u);
  EXPECT_EQ(p.cohorts()[0].match.kind, CohortMatch::Kind::kHeader);
  EXPECT_EQ(p.cohorts()[0].match.header, "x-cutover-cohort") << "header names lower-cased";
  EXPECT_EQ(p.cohorts()[0].match.value, "beta");
  EXPECT_EQ(p.cohorts()[3].match.kind, CohortMatch::Kind::kApiKey);
  EXPECT_EQ(p.cohort_label(2), "cohort[2]");
  ASSERT_TRUE(p.mirror());
  EXPECT_DOUBLE_EQ(p.mirror()->fraction, 0.1);
  auto urls = p.endpoint_urls("green");
  ASSERT_EQ(urls.size(), 2u);
  EXPECT_TRUE(urls[1].tls);
  EXPECT_EQ(urls[1].port, "8443");
  EXPECT_TRUE(p.endpoint_urls("red").empty());
  EXPECT_EQ(p.environment("blue")->endpoints[0], "http://127.0.0.1:8081");
}

TEST(TrafficPlan, CanonicalJsonRoundTrips) {
  Plan p = must(parse_plan(full_doc()));
  std::string c = canonical_json(p);
  Plan q = must(parse_plan(c));
  EXPECT_EQ(p, q);
  EXPECT_EQ(canonical_json(q), c);
  for (double f : {0.0, 1.0, 0.3, 1e-7, 0.123456789012345})
    EXPECT_EQ(must(parse_plan(canonical_json(must(with_mirror(p, "green", f))))),
              must(with_mirror(p, "green", f)))
        << f;
  Plan minimal = must(parse_plan(kTwoColors));
  EXPECT_EQ(must(parse_plan(canonical_json(minimal))), minimal);
}

// A schema-1 document as written by canonical_json: it must stay readable (STYLE.md).
TEST(TrafficPlan, GoldenSchema1Document) {
  constexpr std::string_view kGolden =
      R"({"active":"blue","candidate":{"color":"green","weight_bp":2500},)"
      R"("cohorts":[{"color":"green","match":{"equals":"beta","header":"x-cutover-cohort"}},)"
      R"({"color":"blue","match":{"tenant":"acme"}}],)"
      R"("environments":{"blue":{"endpoints":["http://127.0.0.1:8081"]},)"
      R"("green":{"endpoints":["http://127.0.0.1:8082"]}},)"
      R"("mirror":{"color":"green","fraction":0.25},"schema":1})";
  Plan p = must(parse_plan(kGolden));
  EXPECT_EQ(canonical_json(p), kGolden);
  EXPECT_EQ(p.candidate()->weight_bp, 2500u);
}

struct BadCase {
  std::string doc;
  std::vector<std::string> want;  // each must appear among the problems
};

std::string with(std::string_view extra) {
  std::string d(kTwoColors);
  d.pop_back();
  return d + "," + std::string(extra) + "}";
}

TEST(TrafficPlan, EveryProblemNamesItsPath) {
  std::vector<BadCase> cases = {
      {with(R"("cohorts":[{"match":{"tenant":"a"},"color":"green"},)"
            R"({"match":{"hedaer":"x","equals":"beta"},"color":"green"}])"),
       {"cohorts[1].match.hedaer: unknown key"}},
      {with(R"("candidate":{"color":"green","weight_bp":10001})"), {"candidate.weight_bp"}},
      {with(R"("candidate":{"color":"blue","weight_bp":5})"),
       {"candidate.color: 'blue' is the active color"}},
      {with(R"("candidate":{"color":"grene","weight_bp":5})"),
       {"candidate.color: unknown color 'grene' (environments: blue, green)"}},
      {with(R"("mirror":{"color":"blue","fraction":0.1})"),
       {"mirror.color: 'blue' is the active color; mirror to the color that is not serving"}},
      {with(R"("mirror":{"color":"green","fraction":1.5})"), {"mirror.fraction"}},
      {with(R"("mirror":{"color":"green","fraction":"half"})"),
       {"mirror.fraction: expected a number"}},
      {with(R"("mirror":{"color":"green"})"), {"mirror.fraction: required"}},
      {with(R"("cohorts":[{"match":{"tenant":"a","subject":"b"},"color":"green"}])"),
       {"cohorts[0].match: expected exactly one of"}},
      {with(R"("cohorts":[{"match":{"header":"x-a"},"color":"green"}])"),
       {"cohorts[0].match.equals: required"}},
      {with(R"("cohorts":[{"match":{"tenant":"a","equals":"b"},"color":"green"}])"),
       {"cohorts[0].match.equals: only with header"}},
      {with(R"("cohorts":[{"match":{"header":"x a","equals":"b"},"color":"green"}])"),
       {"cohorts[0].match.header: expected an HTTP header name"}},
      {with(R"("cohorts":[{"match":{"api_key_sha256":"abc"},"color":"green"}])"),
       {"cohorts[0].match.api_key_sha256: expected 64 hex"}},
      {with(R"("cohorts":[{"match":{"subject":""},"color":"green"}])"),
       {"cohorts[0].match.subject: must not be empty"}},
      {with(R"("cohorts":[{"match":{"tenant":"a"},"color":"red"}])"),
       {"cohorts[0].color: unknown color 'red'"}},
      {with(R"("cohorts":[{"match":{"tenant":"a"},"color":"green"},)"
            R"({"match":{"tenant":"a"},"color":"blue"}])"),
       {"cohorts[1].match: same match as cohorts[0]"}},
      {with(R"("cohorts":{"tenant":"a"})"), {"cohorts: expected a list"}},
      {with(R"("schema":2)"), {"schema: version 2 is newer than this cutover reads (1)"}},
      {with(R"("colour":"blue")"), {"colour: unknown key"}},
      {R"({"environments":{"Blue":{"endpoints":["http://a:1"]}},"active":"Blue"})",
       {"environments.Blue: a color is 1 to 32 characters"}},
      {R"({"environments":{"blue":{"endpoints":[]}},"active":"blue"})",
       {"environments.blue.endpoints: at least one"}},
      {R"({"environments":{"blue":{"endpoints":["ftp://a"]}},"active":"blue"})",
       {"environments.blue.endpoints[0]: invalid URL 'ftp://a'"}},
      {R"({"environments":{"blue":{"endpoints":["http://a:1"]},)"
       R"("green":{"endpoints":["http://a:1/"]}},"active":"blue"})",
       {"environments.green.endpoints[0]: http://a:1 is already an endpoint of blue"}},
      {R"({"environments":{"blue":{"endpoint":["http://a:1"]}},"active":"blue"})",
       {"environments.blue.endpoint: unknown key", "environments.blue.endpoints: required"}},
      {R"({"environments":{"blue":{"endpoints":["http://a:1"]}}})", {"active: required"}},
      {R"({"environments":{"blue":{"endpoints":["http://a:1"]}},"active":"green"})",
       {"active: unknown color 'green' (environments: blue)"}},
      {R"({"active":"blue"})", {"environments: required"}},
      {"[]", {"traffic plan: expected an object"}},
      {"{", {"traffic plan: not valid JSON"}},
  };
  for (const auto& c : cases) {
    auto problems = plan_problems(c.doc);
    auto r = parse_plan(c.doc);
    ASSERT_FALSE(r.ok()) << c.doc;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidRequest);
    for (const auto& want : c.want) {
      bool found = false;
      for (const auto& p : problems) found |= p.find(want) != std::string::npos;
      EXPECT_TRUE(found) << "want '" << want << "' in:\n" << r.error().message();
      EXPECT_NE(r.error().message().find(want), std::string::npos) << r.error().message();
    }
  }
}

TEST(TrafficPlan, ReportsAllProblemsAtOnceWithoutEchoes) {
  auto problems = plan_problems(
      with(R"("candidate":{"color":"blue","weight_bp":-1},"mirror":{"color":"blue","fraction":2},)"
           R"("cohorts":[{"match":{"hedaer":"x"},"color":"green"},{"match":{"tenant":"t"}}])"));
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  EXPECT_EQ(problems.size(), 6u) << all;
  for (auto want : {"candidate.weight_bp: expected an integer", "candidate.color: 'blue' is",
                    "mirror.color: 'blue' is", "mirror.fraction: expected",
                    "cohorts[0].match.hedaer: unknown key", "cohorts[1].color: required"})
    EXPECT_NE(all.find(want), std::string::npos) << want << " in\n" << all;
  // Shape problems are not repeated as meaning problems (cohorts[1].color: unknown color '').
  EXPECT_EQ(all.find("unknown color"), std::string::npos) << all;
  EXPECT_TRUE(plan_problems(full_doc()).empty());
}

TEST(TrafficPlan, FlipClearsTheCandidateAndAMirrorToTheNewActive) {
  Plan p = must(parse_plan(full_doc()));
  Plan f = must(with_active(p, "green"));
  EXPECT_EQ(f.active(), "green");
  EXPECT_FALSE(f.candidate());
  EXPECT_FALSE(f.mirror()) << "a mirror to green would now mirror to the server";
  EXPECT_EQ(f.cohorts(), p.cohorts());
  EXPECT_EQ(must(flipped(p)).active(), "green") << "to the candidate";
  Plan back = must(flipped(f));
  EXPECT_EQ(back.active(), "blue") << "no candidate, two colors: the other one";
  EXPECT_FALSE(with_active(p, "red").ok());
}

TEST(TrafficPlan, FlipWithoutCandidateNeedsTwoColors) {
  Plan three = must(parse_plan(
      R"({"environments":{"a":{"endpoints":["http://h:1"]},"b":{"endpoints":["http://h:2"]},)"
      R"("c":{"endpoints":["http://h:3"]}},"active":"a"})"));
  auto r = flipped(three);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("name the color"), std::string::npos);
}

TEST(TrafficPlan, CanaryAndMirrorBuildersValidate) {
  Plan p = must(parse_plan(kTwoColors));
  Plan c = must(with_canary(p, "green", 2500));
  EXPECT_EQ(c.candidate()->weight_bp, 2500u);
  EXPECT_FALSE(with_canary(p, "green", 10001).ok());
  auto same = with_canary(p, "blue", 10);
  ASSERT_FALSE(same.ok());
  EXPECT_NE(same.error().message().find("candidate.color"), std::string::npos);
  EXPECT_EQ(must(with_mirror(p, "green", 0.5)).mirror_threshold(), 1ULL << 31);
  EXPECT_EQ(must(with_mirror(p, "green", 1.0)).mirror_threshold(), 1ULL << 32);
  EXPECT_EQ(must(with_mirror(p, "green", 0.0)).mirror_threshold(), 0u);
  EXPECT_FALSE(with_mirror(p, "blue", 0.5).ok());
  EXPECT_FALSE(with_mirror(p, "green", -0.1).ok());
  EXPECT_FALSE(with_mirror(p, "green", std::nan("")).ok());
}

TEST(TrafficPlan, CohortRulesFromTheCli) {
  auto h = parse_cohort_rule("header:x-cutover-cohort=beta->green");
  ASSERT_TRUE(h.ok()) << h.error().message();
  EXPECT_EQ(h->match.kind, CohortMatch::Kind::kHeader);
  EXPECT_EQ(h->match.header, "x-cutover-cohort");
  EXPECT_EQ(h->match.value, "beta");
  EXPECT_EQ(h->color, "green");
  auto t = parse_cohort_rule("tenant:acme->green");
  EXPECT_EQ(t->match.kind, CohortMatch::Kind::kTenant);
  EXPECT_EQ(t->match.value, "acme");
  auto s = parse_cohort_rule("subject:agent->7->blue");
  EXPECT_EQ(s->match.value, "agent->7") << "the last arrow separates the color";
  auto k = parse_cohort_rule("key:" + key_hex + "->green");
  EXPECT_EQ(k->match.kind, CohortMatch::Kind::kApiKey);
  for (auto text : {"header:x-a=b->green", "tenant:acme->green", "subject:agent-7->blue"})
    EXPECT_EQ(cohort_rule_text(parse_cohort_rule(text).value()), text);
  for (auto bad : {"tenant:acme", "tenant:acme->", "acme->green", "user:x->green",
                   "header:novalue->green", "header:=v->green", "tenant:->green"}) {
    auto r = parse_cohort_rule(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("expected header:NAME=VALUE->COLOR"), std::string::npos);
  }
}

TEST(TrafficPlan, WithCohortAppendsOrRecolorsInPlace) {
  Plan p = must(parse_plan(full_doc()));
  Plan a = must(with_cohort(p, parse_cohort_rule("tenant:globex->green").value()));
  ASSERT_EQ(a.cohorts().size(), 5u);
  EXPECT_EQ(cohort_rule_text(a.cohorts()[4]), "tenant:globex->green");
  Plan b = must(with_cohort(p, parse_cohort_rule("tenant:acme->blue").value()));
  ASSERT_EQ(b.cohorts().size(), 4u);
  EXPECT_EQ(cohort_rule_text(b.cohorts()[1]), "tenant:acme->blue") << "same place, new color";
  Plan c = must(with_cohort(p, parse_cohort_rule("header:X-Cutover-Cohort=beta->blue").value()));
  EXPECT_EQ(c.cohorts().size(), 4u) << "header names compare lower-cased";
  EXPECT_FALSE(with_cohort(p, parse_cohort_rule("tenant:x->red").value()).ok());
  EXPECT_FALSE(with_cohort(p, parse_cohort_rule("key:abcd->green").value()).ok());
  Plan d = must(without_cohort(p, parse_cohort_rule("tenant:acme->x").value().match));
  EXPECT_EQ(d.cohorts().size(), 3u);
  EXPECT_EQ(d.cohort_label(2), "cohort[2]");
  auto none = without_cohort(p, parse_cohort_rule("tenant:nobody->x").value().match);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("tenant:nobody"), std::string::npos);
}

}  // namespace
}  // namespace cutover::traffic
