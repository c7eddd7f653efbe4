#include "store/line_diff.hpp"

#include <gtest/gtest.h>

namespace cutover::store {
namespace {

using enum DiffOp;

TEST(LineDiff, EqualTextsKeepEveryLine) {
  auto d = line_diff("a\nb\n", "a\nb\n");
  EXPECT_EQ(d, (std::vector<DiffLine>{{kKeep, "a"}, {kKeep, "b"}}));
  EXPECT_EQ(format_diff(d), "");
}

TEST(LineDiff, FindsALongestCommonSubsequence) {
  auto d = line_diff("a\nb\nc\nd\n", "a\nx\nc\nd\ny\n");
  EXPECT_EQ(
      d, (std::vector<DiffLine>{
             {kKeep, "a"}, {kRemove, "b"}, {kAdd, "x"}, {kKeep, "c"}, {kKeep, "d"}, {kAdd, "y"}}));
  // Moves: the common subsequence has length 2 of 3.
  d = line_diff("1\n2\n3", "2\n3\n1");
  EXPECT_EQ(d, (std::vector<DiffLine>{{kRemove, "1"}, {kKeep, "2"}, {kKeep, "3"}, {kAdd, "1"}}));
}

TEST(LineDiff, HandlesEmptySides) {
  EXPECT_EQ(line_diff("", "a\nb"), (std::vector<DiffLine>{{kAdd, "a"}, {kAdd, "b"}}));
  EXPECT_EQ(line_diff("a", ""), (std::vector<DiffLine>{{kRemove, "a"}}));
  EXPECT_TRUE(line_diff("", "").empty());
}

TEST(LineDiff, FormatsChangesWithContext) {
  std::string before, after;
  for (int i = 0; i < 20; ++i) {
    std::string line = "l";
    line += std::to_string(i);
    before += line + '\n';
    after += (i == 10 ? std::string("changed") : line) + '\n';
  }
  EXPECT_EQ(format_diff(line_diff(before, after), 2),
            "  ...\n  l8\n  l9\n- l10\n+ changed\n  l11\n  l12\n  ...\n");
  EXPECT_EQ(format_diff(line_diff("a\nb", "a\nc"), 3), "  a\n- b\n+ c\n");
}

TEST(LineDiff, HugeDifferingMiddlesFallBackToReplaceAll) {
  std::string before, after;
  for (int i = 0; i < 2100; ++i) {
    std::string n = std::to_string(i);
    before += 'a' + n + '\n';
    after += 'b' + n + '\n';
  }
  auto d = line_diff(before, after);
  ASSERT_EQ(d.size(), 4200u);
  EXPECT_EQ(d.front(), (DiffLine{kRemove, "a0"}));
  EXPECT_EQ(d.back(), (DiffLine{kAdd, "b2099"}));
}

}  // namespace
}  // namespace cutover::store
