// The shapes of the policy domains a state file can carry, checked before they are stored
// (docs/STATE.md, "access" and "limits"). Enforcement lives elsewhere (policy/); these
// checks keep a document that could never be enforced out of the store.
//   access: {"rules": [{"tenants": [..], "roles": [..], "aliases": [..],
//                       "effect": "allow" | "deny"}]}
//   limits: {"max_tokens": N, "max_input_bytes": N,
//            "rate": [{"scope": "key" | "tenant", "rpm": N, "tpm": N}]}   (N >= 0; 0: none)
#pragma once

#include <string>
#include <vector>

#include "store/state_file.hpp"

namespace cutover::store {

// Problems of the access and limits documents among `docs` ("limits.rate[1].scope: ..."),
// for a file being applied and for a stored version being rolled back to. Other domains
// are ignored.
std::vector<std::string> check_policy_documents(const DomainDocuments& docs);

}  // namespace cutover::store
