// The fixed issuers the JWT fuzz target verifies against, shared with the corpus replay
// in jwt_fuzz_corpus_test.cpp so the normal test run checks exactly what the fuzzer does.
//
// The keys are public halves of throwaway keys; their private halves were discarded after
// signing the valid_* seeds in corpus/, which verify at kFuzzNow. (The fuzzer cannot forge
// signatures, so the claim checks are reached through those seeds as they are.)
#pragma once

#include <cstdlib>
#include <vector>

#include "identity/jwt.hpp"

namespace cutover::identity::fuzz {

// 2026-11-25T10:00:00Z; the valid_* seeds expire an hour later.
inline constexpr std::int64_t kFuzzNow = 1795600800;

inline constexpr const char* kFuzzJwks = R"json(
{"keys":[{"kid":"fuzz-rsa","kty":"RSA","n":"tfk7Lcxv1Z-AOPOyNxhttrn3jwpRd_T5JE1EUiEwZVV9rxBQ4nj_BdBCKoQrsigk-YxBEWS-mqLYFWfjyYQDMsZtzv-UV5eRUtKKwnp38joXtPiljBXohQgza4te9je4QvB2xS4ARpXmjKs685iZhW2D8f0Fc9kqqNc2TFWXNH9O6lZwE9lTWC-SLRXggdaTQk7asxFEpFh8GQRJP5FRIcC5OiWEyiB4HM5qglm7aQYnWCU37QcO8JUsCU4Uge2y7KUOzDHpk5b7G3TLqyyK5Qx3g4D2gsiy67YaIYPglHdLKlEkrqHB8zuhMZpZsutYPbx5Z672-ojJTNh6urqlqQ","e":"AQAB"},{"kid":"fuzz-ec","kty":"EC","crv":"P-256","x":"HQwXG5E1bhPplV11Y0erAp_7zwNqB-YZRrR79f6iQRA","y":"fy8M16Nu-vGvL7iQetioBsJW1jMBzpejxh1OPHHif70"},{"kid":"fuzz-ed","kty":"OKP","crv":"Ed25519","x":"sgwhPPPu_ol-1ZW6x3g-mcKoRPkWj-TnrFeTOzJxHYU"}]}
)json";

inline std::vector<JwtIssuer> fuzz_issuers() {
  auto issuer = make_jwt_issuer("https://fuzz.idp", {"cutover"}, kFuzzJwks);
  if (!issuer.ok()) std::abort();  // a broken fixture would make every run meaningless
  std::vector<JwtIssuer> out;
  out.push_back(std::move(*issuer));
  return out;
}

}  // namespace cutover::identity::fuzz
