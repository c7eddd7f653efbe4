#include "store/state_file.hpp"

#include <gtest/gtest.h>

#include <map>

#include "core/hash.hpp"
#include "store/canonical_json.hpp"

namespace cutover::store {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

DomainDocuments parse(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  return parse_state_file(yaml, env_of(std::move(env)));
}

std::vector<std::string> problems(const std::string& yaml,
                                  std::map<std::string, std::string> env = {}) {
  try {
    parse(yaml, std::move(env));
  } catch (const StateFileError& e) {
    return e.problems();
  }
  return {};
}

constexpr const char* kFile = R"(
providers:
  - name: mock
    base_url: http://127.0.0.1:9000/v1
    api_key_env: OPENAI_API_KEY
routes:
  - alias: gpt-4o-mini
    targets: [{provider: mock, model: 3.5}]
    retry: {max_attempts: 2}
api_keys:
  - {id: demo, key: sk-demo, tenant: acme, models: ["*"]}
  - {id: ops, key_env: OPS_KEY}
  - {id: ci, key_sha256: 2C26B46B68FFC68FF99B453C1D30413413422D706483BFA0F98A5E886266E7AE}
)";

TEST(StateFile, MapsFileKeysToDomainsInCanonicalForm) {
  auto docs = parse(kFile, {{"OPS_KEY", "sk-ops"}});
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(
      docs.at("routes"),
      R"({"providers":[{"api_key_env":"OPENAI_API_KEY","base_url":"http://127.0.0.1:9000/v1","name":"mock"}],)"
      R"("routes":[{"alias":"gpt-4o-mini","retry":{"max_attempts":2},"targets":[{"model":"3.5","provider":"mock"}]}]})");
  EXPECT_EQ(
      docs.at("identity"),
      R"({"api_keys":[{"id":"demo","key_sha256":")" + to_hex(sha256("sk-demo")) +
          R"(","models":["*"],"tenant":"acme"},{"id":"ops","key_sha256":")" +
          to_hex(sha256("sk-ops")) +
          R"("},{"id":"ci","key_sha256":"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"}]})");
}

TEST(StateFile, OnlyTheDomainsInTheFile) {
  auto docs = parse("limits: {max_tokens: 4096}\n");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs.at("limits"), R"({"max_tokens":4096})");
  docs = parse("access: {rules: [{tenants: [acme], aliases: [gpt-4o], effect: allow}]}\n");
  EXPECT_EQ(docs.at("access"),
            R"({"rules":[{"aliases":["gpt-4o"],"effect":"allow","tenants":["acme"]}]})");
}

TEST(StateFile, ApiKeysAndJwtIssuersMakeUpIdentity) {
  auto docs = parse(
      "jwt_issuers: [{issuer: https://idp, audiences: [cutover], jwks: '{}', leeway_s: 30}]\n");
  EXPECT_EQ(docs.at("identity"), R"({"jwt_issuers":[{"audiences":["cutover"],)"
                                 R"("issuer":"https://idp","jwks":"{}","leeway_s":30}]})");
  const std::string hex(64, 'a');
  std::string yaml = "api_keys: [{id: a, key_sha256: ";
  yaml += hex;
  yaml += "}]\njwt_issuers: []\n";
  std::string want = R"({"api_keys":[{"id":"a","key_sha256":")";
  want += hex;
  want += R"("}],"jwt_issuers":[]})";
  EXPECT_EQ(parse(yaml).at("identity"), want);
}

TEST(StateFile, SameContentSameDocumentWhateverTheLayout) {
  auto a = parse(kFile, {{"OPS_KEY", "sk-ops"}});
  auto b = parse(R"(
api_keys: [{tenant: acme, models: ['*'], key: "sk-demo", id: demo}, {key_env: OPS_KEY, id: ops},
           {id: ci, key_sha256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae}]
routes: [{alias: gpt-4o-mini, retry: {max_attempts: 2.0}, targets: [{model: '3.5', provider: mock}]}]
providers: [{api_key_env: OPENAI_API_KEY, name: mock, base_url: "http://127.0.0.1:9000/v1"}]
)",
                 {{"OPS_KEY", "sk-ops"}});
  EXPECT_EQ(a, b);
}

TEST(StateFile, NoPlaintextKeyReachesADocument) {
  auto docs = parse(kFile, {{"OPS_KEY", "sk-ops"}});
  for (const auto& [domain, doc] : docs) {
    EXPECT_EQ(doc.find("sk-demo"), std::string::npos) << domain;
    EXPECT_EQ(doc.find("sk-ops"), std::string::npos) << domain;
    EXPECT_EQ(doc.find("\"key\""), std::string::npos) << domain;
    EXPECT_EQ(doc.find("\"key_env\""), std::string::npos) << domain;
  }
}

TEST(StateFile, RefusesALiteralProviderKeyWithItsPath) {
  auto p = problems(R"(
providers:
  - {name: a, base_url: http://h/v1, api_key_env: A}
  - {name: b, base_url: http://h/v1, api_key: sk-live-123}
routes: []
)");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(
      p[0],
      "providers[1].api_key: secrets are not stored in the shared state; use api_key_env, set "
      "on every gateway host");
  // The refusal never echoes the key.
  EXPECT_EQ(p[0].find("sk-live-123"), std::string::npos);
}

TEST(StateFile, ApiKeyEnvIsANameNotAValue) {
  auto p =
      problems("providers: [{name: a, base_url: http://h/v1, api_key_env: sk-abc}]\nroutes: []\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("providers[0].api_key_env: expected the NAME", 0), 0u) << p[0];
}

TEST(StateFile, KeyEnvMustBeSetWhenApplying) {
  auto p = problems("api_keys: [{id: a, key_env: MISSING_KEY}]\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("api_keys[0].key_env: environment variable MISSING_KEY is not set", 0), 0u)
      << p[0];
  EXPECT_EQ(problems("api_keys: [{id: a, key_env: EMPTY}]\n", {{"EMPTY", ""}}).size(), 1u);
}

TEST(StateFile, OneKeySourcePerApiKey) {
  auto p = problems("api_keys: [{id: a, key: sk-1, key_env: K}]\n", {{"K", "v"}});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "api_keys[0]: give exactly one of key, key_env or key_sha256");
  p = problems("api_keys: [{id: a, key: }]\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], "api_keys[0].key: expected a non-empty string");
}

TEST(StateFile, UnknownTopLevelKeysAreNamed) {
  auto p = problems("limits: {max_tokens: 1}\nroute: []\nsecrets: {}\n");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].rfind("route: unknown key", 0), 0u) << p[0];
  EXPECT_EQ(p[1].rfind("secrets: unknown key", 0), 0u) << p[1];
}

TEST(StateFile, ProvidersAndRoutesComeTogether) {
  auto p = problems("routes: [{alias: a, targets: [{provider: p, model: m}]}]\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("providers: required with routes", 0), 0u) << p[0];
}

TEST(StateFile, BadYamlAndBadShapes) {
  auto p = problems("providers: [\n  - a\nroutes: {");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("not valid YAML: ", 0), 0u) << p[0];
  EXPECT_NE(p[0].find("(line "), std::string::npos) << p[0];
  EXPECT_EQ(problems(""), std::vector<std::string>{
                              "the file is empty: give at least one of "
                              "providers + routes, api_keys, jwt_issuers, access or limits"});
  EXPECT_EQ(problems("- a\n"), std::vector<std::string>{"expected a mapping at the top level"});
  EXPECT_EQ(problems("api_keys: {id: a}\n"), std::vector<std::string>{"api_keys: expected a list"});
  EXPECT_EQ(problems("limits: {}\nlimits: {}\n"),
            std::vector<std::string>{"limits: duplicate key"});
  EXPECT_EQ(problems("api_keys: [{id: a, id: b, key: k}]\n"),
            std::vector<std::string>{"api_keys[0].id: duplicate key"});
}

TEST(StateFile, ChecksTheAccessShape) {
  auto p = problems(R"(
access:
  rules:
    - {tenants: [acme], effect: permit}
    - {roles: admin, effect: deny, models: [x]}
    - {aliases: [a, ""]}
  default: deny
)");
  std::vector<std::string> want = {
      "access.default: unknown key",
      "access.rules[0].effect: expected allow or deny",
      "access.rules[1].models: unknown key",
      "access.rules[1].roles: expected a list",
      "access.rules[2].aliases[1]: expected a name",
      "access.rules[2].effect: required",
  };
  EXPECT_EQ(p, want);
  EXPECT_EQ(problems("access: [allow]\n"), std::vector<std::string>{"access: expected a mapping"});
  EXPECT_TRUE(problems("access: {rules: []}\n").empty());
  // limits are checked by their enforcing parser, through the gateway (state_check_test).
  EXPECT_TRUE(problems("limits: {rate: [{scope: key, tpm: 100000}]}\n").empty());
}

TEST(StateFile, RedactsSecretNamedMembersForDisplay) {
  auto v = redact_secrets(parse_json(
      R"({"api_keys":[{"id":"a","key":"sk-1","key_sha256":"ab","key_env":"K"}],)"
      R"("providers":[{"api_key":"sk-2","api_key_env":"P","client_secret":"s","token":{"x":1}}],)"
      R"("limits":{"max_tokens":5,"password":"p"}})"));
  EXPECT_EQ(
      canonical_json(v),
      R"({"api_keys":[{"id":"a","key":"<redacted>","key_env":"K","key_sha256":"ab"}],)"
      R"("limits":{"max_tokens":5,"password":"<redacted>"},)"
      R"("providers":[{"api_key":"<redacted>","api_key_env":"P","client_secret":"<redacted>","token":"<redacted>"}]})");
}

}  // namespace
}  // namespace cutover::store
