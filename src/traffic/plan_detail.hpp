// Shared by the plan's parser (plan_parse.cpp) and its validation (plan.cpp); not an API.
#pragma once

#include <string>
#include <vector>

#include "core/error.hpp"
#include "traffic/plan.hpp"

namespace cutover::traffic::detail {

struct Problem {
  std::string path;  // document path ("cohorts[1].color"); empty for the whole document
  std::string what;
};

// "path: what" ("traffic plan: what" for the whole document).
std::string problem_text(const Problem& p);

// The meaning checks of make_plan on a spec whose shape is right (types, required members);
// normalizes it (environments sorted, header names and key digests lower-cased).
void check_spec(PlanSpec& spec, std::vector<Problem>& problems);

// Header names and API key digests lower-cased: the one form rules are compared and stored in.
void normalize(CohortMatch& m);

// One Error listing every problem, one per line, each with its path.
Error plan_error(const std::vector<Problem>& problems);

}  // namespace cutover::traffic::detail
