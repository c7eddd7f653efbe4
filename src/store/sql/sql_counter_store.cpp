// Rate-limit windows. The admission check and the increment are one statement
// (INSERT ... ON CONFLICT DO UPDATE ... WHERE used + amount <= limit RETURNING used): the
// row is locked while the condition is evaluated, so two writers can never both admit
// past the limit, whatever process or host they run in. Each write is one autocommit
// statement, atomic without BEGIN/COMMIT round trips: PostgreSQL locks the row; SQLite
// takes the database's write lock when a writing statement starts (waiting busy_timeout
// for it), so it never has to upgrade a stale read snapshot.
#include "store/sql/sql_store.hpp"

namespace cutover::store::sql {
namespace {

constexpr std::string_view kTryAdd =
    "INSERT INTO counters (key, window_id, used) VALUES ($1, $2, $3) "
    "ON CONFLICT (key, window_id) DO UPDATE SET used = counters.used + excluded.used "
    "WHERE counters.used + excluded.used <= $4 RETURNING used";
constexpr std::string_view kUsed = "SELECT used FROM counters WHERE key = $1 AND window_id = $2";

Result<std::int64_t> read_used(Connection& c, std::string_view key, std::int64_t window) {
  auto r = c.query(kUsed, {key, window});
  if (!r.ok()) return r.error();
  return r->empty() ? 0 : r->int64(0, 0);
}

}  // namespace

Result<CounterResult> SqlCounterStore::try_add(std::string_view key, std::int64_t window,
                                               std::int64_t amount, std::int64_t limit) {
  if (amount < 0)
    return Error(ErrorCode::kInternal, "try_add of a negative amount (" + std::to_string(amount) +
                                           ") on counter '" + std::string(key) +
                                           "': use adjust() to return a reservation");
  std::lock_guard lock(s_.mu);
  Connection& c = *s_.conn;
  if (amount > limit) {  // refused whatever the count; the INSERT branch would not check
    auto used = read_used(c, key, window);
    if (!used.ok()) return used.error();
    return CounterResult{false, *used};
  }
  auto r = c.query(kTryAdd, {key, window, amount, limit});
  if (!r.ok()) return r.error();
  if (!r->empty()) return CounterResult{true, r->int64(0, 0)};
  auto used = read_used(c, key, window);  // refused: report the count as it is now
  if (!used.ok()) return used.error();
  return CounterResult{false, *used};
}

Status SqlCounterStore::adjust(std::string_view key, std::int64_t window, std::int64_t delta) {
  std::lock_guard lock(s_.mu);
  Connection& c = *s_.conn;
  auto r = delta >= 0 ? c.query(
                            "INSERT INTO counters (key, window_id, used) VALUES ($1, $2, $3) "
                            "ON CONFLICT (key, window_id) DO UPDATE SET used = counters.used + "
                            "excluded.used",
                            {key, window, delta})
                      : c.query(
                            "UPDATE counters SET used = CASE WHEN used + $3 < 0 THEN 0 "
                            "ELSE used + $3 END WHERE key = $1 AND window_id = $2",
                            {key, window, delta});
  if (!r.ok()) return r.error();
  return {};
}

Result<std::int64_t> SqlCounterStore::used(std::string_view key, std::int64_t window) {
  return read_with_retry(s_, [&](Connection& c) { return read_used(c, key, window); });
}

Status SqlCounterStore::expire(std::int64_t before) {
  std::lock_guard lock(s_.mu);
  Connection& c = *s_.conn;
  auto r = c.query("DELETE FROM counters WHERE window_id < $1", {before});
  if (!r.ok()) return r.error();
  return {};
}

}  // namespace cutover::store::sql
