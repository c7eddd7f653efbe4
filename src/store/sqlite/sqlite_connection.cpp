#include "store/sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <functional>
#include <unordered_map>
#include <utility>

namespace cutover::store::sqlite {
namespace {

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The shared SQL writes placeholders as $1..$n (PostgreSQL's form); SQLite's numbered form
// is ?1..?n with the same meaning.
std::string to_sqlite_placeholders(std::string_view sql) {
  std::string out(sql);
  for (std::size_t i = 0; i + 1 < out.size(); ++i)
    if (out[i] == '$' && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '?';
  return out;
}

std::string first_line(std::string_view sql) {
  auto start = sql.find_first_not_of(" \n");
  if (start == std::string_view::npos) return {};
  sql.remove_prefix(start);
  return std::string(sql.substr(0, std::min(sql.find('\n'), std::size_t{60})));
}

class SqliteConnection final : public sql::Connection {
 public:
  SqliteConnection(sqlite3* db, std::string display_url)
      : db_(db), display_url_(std::move(display_url)) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  const std::string& display_url() const override { return display_url_; }
  bool lost() const override { return false; }

  using sql::Connection::query;
  Result<sql::Rows> query(std::string_view sql, std::span<const sql::Param> params) override {
    auto stmt = prepare(sql);
    if (!stmt.ok()) return stmt.error();
    sqlite3_stmt* s = *stmt;
    // Whatever happens, the cached statement goes back clean.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{s};
    int i = 1;
    for (const sql::Param& p : params) {
      int rc = std::holds_alternative<std::int64_t>(p)
                   ? sqlite3_bind_int64(s, i, std::get<std::int64_t>(p))
                   : sqlite3_bind_text64(s, i, std::get<std::string_view>(p).data(),
                                         std::get<std::string_view>(p).size(), SQLITE_STATIC,
                                         SQLITE_UTF8);
      if (rc != SQLITE_OK) return error(rc, sql);
      ++i;
    }
    sql::Rows rows;
    for (bool first = true;; first = false) {
      int rc = sqlite3_step(s);
      // Counted after the first step: a statement re-prepared after another connection
      // changed the schema may have other columns (SELECT *).
      if (first) rows = sql::Rows(sqlite3_column_count(s));
      if (rc == SQLITE_DONE) return rows;
      if (rc != SQLITE_ROW) return error(rc, sql);
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        if (sqlite3_column_type(s, c) == SQLITE_NULL) {
          rows.add(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
          rows.add(std::string(text, sqlite3_column_bytes(s, c)));
        }
      }
    }
  }

  Status exec_script(std::string_view sql) override {
    char* msg = nullptr;
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &msg);
    sqlite3_free(msg);
    if (rc != SQLITE_OK) return error(rc, sql);
    return {};
  }

  Status begin_write() override { return exec("BEGIN IMMEDIATE"); }
  Status commit() override { return exec("COMMIT"); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) (void)exec("ROLLBACK");
  }

 private:
  Status exec(std::string_view sql) {
    auto r = query(sql, {});
    if (!r.ok()) return r.error();
    return {};
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
    std::string text = to_sqlite_placeholders(sql);
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return error(rc, sql);
    cache_.emplace(std::string(sql), stmt);
    return stmt;
  }

  Error error(int rc, std::string_view sql) const {
    std::string what = sqlite3_errmsg(db_);
    std::string where = " (sqlite " + display_url_ + ", running: " + first_line(sql) + ")";
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Error(ErrorCode::kUnavailable,
                     "the database stayed locked by another connection for more than " +
                         std::to_string(kBusyTimeout.count()) + " ms" + where +
                         ": another process holds a long write transaction; retry later");
      case SQLITE_READONLY:
      case SQLITE_CANTOPEN:
      case SQLITE_IOERR:
      case SQLITE_FULL:
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return Error(ErrorCode::kUnavailable,
                     what + where + ": check the file, its folder's permissions and free space");
      case SQLITE_CONSTRAINT:
        return Error(ErrorCode::kInvalidRequest, "constraint violated: " + what + where);
      default:
        if (what.starts_with("no such table"))
          return Error(ErrorCode::kUnavailable,
                       what + where + ": the store is not migrated: run cutover store migrate");
        return Error(ErrorCode::kInternal, what + where);
    }
  }

  sqlite3* db_;
  std::string display_url_;
  std::unordered_map<std::string, sqlite3_stmt*, TransparentHash, std::equal_to<>> cache_;
};

}  // namespace

Result<std::unique_ptr<sql::Connection>> open(const std::string& path, std::string display_url) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Error(ErrorCode::kUnavailable,
                 "cannot open the sqlite store at " + display_url + " (file " + path + "): " + msg +
                     ": check that the folder exists and is writable by this user");
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(kBusyTimeout.count()));
  auto conn = std::make_unique<SqliteConnection>(db, display_url);
  auto mode = conn->query("PRAGMA journal_mode = WAL", {});
  if (!mode.ok()) return mode.error();
  if (mode->empty() || mode->text(0, 0) != "wal")
    return Error(ErrorCode::kUnavailable, "the sqlite store at " + display_url +
                                              " cannot use WAL mode (journal_mode is '" +
                                              (mode->empty() ? std::string() : mode->text(0, 0)) +
                                              "'): put the file on a local filesystem");
  for (std::string_view pragma : {"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"})
    if (Status s = conn->exec_script(pragma); !s.ok()) return s.error();
  return std::unique_ptr<sql::Connection>(std::move(conn));
}

}  // namespace cutover::store::sqlite
