#include "audit/checkpoint.hpp"

#include <algorithm>

#include "audit/merkle.hpp"
#include "audit/strict_text.hpp"

namespace cutover::audit {
namespace {

Error bad_body(std::string what) {
  return Error(ErrorCode::kInvalidRequest, "checkpoint: " + std::move(what));
}

// Valid UTF-8 without any control character (a line has no newline either).
bool line_text_ok(std::string_view s) {
  std::size_t i = 0;
  std::uint32_t cp = 0;
  while (i < s.size()) {
    if (!next_code_point(s, i, cp) || cp < 0x20) return false;
  }
  return true;
}

Status check_origin(std::string_view origin) {
  if (origin.empty()) return bad_body("the origin (line 1) is empty; it names the log");
  if (origin.size() > kMaxOriginBytes)
    return bad_body("the origin (line 1) is longer than 1024 bytes");
  if (!line_text_ok(origin)) {
    return bad_body("the origin (line 1) must be UTF-8 without control characters");
  }
  return {};
}

Status check_extensions(std::span<const std::string> extensions) {
  if (extensions.size() > kMaxExtensionLines) return bad_body("more than 16 extension lines");
  for (std::size_t i = 0; i < extensions.size(); ++i) {
    const std::string where =
        "extension line " + std::to_string(i + 1) + " (line " + std::to_string(i + 4) + ")";
    if (extensions[i].empty()) return bad_body(where + " is empty");
    if (extensions[i].size() > kMaxExtensionBytes)
      return bad_body(where + " is longer than 1024 bytes");
    if (!line_text_ok(extensions[i]))
      return bad_body(where + " must be UTF-8 without control characters");
  }
  return {};
}

std::string num(std::int64_t v) { return std::to_string(v); }

}  // namespace

Status validate(const Checkpoint& c) {
  if (auto s = check_origin(c.origin); !s.ok()) return s;
  if (c.size < 0) return bad_body("the tree size is negative");
  return check_extensions(c.extensions);
}

std::string format_body(const Checkpoint& c) {
  std::string out = c.origin;
  out += '\n';
  out += std::to_string(c.size);
  out += '\n';
  out += base64_std_encode({reinterpret_cast<const char*>(c.root.data()), c.root.size()});
  out += '\n';
  for (const auto& e : c.extensions) {
    out += e;
    out += '\n';
  }
  return out;
}

Result<Checkpoint> parse_body(std::string_view body) {
  constexpr std::size_t kMaxBody =
      kMaxOriginBytes + 64 + kMaxExtensionLines * (kMaxExtensionBytes + 1);
  if (body.size() > kMaxBody) return bad_body("the body is longer than any valid checkpoint");
  if (body.empty() || body.back() != '\n') return bad_body("the body must end in a newline");
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < body.size();) {
    const auto nl = body.find('\n', start);
    lines.push_back(body.substr(start, nl - start));
    start = nl + 1;
  }
  if (lines.size() < 3) {
    return bad_body("the body has " + std::to_string(lines.size()) +
                    " lines; it needs the origin, the tree size and the root hash");
  }
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (auto s = check_origin(c.origin); !s.ok()) return s.error();
  std::uint64_t size = 0;
  if (!parse_decimal(lines[1], kMaxTreeSize, size)) {
    return bad_body(
        "the tree size (line 2) must be a decimal number without sign or leading "
        "zeros, at most 2^63 - 1");
  }
  c.size = static_cast<std::int64_t>(size);
  std::string root;
  if (lines[2].size() != 44 || !base64_std_decode(lines[2], root) || root.size() != 32) {
    return bad_body(
        "the root hash (line 3) must be 44 characters of padded standard base64 of "
        "32 bytes");
  }
  std::copy(root.begin(), root.end(), c.root.begin());
  for (std::size_t i = 3; i < lines.size(); ++i) c.extensions.emplace_back(lines[i]);
  if (auto s = check_extensions(c.extensions); !s.ok()) return s.error();
  return c;
}

Result<std::string> sign_checkpoint(const Checkpoint& c, std::string_view key_name,
                                    const Signer& signer) {
  if (auto s = validate(c); !s.ok()) return s.error();
  return sign_note(format_body(c), key_name, signer);
}

Result<Checkpoint> open_checkpoint(std::string_view note, std::span<const NoteVerifier> known) {
  auto opened = open_note(note, known);
  if (!opened.ok()) return opened.error();
  return parse_body(opened->text);
}

Status check_consistent(const Checkpoint& older, const Checkpoint& newer,
                        std::span<const Sha256> consistency_proof) {
  if (older.origin != newer.origin) {
    return bad_body("the checkpoints are of different logs: '" + older.origin + "' and '" +
                    newer.origin + "'");
  }
  if (older.size < 0 || newer.size < 0) return bad_body("a tree size is negative");
  if (newer.size < older.size) {
    return bad_body("the newer checkpoint has size " + num(newer.size) +
                    ", smaller than the older one's " + num(older.size) +
                    ": the log was rolled back, or an old checkpoint is being replayed");
  }
  if (newer.size == older.size && newer.root != older.root) {
    return bad_body("two checkpoints of size " + num(older.size) + " with different roots " +
                    to_hex(older.root) + " and " + to_hex(newer.root) +
                    ": the log forked (or one checkpoint is forged)");
  }
  return verify_consistency(static_cast<std::uint64_t>(older.size),
                            static_cast<std::uint64_t>(newer.size), older.root, newer.root,
                            consistency_proof);
}

}  // namespace cutover::audit
