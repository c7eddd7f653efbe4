#include "gateway/retry.hpp"

#include <gtest/gtest.h>

namespace cutover::gateway {
namespace {
using std::chrono::milliseconds;

RetryPolicy policy() {
  RetryPolicy p;
  p.max_attempts = 3;
  p.backoff_initial = milliseconds(100);
  p.backoff_max = milliseconds(300);
  p.max_retry_after = milliseconds(2000);
  return p;
}

TEST(RetryDecision, ServerErrorRetriesWithJitteredExponentialBackoff) {
  Error e(ErrorCode::kUpstreamError, "500");
  auto d1 = decide_retry(policy(), 1, e, 0.0);
  EXPECT_EQ(d1.kind, RetryDecision::kRetry);
  EXPECT_EQ(d1.delay, milliseconds(50));  // base 100, draw 0 -> half
  auto d2 = decide_retry(policy(), 2, e, 0.999);
  EXPECT_EQ(d2.kind, RetryDecision::kRetry);
  EXPECT_GE(d2.delay, milliseconds(199));  // base 200, draw ~1 -> full
  EXPECT_LE(d2.delay, milliseconds(200));
}

TEST(RetryDecision, BackoffIsCappedAtMax) {
  auto p = policy();
  p.max_attempts = 10;
  auto d = decide_retry(p, 6, Error(ErrorCode::kUpstreamConnect, "x"), 0.999);
  EXPECT_LE(d.delay, milliseconds(300));
}

TEST(RetryDecision, AttemptsExhaustedMovesToNextTarget) {
  EXPECT_EQ(decide_retry(policy(), 3, Error(ErrorCode::kUpstreamTimeout, "t"), 0.5).kind,
            RetryDecision::kNextTarget);
}

TEST(RetryDecision, RetryAfterIsHonouredWhenShortEnough) {
  auto e = Error(ErrorCode::kUpstreamRateLimited, "429").with_retry_after(milliseconds(1500));
  auto d = decide_retry(policy(), 1, e, 0.1);
  EXPECT_EQ(d.kind, RetryDecision::kRetry);
  EXPECT_EQ(d.delay, milliseconds(1500));
}

TEST(RetryDecision, LongRetryAfterFallsBackInsteadOfWaiting) {
  auto e = Error(ErrorCode::kUpstreamRateLimited, "429").with_retry_after(milliseconds(60000));
  EXPECT_EQ(decide_retry(policy(), 1, e, 0.1).kind, RetryDecision::kNextTarget);
}

TEST(RetryDecision, ClientErrorsAreNeverRetried) {
  EXPECT_EQ(decide_retry(policy(), 1, Error(ErrorCode::kUpstreamClientError, "400"), 0.1).kind,
            RetryDecision::kGiveUp);
  EXPECT_EQ(decide_retry(policy(), 1, Error(ErrorCode::kInvalidRequest, "bad"), 0.1).kind,
            RetryDecision::kGiveUp);
}

TEST(RetryAfter, ParsesSecondsFractionsAndHttpDates) {
  EXPECT_EQ(parse_retry_after("3", 0), milliseconds(3000));
  EXPECT_EQ(parse_retry_after(" 0.5 ", 0), milliseconds(500));
  // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), milliseconds(10000));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), milliseconds(0));
  EXPECT_FALSE(parse_retry_after("", 0));
  EXPECT_FALSE(parse_retry_after("soon", 0));
  EXPECT_FALSE(parse_retry_after("-1", 0));
  EXPECT_FALSE(parse_retry_after("5x", 0));
}

TEST(AggregateError, RateLimitsStayRateLimits) {
  ErrorCode all429[] = {ErrorCode::kUpstreamRateLimited, ErrorCode::kUpstreamRateLimited};
  EXPECT_EQ(Error(aggregate_code(all429, 2), "").http_status(), 429);
  ErrorCode timeouts[] = {ErrorCode::kUpstreamTimeout, ErrorCode::kUpstreamTimeout};
  EXPECT_EQ(Error(aggregate_code(timeouts, 2), "").http_status(), 504);
  ErrorCode mixed[] = {ErrorCode::kUpstreamRateLimited, ErrorCode::kUpstreamError};
  EXPECT_EQ(Error(aggregate_code(mixed, 2), "").http_status(), 502);
}

}  // namespace
}  // namespace cutover::gateway
