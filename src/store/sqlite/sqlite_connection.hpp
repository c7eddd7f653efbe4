// SQLite behind store::sql::Connection (sqlite3 C API).
//
// Settings, per connection: WAL journal (readers never block the writer; several
// processes on one host share the file), busy_timeout 5 s (a writer waits for another
// process's write lock instead of failing), synchronous=NORMAL (in WAL: a commit survives
// a crash of the process; after a power loss or OS crash the last commits may be lost
// but the file stays consistent; docs/STORE.md), foreign_keys=ON. Prepared statements are
// cached per connection. Not thread-safe: SqlStore holds the mutex.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "store/sql/sql_connection.hpp"

namespace cutover::store::sqlite {

inline constexpr std::chrono::milliseconds kBusyTimeout{5000};

// Opens (creating if missing) the database file at `path` with the settings above.
Result<std::unique_ptr<sql::Connection>> open(const std::string& path, std::string display_url);

}  // namespace cutover::store::sqlite
