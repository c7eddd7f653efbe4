// Audit checkpoints: signed tree heads in the C2SP tlog-checkpoint format
// (c2sp.org/tlog-checkpoint) inside a C2SP signed note (audit/note.hpp). The body is
//
//   <origin>\n               the log's name, e.g. "cutover.example/audit/prod"
//   <tree size>\n            decimal, no leading zeros ("0" for the empty tree)
//   <base64 root hash>\n     standard padded base64 of the 32-byte Merkle root (merkle.hpp)
//   [<extension line>\n]...  optional, opaque, non-empty
//
// A checkpoint of size n commits to the first n entries of the chain (seqs 1..n): its root
// is MTH of their entry hashes. docs/AUDIT_CHECKPOINTS.md has an example.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/note.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"

namespace cutover::audit {

inline constexpr std::size_t kMaxOriginBytes = 1024;
inline constexpr std::size_t kMaxExtensionLines = 16;
inline constexpr std::size_t kMaxExtensionBytes = 1024;  // per line

struct Checkpoint {
  std::string origin;
  std::int64_t size = 0;
  Sha256 root{};
  std::vector<std::string> extensions;  // lines without their newline

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// What parse_body accepts: non-empty origin and extension lines of valid UTF-8 without
// control characters, within the limits above; 0 <= size.
Status validate(const Checkpoint& c);

// The note text of a checkpoint. `c` must pass validate() (format_body does not check).
std::string format_body(const Checkpoint& c);

// Strict inverse of format_body: at least three lines, each ending in '\n', no empty line,
// the size as canonical decimal up to 2^63 - 1, the root as exactly 44 characters of
// canonical padded base64 of 32 bytes. Errors name the line that is wrong.
Result<Checkpoint> parse_body(std::string_view body);

// validate + format_body + sign_note: the signed checkpoint text the log publishes.
// By convention the key name is the origin.
Result<std::string> sign_checkpoint(const Checkpoint& c, std::string_view key_name,
                                    const Signer& signer);

// open_note (at least one valid signature by a known key, unknown keys ignored, malformed
// notes rejected) and then parse_body on the signed text.
Result<Checkpoint> open_checkpoint(std::string_view note, std::span<const NoteVerifier> known);

// Is `newer` a possible successor of `older`, given a consistency proof from older.size to
// newer.size? Pure, for monitors comparing a fresh checkpoint with the last one they kept:
//   - the origins must be equal;
//   - newer.size < older.size is an error: the log shrank, or an old checkpoint is being
//     replayed as the current one;
//   - equal sizes need equal roots (two signed roots for one size prove a fork; the error
//     names both) and an empty proof;
//   - otherwise verify_consistency(older.size, newer.size, older.root, newer.root, proof).
Status check_consistent(const Checkpoint& older, const Checkpoint& newer,
                        std::span<const Sha256> consistency_proof);

}  // namespace cutover::audit
