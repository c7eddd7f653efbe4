// verify_jwt: the claim checks that follow a valid signature (exp, nbf, iat, iss, aud) and
// how claims are read out; plus the issuer's own validation.
#include <gtest/gtest.h>

#include "identity/jwt.hpp"
#include "identity/jwt_test_fixture.hpp"

namespace cutover::identity::testing {
namespace {

namespace json = boost::json;

TEST_F(JwtTest, ExpiredTokenIsRejectedAfterTheLeeway) {
  auto payload = claims();
  payload["exp"] = kNow;  // 2026-11-25T10:00:00Z
  EXPECT_EQ(rejection(rs256(payload), kNow + 61),
            "token expired at 2026-11-25T10:00:00Z (leeway 60 s)");
  EXPECT_TRUE(verify(rs256(payload), kNow + 60).ok()) << "within the leeway";
  EXPECT_TRUE(verify(rs256(payload), kNow).ok());
}

TEST_F(JwtTest, TokenNotYetValidIsRejectedBeyondTheLeeway) {
  auto payload = claims();
  payload["nbf"] = kNow + 61;
  EXPECT_EQ(rejection(rs256(payload)),
            "token is not valid before 2026-11-25T10:01:01Z, it is now 2026-11-25T10:00:00Z "
            "(leeway 60 s)");
  payload["nbf"] = kNow + 60;
  EXPECT_TRUE(verify(rs256(payload)).ok()) << "within the leeway";
}

TEST_F(JwtTest, TokenIssuedInTheFutureIsRejected) {
  auto payload = claims();
  payload["iat"] = kNow + 3600;
  EXPECT_HAS(rejection(rs256(payload)), "token was issued in the future, at 2026-11-25T11:00:00Z");
  payload["iat"] = kNow + 59;
  EXPECT_TRUE(verify(rs256(payload)).ok());
}

TEST_F(JwtTest, ExpIsRequiredAndMustBeANumber) {
  auto payload = claims();
  payload.erase("exp");
  EXPECT_EQ(rejection(rs256(payload)),
            "token has no 'exp' claim; tokens without an expiry are not accepted");
  payload["exp"] = "tomorrow";
  EXPECT_HAS(rejection(rs256(payload)), "claim 'exp' must be a number of seconds since 1970");
  payload["exp"] = static_cast<double>(kNow) + 0.5;  // fractional NumericDate is legal
  EXPECT_TRUE(verify(rs256(payload)).ok());
  payload["exp"] = 1e300;  // clamped, not undefined behaviour
  EXPECT_TRUE(verify(rs256(payload)).ok());
  payload["exp"] = std::uint64_t{18'000'000'000'000'000'000u};
  EXPECT_TRUE(verify(rs256(payload)).ok());
  payload["exp"] = -1e300;
  EXPECT_HAS(rejection(rs256(payload)), "token expired at");
}

TEST_F(JwtTest, IssuerIsChosenByIssAndMustBeTrusted) {
  auto payload = claims();
  payload["iss"] = "https://evil";
  EXPECT_EQ(rejection(rs256(payload)),
            "unknown issuer 'https://evil': this gateway does not trust its tokens");
  payload["iss"] = "https://idp/";
  EXPECT_HAS(rejection(rs256(payload)), "issuers must match exactly, did you mean 'https://idp'?");
  payload.erase("iss");
  EXPECT_EQ(rejection(rs256(payload)), "token needs a string 'iss' claim naming its issuer");
}

TEST_F(JwtTest, TokenClaimingAnotherTrustedIssuerIsRejected) {
  // Signed by https://idp's key but claiming to come from https://other: that issuer's keys
  // decide, and none of them signed this token.
  auto payload = claims();
  payload["iss"] = "https://other";
  EXPECT_EQ(
      rejection(rs256(payload, "rsa-1")),
      "unknown key id 'rsa-1' for issuer 'https://other'; the issuer may have rotated its keys, "
      "get a new token");
  EXPECT_HAS(rejection(rs256(payload, "rsa-2")), "the signature does not match");
}

TEST_F(JwtTest, AudienceMustIntersectTheIssuersAudiences) {
  auto payload = claims();
  payload["aud"] = "billing";
  EXPECT_EQ(
      rejection(rs256(payload)),
      "token audience 'billing' is not accepted; this gateway accepts 'cutover', 'cutover-admin'");
  payload["aud"] = json::array{"billing", "cutover-admin"};
  auto r = verify(rs256(payload));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->aud, (std::vector<std::string>{"billing", "cutover-admin"}));
  payload["aud"] = json::array{"billing", "search"};
  EXPECT_HAS(rejection(rs256(payload)), "token audience 'billing', 'search' is not accepted");
  payload["aud"] = json::array{"cutover", 7};
  EXPECT_HAS(rejection(rs256(payload)), "claim 'aud' must be a string or an array of strings");
  payload.erase("aud");
  EXPECT_HAS(rejection(rs256(payload)), "token has no 'aud' claim");
}

TEST_F(JwtTest, ClaimsWithWrongTypesAreRejected) {
  for (const char* name : {"sub", "tenant"}) {
    auto payload = claims();
    payload[name] = 12;
    EXPECT_EQ(rejection(rs256(payload)), "claim '" + std::string(name) + "' must be a string");
  }
  auto payload = claims();
  payload["roles"] = json::array{"user", nullptr};
  EXPECT_HAS(rejection(rs256(payload)), "claim 'roles' must be a string or an array");
  payload.erase("roles");
  payload["scope"] = json::array{"read"};
  EXPECT_HAS(rejection(rs256(payload)), "claim 'scope' must be a string");
}

TEST_F(JwtTest, TenantComesFromTheConfiguredClaim) {
  auto payload = claims();
  payload["iss"] = "https://other";
  payload["org"] = "globex";
  payload.erase("sub");
  payload.erase("roles");
  auto r = verify(make_token(Keys::get().rsa_other.get(), "RS256", "rsa-2", payload));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->tenant, "globex");
  EXPECT_EQ(r->sub, "");
  EXPECT_TRUE(r->roles.empty());
}

TEST(JwtIssuerConfig, MakeJwtIssuerValidatesEverything) {
  const Keys& k = Keys::get();
  const std::string jwks = jwks_text({public_jwk(k.ed.get(), KeyType::kEd25519, "ed")});
  auto expect_error = [](const Result<JwtIssuer>& r, std::string_view part) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidRequest);
    EXPECT_HAS(r.error().message(), part);
  };
  expect_error(make_jwt_issuer("", {"a"}, jwks), "the issuer ('iss') must not be empty");
  expect_error(make_jwt_issuer("https://i", {}, jwks), "list at least one non-empty audience");
  expect_error(make_jwt_issuer("https://i", {""}, jwks), "list at least one non-empty audience");
  expect_error(make_jwt_issuer("https://i", {"a"}, jwks, 601),
               "leeway must be 0 to 600 seconds, got 601");
  expect_error(make_jwt_issuer("https://i", {"a"}, jwks, 60, ""), "tenant claim name");
  expect_error(make_jwt_issuer("https://i", {"a"}, "{}"),
               "JWT issuer 'https://i': JWKS must be a JSON object with a \"keys\" array");
  auto ok = make_jwt_issuer("https://i", {"a"}, jwks, 0, "org");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->leeway_seconds, 0);
  EXPECT_EQ(ok->tenant_claim, "org");
  ASSERT_EQ(ok->keys.size(), 1u);
}

TEST(JwtFormatUtc, FormatsAnyInstant) {
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(kNow), "2026-11-25T10:00:00Z");
  EXPECT_EQ(format_utc(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_utc(-1), "1969-12-31T23:59:59Z");
  EXPECT_FALSE(format_utc(INT64_MAX).empty());
  EXPECT_FALSE(format_utc(INT64_MIN).empty());
}

}  // namespace
}  // namespace cutover::identity::testing
