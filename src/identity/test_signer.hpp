// Test-only: make keys, publish their public halves as JWKs and sign tokens, so tests of
// verify_jwt need no fixtures on disk. Included by *_test.cpp files only (header-only, so
// the library glob never compiles it into the product).
#pragma once

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "identity/base64.hpp"
#include "identity/jwks.hpp"

namespace cutover::identity::testing {

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test signer: ") + what);
}

inline EvpPkeyPtr generate_key(KeyType type, std::size_t rsa_bits = 2048) {
  EVP_PKEY* key = type == KeyType::kRsa      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", rsa_bits)
                  : type == KeyType::kEcP256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  check(key != nullptr, "keygen");
  return EvpPkeyPtr(key);
}

inline std::string bn_param(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  check(EVP_PKEY_get_bn_param(key, name, &bn) == 1, name);
  std::string out(pad ? pad : BN_num_bytes(bn), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

// The public JWK as a JSON object; extra members (alg, use) can be added by the caller.
inline boost::json::object public_jwk(EVP_PKEY* key, KeyType type, std::string_view kid) {
  boost::json::object jwk;
  if (!kid.empty()) jwk["kid"] = kid;
  if (type == KeyType::kRsa) {
    jwk["kty"] = "RSA";
    jwk["n"] = base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_N));
    jwk["e"] = base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_E));
  } else if (type == KeyType::kEcP256) {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32));
    jwk["y"] = base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  } else {
    jwk["kty"] = "OKP";
    jwk["crv"] = "Ed25519";
    std::string raw(32, '\0');
    std::size_t len = raw.size();
    check(EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &len) == 1,
          "raw public key");
    jwk["x"] = base64url_encode(raw);
  }
  return jwk;
}

inline std::string jwks_text(boost::json::array keys) {
  return boost::json::serialize(boost::json::object{{"keys", std::move(keys)}});
}

// SubjectPublicKeyInfo PEM: the bytes an HS256 confusion attacker uses as the HMAC secret.
inline std::string public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  check(bio && PEM_write_bio_PUBKEY(bio, key) == 1, "pem");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return pem;
}

// Signs `input` as JOSE alg `alg` says: RS256, ES256 (r||s, not DER) or EdDSA.
inline std::string sign_input(EVP_PKEY* key, std::string_view alg, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  check(ctx && EVP_DigestSignInit(ctx, nullptr, alg == "EdDSA" ? nullptr : EVP_sha256(), nullptr,
                                  key) == 1,
        "sign init");
  std::size_t len = 0;
  auto in = reinterpret_cast<const unsigned char*>(input.data());
  check(EVP_DigestSign(ctx, nullptr, &len, in, input.size()) == 1, "sign size");
  std::string sig(len, '\0');
  check(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) ==
            1,
        "sign");
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (alg != "ES256") return sig;
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  check(es != nullptr, "der");
  std::string rs(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(rs.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(rs.data()) + 32, 32);
  ECDSA_SIG_free(es);
  return rs;
}

inline std::string hmac_sha256(std::string_view secret, std::string_view input) {
  unsigned char out[32];
  std::size_t len = 0;
  check(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                  reinterpret_cast<const unsigned char*>(input.data()), input.size(), out,
                  sizeof out, &len) != nullptr,
        "hmac");
  return std::string(reinterpret_cast<char*>(out), len);
}

// header.payload with both parts base64url-encoded: the JWS signing input.
inline std::string signing_input(const boost::json::object& header,
                                 const boost::json::object& payload) {
  return base64url_encode(boost::json::serialize(header)) + "." +
         base64url_encode(boost::json::serialize(payload));
}

// A complete token. `alg` goes into the header as given; `key` signs (nullptr: no signature).
inline std::string make_token(EVP_PKEY* key, std::string_view alg, std::string_view kid,
                              const boost::json::object& payload) {
  boost::json::object header{{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  std::string input = signing_input(header, payload);
  return input + "." + (key ? base64url_encode(sign_input(key, alg, input)) : "");
}

}  // namespace cutover::identity::testing
