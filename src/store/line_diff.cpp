#include "store/line_diff.hpp"

#include <algorithm>
#include <cstdint>

namespace cutover::store {
namespace {

constexpr std::size_t kMaxTable = 4'000'000;

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    auto nl = s.find('\n');
    if (nl == std::string_view::npos) {
      out.push_back(s);
      break;
    }
    out.push_back(s.substr(0, nl));
    s.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

std::vector<DiffLine> line_diff(std::string_view before, std::string_view after) {
  auto a = split_lines(before);
  auto b = split_lines(after);
  std::vector<DiffLine> out;
  // The common head and tail need no table; usually only a few lines in between differ.
  std::size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail])
    ++tail;
  for (std::size_t i = 0; i < head; ++i) out.push_back({DiffOp::kKeep, std::string(a[i])});

  const std::size_t n = a.size() - head - tail, m = b.size() - head - tail;
  auto old_line = [&](std::size_t i) { return a[head + i]; };
  auto new_line = [&](std::size_t j) { return b[head + j]; };
  if (n != 0 && m != 0 && (n + 1) * (m + 1) <= kMaxTable) {
    // lcs[i][j]: length of the LCS of the middles from old line i and new line j on.
    std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
    auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
    for (std::size_t i = n; i-- > 0;)
      for (std::size_t j = m; j-- > 0;)
        at(i, j) = old_line(i) == new_line(j) ? at(i + 1, j + 1) + 1
                                              : std::max(at(i + 1, j), at(i, j + 1));
    std::size_t i = 0, j = 0;
    while (i < n && j < m) {
      if (old_line(i) == new_line(j)) {
        out.push_back({DiffOp::kKeep, std::string(old_line(i))});
        ++i, ++j;
      } else if (at(i + 1, j) >= at(i, j + 1)) {
        out.push_back({DiffOp::kRemove, std::string(old_line(i++))});
      } else {
        out.push_back({DiffOp::kAdd, std::string(new_line(j++))});
      }
    }
    for (; i < n; ++i) out.push_back({DiffOp::kRemove, std::string(old_line(i))});
    for (; j < m; ++j) out.push_back({DiffOp::kAdd, std::string(new_line(j))});
  } else {
    for (std::size_t i = 0; i < n; ++i) out.push_back({DiffOp::kRemove, std::string(old_line(i))});
    for (std::size_t j = 0; j < m; ++j) out.push_back({DiffOp::kAdd, std::string(new_line(j))});
  }
  for (std::size_t i = a.size() - tail; i < a.size(); ++i)
    out.push_back({DiffOp::kKeep, std::string(a[i])});
  return out;
}

std::string format_diff(const std::vector<DiffLine>& lines, std::size_t context) {
  // A kept line is shown when a change lies within `context` lines of it.
  std::vector<bool> show(lines.size(), false);
  bool any = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].op == DiffOp::kKeep) continue;
    any = true;
    std::size_t lo = i >= context ? i - context : 0;
    std::size_t hi = std::min(lines.size(), i + context + 1);
    for (std::size_t k = lo; k < hi; ++k) show[k] = true;
  }
  if (!any) return {};
  std::string out;
  bool skipped = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!show[i]) {
      skipped = true;
      continue;
    }
    if (skipped) out += "  ...\n";
    skipped = false;
    out += lines[i].op == DiffOp::kAdd ? "+ " : lines[i].op == DiffOp::kRemove ? "- " : "  ";
    out += lines[i].text;
    out += '\n';
  }
  if (skipped) out += "  ...\n";
  return out;
}

}  // namespace cutover::store
