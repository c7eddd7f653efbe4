#include "gateway/config.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "http/client.hpp"
#include "identity/base64.hpp"

namespace cutover::gateway {
namespace {

// Collects every problem with its path instead of stopping at the first.
class Reader {
 public:
  std::vector<std::string> errors;

  void fail(const std::string& path, const std::string& what) { errors.push_back(path + ": " + what); }

  bool is_map(const YAML::Node& n, const std::string& path) {
    if (n.IsMap()) return true;
    fail(path, "expected a mapping");
    return false;
  }

  void only_keys(const YAML::Node& n, const std::string& path, std::initializer_list<const char*> keys) {
    for (const auto& kv : n) {
      auto k = kv.first.as<std::string>();
      if (std::none_of(keys.begin(), keys.end(), [&](const char* a) { return k == a; }))
        fail(join(path, k), "unknown key");
    }
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  template <class T>
  void get(const YAML::Node& parent, const std::string& path, const char* key, T& out) {
    auto n = parent[key];
    if (!n || n.IsNull()) return;
    try {
      out = n.as<T>();
    } catch (const YAML::Exception&) {
      fail(join(path, key), std::string("expected ") + type_name<T>());
    }
  }

  void get_ms(const YAML::Node& parent, const std::string& path, const char* key, milliseconds& out) {
    long long v = out.count();
    get(parent, path, key, v);
    if (v < 0) fail(join(path, key), "must not be negative");
    out = milliseconds(v);
  }

  template <class T>
  static const char* type_name() {
    if constexpr (std::is_same_v<T, bool>) return "true or false";
    else if constexpr (std::is_integral_v<T>) return "an integer";
    else return "a string";
  }
};

// "NAME" of an environment variable -> its value; errors if unset.
std::string from_env(Reader& r, const std::string& path, const std::string& var) {
  const char* v = std::getenv(var.c_str());
  if (!v || !*v) {
    r.fail(path, "environment variable " + var + " is not set");
    return {};
  }
  return v;
}

void parse_limits(Reader& r, const YAML::Node& n, const std::string& path, Config& c) {
  if (!r.is_map(n, path)) return;
  r.only_keys(n, path, {"max_body_bytes", "max_header_bytes", "header_timeout_ms", "body_timeout_ms",
                        "idle_timeout_ms", "write_timeout_ms", "max_connections", "max_streams"});
  auto& l = c.limits;
  r.get(n, path, "max_body_bytes", l.max_body_bytes);
  r.get(n, path, "max_header_bytes", l.max_header_bytes);
  r.get_ms(n, path, "header_timeout_ms", l.header_timeout);
  r.get_ms(n, path, "body_timeout_ms", l.body_timeout);
  r.get_ms(n, path, "idle_timeout_ms", l.idle_timeout);
  r.get_ms(n, path, "write_timeout_ms", l.write_timeout);
  r.get(n, path, "max_connections", l.max_connections);
  r.get(n, path, "max_streams", c.max_streams);
  if (l.max_body_bytes == 0) r.fail(path + ".max_body_bytes", "must be positive");
  if (l.max_header_bytes < 1024) r.fail(path + ".max_header_bytes", "must be at least 1024");
  if (l.max_connections == 0) r.fail(path + ".max_connections", "must be positive");
}

void parse_api_keys(Reader& r, const YAML::Node& n, Config& c) {
  if (!n.IsSequence()) return r.fail("api_keys", "expected a list");
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string path = "api_keys[" + std::to_string(i) + "]";
    const auto& k = n[i];
    if (!r.is_map(k, path)) continue;
    r.only_keys(k, path, {"id", "key", "key_env", "key_sha256", "tenant", "models", "roles"});
    ApiKey key;
    std::string plain, env, hex;
    r.get(k, path, "id", key.id);
    r.get(k, path, "key", plain);
    r.get(k, path, "key_env", env);
    r.get(k, path, "key_sha256", hex);
    r.get(k, path, "tenant", key.tenant);
    if (key.id.empty()) r.fail(path + ".id", "required");
    int sources = !plain.empty() + !env.empty() + !hex.empty();
    if (sources != 1) {
      r.fail(path, "exactly one of key, key_env or key_sha256 is required");
      continue;
    }
    if (!env.empty()) plain = from_env(r, path + ".key_env", env);
    if (!hex.empty()) {
      if (!parse_sha256_hex(hex, key.digest)) r.fail(path + ".key_sha256", "expected 64 hex characters");
    } else {
      key.digest = sha256(plain);
    }
    if (auto ro = k["roles"]) {
      if (!ro.IsSequence()) r.fail(path + ".roles", "expected a list of role names");
      else for (const auto& e : ro) key.roles.push_back(e.as<std::string>());
    }
    if (auto m = k["models"]) {
      if (!m.IsSequence()) r.fail(path + ".models", "expected a list of model aliases");
      else for (const auto& e : m) key.models.push_back(e.as<std::string>());
    } else {
      key.models.push_back("*");
    }
    c.api_keys.push_back(std::move(key));
  }
}

void parse_jwt_issuers(Reader& r, const YAML::Node& n, Config& c) {
  if (!n.IsSequence()) return r.fail("jwt_issuers", "expected a list");
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string path = "jwt_issuers[" + std::to_string(i) + "]";
    const auto& y = n[i];
    if (!r.is_map(y, path)) continue;
    r.only_keys(y, path, {"issuer", "audiences", "jwks", "leeway_s", "tenant_claim"});
    std::string issuer, jwks, tenant_claim = "tenant";
    long long leeway = 60;
    std::vector<std::string> audiences;
    r.get(y, path, "issuer", issuer);
    r.get(y, path, "jwks", jwks);
    r.get(y, path, "leeway_s", leeway);
    r.get(y, path, "tenant_claim", tenant_claim);
    if (auto a = y["audiences"]; a && a.IsSequence())
      for (const auto& e : a) audiences.push_back(e.as<std::string>());
    if (issuer.empty()) r.fail(path + ".issuer", "required");
    if (audiences.empty()) r.fail(path + ".audiences", "a non-empty list is required");
    if (jwks.empty()) r.fail(path + ".jwks", "required: the issuer's JWKS as a JSON string");
    if (leeway < 0 || leeway > 600) r.fail(path + ".leeway_s", "must be between 0 and 600");
    if (issuer.empty() || audiences.empty() || jwks.empty()) continue;
    auto made = identity::make_jwt_issuer(issuer, audiences, jwks, leeway, tenant_claim);
    if (!made) r.fail(path + ".jwks", made.error().message());
    else c.jwt_issuers.push_back(std::move(made.value()));
  }
}

void parse_providers(Reader& r, const YAML::Node& n, Config& c, const StateDocuments& state,
                     const boost::json::object& secrets) {
  if (!n.IsSequence()) return r.fail("providers", "expected a list");
  std::unordered_map<std::string, std::shared_ptr<http::ssl::context>> tls_by_ca;
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string path = "providers[" + std::to_string(i) + "]";
    const auto& y = n[i];
    if (!r.is_map(y, path)) continue;
    r.only_keys(y, path, {"name", "base_url", "api_key", "api_key_env", "api_key_secret", "ca_file", "connect_timeout_ms",
                          "request_timeout_ms", "stream_idle_timeout_ms", "max_response_bytes"});
    auto p = std::make_unique<Provider>();
    std::string url, env, ca;
    r.get(y, path, "name", p->name);
    r.get(y, path, "base_url", url);
    r.get(y, path, "api_key", p->api_key);
    r.get(y, path, "api_key_env", env);
    r.get(y, path, "ca_file", ca);
    r.get_ms(y, path, "connect_timeout_ms", p->connect_timeout);
    r.get_ms(y, path, "request_timeout_ms", p->request_timeout);
    r.get_ms(y, path, "stream_idle_timeout_ms", p->stream_idle_timeout);
    r.get(y, path, "max_response_bytes", p->max_response_bytes);
    if (p->name.empty()) r.fail(path + ".name", "required");
    if (url.empty()) {
      r.fail(path + ".base_url", "required (for example http://127.0.0.1:9000/v1)");
    } else if (auto u = http::parse_url(url); !u) {
      r.fail(path + ".base_url", u.error().message());
    } else {
      p->url = std::move(u.value());
    }
    std::string secret_name;
    r.get(y, path, "api_key_secret", secret_name);
    if (!p->api_key.empty() + !env.empty() + !secret_name.empty() > 1)
      r.fail(path, "api_key, api_key_env and api_key_secret are exclusive");
    if (!env.empty()) p->api_key = from_env(r, path + ".api_key_env", env);
    if (!secret_name.empty()) {
      const auto* sealed = secrets.if_contains(secret_name);
      if (!sealed || !sealed->is_string()) {
        r.fail(path + ".api_key_secret", "no secret '" + secret_name + "' in the store (cutover secret set " +
                                             secret_name + " --from-env VAR)");
      } else if (state.box) {
        auto opened = state.box->open(sealed->as_string(), secret_binding(secret_name));
        if (!opened) r.fail(path + ".api_key_secret", "secret '" + secret_name + "': " + opened.error().message());
        else p->api_key = std::move(opened.value());
      }
    }
    if (p->url.tls || !ca.empty()) {
      auto& ctx = tls_by_ca[ca];
      try {
        if (!ctx) ctx = http::make_client_tls_context(ca);
        p->tls = ctx;
      } catch (const std::exception& e) {
        r.fail(path + ".ca_file", e.what());
      }
    }
    for (const auto& other : c.providers)
      if (other->name == p->name) r.fail(path + ".name", "duplicate provider '" + p->name + "'");
    c.providers.push_back(std::move(p));
  }
}

void parse_routes(Reader& r, const YAML::Node& n, Config& c) {
  if (!n.IsSequence()) return r.fail("routes", "expected a list");
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string path = "routes[" + std::to_string(i) + "]";
    const auto& y = n[i];
    if (!r.is_map(y, path)) continue;
    r.only_keys(y, path, {"alias", "targets", "retry"});
    Route route;
    route.index = c.routes.size();
    r.get(y, path, "alias", route.alias);
    if (route.alias.empty()) r.fail(path + ".alias", "required");
    if (c.route_index.count(route.alias)) r.fail(path + ".alias", "duplicate alias '" + route.alias + "'");
    std::ostringstream canon;  // what the route version is a digest of
    canon << route.alias;
    auto t = y["targets"];
    if (!t || !t.IsSequence() || t.size() == 0) {
      r.fail(path + ".targets", "expected a non-empty list of {provider, model}");
    } else {
      for (std::size_t j = 0; j < t.size(); ++j) {
        std::string tp = path + ".targets[" + std::to_string(j) + "]";
        if (!r.is_map(t[j], tp)) continue;
        r.only_keys(t[j], tp, {"provider", "model"});
        std::string provider;
        Target target;
        r.get(t[j], tp, "provider", provider);
        r.get(t[j], tp, "model", target.model);
        if (target.model.empty()) r.fail(tp + ".model", "required");
        for (const auto& p : c.providers)
          if (p->name == provider) target.provider = p.get();
        if (!target.provider) r.fail(tp + ".provider", "unknown provider '" + provider + "'");
        canon << '|' << provider << '|' << target.model;
        route.targets.push_back(std::move(target));
      }
    }
    if (auto rt = y["retry"]) {
      std::string rp = path + ".retry";
      if (r.is_map(rt, rp)) {
        r.only_keys(rt, rp, {"max_attempts", "backoff_initial_ms", "backoff_max_ms", "max_retry_after_ms"});
        r.get(rt, rp, "max_attempts", route.retry.max_attempts);
        r.get_ms(rt, rp, "backoff_initial_ms", route.retry.backoff_initial);
        r.get_ms(rt, rp, "backoff_max_ms", route.retry.backoff_max);
        r.get_ms(rt, rp, "max_retry_after_ms", route.retry.max_retry_after);
        if (route.retry.max_attempts < 1 || route.retry.max_attempts > 10)
          r.fail(rp + ".max_attempts", "must be between 1 and 10");
      }
    }
    canon << '|' << route.retry.max_attempts << '|' << route.retry.backoff_initial.count() << '|'
          << route.retry.backoff_max.count() << '|' << route.retry.max_retry_after.count();
    route.version = to_hex(sha256(canon.str())).substr(0, 12);
    c.route_index.emplace(route.alias, route.index);
    c.routes.push_back(std::move(route));
  }
}

}  // namespace

bool ApiKey::may_use(std::string_view alias) const {
  for (const auto& m : models)
    if (m == "*" || m == alias) return true;
  return false;
}

std::size_t Config::DigestHash::operator()(const Sha256& d) const {
  std::size_t h;
  std::memcpy(&h, d.data(), sizeof h);  // a digest is already uniformly distributed
  return h;
}

const Route* Config::find_route(std::string_view alias) const {
  auto it = route_index.find(alias);
  return it == route_index.end() ? nullptr : &routes[it->second];
}

const ApiKey* Config::find_key(const Sha256& digest) const {
  auto it = key_index.find(digest);
  if (it == key_index.end()) return nullptr;
  const ApiKey& k = api_keys[it->second];
  // The map lookup found a candidate; confirm in constant time.
  return constant_time_equal(k.digest, digest) ? &k : nullptr;
}

namespace {

YAML::Node load_yaml(const std::string& text, const std::string& what) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(what + " is not valid YAML: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
  }
}

// Replaces the sections of a state domain in the node config by the store's document.
void overlay(YAML::Node& root, const std::string& domain, const std::string& document,
             std::initializer_list<const char*> sections) {
  if (document.empty()) return;
  YAML::Node doc = load_yaml(document, "state document '" + domain + "'");
  if (!doc.IsMap()) throw ConfigError("state document '" + domain + "': expected an object");
  for (const auto& kv : doc) {
    auto k = kv.first.as<std::string>();
    if (std::none_of(sections.begin(), sections.end(), [&](const char* s) { return k == s; }))
      throw ConfigError("state document '" + domain + "': unknown key '" + k + "'");
  }
  for (const char* s : sections) root[s] = doc[s] ? doc[s] : YAML::Node(YAML::NodeType::Sequence);
}

void parse_audit(Reader& r, const YAML::Node& a, Config& c) {
  if (!r.is_map(a, "audit")) return;
  r.only_keys(a, "audit", {"enabled", "mode", "on_failure", "spool", "max_batch", "checkpoint_every",
                           "checkpoint_interval_ms", "node_id"});
  AuditSettings& s = c.audit;
  std::string mode = "batch", on_failure = "closed";
  int max_batch = static_cast<int>(s.max_batch);
  r.get(a, "audit", "enabled", s.enabled);
  r.get(a, "audit", "mode", mode);
  r.get(a, "audit", "on_failure", on_failure);
  r.get(a, "audit", "spool", s.spool_path);
  r.get(a, "audit", "max_batch", max_batch);
  r.get(a, "audit", "checkpoint_every", s.checkpoint_every);
  r.get_ms(a, "audit", "checkpoint_interval_ms", s.checkpoint_interval);
  r.get(a, "audit", "node_id", s.node_id);
  if (mode == "batch") s.mode = audit::SignMode::kBatch;
  else if (mode == "entry") s.mode = audit::SignMode::kEntry;
  else r.fail("audit.mode", "expected batch (one signed chain head per group commit) or entry (every entry signed)");
  if (on_failure == "closed") s.fail_open = false;
  else if (on_failure == "open") s.fail_open = true;
  else r.fail("audit.on_failure", "expected closed (503 when the audit log cannot be written) or open (spool locally)");
  if (s.fail_open && s.spool_path.empty())
    r.fail("audit.spool", "required with on_failure: open (a local file for entries the store could not take)");
  if (max_batch < 1 || max_batch > 65'536) r.fail("audit.max_batch", "must be between 1 and 65536");
  else s.max_batch = static_cast<std::size_t>(max_batch);
  if (s.checkpoint_every < 1) r.fail("audit.checkpoint_every", "must be at least 1");
}

void adopt_audit_signer(const boost::json::object& secrets, const StateDocuments& state, Config& c) {
  audit::SignerRef ref = open_audit_signer(secrets, state.box, state.no_box_reason);
  c.audit_signer = std::move(ref.signer);
  c.audit_signer_problem = std::move(ref.problem);
}

}  // namespace

audit::SignerRef open_audit_signer(const boost::json::object& secrets,
                                   const identity::SecretBox* box, std::string_view no_box_reason) {
  const auto* sealed = secrets.if_contains(kAuditSigningKeySecret);
  if (!sealed || !sealed->is_string())
    return {nullptr,
            "no audit signing key in the store's secrets: run `cutover audit keygen --store URL` "
            "with CUTOVER_MASTER_KEY set (or --master-key-file)"};
  if (!box)
    return {nullptr, "the audit signing key is sealed, but there is no usable master key: " +
                         (no_box_reason.empty() ? std::string("set CUTOVER_MASTER_KEY")
                                                : std::string(no_box_reason))};
  auto raw = box->open(sealed->as_string(), secret_binding(kAuditSigningKeySecret));
  if (!raw) return {nullptr, "the audit signing key cannot be opened: " + raw.error().message()};
  std::string key;
  if (identity::base64_decode_lenient(raw.value(), key))
    if (auto signer = audit::Signer::from_private(key))
      return {std::make_shared<const audit::Signer>(std::move(signer.value())), ""};
  return {nullptr, "the audit signing key is not a base64 Ed25519 private key"};
}

std::shared_ptr<Config> parse_config(const std::string& text) { return parse_config(text, {}, true); }

void validate_state(const StateDocuments& state) { parse_config("{}", state); }

std::shared_ptr<Config> parse_config(const std::string& text, const StateDocuments& state,
                                     bool require_state) {
  YAML::Node root = load_yaml(text, "config");
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw ConfigError("config: expected a mapping at the top level");
  overlay(root, "routes", state.routes, {"providers", "routes"});
  overlay(root, "identity", state.identity, {"api_keys", "jwt_issuers"});
  auto c = std::make_shared<Config>();
  Reader r;
  if (!state.limits.empty()) {
    auto l = policy::parse_limits(state.limits, state.limits_version);
    if (l) c->limits_policy = std::move(l.value());
    else r.errors.push_back(l.error().message());
  }
  if (!state.access.empty()) {
    auto a = policy::parse_access(state.access, state.access_version);
    if (a) c->access_policy = std::move(a.value());
    else r.errors.push_back(a.error().message());
  }
  r.only_keys(root, "", {"listen", "color", "workers", "tls", "limits", "drain_timeout_ms", "log",
                         "store", "audit", "shadow_token_env", "admin", "api_keys", "jwt_issuers", "providers", "routes"});
  if (auto a = root["audit"]) parse_audit(r, a, *c);
  std::string shadow_env;
  r.get(root, "", "shadow_token_env", shadow_env);
  if (!shadow_env.empty()) c->shadow_token = from_env(r, "shadow_token_env", shadow_env);
  if (auto a = root["admin"]) {
    if (r.is_map(a, "admin")) {
      r.only_keys(a, "admin", {"listen", "token_env"});
      std::string listen = "127.0.0.1:0", env;
      r.get(a, "admin", "listen", listen);
      r.get(a, "admin", "token_env", env);
      if (auto hp = http::parse_host_port(listen); !hp) {
        r.fail("admin.listen", hp.error().message());
      } else {
        c->admin_host = hp->host;
        c->admin_port = hp->port;
      }
      if (env.empty()) r.fail("admin.token_env", "required: the environment variable holding the admin token");
      else c->admin_token = from_env(r, "admin.token_env", env);
    }
  }
  r.get(root, "", "store", c->store_url);
  std::string listen;
  r.get(root, "", "listen", listen);
  if (!listen.empty()) {
    if (auto hp = http::parse_host_port(listen); !hp) {
      r.fail("listen", hp.error().message());
    } else {
      c->listen_host = hp->host;
      c->listen_port = hp->port;
    }
  }
  r.get(root, "", "color", c->color);
  r.get(root, "", "workers", c->workers);
  if (c->workers < 0 || c->workers > 256) r.fail("workers", "must be between 0 (one per core) and 256");
  if (auto t = root["tls"]) {
    if (r.is_map(t, "tls")) {
      r.only_keys(t, "tls", {"cert_file", "key_file"});
      http::TlsFiles f;
      r.get(t, "tls", "cert_file", f.cert_file);
      r.get(t, "tls", "key_file", f.key_file);
      if (f.cert_file.empty() || f.key_file.empty()) r.fail("tls", "cert_file and key_file are both required");
      c->tls = f;
    }
  }
  if (auto l = root["limits"]) parse_limits(r, l, "limits", *c);
  r.get_ms(root, "", "drain_timeout_ms", c->drain_timeout);
  if (auto l = root["log"]) {
    if (r.is_map(l, "log")) {
      r.only_keys(l, "log", {"level", "access"});
      r.get(l, "log", "level", c->log_level);
      r.get(l, "log", "access", c->access_log);
      if (c->log_level != "debug" && c->log_level != "info" && c->log_level != "warn" && c->log_level != "error")
        r.fail("log.level", "expected debug, info, warn or error");
    }
  }
  if (auto k = root["api_keys"]) parse_api_keys(r, k, *c);
  if (auto j = root["jwt_issuers"]) parse_jwt_issuers(r, j, *c);
  boost::json::object secrets;
  if (!state.secrets.empty()) {
    boost::json::error_code ec;
    auto v = boost::json::parse(state.secrets, ec);
    if (ec || !v.is_object()) r.fail("secrets", "the store's secrets document is not a JSON object");
    else secrets = std::move(v.as_object());
  }
  if (auto p = root["providers"]) parse_providers(r, p, *c, state, secrets);
  adopt_audit_signer(secrets, state, *c);
  if (auto rt = root["routes"]) parse_routes(r, rt, *c);
  if (require_state && c->routes.empty())
    r.fail("routes", "at least one route is required (in the config or the store)");
  if (require_state && c->api_keys.empty() && c->jwt_issuers.empty())
    r.fail("api_keys", "at least one API key or JWT issuer is required (in the config or the store)");
  for (std::size_t i = 0; i < c->api_keys.size(); ++i)
    if (!c->key_index.emplace(c->api_keys[i].digest, i).second)
      r.fail("api_keys[" + std::to_string(i) + "]", "the same key is listed twice");

  if (!r.errors.empty()) {
    std::string msg = "invalid config:";
    for (const auto& e : r.errors) msg += "\n  " + e;
    throw ConfigError(msg);
  }
  return c;
}

std::string read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read config file " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<Config> load_config_file(const std::string& path) {
  auto text = read_config_file(path);
  try {
    return parse_config(text);
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
}

}  // namespace cutover::gateway
