// libFuzzer target: the shadow comparison and the plan parser on arbitrary bytes must
// return a result, never crash, hang, leak or trip a sanitizer (input layout in
// traffic_fuzz.hpp). Not part of the CMake build. By hand, from the repository root (new
// inputs go to the first corpus directory, the seeds stay untouched):
//   S=src/traffic; clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src
//     $S/fuzz/traffic_fuzz.cpp $S/compare.cpp $S/compare_body.cpp $S/stream_fold.cpp
//     $S/plan.cpp $S/plan_parse.cpp $S/plan_edit.cpp $S/cohort_rule.cpp src/http/sse.cpp
//     src/http/url.cpp src/store/canonical_json.cpp src/core/hash.cpp src/core/error.cpp
//     -lboost_json -lyaml-cpp -lcrypto -o traffic_fuzz
//   mkdir -p /tmp/traffic_corpus
//   ./traffic_fuzz -max_len=8192 /tmp/traffic_corpus $S/fuzz/corpus
#include <cstddef>
#include <cstdint>

#include "traffic/fuzz/traffic_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  volatile std::size_t sink =
      cutover::traffic::fuzz::run_one({reinterpret_cast<const char*>(data), size});
  (void)sink;
  return 0;
}
