// One audit log entry and its canonical encoding (docs/AUDIT.md is the specification a
// third party verifies from).
//
//   canonical(entry) = JSON object, keys sorted, no whitespace, integers in decimal,
//                      strings escaped as core/json_text.hpp does; every field present
//   hash             = SHA-256("cutover-audit-v1" 0x00 || prev_hash || canonical(entry))
//   signature        = Ed25519(key, "cutover-audit-sig-v1" 0x00 || hash)   (entry mode)
//
// The first entry's prev_hash is 32 zero bytes. hash, prev_hash, key_id and signature are
// not part of the canonical encoding (they are computed over it).
#pragma once

#include <cstdint>
#include <string>

#include "core/hash.hpp"

namespace cutover::audit {

inline constexpr int kSchemaVersion = 1;

struct Entry {
  // Position and time.
  std::int64_t seq = 0;          // allocated by the store inside the append transaction
  std::int64_t time_unix_ns = 0;
  // Who wrote it.
  std::string color, gateway_version, node_id;
  std::string kind;  // "request", "shadow", "control"
  // The request.
  std::string request_id, trace_id, subject, tenant;
  std::string route, route_version, policy_versions;  // "access=3,limits=7"
  std::string decision, reason;                        // "allow" / "deny" / "fail", why
  std::string requested_model, responding_model, provider;
  std::int64_t http_status = 0, tokens_in = 0, tokens_out = 0, latency_us = 0, retries = 0;
  std::string fallback_reason;
  bool cache_hit = false, shadow = false;
  std::string request_sha256, response_sha256;  // hex digests of the bodies, never bodies
  // The chain (not in the canonical encoding).
  Sha256 prev_hash{};
  Sha256 hash{};
  std::string key_id;
  std::string signature;  // 64 raw bytes in entry mode, empty in batch mode
};

std::string canonical(const Entry& e);
Sha256 chain_hash(const Sha256& prev_hash, const std::string& canonical_bytes);
// The bytes an entry-mode signature covers.
std::string signing_input(const Sha256& hash);

}  // namespace cutover::audit
