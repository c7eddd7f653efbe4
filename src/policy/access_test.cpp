#include "policy/access.hpp"

#include <gtest/gtest.h>

namespace cutover::policy {
namespace {

Access policy(const char* json) {
  auto a = parse_access(json, 4);
  EXPECT_TRUE(a) << a.error().message();
  return a ? a.value() : Access{};
}

TEST(Access, FirstMatchingRuleDecides) {
  auto p = policy(R"({"rules":[{"tenants":["acme"],"roles":["dev"],"aliases":["mini"],"effect":"allow"},
                               {"tenants":["acme"],"aliases":["big"],"effect":"deny"},
                               {"tenants":["acme"],"effect":"allow"}]})");
  EXPECT_TRUE(decide_access(p, "acme", {"dev"}, "mini").allowed);
  EXPECT_EQ(decide_access(p, "acme", {"dev"}, "mini").rule, 0u);
  auto big = decide_access(p, "acme", {"dev"}, "big");
  EXPECT_FALSE(big.allowed);
  EXPECT_EQ(big.rule, 1u);
  EXPECT_TRUE(decide_access(p, "acme", {}, "other").allowed);  // rule 2
  EXPECT_EQ(decide_access(p, "acme", {"ops"}, "mini").rule, 2u);  // role missing: rule 0 skipped
}

TEST(Access, DefaultDependsOnWhetherTheListAllowsOrDenies) {
  auto allow_list = policy(R"({"rules":[{"tenants":["acme"],"effect":"allow"}]})");
  auto d = decide_access(allow_list, "other", {}, "x");
  EXPECT_FALSE(d.allowed);
  EXPECT_FALSE(d.rule.has_value());
  auto deny_list = policy(R"({"rules":[{"aliases":["secret-model"],"effect":"deny"}]})");
  EXPECT_TRUE(decide_access(deny_list, "any", {}, "x").allowed);
  EXPECT_FALSE(decide_access(deny_list, "any", {}, "secret-model").allowed);
  EXPECT_TRUE(decide_access(policy("{}"), "t", {}, "a").allowed);
}

TEST(Access, ErrorsNameThePath) {
  struct Case { const char* doc; const char* want; };
  for (auto c : {Case{R"({"rule":[]})", "access.rule: unknown key"},
                 Case{R"({"rules":[{"tenants":["a"]}]})", "access.rules[0].effect: required"},
                 Case{R"({"rules":[{"effect":"maybe"}]})", "access.rules[0].effect"},
                 Case{R"({"rules":[{"effect":"allow","models":["x"]}]})", "access.rules[0].models: unknown key"},
                 Case{R"({"rules":[{"effect":"allow","roles":"dev"}]})", "access.rules[0].roles: expected a list"}}) {
    auto a = parse_access(c.doc, 1);
    ASSERT_FALSE(a) << c.doc;
    EXPECT_NE(a.error().message().find(c.want), std::string::npos) << a.error().message();
  }
}

}  // namespace
}  // namespace cutover::policy
