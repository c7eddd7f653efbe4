#include "mockllm/behaviour.hpp"

#include <algorithm>
#include <stdexcept>

namespace cutover::mockllm {
namespace {

using std::chrono::milliseconds;

// Per-behaviour salts so that 429-once and 500-once on one request are tracked apart.
constexpr std::uint64_t kOnce429Salt = 0x429429429429ULL;
constexpr std::uint64_t kOnce500Salt = 0x500500500500ULL;

constexpr BehaviourInfo kAll[] = {
    {Behaviour::kSlow, "slow", "+200 ms latency"},
    {Behaviour::kError500, "error-500", "always answer 500 server_error"},
    {Behaviour::kError429, "error-429", "always answer 429 rate_limit_error with Retry-After: 1"},
    {Behaviour::k429Once, "429-once",
     "429 on the first attempt of each distinct request (x-request-id, else body), then succeed"},
    {Behaviour::k500Once, "500-once",
     "500 on the first attempt of each distinct request, then succeed"},
    {Behaviour::kFlaky, "flaky", "500 on half of the requests"},
    {Behaviour::kReset, "reset", "close the connection without a response"},
    {Behaviour::kHang, "hang",
     "never answer; the connection is dropped after 10 minutes or at shutdown"},
    {Behaviour::kDriftWords, "drift-words", "different wording for the same prompt"},
    {Behaviour::kDriftJson, "drift-json",
     "invalid JSON where JSON was asked (response_format, tools)"},
    {Behaviour::kDriftTokens, "drift-tokens", "about twice as many completion tokens"},
    {Behaviour::kDriftSlow, "drift-slow", "3x latency, ttft and itl (latency at least 150 ms)"},
};

const BehaviourInfo* find_behaviour(std::string_view name) {
  for (const auto& b : kAll)
    if (b.name == name) return &b;
  return nullptr;
}

}  // namespace

std::span<const BehaviourInfo> all_behaviours() { return kAll; }

std::string behaviour_list() {
  std::string out;
  for (const auto& b : all_behaviours()) {
    if (!out.empty()) out += ", ";
    out += b.name;
  }
  return out;
}

Result<ModelSpec> parse_model(std::string_view model) {
  auto colon = model.rfind(':');
  if (colon == std::string_view::npos) return ModelSpec{model, {}};
  ModelSpec spec{base_model(model), {}};
  std::string_view rest = model.substr(colon + 1);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (name.empty()) continue;
    const BehaviourInfo* info = find_behaviour(name);
    if (!info)
      return Error(ErrorCode::kInvalidRequest, "mock-llm: unknown behaviour '" + std::string(name) +
                                                   "' in model '" + std::string(model) +
                                                   "'; valid behaviours: " + behaviour_list())
          .with_param("model");
    spec.behaviours.add(info->behaviour);
  }
  return spec;
}

BehaviourSet parse_drift(std::string_view list) {
  BehaviourSet out;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (name.empty()) continue;
    if (name == "words")
      out.add(Behaviour::kDriftWords);
    else if (name == "json")
      out.add(Behaviour::kDriftJson);
    else if (name == "tokens")
      out.add(Behaviour::kDriftTokens);
    else if (name == "slow")
      out.add(Behaviour::kDriftSlow);
    else
      throw std::invalid_argument(
          "unknown drift '" + std::string(name) +
          "'; expected a comma-separated list of words, json, tokens, slow");
  }
  return out;
}

bool parse_fault(std::string_view s, Fault& out) {
  if (s == "500")
    out = Fault::kServerError;
  else if (s == "429")
    out = Fault::kRateLimit;
  else if (s == "reset")
    out = Fault::kReset;
  else if (s == "hang")
    out = Fault::kHang;
  else
    return false;
  return true;
}

OnceTracker::OnceTracker(std::size_t capacity) : ring_(std::max<std::size_t>(capacity, 1), 0) {
  seen_.reserve(ring_.size());
}

bool OnceTracker::first_time(std::uint64_t key) {
  std::lock_guard lock(mu_);
  if (seen_.contains(key)) return false;
  if (seen_.size() == ring_.size()) seen_.erase(ring_[next_]);  // full: forget the oldest
  seen_.insert(key);
  ring_[next_] = key;
  next_ = (next_ + 1) % ring_.size();
  return true;
}

FaultDecision decide_fault(BehaviourSet b, const Settings& s, const Draws& d, OnceTracker& once,
                           std::uint64_t request_key) {
  using enum Behaviour;
  if (b.has(kError500)) return {Fault::kServerError};
  if (b.has(kError429)) return {Fault::kRateLimit};
  if (b.has(kReset)) return {Fault::kReset};
  if (b.has(kHang)) return {Fault::kHang};
  if (b.has(kFlaky) && d.flaky < 0.5) return {Fault::kServerError};
  // Each once-behaviour remembers the request only when it is reached, so "429-once,500-once"
  // fails twice (429, then 500) and then succeeds.
  if (b.has(k429Once) && once.first_time(request_key ^ kOnce429Salt)) return {Fault::kRateLimit};
  if (b.has(k500Once) && once.first_time(request_key ^ kOnce500Salt)) return {Fault::kServerError};
  if (s.fault_rate > 0 && d.fault_rate < s.fault_rate) return {s.fault, true};
  return {};
}

Timing timing_for(BehaviourSet b, const Settings& s, double jitter_draw) {
  Timing t{s.latency, s.ttft, s.itl};
  if (s.jitter.count() > 0)
    t.latency += milliseconds(
        static_cast<milliseconds::rep>(jitter_draw * static_cast<double>(s.jitter.count() + 1)));
  if (b.has(Behaviour::kSlow)) t.latency += milliseconds(200);
  if (b.has(Behaviour::kDriftSlow)) {
    t.latency = std::max(t.latency * 3, milliseconds(150));
    t.ttft *= 3;
    t.itl *= 3;
  }
  return t;
}

std::string behaviour_header(BehaviourSet b, const FaultDecision& d) {
  std::string out;
  for (const auto& info : all_behaviours()) {
    if (!b.has(info.behaviour)) continue;
    if (!out.empty()) out += ',';
    out += info.name;
  }
  if (d.from_fault_rate) {
    if (!out.empty()) out += ',';
    switch (d.fault) {
      case Fault::kServerError:
        out += "fault-500";
        break;
      case Fault::kRateLimit:
        out += "fault-429";
        break;
      case Fault::kReset:
        out += "fault-reset";
        break;
      case Fault::kHang:
        out += "fault-hang";
        break;
      case Fault::kNone:
        break;
    }
  }
  return out;
}

}  // namespace cutover::mockllm
