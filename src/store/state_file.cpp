#include "store/state_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>

#include "core/hash.hpp"
#include "store/canonical_json.hpp"
#include "store/policy_documents.hpp"

namespace cutover::store {
namespace json = boost::json;
namespace {

constexpr std::array<std::string_view, 6> kFileKeys = {"providers",   "routes", "api_keys",
                                                       "jwt_issuers", "access", "limits"};

// Members whose values are names or digests: strings however they are written.
bool is_string_key(std::string_view k) {
  static constexpr std::string_view kKeys[] = {
      "id",         "tenant",    "models",   "name",        "base_url", "api_key_env",
      "ca_file",    "alias",     "provider", "model",       "key",      "key_env",
      "key_sha256", "tenants",   "roles",    "aliases",     "effect",   "scope",
      "issuer",     "audiences", "jwks",     "tenant_claim"};
  return std::find(std::begin(kKeys), std::end(kKeys), k) != std::end(kKeys);
}

bool is_env_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::string item(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// A member that must be a non-empty string when present; nullptr when absent.
const json::string* nonempty_string(const json::object& o, std::string_view key,
                                    const std::string& path, std::vector<std::string>& problems) {
  auto it = o.find(key);
  if (it == o.end()) return nullptr;
  if (!it->value().is_string() || it->value().get_string().empty()) {
    problems.push_back(path + "." + std::string(key) + ": expected a non-empty string");
    return nullptr;
  }
  return &it->value().get_string();
}

void scrub_providers(json::value& v, std::vector<std::string>& problems) {
  if (!v.is_array()) return problems.push_back("providers: expected a list");
  auto& list = v.get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) continue;  // the gateway's parser names it
    auto& p = list[i].get_object();
    std::string path = item("providers", i);
    if (p.contains("api_key"))
      problems.push_back(path +
                         ".api_key: secrets are not stored in the shared state; use api_key_env, "
                         "set on every gateway host");
    if (auto* env = nonempty_string(p, "api_key_env", path, problems); env && !is_env_name(*env))
      problems.push_back(path +
                         ".api_key_env: expected the NAME of an environment variable "
                         "(letters, digits, '_'), not its value");
  }
}

void scrub_api_keys(json::value& v, const EnvLookup& env, std::vector<std::string>& problems) {
  if (!v.is_array()) return problems.push_back("api_keys: expected a list");
  auto& list = v.get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) continue;
    auto& k = list[i].get_object();
    std::string path = item("api_keys", i);
    int sources = k.contains("key") + k.contains("key_env") + k.contains("key_sha256");
    if (sources > 1) {
      problems.push_back(path + ": give exactly one of key, key_env or key_sha256");
      k.erase("key");  // never kept, even on the way to an error
      continue;
    }
    std::optional<std::string> plain;
    if (auto* key = nonempty_string(k, "key", path, problems)) plain = std::string(*key);
    if (auto* name = nonempty_string(k, "key_env", path, problems)) {
      plain = env ? env(std::string(*name)) : std::nullopt;
      if (!plain || plain->empty()) {
        problems.push_back(path + ".key_env: environment variable " + std::string(*name) +
                           " is not set (keys are hashed when the file is applied: set it "
                           "where cutover state apply runs)");
        plain.reset();
      }
    }
    k.erase("key");
    k.erase("key_env");
    if (plain) {
      k["key_sha256"] = to_hex(sha256(*plain));
    } else if (auto it = k.find("key_sha256");
               it != k.end() && it->value().is_string() && is_hex64(it->value().get_string())) {
      std::string hex(it->value().get_string());
      std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) {
        return static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
      });
      it->value() = json::string(hex);
    }
  }
}

bool secret_name(std::string_view k) {
  for (std::string_view w : {"key", "secret", "password", "passphrase", "token", "credential"})
    if (k == w || (k.size() > w.size() && k.ends_with(w) && k[k.size() - w.size() - 1] == '_'))
      return true;
  return false;
}

}  // namespace

StateFileError::StateFileError(std::vector<std::string> problems)
    : std::runtime_error([&] {
        std::string m;
        for (const auto& p : problems) m += (m.empty() ? "" : "\n") + p;
        return m;
      }()),
      problems_(std::move(problems)) {}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

DomainDocuments parse_state_file(std::string_view text, const EnvLookup& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw StateFileError({"not valid YAML: " + e.msg + " (line " + std::to_string(e.mark.line + 1) +
                          ", column " + std::to_string(e.mark.column + 1) + ")"});
  }
  if (!root.IsDefined() || root.IsNull())
    throw StateFileError(
        {"the file is empty: give at least one of providers + routes, api_keys, jwt_issuers, "
         "access or limits"});
  if (!root.IsMap()) throw StateFileError({"expected a mapping at the top level"});

  std::vector<std::string> problems;
  std::map<std::string, json::value, std::less<>> sections;
  const YamlTyping typing{is_string_key};
  for (const auto& kv : root) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (std::find(kFileKeys.begin(), kFileKeys.end(), key) == kFileKeys.end()) {
      problems.push_back(key +
                         ": unknown key (a state file holds providers, routes, api_keys, "
                         "jwt_issuers, access and limits; see docs/STATE.md)");
      continue;
    }
    if (sections.contains(key)) {
      problems.push_back(key + ": duplicate key");
      continue;
    }
    sections[key] = json_from_yaml(kv.second, key, typing, problems);
  }
  bool has_providers = sections.contains("providers"), has_routes = sections.contains("routes");
  if (has_providers != has_routes)
    problems.push_back(
        std::string(has_routes ? "providers" : "routes") + ": required with " +
        (has_routes ? "routes" : "providers") +
        " (the domain 'routes' is providers and routes together; write [] for none)");
  if (has_providers) scrub_providers(sections["providers"], problems);
  if (auto it = sections.find("api_keys"); it != sections.end())
    scrub_api_keys(it->second, env, problems);

  DomainDocuments docs;
  if (has_providers && has_routes) {
    json::object o;
    o["providers"] = sections["providers"];
    o["routes"] = sections["routes"];
    docs["routes"] = canonical_json(o);
  }
  // api_keys and jwt_issuers make up the identity domain; one given alone means none of
  // the other.
  if (sections.contains("api_keys") || sections.contains("jwt_issuers")) {
    json::object o;
    for (const char* k : {"api_keys", "jwt_issuers"})
      if (auto it = sections.find(k); it != sections.end()) o[k] = it->second;
    docs["identity"] = canonical_json(o);
  }
  for (const char* d : {"access", "limits"})
    if (auto it = sections.find(d); it != sections.end()) docs[d] = canonical_json(it->second);
  for (auto& p : check_policy_documents(docs)) problems.push_back(std::move(p));
  if (!problems.empty()) throw StateFileError(std::move(problems));
  return docs;
}

json::value redact_secrets(json::value doc) {
  if (doc.is_array()) {
    for (auto& v : doc.get_array()) v = redact_secrets(std::move(v));
  } else if (doc.is_object()) {
    for (auto& kv : doc.get_object())
      kv.value() =
          secret_name(kv.key()) ? json::value("<redacted>") : redact_secrets(std::move(kv.value()));
  }
  return doc;
}

}  // namespace cutover::store
