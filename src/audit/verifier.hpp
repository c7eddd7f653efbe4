// Verifying an audit log as a stream, in seq order, with constant memory: entries, signed
// chain heads and checkpoints, from the store or from an export (docs/AUDIT.md,
// "Verifying"). The first problem stops it and is named with its seq.
//
// Feed in seq order: each entry, then any signed head of that seq, then any checkpoint of
// that size. A checkpoint may also come early (an export, a trusted checkpoint kept by a
// monitor): it is checked when the log reaches its size, and a log that ends before it
// is a truncated tail.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "audit/chain.hpp"
#include "audit/checkpoint.hpp"
#include "audit/merkle.hpp"

namespace cutover::audit {

class ChainVerifier final {
 public:
  // Continues a chain whose entry first_seq - 1 had hash prev_hash. frontier: the Merkle
  // frontier of entries 1..first_seq-1 (needed to check checkpoints; without it they are
  // only checked for signatures and order).
  ChainVerifier(const Keyring& keys, std::int64_t first_seq, const Sha256& prev_hash,
                std::optional<CompactRange> frontier);

  bool entry(const Entry& e);
  bool head(const Head& h);
  // The signed note text of a checkpoint.
  bool checkpoint(std::string_view note);
  // A checkpoint kept by a monitor from an earlier look at the log: the log must contain
  // its tree, and the log's own latest checkpoint must not be older (a replayed one).
  bool trusted_checkpoint(std::string_view note);
  // At the end: entries not covered by a signature, checkpoints beyond the end.
  Verdict finish();

  bool ok() const { return v_.ok; }
  const Verdict& verdict() const { return v_; }
  std::int64_t heads() const { return heads_; }
  std::int64_t checkpoints() const { return checkpoints_; }
  std::int64_t latest_checkpoint() const { return max_checkpoint_; }

 private:
  bool bad(std::int64_t seq, std::string what);
  bool check_checkpoint(const Checkpoint& c);
  Result<Checkpoint> open(std::string_view note);

  const Keyring& keys_;
  Verdict v_;
  std::int64_t expect_;
  Sha256 prev_;
  std::optional<CompactRange> frontier_;
  // Entries since the last signature that covers them.
  std::int64_t first_uncovered_ = 0;
  struct Uncovered {
    Sha256 hash;
    std::int64_t time_unix_ns;
  };
  std::map<std::int64_t, Uncovered> recent_;  // entries no signature covers yet, by seq
  std::int64_t heads_ = 0, checkpoints_ = 0;
  std::int64_t max_checkpoint_ = 0;
  std::map<std::int64_t, Checkpoint> ahead_;     // checkpoints beyond the entries so far
  std::map<std::int64_t, Sha256> roots_by_size_;  // every checkpoint seen (fork detection)
  std::string origin_;
  std::int64_t trusted_max_ = 0;
};

}  // namespace cutover::audit
