// Between audit entries and the store's rows: sealing a batch as the continuation of the
// chain head (inside AuditStore::append's transaction) and reading rows back.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "audit/chain.hpp"
#include "store/audit_store.hpp"

namespace cutover::audit {

// The key to sign with now (it follows the secrets domain); null with the reason when
// there is no usable key (appends then fail with that reason).
struct SignerRef {
  std::shared_ptr<const Signer> signer;
  std::string problem;
};

enum class SignMode {
  kBatch,  // each batch ends with one signed chain head (the default: one signature/batch)
  kEntry,  // every entry carries its own signature
};

// Seals entries (in order) after head: sets seq, prev_hash, hash, key_id and signature,
// extends the Merkle frontier, and in batch mode signs the new head at
// max(now, newest entry time). Entries may be sealed again against a newer head when an
// append is retried: every chain field is overwritten.
Result<store::Sealed> seal_after(const store::AuditHead& head, std::vector<Entry>& entries,
                                 const Signer& signer, SignMode mode, std::int64_t now_unix_ns);

// The same without a key: no signature, no signed head (a later head covers them).
Result<store::Sealed> seal_unsigned(const store::AuditHead& head, std::vector<Entry>& entries);

store::AuditRow to_row(const Entry& e);
store::AuditRow to_row(const Entry& e, std::string canonical_bytes);  // canonical(e), already made
store::SignedHead to_row(const Head& h);
// Strict: a malformed hash, signature or canonical text is an error naming the seq.
Result<Entry> from_row(const store::AuditRow& r);
Result<Head> from_row(const store::SignedHead& r);

// Signs a checkpoint (C2SP signed note over the RFC 6962 root of every entry hash) when
// `every` entries were added since the last one or the log grew and `interval` passed;
// first checks that the new tree extends the last checkpoint's (never signs an
// inconsistent one). The origin line names the log: "cutover-audit/" + the first 16 hex
// of entry 1's hash. True when one was added.
Result<bool> checkpoint_if_due(store::AuditStore& store, const Signer& signer, std::int64_t every,
                               std::chrono::milliseconds interval, std::int64_t now_unix_ns);

}  // namespace cutover::audit
