// The "access" policy domain: which tenants and roles may call which model aliases.
// Document (canonical JSON in the store):
//   {"rules": [{"tenants": ["acme"], "roles": ["dev"], "aliases": ["gpt-4o-mini"], "effect": "allow"},
//              {"tenants": ["acme"], "aliases": ["gpt-4o"], "effect": "deny"}]}
// A list that is absent matches anything. The first rule that matches decides. When none
// matches: allowed if the policy has no "allow" rule (a deny list), denied otherwise (an
// allow list). No policy in the store: everything a key's own `models` permits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cutover::policy {

struct AccessRule {
  std::vector<std::string> tenants, roles, aliases;  // empty: any
  bool allow = true;
};

struct Access {
  std::int64_t version = 0;
  std::vector<AccessRule> rules;
  bool has_allow = false;
};

Result<Access> parse_access(std::string_view json, std::int64_t version);

struct AccessDecision {
  bool allowed = true;
  std::optional<std::size_t> rule;  // the deciding rule; none: the default
};

AccessDecision decide_access(const Access& policy, std::string_view tenant,
                             const std::vector<std::string>& roles, std::string_view alias);

}  // namespace cutover::policy
