#include "policy/access.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>

namespace cutover::policy {
namespace json = boost::json;

namespace {

Error bad(const std::string& path, const std::string& what) {
  return Error(ErrorCode::kInvalidRequest, path + ": " + what);
}

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

Result<Access> parse_access(std::string_view text, std::int64_t version) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return bad("access", "expected a JSON object");
  Access a;
  a.version = version;
  for (const auto& kv : v.as_object())
    if (kv.key() != "rules") return bad("access." + std::string(kv.key()), "unknown key");
  auto* rules = v.as_object().if_contains("rules");
  if (!rules) return a;
  if (!rules->is_array()) return bad("access.rules", "expected a list");
  for (std::size_t i = 0; i < rules->as_array().size(); ++i) {
    std::string path = "access.rules[" + std::to_string(i) + "]";
    const auto& r = rules->as_array()[i];
    if (!r.is_object()) return bad(path, "expected an object");
    AccessRule rule;
    bool has_effect = false;
    for (const auto& kv : r.as_object()) {
      std::string key(kv.key());
      if (key == "effect") {
        if (!kv.value().is_string() || (kv.value().as_string() != "allow" && kv.value().as_string() != "deny"))
          return bad(path + ".effect", "expected \"allow\" or \"deny\"");
        rule.allow = kv.value().as_string() == "allow";
        has_effect = true;
        continue;
      }
      std::vector<std::string>* list = key == "tenants" ? &rule.tenants
                                       : key == "roles" ? &rule.roles
                                       : key == "aliases" ? &rule.aliases
                                                          : nullptr;
      if (!list) return bad(path + "." + key, "unknown key");
      if (!kv.value().is_array()) return bad(path + "." + key, "expected a list of names");
      for (const auto& e : kv.value().as_array()) {
        if (!e.is_string()) return bad(path + "." + key, "expected a list of names");
        list->emplace_back(e.as_string());
      }
    }
    if (!has_effect) return bad(path + ".effect", "required (allow or deny)");
    a.has_allow |= rule.allow;
    a.rules.push_back(std::move(rule));
  }
  return a;
}

AccessDecision decide_access(const Access& policy, std::string_view tenant,
                             const std::vector<std::string>& roles, std::string_view alias) {
  for (std::size_t i = 0; i < policy.rules.size(); ++i) {
    const auto& r = policy.rules[i];
    if (!r.tenants.empty() && !contains(r.tenants, tenant)) continue;
    if (!r.aliases.empty() && !contains(r.aliases, alias)) continue;
    if (!r.roles.empty() &&
        std::none_of(roles.begin(), roles.end(), [&](const std::string& role) { return contains(r.roles, role); }))
      continue;
    return {r.allow, i};
  }
  return {!policy.has_allow, std::nullopt};
}

}  // namespace cutover::policy
