// A line diff for people (`cutover state diff`): longest common subsequence of lines,
// printed with "-" (only in the old text) and "+" (only in the new one) prefixes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::store {

enum class DiffOp { kKeep, kRemove, kAdd };

struct DiffLine {
  DiffOp op;
  std::string text;
  bool operator==(const DiffLine&) const = default;
};

// Every line of both texts in order: the kept ones (a longest common subsequence),
// removals before additions where they replace each other. A trailing newline does not
// make an extra empty line. Texts too large for the quadratic table (their differing
// middle over 4 million line pairs) come back as all-removed then all-added.
std::vector<DiffLine> line_diff(std::string_view before, std::string_view after);

// "- old" / "+ new" lines with `context` unchanged lines around each change, and "  ..."
// where unchanged lines were left out. Empty when nothing differs.
std::string format_diff(const std::vector<DiffLine>& lines, std::size_t context = 3);

}  // namespace cutover::store
