// Control events: changes to what the gateways serve (state applied or rolled back, and
// later traffic changes and release phases) go into the same chain as the requests.
#pragma once

#include <string>
#include <string_view>

#include "audit/log.hpp"

namespace cutover::audit {

struct ControlEvent {
  std::string action;           // "state.apply", "state.rollback", ...
  std::string detail;           // what changed: "routes v3 -> v4, limits v2"
  std::string actor;            // who: "cli:state apply (alice@host)"
  std::string policy_versions;  // in force after the change: "access=3,routes=4"
  std::string color;            // "" when it concerns every environment
};

// Appends one control entry, signed when key.signer is set: entry mode signs it, batch
// mode adds a signed head. Without a key the entry is appended unsigned and is covered by
// the next signed head any gateway writes (its hash chains into it); `cutover audit
// verify` reports it as uncovered until then. Returns the seq it got.
Result<std::int64_t> append_control(store::AuditStore& store, const ControlEvent& event,
                                    const SignerRef& key, SignMode mode);

}  // namespace cutover::audit
