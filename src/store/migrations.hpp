// The numbered schema migrations of the store, one SQL text per backend per step, and
// the rule that lets two releases share one database (docs/STORE.md):
//
//   expand   a step only adds (tables, columns with defaults, indexes); the previous
//            release keeps working on the new schema. min_reader_version stays.
//   contract a later step removes what no running release reads any more; it raises the
//            database's min_reader_version to its own version, and an older binary then
//            refuses to run on that database instead of misreading it.
//
// Applied steps are rows of schema_migrations(version, applied_at, description); the
// database's min_reader_version is a row of schema_meta.
#pragma once

#include <span>
#include <string_view>

#include "core/error.hpp"

namespace cutover::store {

namespace sql {
class Connection;
}

struct Migration {
  int version;  // 1, 2, 3... in order, never renumbered
  std::string_view description;
  std::string_view sql;           // for both backends, unless postgres_sql is set
  std::string_view postgres_sql;  // PostgreSQL's text where it differs
  // Oldest schema version whose reader code still works after this step: 1 for every
  // expand-only step; a contraction sets its own version.
  int min_reader_version = 1;
};

std::span<const Migration> migrations();

// Fails (kUnavailable) when a database whose min_reader_version is above `known` would be
// read by this binary; the message names the URL, both versions and what to do.
Status check_reader_compatible(int db_version, int db_min_reader, int known,
                               std::string_view display_url);

Result<int> read_schema_version(sql::Connection& c);
Result<int> read_min_reader_version(sql::Connection& c);

// Applies every migration with version <= target that the database lacks, each in its
// own transaction under the backend's migration lock (SQLite: BEGIN IMMEDIATE;
// PostgreSQL: pg_advisory_xact_lock per schema). Checks compatibility first.
Status migrate(sql::Connection& c, int target);

}  // namespace cutover::store
