// The signature layer of a JWT (JWS, RFC 7515 / RFC 7518): which algorithms are accepted
// and how their signatures are checked with a pre-parsed public key.
//
// Only asymmetric algorithms exist here, each bound to one key type, which is what makes
// "alg: none" and the HS256-signed-with-the-public-key confusion impossible by
// construction rather than by a check someone could forget.
#pragma once

#include <openssl/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "identity/jwks.hpp"

namespace cutover::identity {

enum class JwsAlg { kRs256, kEs256, kEdDsa };

// The header's "alg" (case-sensitive, as JOSE says). "none" in any case, the HS family and
// everything else unsupported are kUnauthenticated errors explaining what is accepted.
Result<JwsAlg> parse_jws_alg(std::string_view alg);

KeyType key_type_for(JwsAlg alg);

// nullopt when `signature` is valid for `signing_input` (the "header.payload" text) under
// `key`, otherwise why not in words ("the signature does not match"). ES256 signatures are
// the JOSE 64-byte r||s form, never DER. Leaves OpenSSL's error queue empty.
std::optional<std::string> check_jws_signature(JwsAlg alg, EVP_PKEY* key,
                                               std::string_view signing_input,
                                               std::string_view signature);

// A token-supplied string made safe to put in a message or log: quoted, printable ASCII
// only, at most 80 characters ("'abc'").
std::string quote_untrusted(std::string_view s);

}  // namespace cutover::identity
