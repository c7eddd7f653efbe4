// The traffic plan: which color (environment) serves, which candidate gets a canary share,
// which callers are pinned to a color, and which share of requests is mirrored to the color
// that does not serve. Stored as a versioned JSON document in the state store (domain
// "traffic"); the store gives versions, history, rollback and change notification. The
// document, the rules and the decision math are in docs/TRAFFIC.md.
//
//   {"schema": 1,
//    "environments": {"blue": {"endpoints": ["http://127.0.0.1:8081"]},
//                     "green": {"endpoints": ["http://127.0.0.1:8082"]}},
//    "active": "blue",
//    "candidate": {"color": "green", "weight_bp": 500},
//    "cohorts": [{"match": {"header": "x-cutover-cohort", "equals": "beta"}, "color": "green"},
//                {"match": {"tenant": "acme"}, "color": "green"}],
//    "mirror": {"color": "green", "fraction": 0.1}}
//
// Parse -> validate -> immutable Plan. Every problem of a document is reported at once, each
// as "path: what" (`cohorts[1].match.hedaer: unknown key`), one per line of the error.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "http/url.hpp"

namespace cutover::traffic {

// The schema version this binary writes, and the newest it reads.
inline constexpr std::int64_t kPlanSchema = 1;
// Basis points: 10000 = every request.
inline constexpr std::uint32_t kMaxWeightBp = 10'000;

struct Environment {
  std::string color;                   // [a-z0-9-]{1,32}
  std::vector<std::string> endpoints;  // http(s) URLs of the gateways of this color, as written
  bool operator==(const Environment&) const = default;
};

struct Candidate {
  std::string color;
  std::uint32_t weight_bp = 0;  // 0..10000: share of callers (by sticky bucket) it serves
  bool operator==(const Candidate&) const = default;
};

struct CohortMatch {
  enum class Kind : std::uint8_t { kHeader, kTenant, kSubject, kApiKey };
  Kind kind = Kind::kTenant;
  std::string header;  // kHeader only: the header name, lower case
  // kHeader: the header's value (exact); kTenant / kSubject: the identity's value (exact);
  // kApiKey: the SHA-256 of the API key, 64 lower-case hex characters.
  std::string value;
  bool operator==(const CohortMatch&) const = default;
};

struct CohortRule {
  CohortMatch match;
  std::string color;
  bool operator==(const CohortRule&) const = default;
};

struct Mirror {
  std::string color;    // must not be the active color
  double fraction = 0;  // 0..1: share of requests also sent to `color`
  bool operator==(const Mirror&) const = default;
};

// What a plan document says. Plain data, freely edited; becomes a Plan only by make_plan.
struct PlanSpec {
  std::vector<Environment> environments;  // sorted by color once validated
  std::string active;
  std::optional<Candidate> candidate;
  std::vector<CohortRule> cohorts;  // in order: the first match wins
  std::optional<Mirror> mirror;
  bool operator==(const PlanSpec&) const = default;
};

// A validated plan, immutable, with what decide() needs precomputed. Shared between threads
// as std::shared_ptr<const Plan>; the string_views decide() returns point into it.
class Plan final {
 public:
  const PlanSpec& spec() const { return spec_; }
  std::string_view active() const { return spec_.active; }
  const std::optional<Candidate>& candidate() const { return spec_.candidate; }
  const std::vector<CohortRule>& cohorts() const { return spec_.cohorts; }
  const std::optional<Mirror>& mirror() const { return spec_.mirror; }
  const std::vector<Environment>& environments() const { return spec_.environments; }

  // The environment of `color`, or null.
  const Environment* environment(std::string_view color) const;
  // The parsed endpoints of `color` (empty when the color is unknown).
  std::span<const http::Url> endpoint_urls(std::string_view color) const;

  // "cohort[i]": the reason decide() gives for rule i.
  std::string_view cohort_label(std::size_t i) const { return cohort_labels_[i]; }
  // Mirror when the high 32 bits of the draw are below this (fraction * 2^32); 0: never.
  std::uint64_t mirror_threshold() const { return mirror_threshold_; }

  bool operator==(const Plan& o) const { return spec_ == o.spec_; }

 private:
  friend Result<Plan> make_plan(PlanSpec spec);
  Plan() = default;

  PlanSpec spec_;
  std::vector<std::vector<http::Url>> urls_;  // parallel to spec_.environments
  std::vector<std::string> cohort_labels_;
  std::uint64_t mirror_threshold_ = 0;
};

// Validates a spec (environments sorted by color on the way). Problems, all of them, name
// their document path:
//   - colors are [a-z0-9-]{1,32}; active, candidate, cohort and mirror colors must be
//     environments; every environment has at least one endpoint, an http(s) URL, and no
//     endpoint appears twice (a gateway is one color);
//   - candidate: color != active, weight_bp 0..10000;
//   - cohorts: header names are HTTP tokens, values non-empty, api key digests 64 hex;
//   - mirror: color != active (a mirror to the serving color is an error), fraction 0..1.
Result<Plan> make_plan(PlanSpec spec);

// Parses and validates a plan document (JSON text). Unknown keys are errors; "schema" may be
// absent (1) and a newer schema than kPlanSchema is refused. Header names are lower-cased
// and api key digests lower-cased, so canonical_json writes them in one form.
Result<Plan> parse_plan(std::string_view json);

// Every problem of a document, "path: what"; empty when parse_plan would succeed.
std::vector<std::string> plan_problems(std::string_view json);

// The canonical document (store/canonical_json.hpp: sorted keys, no whitespace, schema
// included, empty parts left out) so that parse_plan(canonical_json(p)) == p and equal
// plans have equal fingerprints.
std::string canonical_json(const Plan& plan);

// ---- Builders for `cutover traffic set | flip`: each returns the changed plan, validated.

// A flip: `color` becomes active, the candidate is cleared (its weight served nothing any
// more), and a mirror to the new active color is dropped (it would mirror to the server).
Result<Plan> with_active(const Plan& plan, std::string_view color);
// Flips to the candidate's color, or, without a candidate, to the only other environment.
// An error when that is ambiguous (no candidate and not exactly two environments).
Result<Plan> flipped(const Plan& plan);
// Sets the candidate and its weight in basis points.
Result<Plan> with_canary(const Plan& plan, std::string_view color, std::uint32_t weight_bp);
// Sets the mirror; fraction 0 keeps the color but mirrors nothing.
Result<Plan> with_mirror(const Plan& plan, std::string_view color, double fraction);
// Appends the rule; a rule with an equal match already present gets the new color in place
// instead (its position, and so its precedence, is kept).
Result<Plan> with_cohort(const Plan& plan, CohortRule rule);
// Removes the rule with an equal match (an error naming the match when there is none).
Result<Plan> without_cohort(const Plan& plan, const CohortMatch& match);

// A cohort rule as the CLI writes it: KIND:MATCH->COLOR, one of
//   header:NAME=VALUE->COLOR   tenant:NAME->COLOR   subject:NAME->COLOR   key:SHA256->COLOR
// ("header:x-cutover-cohort=beta->green"). Checks the form only; make_plan checks the
// color exists. The error says which form was expected.
Result<CohortRule> parse_cohort_rule(std::string_view text);
// The CLI form of a rule (parse_cohort_rule's inverse), for `traffic show`, and of its match
// alone ("tenant:acme").
std::string cohort_rule_text(const CohortRule& rule);
std::string cohort_match_text(const CohortMatch& match);

}  // namespace cutover::traffic
