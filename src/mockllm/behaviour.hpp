// What a mock-llm request should suffer: latency, injected faults and drift.
//
// Behaviours come from two places and are merged per request:
//   - the model name's suffix: "NAME" or "NAME:b1,b2" ("gpt-4o:error-500", "echo:slow,drift-json");
//     the suffix starts after the LAST ':' so that NAME may itself contain colons;
//   - the command's flags (Settings), which apply to every request.
// Every decision here is a pure function of its inputs; the caller passes the random draws.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"

namespace cutover::mockllm {

enum class Behaviour : std::uint32_t {
  kSlow = 1u << 0,          // +200 ms latency
  kError500 = 1u << 1,      // always 500
  kError429 = 1u << 2,      // always 429 with Retry-After: 1
  k429Once = 1u << 3,       // 429 on the first attempt of each distinct request
  k500Once = 1u << 4,       // 500 on the first attempt of each distinct request
  kFlaky = 1u << 5,         // 500 half of the time
  kReset = 1u << 6,         // close the connection without a response
  kHang = 1u << 7,          // never answer
  kDriftWords = 1u << 8,    // different wording
  kDriftJson = 1u << 9,     // invalid JSON where JSON was asked
  kDriftTokens = 1u << 10,  // about twice the completion tokens
  kDriftSlow = 1u << 11,    // 3x latency, ttft and itl
};

class BehaviourSet {
 public:
  constexpr BehaviourSet() = default;
  constexpr explicit BehaviourSet(std::uint32_t bits) : bits_(bits) {}
  constexpr bool has(Behaviour b) const { return (bits_ & static_cast<std::uint32_t>(b)) != 0; }
  constexpr void add(Behaviour b) { bits_ |= static_cast<std::uint32_t>(b); }
  constexpr BehaviourSet operator|(BehaviourSet o) const { return BehaviourSet(bits_ | o.bits_); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr std::uint32_t bits() const { return bits_; }
  constexpr bool operator==(const BehaviourSet&) const = default;

 private:
  std::uint32_t bits_ = 0;
};

struct BehaviourInfo {
  Behaviour behaviour;
  std::string_view name;  // as written in a model suffix
  std::string_view help;
};
// Every behaviour, in the order the x-mock-behaviour header lists them.
std::span<const BehaviourInfo> all_behaviours();

// "slow, error-500, ..." for error messages.
std::string behaviour_list();

// The model name without its behaviour suffix ("a:b:slow" -> "a:b").
inline std::string_view base_model(std::string_view model) {
  auto colon = model.rfind(':');
  return colon == std::string_view::npos ? model : model.substr(0, colon);
}

struct ModelSpec {
  std::string_view base;  // the name without its behaviour suffix
  BehaviourSet behaviours;
};
// Splits "NAME:b1,b2". An unknown behaviour is a 400 (param "model") naming it and listing
// the valid ones. Empty names between commas are ignored ("m:slow,,flaky").
Result<ModelSpec> parse_model(std::string_view model);

// --drift "words,json,tokens,slow" -> the drift behaviours. Throws std::invalid_argument
// with a one-line message on an unknown entry (CLI use only).
BehaviourSet parse_drift(std::string_view list);

// What happens instead of (or before) a normal answer.
enum class Fault : std::uint8_t { kNone, kServerError, kRateLimit, kReset, kHang };

// "500" | "429" | "reset" | "hang"; false when unknown.
bool parse_fault(std::string_view s, Fault& out);

// The command's flags.
struct Settings {
  std::chrono::milliseconds latency{0};  // before the response (or its first byte)
  std::chrono::milliseconds jitter{0};   // uniform extra 0..jitter on top of latency
  std::chrono::milliseconds ttft{0};     // stream: after the head, before the first chunk
  std::chrono::milliseconds itl{0};      // stream: between tokens
  double fault_rate = 0;                 // 0..1, chance of `fault` per request
  Fault fault = Fault::kServerError;
  BehaviourSet drift;  // drift behaviours applied to every request
  std::chrono::milliseconds hang_limit{std::chrono::minutes(10)};  // not a flag; tests shorten it
};

// Remembers which requests were already seen, for 429-once / 500-once. Bounded: beyond
// capacity the oldest keys are forgotten (their next attempt fails once more). Thread-safe.
class OnceTracker final {
 public:
  explicit OnceTracker(std::size_t capacity = 65536);
  // True the first time key is offered, false afterwards.
  bool first_time(std::uint64_t key);

 private:
  std::mutex mu_;
  std::unordered_set<std::uint64_t> seen_;
  std::vector<std::uint64_t> ring_;  // insertion order, for eviction
  std::size_t next_ = 0;
};

// Uniform draws in [0, 1); only the ones a behaviour needs are consulted.
struct Draws {
  double flaky = 1.0;
  double fault_rate = 1.0;
};

struct FaultDecision {
  Fault fault = Fault::kNone;
  bool from_fault_rate = false;  // injected by --fault-rate rather than by a behaviour
};

// Precedence: error-500, error-429, reset, hang, flaky, 429-once, 500-once, --fault-rate.
// request_key identifies "the same request" across retries (see service.cpp).
FaultDecision decide_fault(BehaviourSet b, const Settings& s, const Draws& d, OnceTracker& once,
                           std::uint64_t request_key);

struct Timing {
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds ttft{0};
  std::chrono::milliseconds itl{0};
};

// latency = settings.latency + jitter_draw * settings.jitter (+200 ms with slow). drift-slow
// triples all three and makes the latency at least 150 ms, so it shows even with zero timings.
Timing timing_for(BehaviourSet b, const Settings& s, double jitter_draw);

// The x-mock-behaviour header value: the behaviours in effect, comma separated, plus
// "fault-500" / "fault-429" / "fault-reset" / "fault-hang" when --fault-rate fired.
std::string behaviour_header(BehaviourSet b, const FaultDecision& d);

}  // namespace cutover::mockllm
