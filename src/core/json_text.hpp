// Appending JSON text straight into a buffer: mock-llm's bodies, log lines and canonical
// state documents are written by hand, so a hot path allocates one string, not a tree.
// The one JSON string escaper of the project.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace cutover {

// Appends s as a JSON string (with quotes). s must be valid UTF-8; only '"', '\\' and control
// characters are escaped (\b \f \n \r \t in short form, others as \u00XX), so the
// output is deterministic (canonical documents rely on it).
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending unescaped run
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

inline void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// A member of an object being written by hand: `"key":value`, with a comma before it unless
// it is the object's first (out ends with '{').
inline void append_json_key(std::string& out, std::string_view key) {
  if (!out.empty() && out.back() != '{') out += ',';
  append_json_string(out, key);
  out += ':';
}
inline void append_json_member(std::string& out, std::string_view key, std::string_view value) {
  append_json_key(out, key);
  append_json_string(out, value);
}
inline void append_json_member(std::string& out, std::string_view key, std::int64_t value) {
  append_json_key(out, key);
  append_int(out, value);
}
// Not the bool overload for a literal.
inline void append_json_member(std::string& out, std::string_view key, const char* value) {
  append_json_member(out, key, std::string_view(value));
}
inline void append_json_member(std::string& out, std::string_view key, bool value) {
  append_json_key(out, key);
  out += value ? "true" : "false";
}

// Appends the low `digits` hex digits of v (at most 16).
inline void append_hex(std::string& out, std::uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += kHex[(v >> (4 * i)) & 0xf];
}

}  // namespace cutover
