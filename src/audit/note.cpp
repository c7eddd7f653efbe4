#include "audit/note.hpp"

#include <openssl/evp.h>

#include "audit/strict_text.hpp"
#include "core/json_text.hpp"

namespace cutover::audit {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // em dash U+2014, space
constexpr char kAlgEd25519 = 0x01;

Error malformed(std::string what) {
  return Error(ErrorCode::kInvalidRequest, "malformed signed note: " + std::move(what));
}
Error unauthentic(std::string what) { return Error(ErrorCode::kUnauthenticated, std::move(what)); }

// Valid UTF-8 and no ASCII control character other than newline: the note text rule.
bool note_text_ok(std::string_view s) {
  std::size_t i = 0;
  std::uint32_t cp = 0;
  while (i < s.size()) {
    if (!next_code_point(s, i, cp)) return false;
    if (cp < 0x20 && cp != '\n') return false;
  }
  return true;
}

std::string key_label(std::string_view name, std::uint32_t id) {
  std::string out(name);
  out += '+';
  append_hex(out, id, 8);
  return out;
}

bool ed25519_verify(std::string_view public_raw32, std::string_view message, std::string_view sig) {
  if (public_raw32.size() != 32 || sig.size() != 64) return false;
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_raw32.data()), 32);
  if (!key) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

std::string_view trim_ascii_space(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

}  // namespace

bool valid_key_name(std::string_view name) {
  if (name.empty()) return false;
  std::size_t i = 0;
  std::uint32_t cp = 0;
  while (i < name.size()) {
    if (!next_code_point(name, i, cp)) return false;
    if (cp < 0x20 || cp == 0x7f || cp == '+' || is_unicode_space(cp)) return false;
  }
  return true;
}

std::uint32_t note_key_id(std::string_view name, std::string_view public_raw32) {
  std::string buf(name);
  buf += '\n';
  buf += kAlgEd25519;
  buf.append(public_raw32);
  const Sha256 h = sha256(buf);
  return static_cast<std::uint32_t>(h[0]) << 24 | static_cast<std::uint32_t>(h[1]) << 16 |
         static_cast<std::uint32_t>(h[2]) << 8 | h[3];
}

Result<std::string> sign_note(std::string_view text, std::string_view key_name,
                              const Signer& signer) {
  if (!valid_key_name(key_name)) {
    return Error(ErrorCode::kInvalidRequest, "signed note: key name '" + std::string(key_name) +
                                                 "' must be non-empty UTF-8 without spaces or '+'");
  }
  if (text.empty() || text.back() != '\n' || !note_text_ok(text)) {
    return Error(ErrorCode::kInvalidRequest,
                 "signed note: the text must be UTF-8 ending in a newline, without control "
                 "characters other than newline");
  }
  const std::string body(text);
  const std::string sig = signer.sign(body);
  if (sig.size() != 64)
    return Error(ErrorCode::kInternal, "signed note: the Ed25519 signer failed");
  const std::uint32_t id = note_key_id(key_name, signer.public_raw());
  std::string blob;
  for (int shift = 24; shift >= 0; shift -= 8) blob += static_cast<char>((id >> shift) & 0xff);
  blob += sig;
  std::string out = body;
  out += '\n';
  out += kSigPrefix;
  out += key_name;
  out += ' ';
  out += base64_std_encode(blob);
  out += '\n';
  return out;
}

std::string vkey(std::string_view name, std::string_view public_raw32) {
  if (public_raw32.size() != 32) return {};
  std::string key(1, kAlgEd25519);
  key.append(public_raw32);
  return key_label(name, note_key_id(name, public_raw32)) + "+" + base64_std_encode(key);
}

Result<NoteVerifier> parse_vkey(std::string_view text) {
  text = trim_ascii_space(text);
  auto bad = [](const std::string& what) {
    return Error(ErrorCode::kInvalidRequest,
                 "verifier key: " + what +
                     " (expected <name>+<8 hex>+<base64 key>, as printed "
                     "by the Go note package or `cutover audit`)");
  };
  const auto p1 = text.find('+');
  if (p1 == std::string_view::npos) return bad("no '+' separators");
  const auto p2 = text.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return bad("only one '+' separator");
  const std::string_view name = text.substr(0, p1), hex = text.substr(p1 + 1, p2 - p1 - 1),
                         b64 = text.substr(p2 + 1);
  if (!valid_key_name(name)) return bad("the name must be non-empty UTF-8 without spaces");
  std::uint32_t id = 0;
  if (hex.size() != 8) return bad("the key ID must be 8 lowercase hex digits");
  for (char c : hex) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return bad("the key ID must be 8 lowercase hex digits");
    id = id << 4 | static_cast<std::uint32_t>(d);
  }
  std::string key;
  if (!base64_std_decode(b64, key)) return bad("the key is not canonical padded base64");
  if (key.empty() || key[0] != kAlgEd25519) return bad("not an Ed25519 key (algorithm byte 0x01)");
  if (key.size() != 33) return bad("an Ed25519 public key is 32 bytes");
  NoteVerifier v{std::string(name), key.substr(1)};
  if (note_key_id(v.name, v.public_raw32) != id) {
    return bad("the key ID does not match the name and key (altered or mistyped)");
  }
  return v;
}

Result<OpenedNote> open_note(std::string_view note, std::span<const NoteVerifier> known) {
  if (note.size() > kMaxNoteBytes) return malformed("larger than 1 MiB");
  if (!note_text_ok(note)) return malformed("not UTF-8, or contains control characters");
  const auto split = note.rfind("\n\n");
  if (split == std::string_view::npos) return malformed("no blank line before the signatures");
  OpenedNote out;
  out.text = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n')
    return malformed("no signature lines after the blank line");

  std::vector<std::uint32_t> known_ids;
  for (const auto& v : known) {
    if (v.public_raw32.size() != 32) {
      return Error(ErrorCode::kInvalidRequest,
                   "verifier '" + v.name + "' is not an Ed25519 public key (32 bytes)");
    }
    known_ids.push_back(note_key_id(v.name, v.public_raw32));
  }
  int lines = 0;
  std::vector<std::string> unknown;
  while (!sigs.empty()) {
    const auto nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (++lines > kMaxNoteSignatures) return malformed("more than 100 signature lines");
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return malformed("signature line " + std::to_string(lines) + " does not start with '— '");
    }
    line.remove_prefix(kSigPrefix.size());
    const auto sp = line.find(' ');
    const std::string_view name = line.substr(0, sp);
    const std::string_view b64 =
        sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    std::string blob;
    if (!valid_key_name(name) || b64.empty() || !base64_std_decode(b64, blob) || blob.size() < 5) {
      return malformed("signature line " + std::to_string(lines) +
                       " is not '— <key name> <base64 of key ID and signature>'");
    }
    const std::uint32_t id = static_cast<std::uint32_t>(static_cast<unsigned char>(blob[0])) << 24 |
                             static_cast<std::uint32_t>(static_cast<unsigned char>(blob[1])) << 16 |
                             static_cast<std::uint32_t>(static_cast<unsigned char>(blob[2])) << 8 |
                             static_cast<unsigned char>(blob[3]);
    const NoteVerifier* match = nullptr;
    for (std::size_t i = 0; i < known.size(); ++i) {
      if (known[i].name != name || known_ids[i] != id) continue;
      if (match && match->public_raw32 != known[i].public_raw32) {
        return Error(ErrorCode::kInvalidRequest,
                     "two different known keys are both named " + key_label(name, id));
      }
      match = &known[i];
    }
    if (!match) {
      unknown.push_back(key_label(name, id));
      continue;
    }
    if (!ed25519_verify(match->public_raw32, out.text, std::string_view(blob).substr(4))) {
      return unauthentic("signed note: the signature by " + key_label(name, id) +
                         " does not verify: the text was altered or the signature is damaged");
    }
    out.signed_by.emplace_back(name);
  }
  if (out.signed_by.empty()) {
    std::string seen;
    for (std::size_t i = 0; i < unknown.size() && i < 5; ++i) {
      seen += (seen.empty() ? "" : ", ") + unknown[i];
    }
    if (unknown.size() > 5) seen += ", ...";
    std::string trusted;
    for (std::size_t i = 0; i < known.size(); ++i) {
      trusted += (trusted.empty() ? "" : ", ") + key_label(known[i].name, known_ids[i]);
    }
    return unauthentic("signed note: no signature by a known key (signed by " + seen +
                       "; known keys: " + (trusted.empty() ? "none" : trusted) + ")");
  }
  return out;
}

}  // namespace cutover::audit
