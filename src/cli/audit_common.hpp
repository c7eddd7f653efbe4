// Helpers of the `cutover audit` and `cutover state` commands.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "audit/control.hpp"
#include "identity/secret_box.hpp"
#include "store/store.hpp"

namespace cutover::cli {

std::int64_t unix_ns_now();
// "2026-11-25T13:00:00Z" (fractions allowed), unix seconds, or an age ("90s", "15m",
// "2h", "7d": that long before now) -> unix ns.
Result<std::int64_t> parse_time_arg(std::string_view text);
// The audit signing key from the store's secrets, opened with `master` (load_master_key:
// --master-key-file or $CUTOVER_MASTER_KEY); a null signer and the reason when either is
// missing.
audit::SignerRef load_audit_signer(store::Store& s, const Result<identity::MasterKey>& master);
// Records a control event (state apply/rollback, ...) in the audit log, signed with the
// store's audit signing key (load_audit_signer(s, master)); written unsigned, with a note,
// when that key cannot be opened. Prints a warning and returns false when the entry could
// not be written.
bool record_control(store::Store& s, const audit::ControlEvent& event, std::string_view command,
                    const Result<identity::MasterKey>& master);
// The same, signed with `key` (audit keygen: the key it just created).
bool record_control(store::Store& s, const audit::ControlEvent& event, std::string_view command,
                    const audit::SignerRef& key);

}  // namespace cutover::cli
