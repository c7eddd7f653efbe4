#include "audit/merkle.hpp"

#include <bit>
#include <cstring>

#include "audit/strict_text.hpp"

namespace cutover::audit {
namespace {

Error invalid(std::string message) { return Error(ErrorCode::kInvalidRequest, std::move(message)); }

std::string num(std::uint64_t v) { return std::to_string(v); }

// The largest power of two strictly below n (n >= 2): the split point k of RFC 9162.
std::size_t split_point(std::size_t n) { return std::bit_floor(n - 1); }

Sha256 mth(std::span<const Sha256> h) {
  if (h.empty()) return empty_root();
  if (h.size() == 1) return h[0];
  const std::size_t k = split_point(h.size());
  return node_hash(mth(h.first(k)), mth(h.subspan(k)));
}

void path(std::uint64_t m, std::span<const Sha256> h, std::vector<Sha256>& out) {
  if (h.size() <= 1) return;
  const std::size_t k = split_point(h.size());
  if (m < k) {
    path(m, h.first(k), out);
    out.push_back(mth(h.subspan(k)));
  } else {
    path(m - k, h.subspan(k), out);
    out.push_back(mth(h.first(k)));
  }
}

// SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1.
void subproof(std::uint64_t m, std::span<const Sha256> h, bool complete, std::vector<Sha256>& out) {
  if (m == h.size()) {
    if (!complete) out.push_back(mth(h));
    return;
  }
  const std::size_t k = split_point(h.size());
  if (m <= k) {
    subproof(m, h.first(k), complete, out);
    out.push_back(mth(h.subspan(k)));
  } else {
    subproof(m - k, h.subspan(k), false, out);
    out.push_back(mth(h.first(k)));
  }
}

std::vector<Sha256> leaf_hashes_of(std::span<const Sha256> datas) {
  std::vector<Sha256> out;
  out.reserve(datas.size());
  for (const auto& d : datas) out.push_back(leaf_hash(d));
  return out;
}

// How many proof hashes the RFC 9162 loops consume before sn reaches 0, starting from fn
// and sn (no hashing): the only proof length that can verify.
std::size_t path_length(std::uint64_t fn, std::uint64_t sn) {
  std::size_t n = 0;
  while (sn != 0) {
    if ((fn & 1) != 0 || fn == sn) {
      while ((fn & 1) == 0 && fn != 0) fn >>= 1, sn >>= 1;
    }
    fn >>= 1, sn >>= 1;
    ++n;
  }
  return n;
}

std::string short_hex(const Sha256& h) { return to_hex(h).substr(0, 16) + "…"; }

}  // namespace

Sha256 leaf_hash(const Sha256& data) {
  return leaf_hash_bytes({reinterpret_cast<const char*>(data.data()), data.size()});
}

Sha256 leaf_hash_bytes(std::string_view data) {
  std::string buf(1, '\0');
  buf.append(data);
  return sha256(buf);
}

Sha256 node_hash(const Sha256& left, const Sha256& right) {
  char buf[65];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  return sha256({buf, sizeof buf});
}

Sha256 empty_root() { return sha256({}); }

// --- CompactRange ---------------------------------------------------------------------

Status CompactRange::append(const Sha256& leaf_data) {
  return append_leaf_hash(leaf_hash(leaf_data));
}

Status CompactRange::append_leaf_hash(const Sha256& leaf) {
  if (size_ >= kMaxTreeSize) return invalid("the audit tree is full (2^63 - 1 leaves)");
  // Each trailing one bit of size_ is a perfect subtree that the new leaf completes.
  Sha256 h = leaf;
  for (std::uint64_t s = size_; (s & 1) != 0; s >>= 1) {
    h = node_hash(hashes_.back(), h);
    hashes_.pop_back();
  }
  hashes_.push_back(h);
  ++size_;
  return {};
}

Sha256 CompactRange::root() const {
  if (hashes_.empty()) return empty_root();
  Sha256 r = hashes_.back();
  for (std::size_t i = hashes_.size() - 1; i-- > 0;) r = node_hash(hashes_[i], r);
  return r;
}

std::string CompactRange::encode() const {
  std::string out = num(size_);
  for (const auto& h : hashes_) {
    out += ' ';
    out += to_hex(h);
  }
  return out;
}

Result<CompactRange> CompactRange::decode(std::string_view text) {
  constexpr std::size_t kMaxText = 19 + 63 * 65;
  if (text.size() > kMaxText) return invalid("compact range: longer than any valid range");
  const std::size_t space = text.find(' ');
  const std::string_view size_text = text.substr(0, space);
  std::uint64_t size = 0;
  if (!parse_decimal(size_text, kMaxTreeSize, size)) {
    return invalid(
        "compact range: the size must be a decimal number without leading zeros, "
        "at most 2^63 - 1");
  }
  CompactRange r;
  r.size_ = size;
  const auto want = static_cast<std::size_t>(std::popcount(size));
  std::string_view rest = space == std::string_view::npos ? std::string_view{} : text.substr(space);
  while (!rest.empty()) {
    if (rest.size() < 65 || rest[0] != ' ' || (rest.size() > 65 && rest[65] != ' ')) {
      return invalid(
          "compact range: hashes must be 64 lowercase hex characters separated by "
          "single spaces");
    }
    Sha256 h;
    const std::string_view hex = rest.substr(1, 64);
    if (!parse_sha256_hex(hex, h) || to_hex(h) != hex) {
      return invalid("compact range: hashes must be 64 lowercase hex characters");
    }
    if (r.hashes_.size() == want) break;  // reported below with the counts
    r.hashes_.push_back(h);
    rest.remove_prefix(65);
  }
  if (!rest.empty() || r.hashes_.size() != want) {
    return invalid("compact range: a tree of " + num(size) + " leaves has " + num(want) +
                   " frontier hashes (one per set bit of the size), not " +
                   (rest.empty() ? num(r.hashes_.size()) : "more"));
  }
  return r;
}

// --- Generating -------------------------------------------------------------------------

Sha256 root_of(std::span<const Sha256> leaf_datas) { return mth(leaf_hashes_of(leaf_datas)); }

Sha256 root_of_leaf_hashes(std::span<const Sha256> leaf_hashes) { return mth(leaf_hashes); }

Result<std::vector<Sha256>> inclusion_proof(std::span<const Sha256> leaf_datas,
                                            std::uint64_t index) {
  if (index >= leaf_datas.size()) {
    return invalid("inclusion proof: leaf index " + num(index) + " is not below the tree size " +
                   num(leaf_datas.size()));
  }
  return inclusion_proof_from_leaf_hashes(leaf_hashes_of(leaf_datas), index);
}

Result<std::vector<Sha256>> inclusion_proof_from_leaf_hashes(std::span<const Sha256> leaf_hashes,
                                                             std::uint64_t index) {
  if (index >= leaf_hashes.size()) {
    return invalid("inclusion proof: leaf index " + num(index) + " is not below the tree size " +
                   num(leaf_hashes.size()));
  }
  std::vector<Sha256> out;
  path(index, leaf_hashes, out);
  return out;
}

Result<std::vector<Sha256>> consistency_proof(std::span<const Sha256> leaf_datas,
                                              std::uint64_t old_size) {
  if (old_size > leaf_datas.size()) {
    return invalid("consistency proof: old size " + num(old_size) + " is larger than the tree (" +
                   num(leaf_datas.size()) + " leaves)");
  }
  return consistency_proof_from_leaf_hashes(leaf_hashes_of(leaf_datas), old_size);
}

Result<std::vector<Sha256>> consistency_proof_from_leaf_hashes(std::span<const Sha256> leaf_hashes,
                                                               std::uint64_t old_size) {
  if (old_size > leaf_hashes.size()) {
    return invalid("consistency proof: old size " + num(old_size) + " is larger than the tree (" +
                   num(leaf_hashes.size()) + " leaves)");
  }
  std::vector<Sha256> out;
  if (old_size == 0 || old_size == leaf_hashes.size()) return out;
  subproof(old_size, leaf_hashes, true, out);
  return out;
}

// --- Verifying --------------------------------------------------------------------------

Result<Sha256> root_from_inclusion_proof(std::uint64_t index, std::uint64_t tree_size,
                                         const Sha256& leaf, std::span<const Sha256> proof) {
  if (tree_size > kMaxTreeSize)
    return invalid("inclusion proof: tree size " + num(tree_size) + " is too large");
  if (index >= tree_size) {
    return invalid("inclusion proof: leaf index " + num(index) + " is not below the tree size " +
                   num(tree_size));
  }
  const std::size_t want = path_length(index, tree_size - 1);
  if (proof.size() != want) {
    return invalid("inclusion proof: leaf " + num(index) + " of a tree of " + num(tree_size) +
                   " needs " + num(want) + " hashes, the proof has " + num(proof.size()));
  }
  // RFC 9162 §2.1.3.2, step by step.
  std::uint64_t fn = index, sn = tree_size - 1;
  Sha256 r = leaf;
  for (const auto& p : proof) {
    if (sn == 0) return invalid("inclusion proof: too long");  // unreachable after the length check
    if ((fn & 1) != 0 || fn == sn) {
      r = node_hash(p, r);
      while ((fn & 1) == 0 && fn != 0) fn >>= 1, sn >>= 1;
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1, sn >>= 1;
  }
  if (sn != 0) return invalid("inclusion proof: too short");  // unreachable, as above
  return r;
}

Status verify_inclusion(std::uint64_t index, std::uint64_t tree_size, const Sha256& leaf_data,
                        std::span<const Sha256> proof, const Sha256& root) {
  return verify_inclusion_leaf_hash(index, tree_size, leaf_hash(leaf_data), proof, root);
}

Status verify_inclusion_leaf_hash(std::uint64_t index, std::uint64_t tree_size, const Sha256& leaf,
                                  std::span<const Sha256> proof, const Sha256& root) {
  auto r = root_from_inclusion_proof(index, tree_size, leaf, proof);
  if (!r.ok()) return r.error();
  if (*r != root) {
    return invalid("inclusion proof: leaf " + num(index) + " of a tree of " + num(tree_size) +
                   " leads to root " + short_hex(*r) + ", not to " + short_hex(root) +
                   " (wrong leaf, index, size or proof)");
  }
  return {};
}

Status verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Sha256& old_root,
                          const Sha256& new_root, std::span<const Sha256> proof) {
  if (new_size > kMaxTreeSize)
    return invalid("consistency proof: tree size " + num(new_size) + " is too large");
  if (old_size > new_size) {
    return invalid("consistency proof: the old tree (" + num(old_size) +
                   " leaves) is larger than the new one (" + num(new_size) +
                   "); a log never shrinks (rolled back, or the checkpoints are swapped)");
  }
  if (old_size == 0) {
    if (!proof.empty()) return invalid("consistency proof: must be empty from the empty tree");
    if (old_root != empty_root()) {
      return invalid("consistency: the root of the empty tree must be SHA-256(\"\"), not " +
                     to_hex(old_root));
    }
  }
  if (old_size == new_size) {
    if (!proof.empty()) return invalid("consistency proof: must be empty between equal sizes");
    if (old_root != new_root) {
      return invalid("consistency: two different roots for tree size " + num(old_size) + ": " +
                     to_hex(old_root) + " and " + to_hex(new_root));
    }
    return {};
  }
  if (old_size == 0) return {};  // the empty tree is a prefix of every tree
  // RFC 9162 §2.1.4.2 from here; steps 1 and 2.
  if (proof.empty()) return invalid("consistency proof: empty, but the sizes differ");
  const bool pow2 = std::has_single_bit(old_size);
  std::uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) != 0) fn >>= 1, sn >>= 1;  // step 4
  const std::size_t want = path_length(fn, sn) + (pow2 ? 0 : 1);
  if (proof.size() != want) {
    return invalid("consistency proof: from " + num(old_size) + " to " + num(new_size) +
                   " leaves needs " + num(want) + " hashes, the proof has " + num(proof.size()));
  }
  const Sha256& first = pow2 ? old_root : proof[0];
  Sha256 fr = first, sr = first;                               // step 5
  for (std::size_t i = pow2 ? 0 : 1; i < proof.size(); ++i) {  // step 6
    const Sha256& c = proof[i];
    if (sn == 0)
      return invalid("consistency proof: too long");  // unreachable after the length check
    if ((fn & 1) != 0 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      while ((fn & 1) == 0 && fn != 0) fn >>= 1, sn >>= 1;
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1, sn >>= 1;
  }
  // Step 7.
  if (sn != 0) return invalid("consistency proof: too short");  // unreachable, as above
  if (fr != old_root) {
    return invalid("consistency proof: does not lead to the old root " + short_hex(old_root) +
                   " of size " + num(old_size) + " (it leads to " + short_hex(fr) + ")");
  }
  if (sr != new_root) {
    return invalid("consistency proof: does not lead to the new root " + short_hex(new_root) +
                   " of size " + num(new_size) + " (it leads to " + short_hex(sr) +
                   "); the log rewrote history or the proof is wrong");
  }
  return {};
}

}  // namespace cutover::audit
