#include "traffic/decide.hpp"

#include "core/hash.hpp"

namespace cutover::traffic {
namespace {

// Seeds that keep the identity kinds apart: tenant "a" is never API key "a".
constexpr std::uint64_t kIdentitySeed = 0x637574'6f766572ULL;  // "cutover"
constexpr std::uint64_t kKeySeed = 0x6b6579'73686132ULL;       // "keysha2"

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool matches(const CohortMatch& m, const RequestKey& key) {
  switch (m.kind) {
    case CohortMatch::Kind::kHeader:
      return key.header(m.header) == m.value;
    case CohortMatch::Kind::kTenant:
      return key.tenant == m.value;
    case CohortMatch::Kind::kSubject:
      return key.subject == m.value;
    case CohortMatch::Kind::kApiKey:
      return equal_ignoring_case(key.api_key_sha256, m.value);
  }
  return false;
}

}  // namespace

std::string_view HeaderList::operator()(std::string_view name) const {
  for (const auto& [n, v] : pairs)
    if (equal_ignoring_case(n, name)) return v;
  return {};
}

bool has_identity(const RequestKey& key) {
  return !key.subject.empty() || !key.tenant.empty() || !key.api_key_sha256.empty();
}

std::uint64_t sticky_hash(const RequestKey& key) {
  if (!key.subject.empty() || !key.tenant.empty())
    return hash64(key.subject, hash64(key.tenant, kIdentitySeed));
  if (!key.api_key_sha256.empty()) return hash64(key.api_key_sha256, kKeySeed);
  return 0;
}

std::uint32_t canary_bucket(const RequestKey& key, std::uint64_t sticky, std::uint64_t draw) {
  // The draw's low half for the bucket, its high half for the mirror: independent.
  std::uint64_t basis = has_identity(key) ? sticky : (draw & 0xffff'ffffULL);
  return static_cast<std::uint32_t>(basis % kMaxWeightBp);
}

Decision decide(const Plan& plan, const RequestKey& key, std::uint64_t sticky, std::uint64_t draw) {
  Decision d;
  const auto& rules = plan.cohorts();
  for (std::size_t i = 0; i < rules.size(); ++i)
    if (matches(rules[i].match, key)) {
      d.color = rules[i].color;
      d.why = plan.cohort_label(i);
      break;
    }
  if (d.color.empty()) {
    const auto& c = plan.candidate();
    if (c && c->weight_bp > 0 && canary_bucket(key, sticky, draw) < c->weight_bp) {
      d.color = c->color;
      d.why = "canary";
    } else {
      d.color = plan.active();
      d.why = "active";
    }
  }
  if (const auto& m = plan.mirror();
      m && m->color != d.color && (draw >> 32) < plan.mirror_threshold()) {
    d.mirror = true;
    d.mirror_color = m->color;
  }
  return d;
}

}  // namespace cutover::traffic
