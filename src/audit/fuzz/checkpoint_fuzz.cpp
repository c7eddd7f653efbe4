// libFuzzer target: open_checkpoint (against the fixed fuzz key), parse_body and parse_vkey
// on arbitrary bytes must accept or return a clean Error; never crash, hang, leak or trip a
// sanitizer. Accepted bodies must re-encode to the same bytes (oracles in audit_fuzz.hpp).
// Built with -DCUTOVER_FUZZ=ON (clang); `scripts/fuzz.sh 60` runs every target for 60 s on a
// copy of its corpus. By hand, from the repository root (new inputs go to the first directory):
//   build-fuzz/checkpoint_fuzz -max_len=4096 /tmp/new_inputs src/audit/fuzz/corpus/checkpoint
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/fuzz/audit_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cutover::audit::fuzz::run_checkpoint(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
