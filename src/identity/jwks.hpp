// Public keys of a JWT issuer, parsed once from a JWKS document (RFC 7517) into OpenSSL
// keys, so that verifying a token never re-reads key material.
//
// Only what verify_jwt can use is accepted: RSA (2048..8192 bits), EC P-256 and OKP
// Ed25519. Anything else (an unsupported kty or crv, a symmetric "oct" key, a private key
// published by mistake) makes the whole document an error naming the key index and field,
// so a misconfiguration shows at load time and not as 401s at request time.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cutover::identity {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* key) const noexcept;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// The JOSE algorithm each key type verifies.
enum class KeyType { kRsa, kEcP256, kEd25519 };

// "RS256", "ES256", "EdDSA".
std::string_view jose_alg(KeyType type);
// "RSA", "EC P-256", "OKP Ed25519": for error messages.
std::string_view describe(KeyType type);

// One verification key. Copying shares the immutable EVP_PKEY (reference counted), which
// is safe to use from many threads at once.
struct Jwk {
  Jwk() = default;
  Jwk(const Jwk& other);
  Jwk& operator=(const Jwk& other);
  Jwk(Jwk&&) noexcept = default;
  Jwk& operator=(Jwk&&) noexcept = default;
  ~Jwk() = default;

  std::string kid;  // empty when the JWKS gives none
  KeyType type = KeyType::kRsa;
  std::string alg;  // the JWK's own "alg", empty when absent; a token must then match it
  std::string use;  // "sig", "enc" or empty; "enc" keys never verify a token
  EvpPkeyPtr key;
};

// Parses {"keys":[...]}. Errors (kInvalidRequest) name the key and field:
// "keys[1].crv: 'P-384' is not supported; use P-256".
Result<std::vector<Jwk>> parse_jwks(std::string_view json_text);

}  // namespace cutover::identity
