// The per-request traffic decisions: which color serves a request and whether a copy of it
// is mirrored. Pure functions of the plan, the request's key and the numbers passed in
// (STYLE.md: decisions receive their hash and random draw), shared by the switch and,
// later, route-level releases. The rules and their math are in docs/TRAFFIC.md.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "traffic/plan.hpp"

namespace cutover::traffic {

// A non-owning view of a request's headers: name -> value ("" when absent). Names are passed
// lower-case; the lookup compares them case-insensitively (as Beast's fields do). The
// callable must outlive the HeaderLookup; calling it must not allocate.
class HeaderLookup final {
 public:
  HeaderLookup() = default;  // no headers
  template <class F>
  explicit HeaderLookup(const F& f)
      : ctx_(&f), fn_([](const void* c, std::string_view name) -> std::string_view {
          return (*static_cast<const F*>(c))(name);
        }) {}

  // A temporary would be gone before the first lookup.
  template <class F>
  explicit HeaderLookup(const F&& f) = delete;

  std::string_view operator()(std::string_view name) const {
    return fn_ ? fn_(ctx_, name) : std::string_view{};
  }

 private:
  const void* ctx_ = nullptr;
  std::string_view (*fn_)(const void*, std::string_view) = nullptr;
};

using HeaderPair = std::pair<std::string_view, std::string_view>;
// A lookup over a list of (name, value) pairs, names compared case-insensitively; the first
// occurrence wins. For tests and callers that hold their headers so.
struct HeaderList {
  std::span<const HeaderPair> pairs;
  std::string_view operator()(std::string_view name) const;
};

// What the switch knows about a request. Every member may be empty.
struct RequestKey {
  std::string_view api_key_sha256 = {};  // hex SHA-256 of the bearer API key, lower case
  std::string_view subject = {};         // the authenticated caller (JWT sub, key id)
  std::string_view tenant = {};
  HeaderLookup header = {};
};

// True when the request carries an identity to be sticky on (subject, tenant or key digest).
bool has_identity(const RequestKey& key);

// The caller's identity as 64 bits: subject and tenant when either is set, else the API key
// digest; 0 without identity (decide() then uses the draw). Stable across processes and
// builds (core/hash.hpp hash64), so every switch puts a caller in the same bucket.
std::uint64_t sticky_hash(const RequestKey& key);

struct Decision {
  std::string_view color;         // the color that serves the request
  std::string_view why;           // "cohort[i]" | "canary" | "active"
  bool mirror = false;            // also send a copy (shadow) to mirror_color
  std::string_view mirror_color;  // empty unless mirror; never equal to color
};

// Cohort rules first, in order; the first that matches decides ("cohort[i]"). Then the
// canary: bucket = sticky_hash % 10000 (without identity: low 32 bits of draw % 10000);
// bucket < candidate weight_bp serves the candidate ("canary"), otherwise the active color
// ("active"). Mirror: when the high 32 bits of draw fall below fraction * 2^32, and the
// mirror color is not the serving one. Allocates nothing; the views point into `plan`.
Decision decide(const Plan& plan, const RequestKey& key, std::uint64_t sticky_hash,
                std::uint64_t draw);

// The canary bucket decide() uses, 0..9999.
std::uint32_t canary_bucket(const RequestKey& key, std::uint64_t sticky_hash, std::uint64_t draw);

}  // namespace cutover::traffic
