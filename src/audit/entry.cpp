#include "audit/entry.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <map>
#include <string_view>

#include "core/json_text.hpp"

namespace cutover::audit {
namespace {

constexpr std::string_view kHashTag{"cutover-audit-v1\0", 17};
constexpr std::string_view kSigTag{"cutover-audit-sig-v1\0", 21};

// Keys are written in sorted order; the list below is already sorted (a test checks it).
void field(std::string& out, std::string_view key, std::string_view value) {
  if (out.size() > 1) out += ',';
  append_json_string(out, key);
  out += ':';
  append_json_string(out, value);
}
void field(std::string& out, std::string_view key, std::int64_t value) {
  if (out.size() > 1) out += ',';
  append_json_string(out, key);
  out += ':';
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}
void field(std::string& out, std::string_view key, bool value) {
  if (out.size() > 1) out += ',';
  append_json_string(out, key);
  out += value ? ":true" : ":false";
}

}  // namespace

std::string canonical(const Entry& e) {
  std::string out = "{";
  out.reserve(512);
  field(out, "cache_hit", e.cache_hit);
  field(out, "color", e.color);
  field(out, "decision", e.decision);
  field(out, "fallback_reason", e.fallback_reason);
  field(out, "gateway_version", e.gateway_version);
  field(out, "http_status", e.http_status);
  field(out, "kind", e.kind);
  field(out, "latency_us", e.latency_us);
  field(out, "node_id", e.node_id);
  field(out, "policy_versions", e.policy_versions);
  field(out, "provider", e.provider);
  field(out, "reason", e.reason);
  field(out, "request_id", e.request_id);
  field(out, "request_sha256", e.request_sha256);
  field(out, "requested_model", e.requested_model);
  field(out, "responding_model", e.responding_model);
  field(out, "response_sha256", e.response_sha256);
  field(out, "retries", e.retries);
  field(out, "route", e.route);
  field(out, "route_version", e.route_version);
  field(out, "schema", static_cast<std::int64_t>(kSchemaVersion));
  field(out, "seq", e.seq);
  field(out, "shadow", e.shadow);
  field(out, "subject", e.subject);
  field(out, "tenant", e.tenant);
  field(out, "time_unix_ns", e.time_unix_ns);
  field(out, "tokens_in", e.tokens_in);
  field(out, "tokens_out", e.tokens_out);
  field(out, "trace_id", e.trace_id);
  out += '}';
  return out;
}

Sha256 chain_hash(const Sha256& prev, const std::string& bytes) {
  Sha256 out;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int n = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx, sha256_md(), nullptr) &&
            EVP_DigestUpdate(ctx, kHashTag.data(), kHashTag.size()) &&
            EVP_DigestUpdate(ctx, prev.data(), prev.size()) &&
            EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) && EVP_DigestFinal_ex(ctx, out.data(), &n);
  EVP_MD_CTX_free(ctx);
  if (!ok) out.fill(0);  // unreachable with a working OpenSSL; a zero hash never verifies
  return out;
}

std::string signing_input(const Sha256& hash) {
  std::string s(kSigTag);
  s.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  return s;
}

}  // namespace cutover::audit
