// JWT bearer tokens (RFC 7519) signed by a trusted identity provider.
//
// verify_jwt is pure: the issuers and the time come in as arguments, nothing is fetched
// (a token's own "jku", "x5u" or embedded "jwk" headers are ignored by design: the key must
// come from the issuer's configured JWKS). Only asymmetric algorithms are accepted, each
// tied to its key type, so neither "alg: none" nor the HS256-with-a-public-key confusion
// can succeed. The signature is checked before any claim, so an error about a claim
// ("expired") is only ever reported for a token the issuer really signed.
//
// Every failure is ErrorCode::kUnauthenticated with a message a client developer can act
// on; the message quotes token fields only after making them printable and short.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "identity/jwks.hpp"

namespace cutover::identity {

// Tokens longer than this are refused before any decoding work.
inline constexpr std::size_t kMaxJwtBytes = 16 * 1024;

// One trusted issuer. Build it with make_jwt_issuer (which validates) or fill the fields
// directly in tests.
struct JwtIssuer {
  std::string issuer;                  // the exact "iss" its tokens carry
  std::vector<std::string> audiences;  // a token's "aud" must name at least one
  std::vector<Jwk> keys;
  std::int64_t leeway_seconds = 60;     // clock skew tolerated on exp, nbf and iat
  std::string tenant_claim = "tenant";  // which claim carries the tenant
};

// Parses the JWKS and checks the rest: a non-empty issuer, at least one audience (a token
// minted for another service must not be accepted here), leeway in 0..600 s.
// Errors are kInvalidRequest.
Result<JwtIssuer> make_jwt_issuer(std::string issuer, std::vector<std::string> audiences,
                                  std::string_view jwks_json, std::int64_t leeway_seconds = 60,
                                  std::string tenant_claim = "tenant");

struct JwtClaims {
  std::string sub;  // empty when absent
  std::string iss;
  std::vector<std::string> aud;    // as sent: one string becomes one element
  std::int64_t exp = 0;            // seconds since 1970
  std::string tenant;              // from JwtIssuer::tenant_claim; empty when absent
  std::vector<std::string> roles;  // "roles" array, else "scope" split on spaces
  boost::json::object payload;     // every claim, for rules that need more
};

// Verifies a compact JWS (header.payload.signature, base64url without padding). The issuer
// is chosen by the token's "iss"; the key by "kid", or, when the token has none, the
// issuer's only key of the token's algorithm. now_unix is the current time in seconds.
Result<JwtClaims> verify_jwt(std::string_view token, const std::vector<JwtIssuer>& issuers,
                             std::int64_t now_unix);

// "2026-11-25T10:00:00Z": how times appear in error messages.
std::string format_utc(std::int64_t unix_seconds);

}  // namespace cutover::identity
