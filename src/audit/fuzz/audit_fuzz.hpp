// What the audit fuzz targets run, shared with src/audit/fuzz_corpus_test.cpp so the normal
// test run replays every corpus file through exactly the same code (STYLE.md: fuzz corpora
// are replayed by the unit tests).
//
// Each run_* returns true when the input was accepted (valid_* seeds must be) and aborts
// when an oracle fails: accepted input must re-encode to the same bytes, a generated proof
// must verify, a damaged proof must not. Rejections must be clean Errors.
//
// The checkpoint key is a throwaway test key: its private half is 32 bytes of 0x42, which
// signed the valid_* checkpoint seeds (corpus/checkpoint/).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/checkpoint.hpp"
#include "audit/entry_codec.hpp"
#include "audit/export.hpp"
#include "audit/log.hpp"
#include "audit/merkle.hpp"
#include "audit/note.hpp"

namespace cutover::audit::fuzz {

inline constexpr std::string_view kFuzzOrigin = "cutover.test/fuzz";
// vkey(kFuzzOrigin, public key of the 0x42 seed).
inline constexpr std::string_view kFuzzVkey =
    "cutover.test/fuzz+aee8ce33+ASFS+NGbeR0kRTJC4V8uq2y3z/p7al7TAJeWDgaYgdsS";

inline void check(bool ok) {
  if (!ok) std::abort();  // an oracle failed: that is the finding
}

inline void check_error(const Error& e) {
  check(!e.message().empty());
  check(e.code() == ErrorCode::kInvalidRequest || e.code() == ErrorCode::kUnauthenticated);
}

inline const std::vector<NoteVerifier>& fuzz_verifiers() {
  static const std::vector<NoteVerifier> verifiers = [] {
    auto v = parse_vkey(kFuzzVkey);
    if (!v.ok()) std::abort();  // a broken fixture would make every run meaningless
    return std::vector<NoteVerifier>{*v};
  }();
  return verifiers;
}

// decode_canonical; accepted entries re-encode to the input.
inline bool run_entry(std::string_view in) {
  auto e = decode_canonical(in);
  if (!e.ok()) {
    check_error(e.error());
    return false;
  }
  check(canonical(*e) == in);
  return true;
}

// One line of an export (`audit verify --input` reads archives from anywhere): parsed,
// and an entry or head line converted to what the verifier checks; an accepted line
// writes back to the same bytes.
inline bool run_export_line(std::string_view in) {
  auto line = parse_export_line(in);
  if (!line.ok()) {
    check_error(line.error());
    return false;
  }
  if (const auto* row = std::get_if<store::AuditRow>(&*line)) {
    if (auto e = from_row(*row); e.ok()) check(canonical(*e) == row->entry);
  } else if (const auto* h = std::get_if<store::SignedHead>(&*line)) {
    (void)from_row(*h);
  }
  return true;
}

// open_checkpoint with the fuzz key, parse_body and parse_vkey on the same bytes.
inline bool run_checkpoint(std::string_view in) {
  bool accepted = false;
  if (auto c = open_checkpoint(in, fuzz_verifiers()); c.ok()) {
    check(validate(*c).ok());
    check(in.substr(0, format_body(*c).size()) == format_body(*c));
    check(check_consistent(*c, *c, {}).ok());
    accepted = true;
  } else {
    check_error(c.error());
  }
  if (auto c = parse_body(in); c.ok()) {
    check(validate(*c).ok() && format_body(*c) == in);
    accepted = true;
  }
  if (auto v = parse_vkey(in); v.ok()) {
    check(parse_vkey(vkey(v->name, v->public_raw32)).ok());
    accepted = true;
  }
  return accepted;
}

inline std::uint64_t le64(std::string_view in, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(in[at + i]);
  return v;
}

inline Sha256 hash_at(std::string_view in, std::size_t at) {
  Sha256 h;
  for (std::size_t i = 0; i < 32; ++i) h[i] = static_cast<std::uint8_t>(in[at + i]);
  return h;
}

// 'G' n index old [pos_lo pos_hi xor]...: proofs generated for a tree of 1 + n % 96 leaves
// must verify, and the same proofs with the listed bytes flipped must not (unless the flips
// cancel out); other sizes must not accept them either.
inline bool run_generated(std::string_view in) {
  if (in.size() < 4) return false;
  static const std::vector<Sha256> all = [] {
    std::vector<Sha256> v;
    for (int i = 0; i < 97; ++i) v.push_back(sha256("leaf " + std::to_string(i)));
    return v;
  }();
  const auto u = [&](std::size_t i) { return static_cast<unsigned char>(in[i]); };
  const std::uint64_t n = 1 + u(1) % 96, i = u(2) % n, m = u(3) % (n + 1);
  const auto leaves = std::span(all).first(n);
  const Sha256 root = root_of(leaves), old_root = root_of(leaves.first(m));
  auto incl = inclusion_proof(leaves, i);
  auto cons = consistency_proof(leaves, m);
  check(incl.ok() && cons.ok());
  check(verify_inclusion(i, n, leaves[i], *incl, root).ok());
  check(verify_consistency(m, n, old_root, root, *cons).ok());
  CompactRange range;
  for (const auto& l : leaves) check(range.append(l).ok());
  check(range.root() == root);

  auto bad_incl = *incl, bad_cons = *cons;
  const std::size_t total = 32 * (bad_incl.size() + bad_cons.size());
  for (std::size_t k = 4; total > 0 && k + 2 < in.size(); k += 3) {
    const std::size_t pos = (u(k) | u(k + 1) << 8) % total;
    auto& h =
        pos / 32 < bad_incl.size() ? bad_incl[pos / 32] : bad_cons[pos / 32 - bad_incl.size()];
    h[pos % 32] ^= u(k + 2);
  }
  if (bad_incl != *incl) check(!verify_inclusion(i, n, leaves[i], bad_incl, root).ok());
  if (bad_cons != *cons) check(!verify_consistency(m, n, old_root, root, bad_cons).ok());

  const std::uint64_t n2 = 1 + (u(1) ^ u(3)) % 96;
  if (n2 != n) {
    const Sha256 root2 = root_of(std::span(all).first(n2));
    check(!verify_inclusion(i, n2, leaves[i], *incl, root2).ok());
    if (verify_consistency(m, n2, old_root, root2, *cons).ok()) {
      auto real = consistency_proof(std::span(all).first(n2), m);
      check(real.ok() && *real == *cons);
    }
  }
  return true;
}

// CompactRange::decode on the text; then 'G' inputs go to run_generated, and others are
// read as index/old size (8 bytes LE), size (8 bytes LE), leaf hash/old root (32), root (32)
// and proof hashes (32 each) for both verifiers.
inline bool run_proof(std::string_view in) {
  bool accepted = false;
  if (auto r = CompactRange::decode(in); r.ok()) {
    check(r->encode() == in &&
          r->hashes().size() == static_cast<std::size_t>(std::popcount(r->size())));
    (void)r->root();
    accepted = true;
  } else {
    check_error(r.error());
  }
  if (!in.empty() && in[0] == 'G') return run_generated(in) || accepted;
  if (in.size() < 80) return accepted;
  const std::uint64_t a = le64(in, 0), b = le64(in, 8);
  const Sha256 x = hash_at(in, 16), y = hash_at(in, 48);
  std::vector<Sha256> proof;
  for (std::size_t at = 80; at + 32 <= in.size(); at += 32) proof.push_back(hash_at(in, at));
  const Status incl = verify_inclusion_leaf_hash(a, b, x, proof, y);
  const Status cons = verify_consistency(a, b, x, y, proof);
  if (!incl.ok()) check_error(incl.error());
  if (!cons.ok()) check_error(cons.error());
  return accepted || incl.ok() || cons.ok();
}

}  // namespace cutover::audit::fuzz
