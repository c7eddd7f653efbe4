// One fuzz input -> the traffic core's parsers of untrusted bytes: the shadow comparison
// (provider bodies, streams folded) and the plan document. Shared by the libFuzzer target
// and the corpus replay test, so both run exactly the same code.
//
// Input layout: byte 0 picks the mode and content types; the rest is split at the first
// "\n---\n" into the primary and the shadow body (no separator: both are the same bytes).
//   bit 0: primary is text/event-stream   bit 1: shadow is text/event-stream
//   bit 2: shadow status 500 instead of 200   bit 7: the rest is a plan document instead
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "traffic/compare.hpp"
#include "traffic/plan.hpp"

namespace cutover::traffic::fuzz {

// Runs one input; returns a number derived from the results so nothing is optimized away.
inline std::size_t run_one(std::string_view input) {
  if (input.empty()) return 0;
  auto mode = static_cast<unsigned char>(input[0]);
  std::string_view rest = input.substr(1);
  if (mode & 0x80) {
    auto plan = parse_plan(rest);
    if (!plan) return plan.error().message().size();
    // A plan that parses must survive its own canonical form.
    auto again = parse_plan(canonical_json(*plan));
    if (!again || !(*again == *plan)) __builtin_trap();
    return 1;
  }
  std::string_view a = rest, b = rest;
  if (auto sep = rest.find("\n---\n"); sep != std::string_view::npos) {
    a = rest.substr(0, sep);
    b = rest.substr(sep + 5);
  }
  constexpr std::string_view kSse = "text/event-stream", kJson = "application/json";
  Observed p{200, (mode & 1) ? kSse : kJson, a, 1000};
  Observed s{(mode & 4) ? 500 : 200, (mode & 2) ? kSse : kJson, b, 2000};
  Comparison c = compare(p, s);
  if (c.sample.size() > kMaxSample) __builtin_trap();
  // The same response against itself is always equal.
  if (compare(p, p).outcome != Outcome::kEqual) __builtin_trap();
  return c.kinds.size() + c.sample.size();
}

}  // namespace cutover::traffic::fuzz
