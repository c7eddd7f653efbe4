#include "gateway/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace cutover::gateway {
namespace {

const char* kGood = R"(
listen: 127.0.0.1:0
color: green
api_keys:
  - id: demo
    key: sk-demo
    tenant: acme
    models: [fast]
  - id: ops
    key_sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
providers:
  - name: a
    base_url: http://127.0.0.1:9000/v1
    api_key: secret-a
    request_timeout_ms: 1500
  - name: b
    base_url: http://127.0.0.1:9001/v1
routes:
  - alias: fast
    targets: [{provider: a, model: m1}, {provider: b, model: m2}]
    retry: {max_attempts: 3, backoff_initial_ms: 10}
  - alias: slow
    targets: [{provider: b, model: m3}]
)";

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, ParsesAGoodFile) {
  auto c = parse_config(kGood);
  EXPECT_EQ(c->listen_port, 0);
  EXPECT_EQ(c->color, "green");
  ASSERT_EQ(c->routes.size(), 2u);
  const Route* fast = c->find_route("fast");
  ASSERT_NE(fast, nullptr);
  ASSERT_EQ(fast->targets.size(), 2u);
  EXPECT_EQ(fast->targets[0].provider->name, "a");
  EXPECT_EQ(fast->targets[1].model, "m2");
  EXPECT_EQ(fast->retry.max_attempts, 3);
  EXPECT_EQ(fast->targets[0].provider->request_timeout.count(), 1500);
  EXPECT_EQ(fast->version.size(), 12u);
  EXPECT_NE(fast->version, c->find_route("slow")->version);
  EXPECT_EQ(c->find_route("nope"), nullptr);
}

TEST(Config, KeysAreFoundByDigestOnly) {
  auto c = parse_config(kGood);
  const ApiKey* k = c->find_key(sha256("sk-demo"));
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->id, "demo");
  EXPECT_TRUE(k->may_use("fast"));
  EXPECT_FALSE(k->may_use("slow"));
  const ApiKey* ops = c->find_key(sha256("foo"));  // key_sha256 above is sha256("foo")
  ASSERT_NE(ops, nullptr);
  EXPECT_TRUE(ops->may_use("slow"));  // no models: all
  EXPECT_EQ(c->find_key(sha256("sk-wrong")), nullptr);
}

TEST(Config, RouteVersionChangesWithTheRoute) {
  auto a = parse_config(kGood);
  std::string changed = kGood;
  changed.replace(changed.find("model: m1"), 9, "model: mX");
  auto b = parse_config(changed);
  EXPECT_NE(a->find_route("fast")->version, b->find_route("fast")->version);
  EXPECT_EQ(a->find_route("slow")->version, b->find_route("slow")->version);
}

TEST(Config, UnknownKeysAreErrorsNamingTheirPath) {
  std::string bad = kGood;
  bad.replace(bad.find("retry: {max_attempts: 3"), 6, "retyr:");
  bad += "    fallbak: true\n";
  auto err = error_of(bad);
  EXPECT_NE(err.find("routes[0].retyr: unknown key"), std::string::npos) << err;
  EXPECT_NE(err.find("routes[1].fallbak: unknown key"), std::string::npos) << err;
}

TEST(Config, EveryProblemIsReportedAtOnce) {
  auto err = error_of(R"(
workers: -1
api_keys:
  - id: k
providers:
  - name: p
    base_url: ftp://x
routes:
  - alias: r
    targets: [{provider: missing, model: m}]
    retry: {max_attempts: 0}
)");
  for (const char* want : {"workers: must be between", "api_keys[0]: exactly one of key",
                           "providers[0].base_url: invalid URL", "routes[0].targets[0].provider: unknown provider 'missing'",
                           "routes[0].retry.max_attempts: must be between 1 and 10"})
    EXPECT_NE(err.find(want), std::string::npos) << "missing '" << want << "' in:\n" << err;
}

TEST(Config, SecretsFromTheEnvironment) {
  std::string yaml = kGood;
  yaml.replace(yaml.find("api_key: secret-a"), 17, "api_key_env: CUTOVER_TEST_PROVIDER_KEY");
  unsetenv("CUTOVER_TEST_PROVIDER_KEY");
  EXPECT_NE(error_of(yaml).find("environment variable CUTOVER_TEST_PROVIDER_KEY is not set"), std::string::npos);
  setenv("CUTOVER_TEST_PROVIDER_KEY", "from-env", 1);
  auto c = parse_config(yaml);
  EXPECT_EQ(c->find_route("fast")->targets[0].provider->api_key, "from-env");
  unsetenv("CUTOVER_TEST_PROVIDER_KEY");
}

TEST(Config, WrongTypesAndBadYaml) {
  EXPECT_NE(error_of("listen: [1, 2]\n").find("listen: expected a string"), std::string::npos);
  EXPECT_NE(error_of("limits: {max_body_bytes: lots}\n").find("limits.max_body_bytes: expected an integer"),
            std::string::npos);
  EXPECT_NE(error_of("a: [\n").find("not valid YAML"), std::string::npos);
  EXPECT_NE(error_of("- 1\n").find("expected a mapping"), std::string::npos);
}

TEST(Config, DuplicatesAreRefused) {
  std::string dup = kGood;
  dup += "  - alias: fast\n    targets: [{provider: a, model: m}]\n";
  EXPECT_NE(error_of(dup).find("duplicate alias 'fast'"), std::string::npos);
}

}  // namespace
}  // namespace cutover::gateway

namespace cutover::gateway {
namespace {

TEST(ConfigState, StoreDocumentsReplaceTheFileSections) {
  StateDocuments state;
  state.routes = R"({"providers":[{"name":"s","base_url":"http://127.0.0.1:9/v1"}],
                     "routes":[{"alias":"from-store","targets":[{"provider":"s","model":"m"}]}]})";
  state.identity = R"({"api_keys":[{"id":"stored","key_sha256":")" + to_hex(sha256("sk-stored")) + R"("}]})";
  auto c = parse_config(kGood, state);
  EXPECT_EQ(c->color, "green");  // node settings still come from the file
  EXPECT_NE(c->find_route("from-store"), nullptr);
  EXPECT_EQ(c->find_route("fast"), nullptr);  // the file's routes are replaced, not merged
  EXPECT_NE(c->find_key(sha256("sk-stored")), nullptr);
  EXPECT_EQ(c->find_key(sha256("sk-demo")), nullptr);
}

TEST(ConfigState, ValidatesDocumentsAlone) {
  StateDocuments ok{R"({"providers":[{"name":"s","base_url":"http://h/v1"}],"routes":[{"alias":"a","targets":[{"provider":"s","model":"m"}]}]})",
                    R"({"api_keys":[{"id":"k","key_sha256":")" + to_hex(sha256("x")) + R"("}]})"};
  EXPECT_NO_THROW(validate_state(ok));
  StateDocuments bad = ok;
  bad.routes = R"({"providers":[],"routes":[{"alias":"a","targets":[{"provider":"nope","model":"m"}]}]})";
  try {
    validate_state(bad);
    FAIL() << "accepted a route to an unknown provider";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("routes[0].targets[0].provider: unknown provider 'nope'"), std::string::npos) << e.what();
  }
  StateDocuments stray = ok;
  stray.identity = R"({"api_keys":[],"routes":[]})";
  EXPECT_THROW(validate_state(stray), ConfigError);
}

}  // namespace
}  // namespace cutover::gateway
