// Reading the audit log back: verifying it from the store or from an export, and writing
// an export (docs/AUDIT.md, "Verifying" and "Export").
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "audit/chain.hpp"
#include "store/audit_store.hpp"

namespace cutover::audit {

struct VerifyReport {
  Verdict verdict;
  std::int64_t first_seq = 0, last_seq = 0;
  std::int64_t heads = 0, checkpoints = 0, latest_checkpoint = 0;
  std::size_t keys = 0;
};

// The keys of the audit_keys table (or of an export's key lines).
Result<Keyring> keyring_of(const std::vector<store::AuditKey>& keys);

// Verifies seqs [from, to] of the store's log (to beyond the head: to the head) against
// keys: every entry, signed head and checkpoint, plus any trusted checkpoint notes. When
// `to` falls inside a group-commit batch the read goes on to the head that signs it.
Result<VerifyReport> verify_store(store::AuditStore& store, const Keyring& keys, std::int64_t from,
                                  std::int64_t to, const std::vector<std::string>& trusted);

// The same for an export read from `in`. keys null: the export's own key lines.
Result<VerifyReport> verify_export(std::istream& in, const Keyring* keys,
                                   const std::vector<std::string>& trusted);

// Writes seqs [from, to] (and the keys, heads and checkpoints among them); returns the
// number of entries written.
Result<std::int64_t> write_export(store::AuditStore& store, std::int64_t from, std::int64_t to,
                                  std::ostream& out);

}  // namespace cutover::audit
