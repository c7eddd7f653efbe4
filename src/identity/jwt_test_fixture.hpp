// Test-only: keys made once per test binary and two trusted issuers built from them,
// shared by jwt_test.cpp and jwt_claims_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include "identity/jwt.hpp"
#include "identity/test_signer.hpp"

// gtest's own substring check: the test binary does not link gmock.
#define EXPECT_HAS(text, part) \
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, std::string(part), std::string(text))

namespace cutover::identity::testing {

// 2026-11-25T10:00:00Z
inline constexpr std::int64_t kNow = 1795600800;

struct Keys {
  EvpPkeyPtr rsa = generate_key(KeyType::kRsa);
  EvpPkeyPtr rsa_other = generate_key(KeyType::kRsa);
  EvpPkeyPtr ec = generate_key(KeyType::kEcP256);
  EvpPkeyPtr ec_other = generate_key(KeyType::kEcP256);
  EvpPkeyPtr ed = generate_key(KeyType::kEd25519);

  // RSA keygen is slow; every test shares one set.
  static const Keys& get() {
    static const Keys keys;
    return keys;
  }
};

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Keys& k = Keys::get();
    boost::json::array idp{public_jwk(k.rsa.get(), KeyType::kRsa, "rsa-1"),
                           public_jwk(k.ec.get(), KeyType::kEcP256, "ec-1"),
                           public_jwk(k.ed.get(), KeyType::kEd25519, "ed-1")};
    auto a = make_jwt_issuer("https://idp", {"cutover", "cutover-admin"}, jwks_text(idp));
    ASSERT_TRUE(a.ok()) << a.error().message();
    // A second issuer with two RSA keys, one of them pinned to PS256 by its JWK.
    auto pinned = public_jwk(k.rsa_other.get(), KeyType::kRsa, "rsa-ps");
    pinned["alg"] = "PS256";
    boost::json::array other{public_jwk(k.rsa_other.get(), KeyType::kRsa, "rsa-2"),
                             public_jwk(k.rsa.get(), KeyType::kRsa, "rsa-3"), pinned};
    auto b = make_jwt_issuer("https://other", {"cutover"}, jwks_text(other), 60, "org");
    ASSERT_TRUE(b.ok()) << b.error().message();
    issuers_ = {std::move(*a), std::move(*b)};
  }

  // A payload that verifies at kNow against "https://idp".
  static boost::json::object claims() {
    return {{"iss", "https://idp"},
            {"sub", "alice"},
            {"aud", "cutover"},
            {"exp", kNow + 300},
            {"iat", kNow - 10},
            {"tenant", "acme"},
            {"roles", boost::json::array{"user", "admin"}}};
  }

  Result<JwtClaims> verify(std::string_view token, std::int64_t now = kNow) const {
    return verify_jwt(token, issuers_, now);
  }

  // The message of the expected kUnauthenticated failure ("" and a test failure if it passed).
  std::string rejection(std::string_view token, std::int64_t now = kNow) const {
    auto r = verify(token, now);
    if (r.ok()) {
      ADD_FAILURE() << "token was accepted: " << token;
      return "";
    }
    EXPECT_EQ(r.error().code(), ErrorCode::kUnauthenticated);
    return r.error().message();
  }

  std::string rs256(const boost::json::object& payload, std::string_view kid = "rsa-1") const {
    return make_token(Keys::get().rsa.get(), "RS256", kid, payload);
  }

  std::vector<JwtIssuer> issuers_;
};

}  // namespace cutover::identity::testing
