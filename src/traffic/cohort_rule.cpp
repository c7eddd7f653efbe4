// Cohort rules as the CLI writes them: KIND:MATCH->COLOR.
#include <algorithm>
#include <array>

#include "traffic/plan.hpp"

namespace cutover::traffic {
namespace {

constexpr std::string_view kForms =
    "header:NAME=VALUE->COLOR, tenant:NAME->COLOR, subject:NAME->COLOR or key:SHA256->COLOR";

Error bad_rule(std::string_view text, std::string_view why) {
  return Error(ErrorCode::kInvalidRequest, "cohort rule '" + std::string(text) +
                                               "': " + std::string(why) + "; expected " +
                                               std::string(kForms));
}

struct KindName {
  std::string_view name;
  CohortMatch::Kind kind;
};
constexpr std::array<KindName, 4> kKinds = {{{"header", CohortMatch::Kind::kHeader},
                                             {"tenant", CohortMatch::Kind::kTenant},
                                             {"subject", CohortMatch::Kind::kSubject},
                                             {"key", CohortMatch::Kind::kApiKey}}};

}  // namespace

Result<CohortRule> parse_cohort_rule(std::string_view text) {
  // The last "->": names and header values may contain '-' and '>', colors never do.
  auto arrow = text.rfind("->");
  if (arrow == std::string_view::npos) return bad_rule(text, "missing '->COLOR'");
  std::string_view lhs = text.substr(0, arrow), color = text.substr(arrow + 2);
  if (color.empty()) return bad_rule(text, "missing the color after '->'");
  auto colon = lhs.find(':');
  if (colon == std::string_view::npos) return bad_rule(text, "missing 'KIND:'");
  std::string_view kind = lhs.substr(0, colon), value = lhs.substr(colon + 1);
  CohortRule rule;
  rule.color = color;
  auto it =
      std::find_if(kKinds.begin(), kKinds.end(), [&](const KindName& k) { return k.name == kind; });
  if (it == kKinds.end()) return bad_rule(text, "unknown kind '" + std::string(kind) + "'");
  rule.match.kind = it->kind;
  if (it->kind == CohortMatch::Kind::kHeader) {
    auto eq = value.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return bad_rule(text, "a header rule is header:NAME=VALUE");
    rule.match.header = value.substr(0, eq);
    value = value.substr(eq + 1);
  }
  if (value.empty()) return bad_rule(text, "empty value to match");
  rule.match.value = value;
  return rule;
}

std::string cohort_match_text(const CohortMatch& m) {
  switch (m.kind) {
    case CohortMatch::Kind::kHeader:
      return "header:" + m.header + "=" + m.value;
    case CohortMatch::Kind::kTenant:
      return "tenant:" + m.value;
    case CohortMatch::Kind::kSubject:
      return "subject:" + m.value;
    case CohortMatch::Kind::kApiKey:
      return "key:" + m.value;
  }
  return {};
}

std::string cohort_rule_text(const CohortRule& rule) {
  return cohort_match_text(rule.match) + "->" + rule.color;
}

}  // namespace cutover::traffic
