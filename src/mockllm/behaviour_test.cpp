#include "mockllm/behaviour.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace cutover::mockllm {
namespace {

using enum Behaviour;
using std::chrono::milliseconds;

BehaviourSet set_of(std::initializer_list<Behaviour> bs) {
  BehaviourSet s;
  for (auto b : bs) s.add(b);
  return s;
}

TEST(MockBehaviour, PlainModelHasNoBehaviours) {
  auto spec = parse_model("mock-fast");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->base, "mock-fast");
  EXPECT_TRUE(spec->behaviours.empty());
}

TEST(MockBehaviour, SuffixIsParsed) {
  auto spec = parse_model("echo:slow,drift-json");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->base, "echo");
  EXPECT_EQ(spec->behaviours, set_of({kSlow, kDriftJson}));
}

TEST(MockBehaviour, EveryListedBehaviourParses) {
  for (const auto& info : all_behaviours()) {
    auto spec = parse_model("m:" + std::string(info.name));
    ASSERT_TRUE(spec.ok()) << info.name;
    EXPECT_EQ(spec->behaviours, set_of({info.behaviour})) << info.name;
  }
}

TEST(MockBehaviour, SuffixStartsAfterLastColon) {
  auto spec = parse_model("ft:gpt-4o:acme:error-429,,429-once");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->base, "ft:gpt-4o:acme");
  EXPECT_EQ(spec->behaviours, set_of({kError429, k429Once}));
}

TEST(MockBehaviour, UnknownBehaviourIsA400NamingIt) {
  auto spec = parse_model("gpt-4o:slow,explode");
  ASSERT_FALSE(spec.ok());
  const Error& e = spec.error();
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_EQ(e.param(), "model");
  EXPECT_NE(e.message().find("'explode'"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("drift-tokens"), std::string::npos) << "lists valid behaviours";
  EXPECT_NE(e.to_openai_json().find("invalid_request_error"), std::string::npos);
}

TEST(MockBehaviour, DriftFlag) {
  EXPECT_EQ(parse_drift("words,json,tokens,slow"),
            set_of({kDriftWords, kDriftJson, kDriftTokens, kDriftSlow}));
  EXPECT_TRUE(parse_drift("").empty());
  EXPECT_THROW(parse_drift("words,colour"), std::invalid_argument);
}

TEST(MockBehaviour, FaultFlag) {
  Fault f{};
  ASSERT_TRUE(parse_fault("429", f));
  EXPECT_EQ(f, Fault::kRateLimit);
  ASSERT_TRUE(parse_fault("hang", f));
  EXPECT_EQ(f, Fault::kHang);
  EXPECT_FALSE(parse_fault("503", f));
}

TEST(MockBehaviour, HardFaultsAlwaysFire) {
  Settings s;
  OnceTracker once;
  EXPECT_EQ(decide_fault(set_of({kError500}), s, {}, once, 1).fault, Fault::kServerError);
  EXPECT_EQ(decide_fault(set_of({kError429}), s, {}, once, 1).fault, Fault::kRateLimit);
  EXPECT_EQ(decide_fault(set_of({kReset}), s, {}, once, 1).fault, Fault::kReset);
  EXPECT_EQ(decide_fault(set_of({kHang}), s, {}, once, 1).fault, Fault::kHang);
  EXPECT_EQ(decide_fault(set_of({kSlow, kDriftJson}), s, {}, once, 1).fault, Fault::kNone);
}

TEST(MockBehaviour, FlakyFollowsItsDraw) {
  Settings s;
  OnceTracker once;
  EXPECT_EQ(decide_fault(set_of({kFlaky}), s, {.flaky = 0.49}, once, 1).fault, Fault::kServerError);
  EXPECT_EQ(decide_fault(set_of({kFlaky}), s, {.flaky = 0.5}, once, 1).fault, Fault::kNone);
}

TEST(MockBehaviour, OnceFailsOnlyTheFirstAttemptOfEachRequest) {
  Settings s;
  OnceTracker once;
  auto b = set_of({k429Once});
  EXPECT_EQ(decide_fault(b, s, {}, once, 7).fault, Fault::kRateLimit);
  EXPECT_EQ(decide_fault(b, s, {}, once, 7).fault, Fault::kNone);
  EXPECT_EQ(decide_fault(b, s, {}, once, 7).fault, Fault::kNone);
  EXPECT_EQ(decide_fault(b, s, {}, once, 8).fault, Fault::kRateLimit) << "another request";
}

TEST(MockBehaviour, BothOnceBehavioursFailInTurn) {
  Settings s;
  OnceTracker once;
  auto b = set_of({k429Once, k500Once});
  EXPECT_EQ(decide_fault(b, s, {}, once, 9).fault, Fault::kRateLimit);
  EXPECT_EQ(decide_fault(b, s, {}, once, 9).fault, Fault::kServerError);
  EXPECT_EQ(decide_fault(b, s, {}, once, 9).fault, Fault::kNone);
}

TEST(MockBehaviour, OnceTrackerForgetsOldestBeyondCapacity) {
  OnceTracker once(2);
  EXPECT_TRUE(once.first_time(1));
  EXPECT_TRUE(once.first_time(2));
  EXPECT_FALSE(once.first_time(1));
  EXPECT_TRUE(once.first_time(3));  // evicts 1
  EXPECT_FALSE(once.first_time(2));
  EXPECT_FALSE(once.first_time(3));
  EXPECT_TRUE(once.first_time(1));
}

TEST(MockBehaviour, FaultRateInjectsTheConfiguredFault) {
  Settings s;
  s.fault_rate = 0.25;
  s.fault = Fault::kReset;
  OnceTracker once;
  auto hit = decide_fault({}, s, {.fault_rate = 0.2}, once, 1);
  EXPECT_EQ(hit.fault, Fault::kReset);
  EXPECT_TRUE(hit.from_fault_rate);
  EXPECT_EQ(decide_fault({}, s, {.fault_rate = 0.25}, once, 1).fault, Fault::kNone);
  EXPECT_EQ(behaviour_header({}, hit), "fault-reset");
}

TEST(MockBehaviour, Timing) {
  Settings s;
  s.latency = milliseconds(10);
  s.jitter = milliseconds(9);
  s.ttft = milliseconds(5);
  s.itl = milliseconds(2);
  EXPECT_EQ(timing_for({}, s, 0.0).latency, milliseconds(10));
  EXPECT_EQ(timing_for({}, s, 0.999).latency, milliseconds(19));
  EXPECT_EQ(timing_for(set_of({kSlow}), s, 0.0).latency, milliseconds(210));
  Timing drift = timing_for(set_of({kDriftSlow}), s, 0.0);
  EXPECT_EQ(drift.latency, milliseconds(150)) << "3x10 is below the 150 ms floor";
  EXPECT_EQ(drift.ttft, milliseconds(15));
  EXPECT_EQ(drift.itl, milliseconds(6));
  EXPECT_EQ(timing_for(set_of({kSlow, kDriftSlow}), s, 0.0).latency, milliseconds(630));
}

TEST(MockBehaviour, HeaderListsBehavioursInTableOrder) {
  EXPECT_EQ(behaviour_header(set_of({kDriftJson, kSlow}), {}), "slow,drift-json");
  EXPECT_EQ(behaviour_header({}, {}), "");
}

}  // namespace
}  // namespace cutover::mockllm
