// Strict readers for the small text formats of the audit log (checkpoints, signed notes,
// verifier keys, compact ranges, canonical entries). Each accepts exactly one spelling of a
// value, so that a signed or hashed text cannot be re-spelled into another that reads the
// same: no leading zeros, no '+', no whitespace, canonical base64 only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cutover::audit {

// Standard base64 (RFC 4648 §4: '+' '/', '=' padding to a multiple of 4).
std::string base64_std_encode(std::string_view bytes);

// Strict inverse of base64_std_encode: the length is a multiple of 4, padding only at the
// end and exactly as much as needed, leftover bits zero, no whitespace. False (and out
// cleared) otherwise.
bool base64_std_decode(std::string_view text, std::string& out);

// A non-negative decimal integer without sign, leading zeros ("0" itself is fine) or
// whitespace, at most `max`. False when malformed or larger.
bool parse_decimal(std::string_view text, std::uint64_t max, std::uint64_t& out);

// Decodes the UTF-8 sequence starting at s[i] into cp and advances i. False (i unchanged)
// on a malformed, truncated or overlong sequence, a surrogate or a code point past
// U+10FFFF.
bool next_code_point(std::string_view s, std::size_t& i, std::uint32_t& cp);

// True when s is well-formed UTF-8.
bool valid_utf8(std::string_view s);

// Unicode White_Space as Go's unicode.IsSpace sees it (the signed-note spec forbids these
// in key names): ASCII \t \n \v \f \r and space, U+0085, U+00A0, U+1680, U+2000..U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_unicode_space(std::uint32_t cp);

}  // namespace cutover::audit
