// C2SP signed notes (c2sp.org/signed-note, the format of golang.org/x/mod/sumdb/note) with
// Ed25519 keys: the envelope of audit checkpoints, so that any transparency-log tooling
// (witnesses, monitors, the Go note package) can read and check them.
//
//   <text, ending in a newline>
//   <blank line>
//   — <key name> base64(key ID (4 bytes, big-endian) || Ed25519 signature over the text)
//   ...one line per signature
//
//   key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]
//   vkey   = <key name>+<key ID, 8 lowercase hex>+base64(0x01 || 32-byte public key)
//
// Key names are non-empty UTF-8 without Unicode spaces or '+'. A whole note is valid UTF-8
// without control characters other than newline.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/chain.hpp"
#include "core/error.hpp"

namespace cutover::audit {

inline constexpr std::size_t kMaxNoteBytes = 1 << 20;  // room for 100 post-quantum signatures
inline constexpr int kMaxNoteSignatures = 100;         // the Go note package's limit

// A known Ed25519 key: its name in signature lines and its raw 32-byte public key.
struct NoteVerifier {
  std::string name;
  std::string public_raw32;
};

// Non-empty, valid UTF-8, no Unicode space, no '+', no control character.
bool valid_key_name(std::string_view name);

// The signed-note key ID of an Ed25519 key (see above).
std::uint32_t note_key_id(std::string_view name, std::string_view public_raw32);

// Signs `text` (which must end in a newline; it may be any valid note text, typically a
// checkpoint body) and returns text + "\n" + the signature line. Errors: invalid key name,
// text that does not end in a newline or is not note text, a failing signer.
Result<std::string> sign_note(std::string_view text, std::string_view key_name,
                              const Signer& signer);

// "name+1a2b3c4d+AbCd…": the verifier key of the Go note package, one line, what a
// `--public-key` file may hold. public_raw32 must be 32 bytes (an empty string otherwise).
std::string vkey(std::string_view name, std::string_view public_raw32);
// Strict inverse of vkey() (surrounding ASCII whitespace, such as a file's final newline,
// is ignored): checks the name, the algorithm byte (0x01 = Ed25519), the key length and that
// the key ID matches the name and key.
Result<NoteVerifier> parse_vkey(std::string_view text);

struct OpenedNote {
  std::string text;                    // the signed text, with its final newline
  std::vector<std::string> signed_by;  // names of the known keys whose signatures verified
};

// Parses a signed note and checks its signatures against `known`:
//   - malformed notes are rejected (not UTF-8, control characters, no blank line before the
//     signatures, a line that is not "— <name> <base64>", a signature under 5 bytes, more
//     than kMaxNoteSignatures lines, over kMaxNoteBytes);
//   - signatures whose (name, key ID) matches no known key are ignored (witnesses, rotated
//     keys), as the spec requires;
//   - a signature by a known key that does not verify rejects the whole note;
//   - at least one signature by a known key must verify.
// Error codes: kInvalidRequest for malformed input, kUnauthenticated for signatures.
Result<OpenedNote> open_note(std::string_view note, std::span<const NoteVerifier> known);

}  // namespace cutover::audit
