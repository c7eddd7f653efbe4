#include "store/sql/sql_connection.hpp"

#include <charconv>

namespace cutover::store::sql {

const std::string& Rows::text(std::size_t row, int col) const {
  static const std::string kEmpty;
  const auto& cell = cells_[row * columns_ + col];
  return cell ? *cell : kEmpty;
}

std::int64_t Rows::int64(std::size_t row, int col) const {
  const std::string& t = text(row, col);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

}  // namespace cutover::store::sql
