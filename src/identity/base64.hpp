// Base64 for identity material: strict base64url for JOSE (RFC 7515 §2: no padding), and a
// lenient reader for operator-supplied keys (standard or url alphabet, padding optional).
//
// Strict decoding rejects anything a conforming encoder would not produce, including
// non-zero leftover bits, so one byte string has exactly one accepted encoding: signatures
// and sealed values cannot be altered by re-encoding them.
#pragma once

#include <string>
#include <string_view>

namespace cutover::identity {

std::string base64url_encode(std::string_view bytes);

enum class Base64Problem {
  kNone,
  kPadding,       // '=' in a JOSE segment
  kBadCharacter,  // outside the alphabet; *bad_char says which
  kBadLength,     // length % 4 == 1 cannot come from any byte string
  kNonCanonical,  // leftover bits are not zero
};

// Strict base64url without padding. On failure returns kind != kNone and leaves out empty.
Base64Problem base64url_decode(std::string_view text, std::string& out, char* bad_char = nullptr);

// Standard ('+/') or url ('-_') alphabet, '=' padding optional; for keys typed by people.
bool base64_decode_lenient(std::string_view text, std::string& out);

// Words for an error message: "contains '=' padding, which JWTs do not use".
std::string describe(Base64Problem problem, char bad_char);

}  // namespace cutover::identity
