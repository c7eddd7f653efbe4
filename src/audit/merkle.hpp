// The Merkle tree over the audit chain (RFC 6962 §2.1 / RFC 9162 §2.1), so that a third
// party can check that one entry is in the log (inclusion proof) and that a later
// checkpoint extends an earlier one without rewriting it (consistency proof).
// docs/AUDIT_CHECKPOINTS.md is the specification a verifier is written from.
//
// Leaf i of the tree is the chain hash of the entry with seq i + 1 (the 32-byte `hash` of
// entry.hpp is the leaf DATA):
//
//   leaf_hash(d)    = SHA-256(0x00 || d)
//   node_hash(l, r) = SHA-256(0x01 || l || r)
//   MTH({})         = SHA-256("")
//   MTH({d0})       = leaf_hash(d0)
//   MTH(D[n])       = node_hash(MTH(D[0:k]), MTH(D[k:n])), k the largest power of 2 < n
//
// Everything here is pure and allocation-bounded; verifiers take hostile input (any sizes,
// any proof length) and answer with a Status, never a crash.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/hash.hpp"

namespace cutover::audit {

// Tree sizes and leaf indexes are at most this (they come from int64 seqs).
inline constexpr std::uint64_t kMaxTreeSize = 0x7fffffffffffffffULL;

Sha256 leaf_hash(const Sha256& data);
Sha256 leaf_hash_bytes(std::string_view data);  // any leaf data (RFC 6962 test vectors)
Sha256 node_hash(const Sha256& left, const Sha256& right);
Sha256 empty_root();  // SHA-256("")

// The frontier of a tree of size() leaves: the roots of its perfect subtrees from the
// largest (leftmost) to the smallest, one per set bit of size(), so at most 63 hashes.
// Appending is O(log n) and the root costs O(log n) hashes: the store keeps the encoded
// range in its chain-head row and never rereads old leaves to sign a checkpoint.
class CompactRange final {
 public:
  CompactRange() = default;

  // Adds the leaf whose DATA is the entry hash. Fails only at kMaxTreeSize.
  Status append(const Sha256& leaf_data);
  // Same for a leaf hash computed elsewhere (leaf_hash / leaf_hash_bytes).
  Status append_leaf_hash(const Sha256& leaf_hash);

  std::uint64_t size() const { return size_; }
  Sha256 root() const;  // MTH of the size() leaves; empty_root() when size() == 0
  const std::vector<Sha256>& hashes() const { return hashes_; }

  // "<size>" then " <64 lowercase hex>" per frontier hash: "0", "1 ab12…", "3 ab12… cd34…".
  std::string encode() const;
  // The strict inverse of encode(): decimal size without leading zeros, up to kMaxTreeSize,
  // exactly popcount(size) hashes, single spaces, lowercase hex, nothing else.
  static Result<CompactRange> decode(std::string_view text);

  friend bool operator==(const CompactRange&, const CompactRange&) = default;

 private:
  std::uint64_t size_ = 0;
  std::vector<Sha256> hashes_;
};

// --- Generating (from the full list of leaf data, O(n); for the store and tests) --------

// MTH over leaf data (each is hashed with leaf_hash first).
Sha256 root_of(std::span<const Sha256> leaf_datas);
// MTH over leaf hashes already computed.
Sha256 root_of_leaf_hashes(std::span<const Sha256> leaf_hashes);

// PATH(index, D[n]) of RFC 9162 §2.1.3.1: the sibling hashes from the leaf up.
// Error when index >= leaves.size().
Result<std::vector<Sha256>> inclusion_proof(std::span<const Sha256> leaf_datas,
                                            std::uint64_t index);
Result<std::vector<Sha256>> inclusion_proof_from_leaf_hashes(std::span<const Sha256> leaf_hashes,
                                                             std::uint64_t index);

// PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1. Empty when old_size is 0 or n (nothing to
// prove); error when old_size > n.
Result<std::vector<Sha256>> consistency_proof(std::span<const Sha256> leaf_datas,
                                              std::uint64_t old_size);
Result<std::vector<Sha256>> consistency_proof_from_leaf_hashes(std::span<const Sha256> leaf_hashes,
                                                               std::uint64_t old_size);

// --- Verifying (hostile input) -------------------------------------------------------------

// RFC 9162 §2.1.3.2: ok when `proof` proves that the leaf whose DATA is `leaf_data` (the
// entry hash) is leaf `index` of the tree of `tree_size` leaves with root `root`. The proof
// alone does not bind the size (trees whose paths have the same shape accept the same proof):
// take tree_size and root from one verified checkpoint.
Status verify_inclusion(std::uint64_t index, std::uint64_t tree_size, const Sha256& leaf_data,
                        std::span<const Sha256> proof, const Sha256& root);
// Same with the leaf hash given (leaf_hash(data) already applied).
Status verify_inclusion_leaf_hash(std::uint64_t index, std::uint64_t tree_size,
                                  const Sha256& leaf_hash, std::span<const Sha256> proof,
                                  const Sha256& root);

// The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1-4), or an error when the
// proof has the wrong length for index and tree_size.
Result<Sha256> root_from_inclusion_proof(std::uint64_t index, std::uint64_t tree_size,
                                         const Sha256& leaf_hash, std::span<const Sha256> proof);

// RFC 9162 §2.1.4.2: ok when `proof` proves that the tree of old_size leaves with root
// old_root is a prefix of the tree of new_size leaves with root new_root. Beyond the RFC
// (which covers 0 < old_size < new_size):
//   old_size == new_size: the proof must be empty and the roots equal;
//   old_size == 0:        the proof must be empty and old_root must be SHA-256("");
//   old_size > new_size:  always an error (a log never shrinks).
Status verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Sha256& old_root,
                          const Sha256& new_root, std::span<const Sha256> proof);

}  // namespace cutover::audit
