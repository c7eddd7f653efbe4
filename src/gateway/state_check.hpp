// The gateway's check of a complete shared state (what `cutover state apply` and `state
// rollback` run before writing): the routes, identity and limits documents are parsed
// exactly as a gateway will load them (gateway::validate_state), minus what is local to
// each gateway host and so cannot be checked where the CLI runs:
//   providers[i].api_key_env   resolved from each gateway host's environment
//   providers[i].ca_file       a path on each gateway host
#pragma once

#include <string>
#include <vector>

#include "store/state_file.hpp"

namespace cutover::gateway {

// Every problem, one "path: what" per entry (paths as in the documents:
// "routes[0].targets[1].provider"); empty when a gateway would load this state.
std::vector<std::string> check_state_documents(const store::DomainDocuments& docs);

}  // namespace cutover::gateway
