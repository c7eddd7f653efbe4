#include "store/policy_documents.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "store/canonical_json.hpp"

namespace cutover::store {
namespace json = boost::json;
namespace {

std::string item(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

bool only_keys(const json::value& v, const std::string& path,
               std::initializer_list<std::string_view> keys, std::vector<std::string>& problems) {
  if (!v.is_object()) {
    problems.push_back(path + ": expected a mapping");
    return false;
  }
  for (const auto& kv : v.get_object())
    if (std::find(keys.begin(), keys.end(), kv.key()) == keys.end())
      problems.push_back(path + "." + std::string(kv.key()) + ": unknown key");
  return true;
}

const json::array* list_at(const json::object& o, std::string_view key, const std::string& path,
                           std::vector<std::string>& problems) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return nullptr;
  if (!it->value().is_array()) {
    problems.push_back(path + "." + std::string(key) + ": expected a list");
    return nullptr;
  }
  return &it->value().get_array();
}

void check_names(const json::object& o, std::string_view key, const std::string& path,
                 std::vector<std::string>& problems) {
  if (auto* l = list_at(o, key, path, problems))
    for (std::size_t i = 0; i < l->size(); ++i)
      if (!(*l)[i].is_string() || (*l)[i].get_string().empty())
        problems.push_back(item(path + "." + std::string(key), i) + ": expected a name");
}

// A count: an integer >= 0, where 0 (or absent) means "no limit". Returns its value.
std::int64_t check_count(const json::object& o, std::string_view key, const std::string& path,
                         std::vector<std::string>& problems) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return 0;
  if (it->value().is_int64() && it->value().get_int64() >= 0) return it->value().get_int64();
  problems.push_back(path + "." + std::string(key) + ": expected an integer >= 0 (0: no limit)");
  return 0;
}

void one_of(const json::object& o, std::string_view key, const std::string& path,
            std::initializer_list<std::string_view> values, std::vector<std::string>& problems) {
  auto it = o.find(key);
  std::string p = path + "." + std::string(key);
  if (it == o.end()) return problems.push_back(p + ": required");
  if (it->value().is_string() &&
      std::find(values.begin(), values.end(), std::string_view(it->value().get_string())) !=
          values.end())
    return;
  std::string want;
  for (auto v : values) want += (want.empty() ? "" : " or ") + std::string(v);
  problems.push_back(p + ": expected " + want);
}

void check_access(const json::value& doc, std::vector<std::string>& problems) {
  if (!only_keys(doc, "access", {"rules"}, problems)) return;
  auto* rules = list_at(doc.get_object(), "rules", "access", problems);
  if (!rules) return;
  for (std::size_t i = 0; i < rules->size(); ++i) {
    std::string path = item("access.rules", i);
    if (!only_keys((*rules)[i], path, {"tenants", "roles", "aliases", "effect"}, problems))
      continue;
    const auto& r = (*rules)[i].get_object();
    for (auto k : {"tenants", "roles", "aliases"}) check_names(r, k, path, problems);
    one_of(r, "effect", path, {"allow", "deny"}, problems);
  }
}

void check_limits(const json::value& doc, std::vector<std::string>& problems) {
  if (!only_keys(doc, "limits", {"max_tokens", "max_input_bytes", "rate"}, problems)) return;
  const auto& l = doc.get_object();
  check_count(l, "max_tokens", "limits", problems);
  check_count(l, "max_input_bytes", "limits", problems);
  auto* rate = list_at(l, "rate", "limits", problems);
  if (!rate) return;
  for (std::size_t i = 0; i < rate->size(); ++i) {
    std::string path = item("limits.rate", i);
    if (!only_keys((*rate)[i], path, {"scope", "rpm", "tpm"}, problems)) continue;
    const auto& r = (*rate)[i].get_object();
    one_of(r, "scope", path, {"key", "tenant"}, problems);
    bool is_set = check_count(r, "rpm", path, problems) > 0;
    is_set |= check_count(r, "tpm", path, problems) > 0;
    if (!is_set) problems.push_back(path + ": set rpm, tpm or both (above 0)");
  }
}

}  // namespace

std::vector<std::string> check_policy_documents(const DomainDocuments& docs) {
  std::vector<std::string> problems;
  for (auto [domain, check] :
       {std::pair{"access", &check_access}, std::pair{"limits", &check_limits}}) {
    auto it = docs.find(domain);
    if (it == docs.end()) continue;
    try {
      check(parse_json(it->second), problems);
    } catch (const std::invalid_argument& e) {
      problems.push_back(std::string(domain) + ": " + e.what());
    }
  }
  return problems;
}

}  // namespace cutover::store
