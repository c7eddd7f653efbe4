// The state file of `cutover state apply|diff` (docs/STATE.md): YAML in, one canonical
// JSON document per domain out, with every secret gone before anything can be stored.
//
//   file key             domain      document
//   providers + routes   "routes"    {"providers": [...], "routes": [...]}   (both or neither)
//   api_keys, jwt_issuers "identity" {"api_keys": [...], "jwt_issuers": [...]}  (either or both)
//   access               "access"    {"rules": [{tenants, roles, aliases, effect}]}
//   limits               "limits"    {max_tokens, max_input_bytes, rate: [{scope, rpm, tpm}]}
//
// Only the domains present in a file are produced; the others are left as they are.
// Pure: the environment is passed in (EnvLookup), nothing is read or written here.
#pragma once

#include <array>
#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::store {

// domain -> canonical JSON document.
using DomainDocuments = std::map<std::string, std::string, std::less<>>;

// The domains a state file can hold, in the order they are reported.
inline constexpr std::array<std::string_view, 4> kStateFileDomains = {"access", "identity",
                                                                      "limits", "routes"};

// Every problem of a file, each "path: what is wrong" (path as in the file:
// "providers[0].api_key", "routes[1].targets[0].provider").
class StateFileError final : public std::runtime_error {
 public:
  explicit StateFileError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// name -> value of an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_env();

// Parses a state file: unknown top-level keys, invalid YAML and the checks below are
// errors (thrown together as StateFileError). Secrets:
//   - api_keys[i].key (a literal) and api_keys[i].key_env (read through `env` now; unset
//     is an error) become key_sha256, the hex SHA-256 of the key
//   - providers[i].api_key is refused: provider keys are named by api_key_env and read
//     from the environment of every gateway host, never stored
// The routes, identity and limits documents are otherwise checked by the gateway's own
// parser (gateway/state_check.hpp), access by check_policy_documents
// (store/policy_documents.hpp), when the whole resulting state is validated.
DomainDocuments parse_state_file(std::string_view yaml_text, const EnvLookup& env);

// For display only: the value of every member named like a secret ("key", "api_key",
// "*_key", "*_secret", "*_password", "*_token", ...) becomes "<redacted>". Names and
// digests (key_sha256, key_env, api_key_env) are kept. Stored documents hold no secret by
// construction; this keeps `state show` safe even for a document written by other means.
boost::json::value redact_secrets(boost::json::value doc);

}  // namespace cutover::store
