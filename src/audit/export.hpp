// The archival format of the audit log: JSON Lines that `cutover audit export` writes and
// `cutover audit verify --input` reads without the store (docs/AUDIT.md, "Export").
//
//   {"type":"log","schema":1,"from":F,"prev_hash":"<hex of entry F-1>","frontier":"..."}
//   {"type":"key","key_id":"..","public_key":"<hex>","created_unix_ns":N,"retired_unix_ns":N}
//   {"type":"entry","seq":N,"prev_hash":"..","hash":"..","key_id":"..","signature":"..","entry":{canonical}}
//   {"type":"head","seq":N,"time_unix_ns":T,"hash":"..","key_id":"..","signature":".."}
//   {"type":"checkpoint","size":N,"note":"<signed note text>"}
//
// In seq order: an entry, then the signed head of its seq, then the checkpoint of its size.
// "entry" is the canonical encoding itself, last on its line, so that its exact bytes are
// what the hash covers.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "audit/chain.hpp"
#include "store/audit_store.hpp"

namespace cutover::audit {

struct LogHeader {
  std::int64_t from = 1;
  std::string prev_hash;  // hex
  std::string frontier;   // CompactRange::encode() of entries 1..from-1
};

std::string header_line(const LogHeader& h);
std::string key_line(const store::AuditKey& k);
std::string entry_line(const store::AuditRow& r);
std::string head_line(const store::SignedHead& h);
std::string checkpoint_line(const store::CheckpointRow& c);

using ExportLine = std::variant<LogHeader, store::AuditKey, store::AuditRow, store::SignedHead,
                                store::CheckpointRow>;
// Strict: unknown types, missing or mistyped members are errors (the caller adds the
// line number).
Result<ExportLine> parse_export_line(std::string_view line);

}  // namespace cutover::audit
