// libFuzzer target: one line of an audit export (parse_export_line, then from_row) on
// arbitrary bytes must be parsed or rejected cleanly; an accepted entry re-encodes to its
// own canonical bytes. Built by CUTOVER_FUZZ=ON (scripts/fuzz.sh); by hand:
//   build-fuzz/export_fuzz -max_len=8192 /tmp/new_inputs src/audit/fuzz/corpus/export
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/fuzz/audit_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cutover::audit::fuzz::run_export_line(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
