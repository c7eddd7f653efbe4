// Reading an audit entry back from its canonical encoding (docs/AUDIT.md, "Canonical
// encoding of an entry"): the strict inverse of canonical() in entry.hpp, for verifiers
// that get entries as bytes (exports, the store's rows, a third party's copy).
#pragma once

#include <string_view>

#include "audit/entry.hpp"
#include "core/error.hpp"

namespace cutover::audit {

inline constexpr std::size_t kMaxEntryBytes = 1 << 20;

// Decodes `json` and accepts it only when canonical(result) reproduces it byte for byte:
//   - a JSON object with exactly the 29 members canonical() writes, each once, with its
//     type (string, integer in int64 range, boolean); "schema" must be 1;
//   - then the re-encoding must equal the input, so key order, whitespace, escapes and
//     number spellings are exactly canonical ("not canonical" otherwise).
// Strings must be valid UTF-8 (escapes included: no lone surrogates). Inputs over
// kMaxEntryBytes are refused before parsing. Errors are kInvalidRequest with param() set to
// the member at fault, when there is one. The chain fields (hash, prev_hash, key_id,
// signature) are not part of the encoding and stay empty.
Result<Entry> decode_canonical(std::string_view json);

}  // namespace cutover::audit
