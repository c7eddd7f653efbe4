// The policy registry: versions are only ever inserted; apply and rollback move
// state_active pointers and bump the change counter in the same transaction.
#include <chrono>
#include <set>

#include "core/clock.hpp"
#include "core/hash.hpp"
#include "store/postgres/postgres_connection.hpp"
#include "store/sql/sql_store.hpp"

namespace cutover::store::sql {
namespace {

constexpr std::string_view kVersionColumns =
    "domain, version, document, sha256, created_unix_ns, author, comment";


Status check_domain(std::string_view d) {
  bool ok = !d.empty() && d.size() <= 64;
  for (char c : d)
    ok &= (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  if (ok) return {};
  return Error(ErrorCode::kInvalidRequest,
               "state domain '" + std::string(d.substr(0, 80)) +
                   "' is invalid: use 1-64 characters from a-z, 0-9, '_', '-' and '.'");
}

std::vector<StateVersion> to_versions(const Rows& r) {
  std::vector<StateVersion> out;
  out.reserve(r.size());
  for (std::size_t i = 0; i < r.size(); ++i)
    out.push_back({r.text(i, 0), r.int64(i, 1), r.text(i, 2), r.text(i, 3), r.int64(i, 4),
                   r.text(i, 5), r.text(i, 6)});
  return out;
}

// Every state writer first locks the one change-counter row, so writers run one at a time
// (state changes are rare) and new domains cannot race to version 1. SQLite's BEGIN
// IMMEDIATE already holds the database's write lock.
Status lock_state(Connection& c) {
  auto r = c.query(c.dialect() == Dialect::kPostgres
                       ? "SELECT counter FROM state_changes WHERE id = 1 FOR UPDATE"
                       : "SELECT counter FROM state_changes WHERE id = 1");
  if (!r.ok()) return r.error();
  if (r->empty())
    return Error(ErrorCode::kInternal,
                 "the store at " + c.display_url() +
                     " lacks its state_changes row: run cutover store migrate");
  return {};
}

// Bumps the change counter; PostgreSQL also notifies listeners, delivered at commit.
Status record_change(Connection& c) {
  auto r = c.query("UPDATE state_changes SET counter = counter + 1 WHERE id = 1 RETURNING counter");
  if (!r.ok()) return r.error();
  if (c.dialect() != Dialect::kPostgres) return {};
  auto n = c.query("SELECT pg_notify($1, $2)", {postgres::kStateChannel, r->text(0, 0)});
  if (!n.ok()) return n.error();
  return {};
}

Result<std::vector<StateVersion>> select_versions(Connection& c, std::string_view where,
                                                  std::initializer_list<Param> params) {
  std::string sql =
      "SELECT " + std::string(kVersionColumns) + " FROM state_versions WHERE " + std::string(where);
  auto r = c.query(sql, params);
  if (!r.ok()) return r.error();
  return to_versions(*r);
}

}  // namespace

Result<std::vector<StateVersion>> SqlStateStore::active() {
  return read_with_retry(s_, [](Connection& c) -> Result<std::vector<StateVersion>> {
    auto r = c.query(
        "SELECT v.domain, v.version, v.document, v.sha256, v.created_unix_ns, v.author, "
        "v.comment FROM state_active a JOIN state_versions v ON v.domain = a.domain AND "
        "v.version = a.version ORDER BY v.domain");
    if (!r.ok()) return r.error();
    return to_versions(*r);
  });
}

Result<std::int64_t> SqlStateStore::change_counter() {
  return read_with_retry(s_, [](Connection& c) -> Result<std::int64_t> {
    auto r = c.query("SELECT counter FROM state_changes WHERE id = 1");
    if (!r.ok()) return r.error();
    return r->empty() ? 0 : r->int64(0, 0);
  });
}

Result<std::vector<StateVersion>> SqlStateStore::history(std::string_view domain) {
  return read_with_retry(s_, [&](Connection& c) {
    return select_versions(c, "domain = $1 ORDER BY version", {domain});
  });
}

Result<std::vector<StateVersion>> SqlStateStore::apply(const std::vector<DocumentChange>& changes,
                                                       std::string_view author,
                                                       std::string_view comment) {
  std::lock_guard lock(s_.mu);
  Connection& c = *s_.conn;
  WriteTransaction tx(c);
  if (Status s = tx.begin(); !s.ok()) return s.error();
  if (Status s = lock_state(c); !s.ok()) return s.error();
  std::vector<StateVersion> created;
  std::set<std::string_view> seen;
  const std::int64_t now = unix_nanos();
  // Checked one by one as they are written: a bad change late in the list rolls back the
  // ones already inserted in this transaction.
  for (const DocumentChange& ch : changes) {
    if (Status s = check_domain(ch.domain); !s.ok()) return s.error();
    if (!seen.insert(ch.domain).second)
      return Error(ErrorCode::kInvalidRequest,
                   "state domain '" + ch.domain +
                       "' appears twice in one apply: give one document per domain");
    std::string sha = to_hex(sha256(ch.document));
    auto active = c.query(
        "SELECT v.sha256, a.version FROM state_active a JOIN state_versions v ON v.domain = a.domain "
        "AND v.version = a.version WHERE a.domain = $1",
        {ch.domain});
    if (!active.ok()) return active.error();
    if (!active->empty() && active->text(0, 0) == sha) continue;
    const std::int64_t at = active->empty() ? 0 : active->int64(0, 1);
    if (ch.based_on && *ch.based_on != at)
      return Error(ErrorCode::kConflict, "state domain '" + ch.domain + "' is at version " + std::to_string(at) +
                                             ", not " + std::to_string(*ch.based_on) +
                                             " as this change assumed: it changed meanwhile; nothing was applied");
    auto next = c.query(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM state_versions WHERE domain = $1", {ch.domain});
    if (!next.ok()) return next.error();
    StateVersion v{ch.domain, next->int64(0, 0),   ch.document,         sha,
                   now,       std::string(author), std::string(comment)};
    auto ins = c.query(
        "INSERT INTO state_versions (domain, version, document, sha256, created_unix_ns, "
        "author, comment) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {v.domain, v.version, v.document, v.sha256, v.created_unix_ns, v.author, v.comment});
    if (!ins.ok()) return ins.error();
    auto ptr = c.query(
        "INSERT INTO state_active (domain, version, updated_unix_ns, updated_by) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (domain) DO UPDATE SET version = excluded.version, "
        "updated_unix_ns = excluded.updated_unix_ns, updated_by = excluded.updated_by",
        {v.domain, v.version, now, author});
    if (!ptr.ok()) return ptr.error();
    created.push_back(std::move(v));
  }
  if (!created.empty())
    if (Status s = record_change(c); !s.ok()) return s.error();
  if (Status s = tx.commit(); !s.ok()) return s.error();
  return created;
}

Result<StateVersion> SqlStateStore::rollback(std::string_view domain,
                                             std::optional<std::int64_t> to,
                                             std::string_view author) {
  if (Status s = check_domain(domain); !s.ok()) return s.error();
  std::lock_guard lock(s_.mu);
  Connection& c = *s_.conn;
  WriteTransaction tx(c);
  if (Status s = tx.begin(); !s.ok()) return s.error();
  if (Status s = lock_state(c); !s.ok()) return s.error();
  const std::string d(domain);
  auto active = c.query("SELECT version FROM state_active WHERE domain = $1", {domain});
  if (!active.ok()) return active.error();
  if (active->empty())
    return Error(ErrorCode::kNotFound, "state domain '" + d + "' has no active version in " +
                                           c.display_url() + ": apply one first");
  const std::int64_t current = active->int64(0, 0);
  std::int64_t target = 0;
  if (to) {
    target = *to;
  } else {
    auto prev =
        c.query("SELECT MAX(version) FROM state_versions WHERE domain = $1 AND version < $2",
                {domain, current});
    if (!prev.ok()) return prev.error();
    if (prev->is_null(0, 0))
      return Error(ErrorCode::kNotFound, "state domain '" + d + "' is at version " +
                                             std::to_string(current) +
                                             ", which has no earlier version to roll back to");
    target = prev->int64(0, 0);
  }
  auto found = select_versions(c, "domain = $1 AND version = $2", {domain, target});
  if (!found.ok()) return found.error();
  if (found->empty()) {
    auto last = c.query("SELECT MAX(version) FROM state_versions WHERE domain = $1", {domain});
    if (!last.ok()) return last.error();
    return Error(ErrorCode::kNotFound, "state domain '" + d + "' has no version " +
                                           std::to_string(target) + " (it has versions 1 to " +
                                           last->text(0, 0) +
                                           "): pick one from `cutover state history " + d + "`");
  }
  if (target == current) return std::move(found->front());
  auto move = c.query(
      "UPDATE state_active SET version = $2, updated_unix_ns = $3, updated_by = $4 "
      "WHERE domain = $1",
      {domain, target, unix_nanos(), author});
  if (!move.ok()) return move.error();
  if (Status s = record_change(c); !s.ok()) return s.error();
  if (Status s = tx.commit(); !s.ok()) return s.error();
  return std::move(found->front());
}

}  // namespace cutover::store::sql
