#include "store/sql/sql_store.hpp"

#include "store/migrations.hpp"

namespace cutover::store::sql {

SqlStore::SqlStore(std::string backend, std::unique_ptr<Connection> conn)
    : backend_(std::move(backend)) {
  session_.conn = std::move(conn);
}

Result<int> SqlStore::schema_version() {
  return read_with_retry(session_, [](Connection& c) { return read_schema_version(c); });
}

Result<int> SqlStore::min_reader_version() {
  return read_with_retry(session_, [](Connection& c) { return read_min_reader_version(c); });
}

Status SqlStore::migrate_to(int target) {
  std::lock_guard lock(session_.mu);
  return store::migrate(*session_.conn, target);
}

}  // namespace cutover::store::sql
