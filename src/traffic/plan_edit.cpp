// The builders behind `cutover traffic set | flip`: copy the spec, change it, validate.
#include <algorithm>

#include "traffic/plan.hpp"
#include "traffic/plan_detail.hpp"

namespace cutover::traffic {

Result<Plan> with_active(const Plan& plan, std::string_view color) {
  PlanSpec s = plan.spec();
  s.active = color;
  s.candidate.reset();
  if (s.mirror && s.mirror->color == color) s.mirror.reset();
  return make_plan(std::move(s));
}

Result<Plan> flipped(const Plan& plan) {
  if (plan.candidate()) return with_active(plan, plan.candidate()->color);
  const auto& envs = plan.environments();
  if (envs.size() != 2)
    return Error(ErrorCode::kInvalidRequest,
                 "cannot tell which color to flip to: the plan has no candidate and " +
                     std::to_string(envs.size()) +
                     " environments; name the color (traffic set --active COLOR)");
  return with_active(plan, envs[0].color == plan.active() ? envs[1].color : envs[0].color);
}

Result<Plan> with_canary(const Plan& plan, std::string_view color, std::uint32_t weight_bp) {
  PlanSpec s = plan.spec();
  s.candidate = Candidate{std::string(color), weight_bp};
  return make_plan(std::move(s));
}

Result<Plan> with_mirror(const Plan& plan, std::string_view color, double fraction) {
  PlanSpec s = plan.spec();
  s.mirror = Mirror{std::string(color), fraction};
  return make_plan(std::move(s));
}

Result<Plan> with_cohort(const Plan& plan, CohortRule rule) {
  PlanSpec s = plan.spec();
  detail::normalize(rule.match);
  auto same = std::find_if(s.cohorts.begin(), s.cohorts.end(),
                           [&](const CohortRule& r) { return r.match == rule.match; });
  if (same != s.cohorts.end())
    same->color = std::move(rule.color);
  else
    s.cohorts.push_back(std::move(rule));
  return make_plan(std::move(s));
}

Result<Plan> without_cohort(const Plan& plan, const CohortMatch& match) {
  PlanSpec s = plan.spec();
  CohortMatch m = match;
  detail::normalize(m);
  auto it = std::find_if(s.cohorts.begin(), s.cohorts.end(),
                         [&](const CohortRule& r) { return r.match == m; });
  if (it == s.cohorts.end())
    return Error(ErrorCode::kInvalidRequest, "no cohort rule matches " + cohort_match_text(m) +
                                                 "; `traffic show` lists the rules");
  s.cohorts.erase(it);
  return make_plan(std::move(s));
}

}  // namespace cutover::traffic
