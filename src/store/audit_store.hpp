// Storage of the audit log: ONE chain of entries shared by every gateway process on every
// host, with the sequence number allocated by the store inside the append transaction.
//
// The store keeps rows as text and knows nothing of hashing or signing: append() hands the
// current chain head to a Sealer (audit/log.cpp) inside the transaction that holds the
// head, and writes what it returns, all or nothing. The head row is the lock: SQLite takes
// the database write lock at BEGIN IMMEDIATE, PostgreSQL locks the row FOR UPDATE; both
// die with the transaction (a lost connection rolls back, never leaves a lock behind), and
// the head is then updated by compare-and-swap on its seq, so two writers can never both
// extend the same head. seq is the PRIMARY KEY: no duplicate can be stored.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cutover::store {

// The last entry of the chain, and the Merkle frontier of all entries (audit/merkle.hpp).
struct AuditHead {
  std::int64_t seq = 0;  // 0: empty log
  std::string hash;      // hex; 64 zeros for the empty log
  std::string frontier;  // audit::CompactRange::encode(); "" for the empty log
};

struct AuditRow {
  std::int64_t seq = 0;
  std::int64_t time_unix_ns = 0;
  std::string color, kind, request_id;  // copies of entry fields, indexed for queries
  std::string entry;                    // canonical JSON (docs/AUDIT.md)
  std::string prev_hash, hash;          // hex
  std::string key_id, signature;        // entry mode: base64 signature; batch mode: ""
};

// A signed chain head: in batch mode one per group-commit batch, covering every entry up
// to seq through the hash chain.
struct SignedHead {
  std::int64_t seq = 0;
  std::string hash;  // hex, the hash of entry seq
  std::string key_id, signature;  // base64
  std::int64_t time_unix_ns = 0;
};

struct CheckpointRow {
  std::int64_t size = 0;
  std::string root;  // hex
  std::string note;  // the signed note text (C2SP tlog-checkpoint)
  std::string frontier;  // the Merkle frontier at size: the next checkpoint extends it
  std::int64_t time_unix_ns = 0;
};

struct AuditKey {
  std::string key_id, public_key;  // public_key: 64 hex of the raw Ed25519 key
  std::int64_t created_unix_ns = 0;
  std::int64_t retired_unix_ns = 0;  // 0: in service; else signatures after it are invalid
};

// What a Sealer returns: the rows that extend `head` (seqs head.seq+1 ... in order), the
// new head, and the batch's signed head (absent in entry mode).
struct Sealed {
  std::vector<AuditRow> rows;
  AuditHead head;
  std::optional<SignedHead> signed_head;
};
using Sealer = std::function<Result<Sealed>(const AuditHead&)>;

struct AuditQuery {
  std::int64_t from_seq = 1, to_seq = INT64_MAX;  // inclusive
  std::int64_t since_unix_ns = 0, until_unix_ns = INT64_MAX;  // [since, until)
  std::string color, request_id;                              // "" = any
  std::int64_t limit = 10'000;
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // One transaction: reads the head under the lock, calls seal(head), checks that the rows
  // continue the head (consecutive seqs, first prev_hash = head hash, last = new head)
  // and writes rows, signed head and new head. Nothing is written if any step fails.
  // Transient failures (lost connection, busy) are errors: the caller retries with the
  // same entries, which are sealed again against the then-current head.
  virtual Status append(const Sealer& seal) = 0;

  virtual Result<AuditHead> head() = 0;
  // Rows in seq order matching q, at most q.limit.
  virtual Result<std::vector<AuditRow>> entries(const AuditQuery& q) = 0;
  // Entry hashes (hex) of seqs [from, to], in order: the leaves of the Merkle tree.
  virtual Result<std::vector<std::string>> hashes(std::int64_t from, std::int64_t to) = 0;
  virtual Result<std::vector<SignedHead>> signed_heads(std::int64_t from, std::int64_t to) = 0;

  // In a transaction that holds the chain head: make(last checkpoint or nullopt, head,
  // hex hashes of the entries after the last checkpoint up to the head) returns the new
  // checkpoint (after checking it extends the last one) or nullopt for "not due".
  using CheckpointMaker = std::function<Result<std::optional<CheckpointRow>>(
      const std::optional<CheckpointRow>& last, const AuditHead& head,
      const std::vector<std::string>& hashes_since_last)>;
  virtual Status add_checkpoint(const CheckpointMaker& make) = 0;
  virtual Result<std::vector<CheckpointRow>> checkpoints() = 0;  // by size, ascending

  // Public keys, so a verifier finds every key id ever used (trust comes from
  // --public-key: a key read from the store only proves the store is self-consistent).
  // Adds k (already listed: kept as it is) and, in the same transaction, retires every
  // other key in service as of retire_others_at. retire_others_at 0 retires nothing: k is
  // listed beside the keys in service (the first step of a rotation, audit/key_rotation.hpp).
  virtual Status add_key(const AuditKey& k, std::int64_t retire_others_at) = 0;
  virtual Result<std::vector<AuditKey>> keys() = 0;
};

}  // namespace cutover::store
