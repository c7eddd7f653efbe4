// verify_jwt: valid tokens of each algorithm, and every attack on the signature layer and
// on the token's encoding. Claim checks (time, iss, aud) are in jwt_claims_test.cpp.
#include "identity/jwt.hpp"

#include <gtest/gtest.h>

#include "identity/jwt_test_fixture.hpp"

namespace cutover::identity::testing {
namespace {

namespace json = boost::json;

// Splits a token into its three encoded parts.
std::vector<std::string> parts(const std::string& token) {
  auto d1 = token.find('.'), d2 = token.find('.', d1 + 1);
  return {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
}
std::string join(const std::vector<std::string>& p) { return p[0] + "." + p[1] + "." + p[2]; }

TEST_F(JwtTest, Rs256TokenVerifiesAndYieldsClaims) {
  auto payload = claims();
  payload["custom"] = 42;
  auto r = verify(rs256(payload));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->sub, "alice");
  EXPECT_EQ(r->iss, "https://idp");
  EXPECT_EQ(r->aud, std::vector<std::string>{"cutover"});
  EXPECT_EQ(r->exp, kNow + 300);
  EXPECT_EQ(r->tenant, "acme");
  EXPECT_EQ(r->roles, (std::vector<std::string>{"user", "admin"}));
  EXPECT_EQ(r->payload.at("custom").as_int64(), 42);
}

TEST_F(JwtTest, Es256TokenVerifies) {
  auto r = verify(make_token(Keys::get().ec.get(), "ES256", "ec-1", claims()));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->sub, "alice");
}

TEST_F(JwtTest, EdDsaTokenVerifiesWithScopeAsRoles) {
  auto payload = claims();
  payload.erase("roles");
  payload["scope"] = "read  write admin";
  auto r = verify(make_token(Keys::get().ed.get(), "EdDSA", "ed-1", payload));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->roles, (std::vector<std::string>{"read", "write", "admin"}));
}

TEST_F(JwtTest, WithoutKidTheIssuersOnlyKeyOfThatTypeIsUsed) {
  auto r = verify(make_token(Keys::get().ed.get(), "EdDSA", "", claims()));
  ASSERT_TRUE(r.ok()) << r.error().message();
  // "https://other" has two usable RS256 keys: which one is ambiguous.
  auto payload = claims();
  payload["iss"] = "https://other";
  EXPECT_HAS(rejection(rs256(payload, "")),
             "token has no 'kid' header and issuer 'https://other' has 2 RS256 keys");
  EXPECT_HAS(rejection(make_token(Keys::get().ec.get(), "ES256", "", payload)),
             "issuer 'https://other' has no ES256 key");
}

TEST_F(JwtTest, AlgNoneIsRejectedInAnyCase) {
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    std::string token = make_token(nullptr, alg, "rsa-1", claims());
    EXPECT_EQ(rejection(token),
              "alg '" + std::string(alg) +
                  "' is not accepted: tokens must be signed (RS256, ES256 or EdDSA)");
    // Even with a (meaningless) signature attached.
    EXPECT_HAS(rejection(token + "c2ln"), "is not accepted");
  }
}

TEST_F(JwtTest, Hs256SignedWithThePublicKeyIsRejected) {
  // The classic confusion: the attacker HMACs with the public key a naive verifier uses.
  const std::string pem = public_pem(Keys::get().rsa.get());
  for (const char* alg : {"HS256", "HS384", "HS512"}) {
    json::object header{{"alg", alg}, {"kid", "rsa-1"}};
    std::string input = signing_input(header, claims());
    std::string token = input + "." + base64url_encode(hmac_sha256(pem, input));
    EXPECT_EQ(rejection(token), std::string(alg) +
                                    " tokens are not accepted: this gateway verifies with public "
                                    "keys (RS256, ES256 or EdDSA)");
  }
}

TEST_F(JwtTest, OtherAlgorithmsAreUnsupported) {
  for (const char* alg : {"PS256", "RS384", "ES384", "rs256", "Ed25519", ""})
    EXPECT_HAS(rejection(make_token(nullptr, alg, "rsa-1", claims()) + "c2ln"),
               "is not supported; use RS256, ES256 or EdDSA");
}

TEST_F(JwtTest, AlgMustMatchTheKeyType) {
  // RS256 header naming the EC key: even a valid RSA signature must not get through.
  EXPECT_EQ(rejection(rs256(claims(), "ec-1")),
            "alg 'RS256' does not match key 'ec-1' of issuer 'https://idp': that key is EC P-256 "
            "and verifies ES256 only");
  EXPECT_HAS(rejection(make_token(Keys::get().ed.get(), "EdDSA", "rsa-1", claims())),
             "that key is RSA and verifies RS256 only");
}

TEST_F(JwtTest, AlgMustMatchTheJwksOwnAlg) {
  auto payload = claims();
  payload["iss"] = "https://other";
  EXPECT_EQ(rejection(make_token(Keys::get().rsa_other.get(), "RS256", "rsa-ps", payload)),
            "alg 'RS256' does not match key 'rsa-ps' of issuer 'https://other', whose JWK declares "
            "alg 'PS256'");
}

TEST_F(JwtTest, SignatureFromAnotherKeyIsRejected) {
  const std::string why =
      "invalid signature for key 'ec-1' of issuer 'https://idp': the signature "
      "does not match; the token was altered or signed with another key";
  EXPECT_EQ(rejection(make_token(Keys::get().ec_other.get(), "ES256", "ec-1", claims())), why);
  EXPECT_HAS(rejection(make_token(Keys::get().rsa_other.get(), "RS256", "rsa-1", claims())),
             "the signature does not match");
}

TEST_F(JwtTest, FlippedSignatureByteIsRejected) {
  struct Case {
    EVP_PKEY* key;
    const char* alg;
    const char* kid;
  };
  const Keys& k = Keys::get();
  for (auto [key, alg, kid] :
       {Case{k.rsa.get(), "RS256", "rsa-1"}, Case{k.ec.get(), "ES256", "ec-1"},
        Case{k.ed.get(), "EdDSA", "ed-1"}}) {
    auto p = parts(make_token(key, alg, kid, claims()));
    std::string sig;
    ASSERT_EQ(base64url_decode(p[2], sig), Base64Problem::kNone);
    for (std::size_t at : {std::size_t{0}, sig.size() / 2, sig.size() - 1}) {
      std::string bad = sig;
      bad[at] ^= 0x01;
      EXPECT_HAS(rejection(join({p[0], p[1], base64url_encode(bad)})),
                 "the signature does not match")
          << alg << " byte " << at;
    }
  }
}

TEST_F(JwtTest, FlippedPayloadByteIsRejected) {
  auto p = parts(rs256(claims()));
  std::string payload;
  ASSERT_EQ(base64url_decode(p[1], payload), Base64Problem::kNone);
  auto at = payload.find("alice");
  ASSERT_NE(at, std::string::npos);
  payload[at + 4] ^= 0x01;  // "alicd": still valid JSON, now someone else
  EXPECT_HAS(rejection(join({p[0], base64url_encode(payload), p[2]})),
             "the signature does not match");
}

TEST_F(JwtTest, WrongSignatureSizesAreExplained) {
  auto p = parts(make_token(Keys::get().ec.get(), "ES256", "ec-1", claims()));
  EXPECT_HAS(rejection(join({p[0], p[1], base64url_encode(std::string(72, '\x30'))})),
             "an ES256 signature is 64 bytes (r||s, RFC 7518 §3.4), this one is 72");
  EXPECT_HAS(rejection(join({p[0], p[1], ""})),
             "the signature is empty; unsigned tokens are not accepted");
  // r = s = 0 is never a valid ECDSA signature ("psychic signatures", CVE-2022-21449).
  EXPECT_HAS(rejection(join({p[0], p[1], base64url_encode(std::string(64, '\0'))})),
             "the signature does not match");
}

TEST_F(JwtTest, UnknownKidIsRejected) {
  EXPECT_EQ(rejection(rs256(claims(), "abc")),
            "unknown key id 'abc' for issuer 'https://idp'; the issuer may have rotated its keys, "
            "get a new token");
}

TEST_F(JwtTest, Base64PaddingAndForeignCharactersAreRejected) {
  auto p = parts(rs256(claims()));
  EXPECT_EQ(rejection(join({p[0] + "=", p[1], p[2]})),
            "token header contains '=' padding, which JWTs do not use (base64url without padding, "
            "RFC 7515)");
  EXPECT_HAS(rejection(join({p[0], p[1] + "==", p[2]})), "token payload contains '='");
  EXPECT_HAS(rejection(join({p[0], p[1], p[2] + "="})), "token signature contains '='");
  std::string plus = p[2];
  plus[3] = '+';
  EXPECT_HAS(rejection(join({p[0], p[1], plus})),
             "token signature contains '+', which is not a base64url character");
  EXPECT_HAS(rejection(join({p[0], p[1] + " ", p[2]})), "contains ' '");
  std::string odd = p[1];
  while (odd.size() % 4 != 1) odd += 'A';
  EXPECT_HAS(rejection(join({p[0], odd, p[2]})), "no base64url encoding can have");
}

TEST_F(JwtTest, TokensMustHaveExactlyThreeParts) {
  auto p = parts(rs256(claims()));
  EXPECT_HAS(rejection(p[0] + "." + p[1]), "a JWT has 3 parts separated by '.'");
  EXPECT_HAS(rejection(p[0] + "." + p[1]), "this token has 2");
  EXPECT_HAS(rejection(join(p) + ".x"), "this token has 4");
  EXPECT_HAS(rejection(""), "this token has 1");
}

TEST_F(JwtTest, GarbageJsonIsRejected) {
  auto p = parts(rs256(claims()));
  EXPECT_HAS(rejection(join({base64url_encode("{\"alg\":"), p[1], p[2]})),
             "token header is not valid JSON");
  EXPECT_HAS(rejection(join({base64url_encode("[\"RS256\"]"), p[1], p[2]})),
             "token header must be a JSON object");
  EXPECT_HAS(rejection(join({p[0], base64url_encode("{\"iss\":\"https://idp\""), p[2]})),
             "token payload is not valid JSON");
  EXPECT_HAS(rejection(join({p[0], base64url_encode("\xff\xfe"), p[2]})),
             "token payload is not valid JSON");
  EXPECT_HAS(rejection(join({base64url_encode("{\"kid\":\"rsa-1\"}"), p[1], p[2]})),
             "token header needs a string 'alg'");
  EXPECT_HAS(rejection(join({base64url_encode(R"({"alg":"RS256","kid":7})"), p[1], p[2]})),
             "token header 'kid' must be a string");
}

TEST_F(JwtTest, CriticalHeaderExtensionsAreRejected) {
  json::object header{
      {"alg", "RS256"}, {"kid", "rsa-1"}, {"crit", json::array{"b64"}}, {"b64", false}};
  std::string input = signing_input(header, claims());
  EXPECT_HAS(
      rejection(input + "." + base64url_encode(sign_input(Keys::get().rsa.get(), "RS256", input))),
      "critical extensions ('crit')");
}

TEST_F(JwtTest, OversizedTokensAreRejectedBeforeDecoding) {
  auto payload = claims();
  payload["padding"] = std::string(kMaxJwtBytes, 'x');
  EXPECT_EQ(rejection(rs256(payload)).find("token is "), 0u);
  EXPECT_EQ(rejection(std::string(kMaxJwtBytes + 1, 'A')),
            "token is 16385 bytes; the limit is 16384 bytes");
  // Just under the limit is fine.
  payload["padding"] = std::string(kMaxJwtBytes / 2, 'x');
  EXPECT_TRUE(verify(rs256(payload)).ok());
}

TEST_F(JwtTest, UntrustedFieldsAreQuotedSafelyInMessages) {
  std::string kid = "line\nbreak";
  kid.append(200, 'k');
  std::string m = rejection(rs256(claims(), kid));
  EXPECT_HAS(m, "'line?break");
  EXPECT_HAS(m, "...'");
  EXPECT_LT(m.size(), 300u);
}

TEST_F(JwtTest, CopiedIssuersShareTheirKeys) {
  std::vector<JwtIssuer> copy = issuers_;
  issuers_.clear();
  EXPECT_TRUE(verify_jwt(rs256(claims()), copy, kNow).ok());
}

}  // namespace
}  // namespace cutover::identity::testing
