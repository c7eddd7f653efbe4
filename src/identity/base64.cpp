#include "identity/base64.hpp"

#include <array>
#include <cstdint>

namespace cutover::identity {
namespace {

constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// -1: not in the alphabet. The lenient table also maps '+' and '/'.
constexpr std::array<std::int8_t, 256> make_table(bool lenient) {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(kUrlAlphabet[i])] = static_cast<std::int8_t>(i);
  if (lenient) {
    t['+'] = 62;
    t['/'] = 63;
  }
  return t;
}
constexpr auto kStrict = make_table(false);
constexpr auto kLenient = make_table(true);

// Decodes groups of 4 symbols; the caller has checked every character.
bool decode_checked(std::string_view text, const std::array<std::int8_t, 256>& table,
                    std::string& out) {
  if (text.size() % 4 == 1) return false;
  out.clear();
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : text) {
    acc = (acc << 6) | static_cast<std::uint32_t>(table[c]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits (2 or 4) must be zero in a canonical encoding.
  return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kUrlAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kUrlAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

Base64Problem base64url_decode(std::string_view text, std::string& out, char* bad_char) {
  out.clear();
  for (char c : text) {
    if (kStrict[static_cast<unsigned char>(c)] >= 0) continue;
    if (c == '=') return Base64Problem::kPadding;
    if (bad_char) *bad_char = c;
    return Base64Problem::kBadCharacter;
  }
  if (text.size() % 4 == 1) return Base64Problem::kBadLength;
  if (!decode_checked(text, kStrict, out)) {
    out.clear();
    return Base64Problem::kNonCanonical;
  }
  return Base64Problem::kNone;
}

bool base64_decode_lenient(std::string_view text, std::string& out) {
  out.clear();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  for (char c : text)
    if (kLenient[static_cast<unsigned char>(c)] < 0) return false;
  if (!decode_checked(text, kLenient, out)) {
    out.clear();
    return false;
  }
  return true;
}

std::string describe(Base64Problem problem, char bad_char) {
  switch (problem) {
    case Base64Problem::kNone:
      return "is valid base64url";
    case Base64Problem::kPadding:
      return "contains '=' padding, which JWTs do not use (base64url without padding, RFC 7515)";
    case Base64Problem::kBadCharacter: {
      auto c = static_cast<unsigned char>(bad_char);
      std::string shown = c >= 0x20 && c < 0x7f ? std::string(1, bad_char)
                                                : "\\x" + std::string{"0123456789abcdef"[c >> 4],
                                                                      "0123456789abcdef"[c & 0xf]};
      return "contains '" + shown + "', which is not a base64url character (A-Z a-z 0-9 - _)";
    }
    case Base64Problem::kBadLength:
      return "has a length that no base64url encoding can have";
    case Base64Problem::kNonCanonical:
      return "is not canonical base64url (non-zero trailing bits)";
  }
  return "is not valid base64url";
}

}  // namespace cutover::identity
