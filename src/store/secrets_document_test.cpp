#include "store/secrets_document.hpp"

#include <gtest/gtest.h>

#include "gateway/config.hpp"
#include "identity/secret_box.hpp"

namespace cutover {
namespace {

TEST(SecretsDocument, CanonicalRoundTripAndNames) {
  std::map<std::string, std::string> m{{"zeta", "v1:k:b"}, {"alpha", "v1:k:a"}};
  auto doc = store::secrets_document(m);
  EXPECT_EQ(doc, R"({"alpha":"v1:k:a","zeta":"v1:k:b"})");
  EXPECT_EQ(store::parse_secrets(doc).value(), m);
  EXPECT_TRUE(store::parse_secrets("").value().empty());
  EXPECT_FALSE(store::parse_secrets(R"({"x":"plaintext"})"));  // only sealed text
  EXPECT_TRUE(store::valid_secret_name("openai.prod_key-1"));
  EXPECT_FALSE(store::valid_secret_name("has space"));
  EXPECT_FALSE(store::valid_secret_name(""));
}

struct Sealed {
  identity::SecretBox box{identity::MasterKey::from_bytes(std::string(32, '\x07')).value()};
  gateway::StateDocuments docs(const std::string& name, const std::string& value, const std::string& wanted) {
    gateway::StateDocuments d;
    d.routes = R"({"providers":[{"name":"p","base_url":"http://h/v1","api_key_secret":")" + wanted +
               R"("}],"routes":[{"alias":"a","targets":[{"provider":"p","model":"m"}]}]})";
    d.identity = R"({"api_keys":[{"id":"k","key":"sk"}]})";
    d.secrets = store::secrets_document({{name, box.seal(value, gateway::secret_binding(name))}});
    return d;
  }
};

std::string config_error(const gateway::StateDocuments& d) {
  try {
    gateway::parse_config("{}", d);
  } catch (const gateway::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ProviderSecrets, AGatewayWithTheMasterKeyOpensThem) {
  Sealed s;
  auto d = s.docs("openai", "sk-upstream", "openai");
  d.box = &s.box;
  auto c = gateway::parse_config("{}", d);
  EXPECT_EQ(c->providers[0]->api_key, "sk-upstream");
}

TEST(ProviderSecrets, MissingSecretWrongKeyOrMovedValueAreErrors) {
  Sealed s;
  auto missing = s.docs("openai", "v", "other");
  EXPECT_NE(config_error(missing).find("providers[0].api_key_secret: no secret 'other'"), std::string::npos);
  auto d = s.docs("openai", "v", "openai");
  identity::SecretBox wrong{identity::MasterKey::from_bytes(std::string(32, '\x09')).value()};
  d.box = &wrong;
  auto err = config_error(d);
  EXPECT_NE(err.find("providers[0].api_key_secret: secret 'openai'"), std::string::npos) << err;
  EXPECT_EQ(err.find("v\""), std::string::npos);
  // The state CLI has no master key: it checks presence only.
  d.box = nullptr;
  EXPECT_EQ(config_error(d), "");
}

}  // namespace
}  // namespace cutover
