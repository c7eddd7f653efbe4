// libFuzzer target: CompactRange::decode and both Merkle proof verifiers on arbitrary bytes
// must answer with a Status, never crash; inputs starting with 'G' generate a tree, check
// that its proofs verify and that the same proofs with bytes flipped do not (audit_fuzz.hpp).
// Built with -DCUTOVER_FUZZ=ON (clang); `scripts/fuzz.sh 60` runs every target for 60 s on a
// copy of its corpus. By hand, from the repository root (new inputs go to the first directory):
//   build-fuzz/proof_fuzz -max_len=4096 /tmp/new_inputs src/audit/fuzz/corpus/proof
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/fuzz/audit_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cutover::audit::fuzz::run_proof(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
