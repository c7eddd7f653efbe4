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

}  // namespace

std::vector<std::string> check_policy_documents(const DomainDocuments& docs) {
  std::vector<std::string> problems;
  if (auto it = docs.find("access"); it != docs.end()) {
    try {
      check_access(parse_json(it->second), problems);
    } catch (const std::invalid_argument& e) {
      problems.push_back(std::string("access: ") + e.what());
    }
  }
  return problems;
}

}  // namespace cutover::store
