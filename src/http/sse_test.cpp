#include "http/sse.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cutover::http {
namespace {

std::vector<std::string> feed_all(SseParser& p, const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (const auto& piece : pieces)
    EXPECT_TRUE(p.feed(piece, [&](std::string_view d) { out.emplace_back(d); }));
  return out;
}

TEST(Sse, EventsSplitAtEveryByteComeOutWhole) {
  const std::string stream = "data: {\"a\":1}\n\ndata: {\"b\":2}\r\n\r\ndata: [DONE]\n\n";
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser p;
    auto events = feed_all(p, {stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(events.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(events[0], "{\"a\":1}");
    EXPECT_EQ(events[1], "{\"b\":2}");
    EXPECT_EQ(events[2], "[DONE]");
  }
}

TEST(Sse, ByteByByte) {
  const std::string stream = "data: x\r\n\r\n: comment\n\ndata:y\rdata: z\r\r";
  SseParser p;
  std::vector<std::string> pieces;
  for (char c : stream) pieces.emplace_back(1, c);
  auto events = feed_all(p, pieces);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], "x");
  EXPECT_EQ(events[1], "y\nz");  // two data lines join with a newline
}

TEST(Sse, IgnoresOtherFieldsAndEmptyEvents) {
  SseParser p;
  auto events = feed_all(p, {"event: ping\nid: 7\n\nretry: 10\n\ndata: ok\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], "ok");
}

TEST(Sse, OversizedEventIsRefused) {
  SseParser p;
  std::string big = "data: " + std::string(SseParser::kMaxEvent + 10, 'x');
  EXPECT_FALSE(p.feed(big, [](std::string_view) {}));
}

TEST(Sse, FormatsEvents) { EXPECT_EQ(sse_event("[DONE]"), "data: [DONE]\n\n"); }

}  // namespace
}  // namespace cutover::http
