#include "gateway/state_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/hash.hpp"

namespace cutover::gateway {
namespace {

std::string identity_doc() {
  return R"({"api_keys":[{"id":"a","key_sha256":")" + to_hex(sha256("sk-a")) + R"("}]})";
}

TEST(StateCheck, AcceptsAValidStateWithoutTheHostsEnvironment) {
  // api_key_env and ca_file belong to each gateway host: not resolved where the CLI runs.
  std::string routes =
      R"({"providers":[{"api_key_env":"CUTOVER_TEST_SURELY_UNSET","base_url":"https://h/v1",)"
      R"("ca_file":"/nonexistent/ca.pem","name":"p"}],)"
      R"("routes":[{"alias":"a","targets":[{"model":"m","provider":"p"}]}]})";
  EXPECT_EQ(check_state_documents({{"routes", routes}, {"identity", identity_doc()}}),
            std::vector<std::string>{});
}

TEST(StateCheck, OneProblemPerLineWithItsPath) {
  std::string routes =
      R"({"providers":[{"base_url":"http://h/v1","name":"p"}],)"
      R"("routes":[{"alias":"a","targets":[{"model":"m","provider":"nope"}],"fallbak":1}]})";
  auto p = check_state_documents({{"routes", routes}, {"identity", identity_doc()}});
  EXPECT_EQ(p,
            (std::vector<std::string>{"routes[0].fallbak: unknown key",
                                      "routes[0].targets[0].provider: unknown provider 'nope'"}));
  // Without identity: the gateway's own rule, named by its path.
  p = check_state_documents({{"routes", routes}});
  EXPECT_NE(
      std::find_if(p.begin(), p.end(),
                   [](const std::string& s) { return s.starts_with("api_keys: at least one"); }),
      p.end());
}

TEST(StateCheck, LimitsAreCheckedByTheirEnforcingParser) {
  std::string routes = R"({"providers":[{"base_url":"http://h/v1","name":"p"}],)"
                       R"("routes":[{"alias":"a","targets":[{"model":"m","provider":"p"}]}]})";
  EXPECT_EQ(check_state_documents(
                {{"routes", routes},
                 {"identity", identity_doc()},
                 {"limits", R"({"max_tokens":4096,"rate":[{"rpm":6,"scope":"key"}]})"}}),
            std::vector<std::string>{});
  auto p = check_state_documents({{"routes", routes},
                                  {"identity", identity_doc()},
                                  {"limits", R"({"rate":[{"rpm":6,"scope":"user"}]})"}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].starts_with("limits.rate[0].scope: ")) << p[0];
}

}  // namespace
}  // namespace cutover::gateway
