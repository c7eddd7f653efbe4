// The gateway's node config: parsed from YAML, validated, then immutable.
//
// Unknown keys are errors that name their path ("routes[2].fallbak: unknown key"), and
// every problem in a file is reported at once. Secrets (API keys) are resolved from the
// environment at load time and only their SHA-256 digests are kept for client keys.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "audit/log.hpp"
#include "core/hash.hpp"
#include "http/server.hpp"
#include "http/url.hpp"
#include "identity/jwt.hpp"
#include "identity/secret_box.hpp"
#include "policy/access.hpp"
#include "policy/limits.hpp"

namespace cutover::gateway {

using std::chrono::milliseconds;

struct ApiKey {
  std::string id;      // a name for logs and metrics; never the key itself
  Sha256 digest;       // SHA-256 of the key
  std::string tenant;
  std::vector<std::string> models;  // aliases this key may use; "*" for all
  std::vector<std::string> roles;   // for the access policy
  bool may_use(std::string_view alias) const;
};

struct Provider {
  std::string name;
  http::Url url;
  std::string api_key;  // secret: never logged
  std::shared_ptr<http::ssl::context> tls;  // for https:// (verification on)
  milliseconds connect_timeout{2'000};
  // Non-streaming: the whole response. Streaming: until the response headers.
  milliseconds request_timeout{60'000};
  // Streaming: the longest silence between two chunks.
  milliseconds stream_idle_timeout{30'000};
  std::size_t max_response_bytes = 64u << 20;
};

struct RetryPolicy {
  int max_attempts = 2;  // per target, the first attempt included
  milliseconds backoff_initial{50};
  milliseconds backoff_max{1'000};
  // A Retry-After longer than this moves on to the next target instead of waiting.
  milliseconds max_retry_after{2'000};
};

struct Target {
  const Provider* provider = nullptr;
  std::string model;  // the provider's model name
};

struct Route {
  std::size_t index = 0;         // position in Config::routes
  std::size_t metrics_slot = 0;  // set by the gateway when it adopts the config
  std::string alias;
  std::vector<Target> targets;  // tried in order: fallback chain
  RetryPolicy retry;
  std::string version;  // short SHA-256 of the route's definition
};

// The audit log (issue 5; docs/AUDIT.md). On whenever the gateway has a store.
struct AuditSettings {
  bool enabled = true;
  audit::SignMode mode = audit::SignMode::kBatch;
  bool fail_open = false;  // on_failure: open (spool) instead of closed (503)
  std::string spool_path;
  std::size_t max_batch = 2048;
  std::int64_t checkpoint_every = 1000;
  milliseconds checkpoint_interval{10'000};
  std::string node_id;  // default: host name
};

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string color = "blue";
  int workers = 0;  // 0: one per core
  std::optional<http::TlsFiles> tls;
  http::ServerLimits limits;
  std::size_t max_streams = 1'000;
  milliseconds drain_timeout{30'000};
  std::string log_level = "info";
  bool access_log = true;
  std::string store_url;  // empty: routes and keys come from this file only
  AuditSettings audit;
  // The token a switch's shadow copies carry in x-cutover-shadow (from shadow_token_env);
  // empty: the header is ignored and copies count as normal requests. Secret: never logged.
  std::string shadow_token;
  // The audit signing key from the store's secrets ("audit.signing_key"), opened with the
  // master key; null with the reason in audit_signer_problem.
  std::shared_ptr<const audit::Signer> audit_signer;
  std::string audit_signer_problem;
  std::string state_versions;  // "access=3,identity=2,limits=7,routes=5" (from the store)
  // Admin listener (GET /admin/state); off unless admin.token_env names a set variable.
  std::string admin_host = "127.0.0.1";
  std::uint16_t admin_port = 0;
  std::string admin_token;  // secret: never logged
  policy::Limits limits_policy;  // the "limits" policy domain in force (from the store)
  policy::Access access_policy;  // the "access" policy domain in force (from the store)

  std::vector<ApiKey> api_keys;
  // Trusted JWT issuers; a verified token's identity may use every alias (per-alias access
  // for JWT identities comes with the "access" policy domain).
  std::vector<identity::JwtIssuer> jwt_issuers;
  std::vector<std::unique_ptr<Provider>> providers;
  std::vector<Route> routes;

  const Route* find_route(std::string_view alias) const;
  const ApiKey* find_key(const Sha256& digest) const;

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct DigestHash {
    std::size_t operator()(const Sha256& d) const;
  };
  std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> route_index;
  std::unordered_map<Sha256, std::size_t, DigestHash> key_index;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// State that lives in the shared store, one canonical-JSON document per domain, with the
// same shape as the node config's sections (so one parser validates both):
//   "routes":   {"providers": [...], "routes": [...]}
//   "identity": {"api_keys": [...], "jwt_issuers": [...]}   (key_sha256 only: the store
//               never holds a key; an issuer's public keys are a JWKS JSON string)
// With a store, the gateway's config is the node file with these sections replaced by
// the store's documents: the store is the truth. An empty string: not in the store.
struct StateDocuments {
  std::string routes;
  std::string identity;
  std::string limits;  // policy::Limits document (policy/limits.hpp)
  std::int64_t limits_version = 0;
  std::string access;  // policy::Access document (policy/access.hpp)
  std::int64_t access_version = 0;
  // {"NAME": "v1:<key id>:<sealed>"}: secrets sealed under the master key (cutover secret
  // set). A provider names one with api_key_secret. With box, they are opened (a gateway);
  // without, only their presence is checked (the state CLI, which has no master key).
  std::string secrets;
  const identity::SecretBox* box = nullptr;
  // Without box: why there is no master key (named when a sealed secret is needed).
  std::string no_box_reason;
};

// The associated data a secret is sealed with: a sealed value moved to another name does
// not open.
inline std::string secret_binding(std::string_view name) { return "cutover-secret:" + std::string(name); }
// The secret holding the audit signing key: base64 of the raw 32-byte Ed25519 private key.
inline constexpr const char* kAuditSigningKeySecret = "audit.signing_key";
// Opens it from the parsed secrets document; null with the reason when it cannot
// (no_box_reason: why box is null).
audit::SignerRef open_audit_signer(const boost::json::object& secrets,
                                   const identity::SecretBox* box,
                                   std::string_view no_box_reason = {});

// Throws ConfigError listing every problem, one per line, each with its path. The caller
// applies command-line overrides, then shares it as std::shared_ptr<const Config>.
std::shared_ptr<Config> load_config_file(const std::string& path);
std::shared_ptr<Config> parse_config(const std::string& yaml_text);
// require_state=false: routes and API keys may be missing (a gateway waiting for its store).
std::shared_ptr<Config> parse_config(const std::string& yaml_text, const StateDocuments& state,
                                     bool require_state = true);
std::string read_config_file(const std::string& path);
// Checks a complete set of state documents on their own (what `cutover state apply`
// validates before writing anything). Throws ConfigError.
void validate_state(const StateDocuments& state);

}  // namespace cutover::gateway
