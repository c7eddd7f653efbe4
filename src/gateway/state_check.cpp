#include "gateway/state_check.hpp"

#include <sstream>

#include "gateway/config.hpp"
#include "store/canonical_json.hpp"

namespace cutover::gateway {
namespace {

namespace json = boost::json;

// The routes document without the fields that are resolved on each gateway host.
std::string without_host_fields(const std::string& routes) {
  json::value doc;
  try {
    doc = store::parse_json(routes);
  } catch (const std::invalid_argument&) {
    return routes;  // the gateway's parser says what is wrong with it
  }
  if (auto* o = doc.if_object())
    if (auto* providers = o->if_contains("providers"); providers && providers->is_array())
      for (auto& p : providers->get_array())
        if (auto* po = p.if_object()) {
          po->erase("api_key_env");
          po->erase("ca_file");
        }
  return store::canonical_json(doc);
}

}  // namespace

std::vector<std::string> check_state_documents(const store::DomainDocuments& docs) {
  StateDocuments state;
  if (auto it = docs.find("routes"); it != docs.end())
    state.routes = without_host_fields(it->second);
  if (auto it = docs.find("identity"); it != docs.end()) state.identity = it->second;
  if (auto it = docs.find("limits"); it != docs.end()) state.limits = it->second;
  if (auto it = docs.find("access"); it != docs.end()) state.access = it->second;
  if (auto it = docs.find("secrets"); it != docs.end()) state.secrets = it->second;
  try {
    validate_state(state);
    return {};
  } catch (const ConfigError& e) {
    // "invalid config:\n  path: what\n  path: what" -> one problem per line.
    std::vector<std::string> problems;
    std::istringstream lines(e.what());
    for (std::string line; std::getline(lines, line);) {
      auto start = line.find_first_not_of(' ');
      if (start == std::string::npos || line == "invalid config:") continue;
      problems.push_back(line.substr(start));
    }
    return problems;
  }
}

}  // namespace cutover::gateway
