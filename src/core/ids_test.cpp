#include "core/ids.hpp"

#include <gtest/gtest.h>

namespace cutover {
namespace {

TEST(Ids, RequestIdsAreHexAndDistinct) {
  auto a = new_request_id(), b = new_request_id();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(valid_request_id(a));
}

TEST(Ids, RequestIdsSortByTime) {
  // The first 12 hex digits are milliseconds: a later id never sorts before an earlier
  // one from another millisecond (the audit log's request-id index appends at its end).
  auto a = new_request_id();
  std::string b;
  do b = new_request_id();
  while (b.substr(0, 12) == a.substr(0, 12));
  EXPECT_LT(a, b);
}

TEST(Ids, ClientRequestIdsAreCheckedBeforeEcho) {
  EXPECT_TRUE(valid_request_id("req-123_abc.def:9"));
  EXPECT_FALSE(valid_request_id(""));
  EXPECT_FALSE(valid_request_id("has space"));
  EXPECT_FALSE(valid_request_id("new\nline"));
  EXPECT_FALSE(valid_request_id(std::string(129, 'a')));
}

TEST(TraceContext, ParsesValidAndKeepsTraceId) {
  auto t = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  std::string tid;
  auto child = child_traceparent(t, &tid);
  EXPECT_EQ(tid, t.trace_id);
  EXPECT_EQ(child.size(), 55u);
  EXPECT_EQ(child.substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  EXPECT_NE(child.substr(36, 16), "00f067aa0ba902b7");  // a new span
}

TEST(TraceContext, RejectsMalformedAndStartsANewTrace) {
  for (const char* bad : {"", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"})
    EXPECT_TRUE(parse_traceparent(bad).trace_id.empty()) << bad;
  std::string tid;
  auto fresh = child_traceparent({}, &tid);
  EXPECT_EQ(tid.size(), 32u);
  EXPECT_EQ(fresh.substr(0, 3), "00-");
}

}  // namespace
}  // namespace cutover
