// The shape of the policy domains that have no enforcement yet, checked before they are
// stored (docs/STATE.md, "access"), so that a document that could never be enforced stays
// out of the store. A domain with an enforcing parser is checked by that parser instead,
// through the gateway (gateway/state_check.hpp): "limits" by policy::parse_limits.
//   access: {"rules": [{"tenants": [..], "roles": [..], "aliases": [..],
//                       "effect": "allow" | "deny"}]}
#pragma once

#include <string>
#include <vector>

#include "store/state_file.hpp"

namespace cutover::store {

// Problems of the access document among `docs` ("access.rules[1].effect: ..."), for a file
// being applied and for a stored version being rolled back to. Other domains are ignored.
std::vector<std::string> check_policy_documents(const DomainDocuments& docs);

}  // namespace cutover::store
