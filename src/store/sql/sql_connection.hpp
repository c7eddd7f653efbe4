// The little SQL both backends share: one connection, statements with $1..$n bound
// parameters, text results, transactions. StateStore, CounterStore and the migrations are
// written once against this (store/sql/), so SQLite and PostgreSQL behave the same by
// construction; what differs (locking, reconnecting, NOTIFY) is behind Dialect and the
// two implementations (store/sqlite/, store/postgres/).
//
// A connection is NOT thread-safe: its owner (SqlStore) serializes calls with a mutex.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace cutover::store::sql {

enum class Dialect { kSqlite, kPostgres };

// A bound parameter. Values are never spliced into SQL text.
using Param = std::variant<std::int64_t, std::string_view>;

// Result rows, every cell as text (NULL -> nullopt).
class Rows {
 public:
  Rows() = default;
  explicit Rows(int columns) : columns_(columns) {}
  void add(std::optional<std::string> cell) { cells_.push_back(std::move(cell)); }

  std::size_t size() const { return columns_ ? cells_.size() / columns_ : 0; }
  std::size_t columns() const { return columns_; }
  bool empty() const { return size() == 0; }
  bool is_null(std::size_t row, int col) const { return !cells_[row * columns_ + col]; }
  // "" for NULL.
  const std::string& text(std::size_t row, int col) const;
  // 0 for NULL or non-numeric text.
  std::int64_t int64(std::size_t row, int col) const;

 private:
  int columns_ = 0;
  std::vector<std::optional<std::string>> cells_;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // The URL with any password hidden, for error messages.
  virtual const std::string& display_url() const = 0;

  // One statement; placeholders are $1..$n on both backends.
  Result<Rows> query(std::string_view sql, std::initializer_list<Param> params = {}) {
    return query(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // The same with a parameter list built at run time (multi-row INSERTs).
  virtual Result<Rows> query(std::string_view sql, std::span<const Param> params) = 0;
  // Several statements, no parameters: static DDL of the migrations only.
  virtual Status exec_script(std::string_view sql) = 0;

  // Starts a transaction that will write. SQLite: BEGIN IMMEDIATE, which takes the
  // database's write lock now (waiting up to the busy timeout), so a transaction never
  // fails half-way on a lock. PostgreSQL: BEGIN (READ COMMITTED); callers lock rows.
  // If the connection had died while idle it is reopened first: nothing was sent yet.
  virtual Status begin_write() = 0;
  virtual Status commit() = 0;
  // Best effort; never fails loudly (the transaction is gone either way).
  virtual void rollback() = 0;

  // True after a failure that lost the connection (PostgreSQL server restarted, network
  // gone). The next call reconnects; an operation that had sent nothing may be retried.
  virtual bool lost() const = 0;
};

// Rolls back unless committed: every early return leaves nothing half-applied.
class WriteTransaction final {
 public:
  explicit WriteTransaction(Connection& c) : c_(c) {}
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  ~WriteTransaction() {
    if (open_) c_.rollback();
  }
  Status begin() {
    Status s = c_.begin_write();
    open_ = s.ok();
    return s;
  }
  Status commit() {
    Status s = c_.commit();
    if (s.ok()) open_ = false;
    return s;
  }

 private:
  Connection& c_;
  bool open_ = false;
};

}  // namespace cutover::store::sql
