// libFuzzer target: verify_jwt on arbitrary bytes must return claims or an Error, never
// crash, hang, leak or trip a sanitizer. Built with every other target by CUTOVER_FUZZ=ON
// (scripts/fuzz.sh); by hand, from the repository root (new inputs go to the first corpus
// directory, the seeds stay untouched):
//   S=src/identity; clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src
//     $S/fuzz/jwt_fuzz.cpp $S/base64.cpp $S/jwks.cpp $S/jws.cpp $S/jwt.cpp src/core/error.cpp
//     -lboost_json -lcrypto -o jwt_fuzz
//   mkdir -p /tmp/jwt_corpus
//   ./jwt_fuzz -max_len=17000 -dict=$S/fuzz/jwt.dict /tmp/jwt_corpus $S/fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "identity/fuzz/jwt_fuzz_issuers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cutover::identity;
  static const std::vector<JwtIssuer> issuers = fuzz::fuzz_issuers();
  std::string_view token(reinterpret_cast<const char*>(data), size);
  auto claims = verify_jwt(token, issuers, fuzz::kFuzzNow);
  // Touch the result so the optimizer keeps every path.
  volatile std::size_t sink = claims.ok() ? claims->sub.size() : claims.error().message().size();
  (void)sink;
  return 0;
}
