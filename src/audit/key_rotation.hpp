// Rotating the audit signing key (`cutover audit keygen`, docs/AUDIT.md "Keys"): the new
// public key enters the store's key table, its private key is sealed where the gateways
// find it, every other key in service is retired, and the rotation is recorded in the
// chain as a control entry ("audit.keygen").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "audit/chain.hpp"
#include "audit/control.hpp"
#include "store/audit_store.hpp"

namespace cutover::audit {

struct KeyRotation {
  std::string key_id;                // the new key
  std::int64_t sealed_version = 0;   // what seal() returned (the secrets version)
  std::vector<std::string> retired;  // the keys this rotation retired (none for the first key)
  std::int64_t retired_unix_ns = 0;  // from then on their signatures are refused
};

// Puts the new key's private half where the gateways find it; returns a version to record.
using SealKey = std::function<Result<std::int64_t>()>;

// A rotation in three steps, ordered so that a failure at any of them leaves the keys in
// service signing and none retired:
//   1. next's public key is listed (created at now), retiring nothing: no signature ever
//      exists whose key the store does not list;
//   2. seal() stores next's private key (the gateways switch to it from their next
//      snapshot);
//   3. every other key in service is retired at retire_at. A key already scheduled to
//      retire by an earlier rotation keeps its time and is not named.
// Failing at 1 changes nothing. Failing at 2 leaves next listed but unusable (its private
// key is nowhere; the next rotation retires it) and the old keys in service. Failing at 3
// leaves next in service and the old keys in service too, not retired. The error says
// which step failed and what stands.
Result<KeyRotation> rotate_signing_key(store::AuditStore& store, const Signer& next,
                                       std::int64_t now, std::int64_t retire_at,
                                       const SealKey& seal);

// The control event that records a rotation: action "audit.keygen"; detail names the new
// key, the retired ones and their retirement time in unix ns. It must be signed with the
// NEW key: the retired keys may already be past their retirement (--retire-after 0), and
// their signatures dated from then on do not verify.
ControlEvent key_rotation_event(const KeyRotation& rotation, std::string actor,
                                std::string policy_versions);

}  // namespace cutover::audit
