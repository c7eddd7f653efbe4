// parse_jwks: the keys verify_jwt can use, and an error naming the key and field for
// everything else. Also the strict base64url underneath.
#include "identity/jwks.hpp"

#include <gtest/gtest.h>

#include "identity/base64.hpp"
#include "identity/jwt_test_fixture.hpp"

namespace cutover::identity::testing {
namespace {

namespace json = boost::json;

std::string parse_error(const std::string& text) {
  auto r = parse_jwks(text);
  if (r.ok()) {
    ADD_FAILURE() << "JWKS was accepted: " << text;
    return "";
  }
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidRequest);
  return r.error().message();
}

// A valid JWKS of one key with `field` replaced (or removed when value is null).
std::string with(json::object jwk, std::string_view field, json::value value) {
  if (value.is_null())
    jwk.erase(field);
  else
    jwk[field] = std::move(value);
  return jwks_text({std::move(jwk)});
}

json::object rsa_jwk() { return public_jwk(Keys::get().rsa.get(), KeyType::kRsa, "r"); }
json::object ec_jwk() { return public_jwk(Keys::get().ec.get(), KeyType::kEcP256, "e"); }
json::object ed_jwk() { return public_jwk(Keys::get().ed.get(), KeyType::kEd25519, "d"); }

TEST(Jwks, ParsesTheThreeSupportedKeyTypes) {
  auto ec = ec_jwk();
  ec["alg"] = "ES256";
  ec["use"] = "sig";
  ec["x5t"] = "ignored";  // members we do not use are allowed: IdPs add many
  auto r = parse_jwks(jwks_text({rsa_jwk(), ec, ed_jwk()}));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].type, KeyType::kRsa);
  EXPECT_EQ((*r)[1].type, KeyType::kEcP256);
  EXPECT_EQ((*r)[1].alg, "ES256");
  EXPECT_EQ((*r)[1].use, "sig");
  EXPECT_EQ((*r)[2].type, KeyType::kEd25519);
  EXPECT_EQ((*r)[2].kid, "d");
  for (const auto& k : *r) EXPECT_NE(k.key, nullptr);
  Jwk copy = (*r)[0];
  EXPECT_EQ(copy.key.get(), (*r)[0].key.get()) << "copies share the parsed key";
}

TEST(Jwks, DocumentShapeErrors) {
  EXPECT_HAS(parse_error("{\"keys\": ["), "JWKS is not valid JSON");
  EXPECT_HAS(parse_error("[]"), "JWKS must be a JSON object with a \"keys\" array");
  EXPECT_HAS(parse_error("{\"keys\": {}}"), "\"keys\" array");
  EXPECT_EQ(parse_error("{\"keys\": []}"), "JWKS has no keys");
  EXPECT_EQ(parse_error(jwks_text({ed_jwk(), "x"})), "keys[1]: must be a JSON object");
}

TEST(Jwks, UnsupportedKeyTypesAndCurvesAreErrors) {
  EXPECT_EQ(parse_error(with(ed_jwk(), "kty", "oct")),
            "keys[0].kty: symmetric keys ('oct') are not accepted: this gateway verifies with "
            "public keys");
  EXPECT_EQ(parse_error(with(ed_jwk(), "kty", "DSA")),
            "keys[0].kty: 'DSA' is not supported; use RSA, EC or OKP");
  EXPECT_EQ(parse_error(with(ed_jwk(), "kty", nullptr)),
            "keys[0].kty: missing; use RSA, EC or OKP");
  EXPECT_EQ(parse_error(with(ed_jwk(), "kty", 3)), "keys[0].kty: must be a string");
  EXPECT_EQ(parse_error(with(ec_jwk(), "crv", "P-384")),
            "keys[0].crv: 'P-384' is not supported; use P-256");
  EXPECT_EQ(parse_error(with(ed_jwk(), "crv", "Ed448")),
            "keys[0].crv: 'Ed448' is not supported; use Ed25519");
  EXPECT_EQ(parse_error(with(ed_jwk(), "crv", "X25519")),
            "keys[0].crv: 'X25519' is not supported; use Ed25519");
  EXPECT_EQ(parse_error(with(ec_jwk(), "crv", nullptr)), "keys[0].crv: missing; use P-256");
}

TEST(Jwks, BadKeyMaterialNamesTheField) {
  EXPECT_EQ(parse_error(jwks_text({ed_jwk(), json::object{{"kty", "RSA"}, {"e", "AQAB"}}})),
            "keys[1].n: missing");
  EXPECT_EQ(parse_error(with(rsa_jwk(), "e", "AQAB=")),
            "keys[0].e: contains '=' padding, which JWTs do not use (base64url without padding, "
            "RFC 7515)");
  EXPECT_EQ(parse_error(with(rsa_jwk(), "e", "")), "keys[0].e: is empty");
  EXPECT_EQ(parse_error(with(rsa_jwk(), "n", 5)), "keys[0].n: must be a base64url string");
  auto small = generate_key(KeyType::kRsa, 1024);
  EXPECT_EQ(parse_error(jwks_text({public_jwk(small.get(), KeyType::kRsa, "")})),
            "keys[0].n: RSA modulus is 1024 bits; use 2048 to 8192 bits");
  EXPECT_EQ(parse_error(with(ec_jwk(), "x", json::string(base64url_encode(std::string(31, 'a'))))),
            "keys[0].x: must be 32 bytes, got 31");
  // Not on the curve: an invalid-curve key must never be loaded.
  EXPECT_EQ(
      parse_error(with(ec_jwk(), "y", json::string(base64url_encode(std::string(32, '\x01'))))),
      "keys[0].x: (x, y) is not a point on P-256");
  EXPECT_EQ(parse_error(with(ed_jwk(), "x", json::string(base64url_encode(std::string(33, 'a'))))),
            "keys[0].x: must be 32 bytes, got 33");
}

TEST(Jwks, PrivateKeysAndInconsistentMembersAreErrors) {
  EXPECT_EQ(parse_error(with(ed_jwk(), "d", "AAAA")),
            "keys[0].d: private key material; publish only the public part of the key");
  EXPECT_EQ(parse_error(with(ec_jwk(), "alg", "RS256")),
            "keys[0].alg: 'RS256' does not fit a EC P-256 key; use ES256");
  EXPECT_EQ(parse_error(with(ec_jwk(), "alg", 256)), "keys[0].alg: must be a string");
  EXPECT_EQ(parse_error(with(ec_jwk(), "use", "wrap")),
            "keys[0].use: 'wrap' is not a key use; use 'sig'");
  EXPECT_EQ(parse_error(jwks_text({ec_jwk(), ed_jwk(), ec_jwk()})),
            "keys[2].kid: 'e' is already used by keys[0]");
  // An alg this gateway does not verify is kept; verify_jwt explains when a token uses it.
  auto ps = rsa_jwk();
  ps["alg"] = "PS256";
  EXPECT_TRUE(parse_jwks(jwks_text({ps})).ok());
}

TEST(JwtBase64, UrlRoundTripsAndRejectsEverythingNonCanonical) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n < 40; ++n) {
    std::string out;
    ASSERT_EQ(base64url_decode(base64url_encode(all.substr(n, n)), out), Base64Problem::kNone);
    EXPECT_EQ(out, all.substr(n, n));
  }
  std::string out;
  char bad = 0;
  EXPECT_EQ(base64url_decode("-_8", out), Base64Problem::kNone);
  EXPECT_EQ(out, "\xfb\xff");
  EXPECT_EQ(base64url_decode("QQ==", out), Base64Problem::kPadding);
  EXPECT_EQ(base64url_decode("a+b", out, &bad), Base64Problem::kBadCharacter);
  EXPECT_EQ(bad, '+');
  EXPECT_EQ(base64url_decode("abcde", out), Base64Problem::kBadLength);
  EXPECT_EQ(base64url_decode("QR", out), Base64Problem::kNonCanonical)
      << "'QQ' is the only encoding of 'A'";
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(describe(Base64Problem::kBadCharacter, '\n'),
            "contains '\\x0a', which is not a base64url character (A-Z a-z 0-9 - _)");
}

TEST(JwtBase64, LenientAcceptsBothAlphabetsAndPadding) {
  std::string out;
  EXPECT_TRUE(base64_decode_lenient("+/8=", out));
  EXPECT_EQ(out, "\xfb\xff");
  EXPECT_TRUE(base64_decode_lenient("-_8", out));
  EXPECT_EQ(out, "\xfb\xff");
  EXPECT_FALSE(base64_decode_lenient("ab!d", out));
  EXPECT_FALSE(base64_decode_lenient("a===", out));
}

}  // namespace
}  // namespace cutover::identity::testing
