#include "policy/limits.hpp"

#include <gtest/gtest.h>

namespace cutover::policy {
namespace {

TEST(Limits, ParsesCapsAndRules) {
  auto l = parse_limits(R"({"max_tokens":4096,"max_input_bytes":100,
                            "rate":[{"scope":"key","rpm":10,"tpm":1000},{"scope":"tenant","rpm":50}]})", 3);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->version, 3);
  EXPECT_EQ(l->max_tokens, 4096);
  ASSERT_EQ(l->rate.size(), 2u);
  EXPECT_EQ(l->rate[0].scope, RateRule::Scope::kKey);
  EXPECT_EQ(l->rate[0].tpm, 1000);
  EXPECT_EQ(l->rate[1].scope, RateRule::Scope::kTenant);
  EXPECT_EQ(l->rate[1].tpm, 0);
  EXPECT_TRUE(parse_limits("{}", 1)->empty());
}

TEST(Limits, ErrorsNameThePath) {
  struct Case { const char* doc; const char* want; };
  for (auto c : {Case{R"({"max_tokns":1})", "limits.max_tokns: unknown key"},
                 Case{R"({"max_tokens":-1})", "limits.max_tokens: expected a non-negative integer"},
                 Case{R"({"rate":{}})", "limits.rate: expected a list"},
                 Case{R"({"rate":[{"scope":"user","rpm":1}]})", "limits.rate[0].scope"},
                 Case{R"({"rate":[{"scope":"key"}]})", "limits.rate[0]: set rpm, tpm or both"},
                 Case{R"({"rate":[{"scope":"key","rpm":"ten"}]})", "limits.rate[0].rpm"},
                 Case{"[1]", "limits: expected a JSON object"}}) {
    auto l = parse_limits(c.doc, 1);
    ASSERT_FALSE(l) << c.doc;
    EXPECT_NE(l.error().message().find(c.want), std::string::npos) << l.error().message();
  }
}

TEST(Limits, ReservationAndWindows) {
  EXPECT_EQ(tokens_to_reserve(100, 400), 200);
  EXPECT_EQ(tokens_to_reserve(0, 0), kDefaultCompletionReserve);
  EXPECT_EQ(minute_window(119), 1);
  EXPECT_EQ(seconds_to_next_window(119), 1);
  EXPECT_EQ(seconds_to_next_window(120), 60);
}

}  // namespace
}  // namespace cutover::policy
