#include "audit/entry.hpp"

#include <openssl/evp.h>

#include <map>
#include <string_view>

#include "core/json_text.hpp"

namespace cutover::audit {
namespace {

constexpr std::string_view kHashTag{"cutover-audit-v1\0", 17};
constexpr std::string_view kSigTag{"cutover-audit-sig-v1\0", 21};

}  // namespace

// Keys are written in sorted order; the list below is already sorted (a test checks it).
std::string canonical(const Entry& e) {
  std::string out = "{";
  out.reserve(512);
  append_json_member(out, "cache_hit", e.cache_hit);
  append_json_member(out, "color", e.color);
  append_json_member(out, "decision", e.decision);
  append_json_member(out, "fallback_reason", e.fallback_reason);
  append_json_member(out, "gateway_version", e.gateway_version);
  append_json_member(out, "http_status", e.http_status);
  append_json_member(out, "kind", e.kind);
  append_json_member(out, "latency_us", e.latency_us);
  append_json_member(out, "node_id", e.node_id);
  append_json_member(out, "policy_versions", e.policy_versions);
  append_json_member(out, "provider", e.provider);
  append_json_member(out, "reason", e.reason);
  append_json_member(out, "request_id", e.request_id);
  append_json_member(out, "request_sha256", e.request_sha256);
  append_json_member(out, "requested_model", e.requested_model);
  append_json_member(out, "responding_model", e.responding_model);
  append_json_member(out, "response_sha256", e.response_sha256);
  append_json_member(out, "retries", e.retries);
  append_json_member(out, "route", e.route);
  append_json_member(out, "route_version", e.route_version);
  append_json_member(out, "schema", static_cast<std::int64_t>(kSchemaVersion));
  append_json_member(out, "seq", e.seq);
  append_json_member(out, "shadow", e.shadow);
  append_json_member(out, "subject", e.subject);
  append_json_member(out, "tenant", e.tenant);
  append_json_member(out, "time_unix_ns", e.time_unix_ns);
  append_json_member(out, "tokens_in", e.tokens_in);
  append_json_member(out, "tokens_out", e.tokens_out);
  append_json_member(out, "trace_id", e.trace_id);
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
