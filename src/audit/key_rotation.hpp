// Rotating the audit signing key (`cutover audit keygen`, docs/AUDIT.md "Keys"): the new
// public key enters the store's key table, every other key in service is retired, and the
// rotation is recorded in the chain as a control entry ("audit.keygen").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audit/chain.hpp"
#include "audit/control.hpp"
#include "store/audit_store.hpp"

namespace cutover::audit {

struct KeyRotation {
  std::string key_id;                // the new key
  std::vector<std::string> retired;  // the keys this rotation retired (none for the first key)
  std::int64_t retired_unix_ns = 0;  // from then on their signatures are refused
};

// Records next's public key (created at now) and retires every other key still in service
// at retire_at. A key already scheduled to retire by an earlier rotation keeps its time and
// is not named. The caller seals next's private key where the gateways find it.
Result<KeyRotation> add_signing_key(store::AuditStore& store, const Signer& next, std::int64_t now,
                                    std::int64_t retire_at);

// The control event that records a rotation: action "audit.keygen"; detail names the new
// key, the retired ones and their retirement time in unix ns. It must be signed with the
// NEW key: the retired keys may already be past their retirement (--retire-after 0), and
// their signatures dated from then on do not verify.
ControlEvent key_rotation_event(const KeyRotation& rotation, std::string actor,
                                std::string policy_versions);

}  // namespace cutover::audit
